using System.CommandLine;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Analysis;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.CodeGen.CSharp;
using DeepSeek.Lang.Compiler.CodeGen.Onnx;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>
/// <c>dskc compile FILE [--model NAME] [-o DIR] [--emit LIST] [--dim NAME=VALUE ...] [--seed S | --weights W] [--json]</c>:
/// lowers each model to the optimised graph IR and writes what <c>--emit</c> asks for.
/// </summary>
internal static class CompileCommand
{
    /// <summary>What --emit accepts today, in the order outputs are written.</summary>
    public static readonly string[] EmitKinds = { "ir", "report", "onnx", "csharp" };

    /// <summary>What is written without --emit: onnx only when asked for, since it holds every weight.</summary>
    public static readonly string[] DefaultEmitKinds = { "ir", "report" };

    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The .dsk file to compile." };
        var model = CommonOptions.Model();
        var output = new Option<string>("--output", "-o") { Description = "The folder to write to (default: out).", DefaultValueFactory = _ => "out" };
        var emit = new Option<string?>("--emit") { Description = $"A comma-separated list of outputs: {string.Join(", ", EmitKinds)} (default: {string.Join(", ", DefaultEmitKinds)})." };
        var dims = CommonOptions.Dims();
        var seed = new Option<long?>("--seed") { Description = "With --emit onnx: initialise the weights with this seed, as dskc run does (default 0)." };
        var weights = new Option<string?>("--weights") { Description = "With --emit onnx: take the weights from a safetensors file instead." };
        var json = new Option<bool>("--json") { Description = "Also print the report as JSON on stdout." };
        var excerpts = CommonOptions.Excerpts();
        var format = CommonOptions.Format();
        var root = CommonOptions.Root();
        var command = new Command("compile", "Lower models to the graph IR and write the IR and a report (parameters, FLOPs, memory).")
        {
            file, model, output, emit, dims, seed, weights, json, excerpts, format, root,
        };
        command.SetAction(parse =>
        {
            var diagnostics = new DiagnosticOutput(console, parse.GetValue(format)!, parse.GetValue(excerpts));
            Dictionary<string, long> bound;
            try
            {
                // Names are checked per model, by CompiledModel.Compile: the file may define several.
                bound = DimArguments.Parse(parse.GetValue(dims) ?? Array.Empty<string>());
            }
            catch (RuntimeError e)
            {
                return diagnostics.CommandError(DiagnosticDescriptors.InvalidDimBinding, e.Message);
            }
            var kinds = ParseEmit(parse.GetValue(emit), out var emitError);
            if (kinds == null) return diagnostics.CommandError(DiagnosticDescriptors.UnknownEmitKind, emitError);
            var weightSeed = parse.GetValue(seed);
            var weightFile = parse.GetValue(weights);
            if (weightSeed != null && weightFile != null)
                return UsageError(console, "--seed and --weights cannot be used together: the weights come from the file or from the seed");
            if ((weightSeed != null || weightFile != null) && !kinds.Contains("onnx"))
                return UsageError(console, $"{(weightFile != null ? "--weights" : "--seed")} gives the weights of --emit onnx; add onnx to --emit");

            var path = parse.GetValue(file)!;
            var sources = SourceLoader.Load(new[] { path }, DiskFileSystem.Instance, parse.GetValue(root));
            if (diagnostics.ReportLoadErrors(sources.LoadErrors)) return ExitCodes.Usage;
            var compilation = Compilation.Create(sources);
            if (sources.HasErrors)
            {
                diagnostics.Print(sources.Diagnostics);
                return ExitCodes.Errors;
            }

            var models = SelectModels(compilation, parse.GetValue(model), path, out var modelError);
            if (models == null) return diagnostics.CommandError(DiagnosticDescriptors.UnknownModel, modelError);

            var outDir = parse.GetValue(output)!;
            var reports = new List<ModelReport>();
            var allDiagnostics = new List<Diagnostic>();
            int exit = ExitCodes.Success;
            foreach (var m in models)
            {
                var (compiled, modelDiagnostics, error) = CompiledModel.Compile(compilation, m, bound);
                allDiagnostics.AddRange(modelDiagnostics.Where(d => !allDiagnostics.Any(a => a.Code == d.Code && a.Location.Equals(d.Location))));
                if (error != null)
                {
                    diagnostics.CommandError(error.Descriptor, error.Message);
                    exit = ExitCodes.Errors;
                    continue;
                }
                if (compiled == null)
                {
                    exit = ExitCodes.Errors;
                    continue;
                }
                Directory.CreateDirectory(outDir);
                if (kinds.Contains("ir")) File.WriteAllText(Path.Combine(outDir, m.Name + ".ir"), IrPrinter.Print(compiled.Graph));
                if (kinds.Contains("report")) File.WriteAllText(Path.Combine(outDir, m.Name + ".report.json"), compiled.Report.ToJson() + "\n");
                if (kinds.Contains("onnx"))
                {
                    var (onnxDiagnostics, onnxExit) = WriteOnnx(console, m, compiled.Graph, Path.Combine(outDir, m.Name + ".onnx"), weightSeed ?? 0, weightFile);
                    allDiagnostics.AddRange(onnxDiagnostics);
                    if (onnxExit != ExitCodes.Success)
                    {
                        exit = onnxExit;
                        continue;
                    }
                }
                if (kinds.Contains("csharp") && !WriteCSharp(diagnostics, m, compiled, path, Path.Combine(outDir, m.Name + ".cs")))
                {
                    exit = ExitCodes.Errors;
                    continue;
                }
                reports.Add(compiled.Report);
            }
            diagnostics.Print(allDiagnostics);
            if (allDiagnostics.Any(d => d.IsError)) exit = ExitCodes.Errors;

            if (parse.GetValue(json) && reports.Count > 0)
            {
                if (reports.Count == 1) console.Out.WriteLine(reports[0].ToJson());
                else
                {
                    var w = new JsonWriter().BeginArray();
                    foreach (var r in reports) r.Write(w);
                    console.Out.WriteLine(w.EndArray().ToString());
                }
            }
            else
            {
                foreach (var r in reports) console.Error.WriteLine(Summary(r, outDir, kinds));
            }
            return exit;
        });
        return command;
    }

    private static int UsageError(CliConsole console, string message)
    {
        console.Error.WriteLine($"dskc: error: {message}");
        return ExitCodes.Usage;
    }

    /// <summary>
    /// Writes the ONNX model with the weights <c>dskc run</c> would use: from <paramref name="weightFile"/>
    /// (checked against the graph) or initialised with <paramref name="seed"/>. Returns the exporter's
    /// diagnostics and an exit code; a weights file that does not fit is one error line.
    /// </summary>
    private static (IReadOnlyList<Diagnostic> Diagnostics, int Exit) WriteOnnx(CliConsole console, ModelSymbol model, Graph graph, string path, long seed, string? weightFile)
    {
        WeightSet? loaded = null;
        WeightSet? initialised = null;
        try
        {
            if (weightFile != null) loaded = WeightSet.Load(weightFile, graph);
            // Initialised on first use: a model too large to export is refused before any weight is made.
            ReadOnlyMemory<byte> Bytes(string name)
            {
                var set = loaded ?? (initialised ??= WeightSet.Initialize(graph, seed));
                return set[name].AsBytes().ToArray();
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["dsk.model"] = model.Name,
                ["dsk.weights"] = weightFile != null ? Path.GetFileName(weightFile) : $"initialised with seed {seed}",
            };
            var result = OnnxExporter.Export(graph, Bytes, new OnnxExportOptions { Location = model.Location, Metadata = metadata });
            if (result.Model == null) return (result.Diagnostics, ExitCodes.Errors);
            File.WriteAllBytes(path, result.Model);
            return (result.Diagnostics, ExitCodes.Success);
        }
        catch (RuntimeError e)
        {
            console.Error.WriteLine($"dskc: error: {e.Message}");
            return (Array.Empty<Diagnostic>(), ExitCodes.Errors);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"dskc: error: cannot write '{path}': {e.Message}");
            return (Array.Empty<Diagnostic>(), ExitCodes.Errors);
        }
        finally
        {
            loaded?.Dispose();
            initialised?.Dispose();
        }
    }

    /// <summary>
    /// Writes the C# of the model's generated kernels, the ones the compiled engine runs (dims left unbound
    /// are the kernels' dims parameters). A kernel the printer cannot write (a dtype without a C# type) is
    /// one DSK4301 error.
    /// </summary>
    private static bool WriteCSharp(DiagnosticOutput diagnostics, ModelSymbol model, CompiledModel compiled, string sourcePath, string path)
    {
        string text;
        try
        {
            var module = KernelModule.Create(FusionPlanner.Plan(compiled.Graph));
            text = KernelSourceFile.Print(module, sourcePath, compiled.Dims);
        }
        catch (NotSupportedException e)
        {
            diagnostics.CommandError(DiagnosticDescriptors.CSharpUnsupportedKernel, $"model {model.Name}: {e.Message}");
            return false;
        }
        File.WriteAllText(path, text);
        return true;
    }

    private static HashSet<string>? ParseEmit(string? text, out string error)
    {
        error = "";
        if (string.IsNullOrWhiteSpace(text)) return new HashSet<string>(DefaultEmitKinds, StringComparer.Ordinal);
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in text!.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var kind = part.Trim();
            if (Array.IndexOf(EmitKinds, kind) < 0)
            {
                error = $"--emit {kind}: unknown output; this build emits {string.Join(", ", EmitKinds)}";
                return null;
            }
            kinds.Add(kind);
        }
        return kinds;
    }

    private static List<ModelSymbol>? SelectModels(Compilation compilation, string? name, string path, out string error)
    {
        error = "";
        var models = compilation.Models;
        if (name == null)
        {
            if (models.Length == 0) error = $"{path} declares no model; add one such as: model M = MyModule(...)";
            return models.Length == 0 ? null : models.ToList();
        }
        var found = compilation.Symbols.FindModel(name);
        if (found != null) return new List<ModelSymbol> { found };
        var suggestion = Compiler.Elaboration.Spelling.Suggest(name, models.Select(m => m.Name));
        error = $"no model named '{name}' in {path}" + (suggestion != null ? $"; did you mean '{suggestion}'?" : "") +
                (models.Length > 0 ? $" (models: {string.Join(", ", models.Select(m => m.Name))})" : " (it declares no model)");
        return null;
    }

    private static string Summary(ModelReport r, string outDir, HashSet<string> kinds)
    {
        var files = string.Join(", ", EmitKinds.Where(kinds.Contains).Select(k => Path.Combine(outDir, r.Model + k switch
        {
            "ir" => ".ir",
            "onnx" => ".onnx",
            "csharp" => ".cs",
            _ => ".report.json",
        })));
        return $"{r.Model}: {r.TotalParameters:N0} parameters ({r.ActiveParameters:N0} active), {r.ForwardFlops:N0} forward FLOPs, {r.Ops} ops -> {files}";
    }
}
