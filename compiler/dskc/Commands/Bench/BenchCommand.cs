using System.CommandLine;
using System.Diagnostics;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.CodeGen.Onnx;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Kernels.Cpu;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Lang.Cli.Commands.Bench;

/// <summary>
/// <c>dskc bench FILE [--model NAME] --dim ... [--iters N] [--warmup W] [--engines LIST] [--threads T] [--json]</c>:
/// runs one model on the same weights and inputs with the eager interpreter, the compiled engine and
/// ONNX Runtime (on the model exported in memory), reports the median and fastest run of each, the
/// ratios to the compiled engine, and how far each engine's outputs are from the reference (eager).
/// </summary>
internal static class BenchCommand
{
    public const string Eager = "eager";
    public const string Compiled = "compiled";
    public const string OnnxRuntime = "onnxruntime";

    /// <summary>The engines, in the order they run (eager first: it is the reference).</summary>
    public static readonly string[] EngineNames = { Eager, Compiled, OnnxRuntime };

    /// <summary>Eager can be very slow on large models: without --eager-iters it runs at most this many times.</summary>
    public const int DefaultEagerIters = 3;

    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The .dsk file that defines the model." };
        var model = new Option<string?>("--model", "-m") { Description = "The model to bench (may be left out when the file defines exactly one)." };
        var dims = CommonOptions.Dims();
        var seed = new Option<long>("--seed") { Description = "Seed for the initial weights and the random inputs (default 0).", DefaultValueFactory = _ => 0 };
        var weights = new Option<string?>("--weights") { Description = "Load the weights from a safetensors file instead of initialising them." };
        var inputs = new Option<string[]>("--input", "-i") { Description = "Take an input from a .npy file, NAME=PATH. Repeatable; inputs not given are random." };
        var iters = new Option<int>("--iters") { Description = "Timed runs of each engine (default 10).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before the timed ones (default 2; eager does at most 1).", DefaultValueFactory = _ => 2 };
        var eagerIters = new Option<int?>("--eager-iters") { Description = $"Timed runs of the eager interpreter (default: the smaller of --iters and {DefaultEagerIters})." };
        var engines = new Option<string>("--engines") { Description = $"The engines to run, comma-separated: {string.Join(", ", EngineNames)} (default: all).", DefaultValueFactory = _ => string.Join(",", EngineNames) };
        var threads = new Option<int>("--threads") { Description = "Threads for the compiled engine's kernels and ONNX Runtime's intra-op pool (default: the number of processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<bool>("--json") { Description = "Print the results as one JSON object on stdout." };
        var profile = new Option<bool>("--profile") { Description = "After the timed runs, run the compiled engine --iters more times timing each kernel, and print where the time goes." };
        var excerpts = CommonOptions.Excerpts();
        var root = CommonOptions.Root();
        var command = new Command("bench", "Time a model on the eager interpreter, the compiled engine and ONNX Runtime, and check that they agree.")
        {
            file, model, dims, seed, weights, inputs, iters, warmup, eagerIters, engines, threads, json, profile, excerpts, root,
        };
        command.SetAction(parse =>
        {
            // Checked here rather than in a validator: validators do not see the options' default values.
            int n = parse.GetValue(iters), w = parse.GetValue(warmup), t = parse.GetValue(threads);
            int? eager = parse.GetValue(eagerIters);
            var selected = ParseEngines(parse.GetValue(engines), out var engineError);
            var usage = n < 1 ? "--iters must be at least 1"
                : w < 0 ? "--warmup must not be negative"
                : eager is < 1 ? "--eager-iters must be at least 1"
                : t < 1 ? "--threads must be at least 1"
                : selected == null ? engineError
                : null;
            if (usage != null)
            {
                console.Error.WriteLine($"dskc: error: {usage}");
                console.Error.WriteLine("Run 'dskc --help' for usage.");
                return ExitCodes.Usage;
            }
            var options = new BenchOptions(
                new ModelSetupOptions(parse.GetValue(file)!, parse.GetValue(model), parse.GetValue(dims) ?? Array.Empty<string>(), parse.GetValue(seed),
                    parse.GetValue(weights), parse.GetValue(inputs) ?? Array.Empty<string>(), parse.GetValue(excerpts), parse.GetValue(root)),
                n, w, eager ?? Math.Min(n, DefaultEagerIters), selected!, t, parse.GetValue(json), parse.GetValue(profile));
            try
            {
                return Execute(console, options);
            }
            catch (RuntimeError e)
            {
                console.Error.WriteLine($"dskc: error: {e.Message}");
                return ExitCodes.Errors;
            }
            catch (Exception e)
            {
                console.Error.WriteLine($"dskc: internal error: {e.GetType().Name}: {e.Message} (please report this)");
                return ExitCodes.Errors;
            }
        });
        return command;
    }

    private sealed record BenchOptions(ModelSetupOptions Setup, int Iters, int Warmup, int EagerIters, HashSet<string> Engines, int Threads, bool Json, bool Profile);

    private static HashSet<string>? ParseEngines(string? text, out string error)
    {
        error = "";
        var engines = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Array.IndexOf(EngineNames, part) < 0)
            {
                error = $"--engines {text}: unknown engine '{part}'; the engines are {string.Join(", ", EngineNames)}";
                return null;
            }
            engines.Add(part);
        }
        if (engines.Count == 0) error = $"--engines: name at least one of {string.Join(", ", EngineNames)}";
        return engines.Count == 0 ? null : engines;
    }

    private static int Execute(CliConsole console, BenchOptions o)
    {
        using var setup = ModelSetup.Create(console, o.Setup, out int exit);
        if (setup == null) return exit;

        // The graph optimised for the bound dims, as the compiled engine builds it; ONNX Runtime gets this
        // graph. A binding that makes some shape empty is reported here, as compile reports it.
        var (compiled, diagnostics, error) = CompiledModel.Compile(setup.Compilation, setup.Symbol, setup.Dims);
        if (error != null)
        {
            console.Error.WriteLine($"dskc: error {error.Descriptor.Code}: {error.Message}");
            return ExitCodes.Errors;
        }
        if (compiled == null)
        {
            new DiagnosticOutput(console, "text", o.Setup.Excerpts).Print(diagnostics);
            return ExitCodes.Errors;
        }

        var report = new BenchReport
        {
            Model = setup.Graph.Name, Dims = setup.Dims, Seed = o.Setup.Seed, Iters = o.Iters, Warmup = o.Warmup, Threads = o.Threads,
        };
        var outputs = new Dictionary<string, RunResult>(StringComparer.Ordinal);
        int previousThreads = KernelParallel.Threads;
        KernelParallel.Threads = o.Threads;
        try
        {
            using (var progress = new BenchProgress(console))
            {
                foreach (var name in EngineNames.Where(o.Engines.Contains))
                {
                    var (timing, result) = name switch
                    {
                        Eager => Measure(new RunnerEngine(setup, Engine.Eager), Math.Min(o.Warmup, 1), o.EagerIters, progress, report),
                        Compiled => Measure(new RunnerEngine(setup, Engine.Compiled) { ProfileRuns = o.Profile ? o.Iters : 0 }, o.Warmup, o.Iters, progress, report),
                        _ => MeasureOnnxRuntime(setup, compiled.Graph, o, progress, report),
                    };
                    if (timing == null) continue;   // ONNX Runtime skipped: the report says why
                    outputs[name] = result!;
                    report.Timings.Add(timing);
                }
            }
            Compare(report, outputs);
        }
        finally
        {
            KernelParallel.Threads = previousThreads;
            foreach (var r in outputs.Values) r.Dispose();
        }

        foreach (var t in report.Timings)
            if (t.MaxRelError is { } e && !(e <= OutputComparison.WarningThreshold))
                console.Error.WriteLine($"dskc: warning: the outputs of {t.Engine} differ from those of {report.Reference}: " +
                    $"max relative error {BenchReport.Error(e)} (above {BenchReport.Error(OutputComparison.WarningThreshold)})");
        console.Out.Write(o.Json ? report.ToJson() : report.ToText());
        return ExitCodes.Success;
    }

    /// <summary>Each engine's outputs against the reference's: eager's when it ran, else the compiled engine's.</summary>
    private static void Compare(BenchReport report, Dictionary<string, RunResult> outputs)
    {
        report.Reference = outputs.ContainsKey(Eager) ? Eager : outputs.ContainsKey(Compiled) && outputs.Count > 1 ? Compiled : null;
        if (report.Reference == null) return;
        var reference = outputs[report.Reference];
        for (int i = 0; i < report.Timings.Count; i++)
        {
            var t = report.Timings[i];
            if (t.Engine != report.Reference) report.Timings[i] = t with { MaxRelError = OutputComparison.MaxRelativeError(outputs[t.Engine], reference) };
        }
    }

    /// <summary>
    /// Prepares the engine (timed apart), runs the warm-ups, then the timed runs; keeps the outputs of the
    /// first run for the comparison. Disposes the engine.
    /// </summary>
    private static (EngineTiming, RunResult) Measure(BenchEngine engine, int warmup, int iters, BenchProgress progress, BenchReport report)
    {
        using (engine)
        {
            progress.Show($"{engine.Name}: preparing");
            var clock = Stopwatch.StartNew();
            engine.Prepare();
            double prepareMs = clock.Elapsed.TotalMilliseconds;

            RunResult? kept = null;
            try
            {
                for (int i = 0; i < warmup; i++)
                {
                    progress.Show($"{engine.Name}: warm-up {i + 1}/{warmup}");
                    engine.Run(kept == null, out var result);
                    kept ??= result;
                }
                var times = new double[iters];
                for (int i = 0; i < iters; i++)
                {
                    progress.Show($"{engine.Name}: run {i + 1}/{iters}");
                    times[i] = engine.Run(kept == null, out var result).TotalMilliseconds;
                    kept ??= result;
                }
                if (engine is RunnerEngine { ProfileRuns: > 0 } profiled)
                {
                    progress.Show($"{engine.Name}: profiling");
                    report.Profile = profiled.Profile();
                }
                Array.Sort(times);
                double median = iters % 2 == 1 ? times[iters / 2] : (times[iters / 2 - 1] + times[iters / 2]) / 2;
                var prepare = engine.Name == Eager ? (double?)null : prepareMs;
                return (new EngineTiming(engine.Name, iters, median, times[0], prepare, null), kept!);
            }
            catch
            {
                kept?.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Exports the optimised graph with the bench's weights and times ONNX Runtime on it. An export that
    /// fails (an op ONNX cannot express, a model past 2 GiB) or a model ORT refuses is not an error of
    /// the bench: it is recorded in the report and the other engines' results stand.
    /// </summary>
    private static (EngineTiming?, RunResult?) MeasureOnnxRuntime(ModelSetup setup, Graph graph, BenchOptions o, BenchProgress progress, BenchReport report)
    {
        progress.Show("onnxruntime: exporting the model");
        var export = OnnxExporter.Export(graph, name => setup.Weights[name].AsBytes().ToArray(),
            new OnnxExportOptions { Location = setup.Symbol.Location, OriginsInNodeNames = false });
        if (export.Model == null)
        {
            var first = export.Diagnostics.FirstOrDefault(d => d.IsError);
            report.OnnxRuntimeSkipped = "the ONNX export failed: " + (first != null ? $"error {first.Code}: {first.Message}" : "no model was written");
            return (null, null);
        }
        try
        {
            return Measure(new OnnxRuntimeEngine(export.Model, graph, setup.Inputs, o.Threads), o.Warmup, o.Iters, progress, report);
        }
        catch (Exception e) when (e is OnnxRuntimeException or OnnxRuntimeBenchError or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            report.OnnxRuntimeSkipped = "ONNX Runtime failed: " + OneLine(e.Message);
            return (null, null);
        }
    }

    private static string OneLine(string text) => string.Join(" ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
