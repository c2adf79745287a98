using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>
/// <c>dskc run FILE --model NAME --dim B=2 [--seed 0] [--weights W.safetensors] [--input NAME=PATH.npy ...]
/// [--engine eager] [--save DIR] [--json]</c>: compiles a model, binds its symbolic dims from <c>--dim</c> and
/// the input files, makes random inputs where none is given (all through <see cref="ModelSetup"/>), runs it and prints
/// each output's statistics.
/// </summary>
internal static class RunCommand
{
    /// <summary>The engines <c>--engine</c> accepts.</summary>
    public static readonly string[] Engines = { "compiled", "eager" };

    /// <summary>How many leading values of each output are printed.</summary>
    public const int FirstValues = 8;

    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("file") { Description = "The .dsk file that defines the model." };
        var model = new Option<string?>("--model", "-m") { Description = "The model to run (may be left out when the file defines exactly one)." };
        var dims = CommonOptions.Dims();
        var seed = new Option<long>("--seed") { Description = "Seed for the initial weights and the random inputs (default 0).", DefaultValueFactory = _ => 0 };
        var weights = new Option<string?>("--weights") { Description = "Load the weights from a safetensors file instead of initialising them." };
        var inputs = new Option<string[]>("--input", "-i") { Description = "Take an input from a .npy file, NAME=PATH. Repeatable; inputs not given are random." };
        var engine = new Option<string>("--engine") { Description = "How to run the graph: compiled (fused, generated kernels; the default) or eager (the reference interpreter).", DefaultValueFactory = _ => "compiled" }
            .AcceptOnlyFromAmong(Engines);
        var save = new Option<string?>("--save") { Description = "Write the inputs (NAME.npy), outputs (output.npy or output0.npy, …) and weights (weights.safetensors) to this folder." };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON on stdout." };
        var excerpts = CommonOptions.Excerpts();
        var root = CommonOptions.Root();
        var command = new Command("run", "Compile a model and run it on given or random inputs; print each output's statistics.")
        {
            file, model, dims, seed, weights, inputs, engine, save, json, excerpts, root,
        };
        command.SetAction(parse =>
        {
            var options = new RunOptions(
                parse.GetValue(file)!, parse.GetValue(model), parse.GetValue(dims) ?? Array.Empty<string>(), parse.GetValue(seed),
                parse.GetValue(weights), parse.GetValue(inputs) ?? Array.Empty<string>(), parse.GetValue(engine) ?? "compiled",
                parse.GetValue(save), parse.GetValue(json), parse.GetValue(excerpts), parse.GetValue(root));
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

    private sealed record RunOptions(string File, string? Model, string[] Dims, long Seed, string? Weights, string[] Inputs, string Engine,
        string? Save, bool Json, bool Excerpts, string? Root);

    private static int Execute(CliConsole console, RunOptions o)
    {
        var mode = o.Engine switch
        {
            "eager" => Engine.Eager,
            "compiled" => Engine.Compiled,
            _ => throw new RuntimeError($"unknown engine '{o.Engine}'; engines are {string.Join(", ", Engines)}"),
        };
        using var setup = ModelSetup.Create(console, new ModelSetupOptions(o.File, o.Model, o.Dims, o.Seed, o.Weights, o.Inputs, o.Excerpts, o.Root), out int exit);
        if (setup == null) return exit;

        using var runner = new ModelRunner(setup.Compilation, setup.Symbol, setup.Weights, mode);
        using var result = runner.Run(setup.Inputs, setup.Dims);
        if (o.Save != null) Save(o.Save, setup.Graph, setup.Inputs, setup.Weights, result);
        console.Out.Write(o.Json ? Json(setup, o, result) : Text(setup, o, result));
        return ExitCodes.Success;
    }

    private static void Save(string dir, Graph graph, IReadOnlyDictionary<string, Tensor> inputs, WeightSet weights, RunResult result)
    {
        try
        {
            Directory.CreateDirectory(dir);
            foreach (var input in graph.Inputs) WriteNpy(Path.Combine(dir, input.Name + ".npy"), inputs[input.Name]);
            foreach (var o in result.Outputs) WriteNpy(Path.Combine(dir, o.Name + ".npy"), o.Tensor);
            weights.Save(Path.Combine(dir, "weights.safetensors"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeError($"cannot save to '{dir}': {e.Message}", e);
        }
    }

    /// <summary>.npy has no bfloat16: such tensors are written widened to f32.</summary>
    private static void WriteNpy(string path, Tensor t)
    {
        if (t.DType != DType.BF16)
        {
            Npy.Write(path, t);
            return;
        }
        using var wide = Runtime.Kernels.Reference.ReferenceKernels.Cast(t, DType.F32);
        Npy.Write(path, wide);
    }

    // ------------------------------------------------------------------ statistics and printing

    private sealed record Stats(double Mean, double Std, double Min, double Max, string[] First, long Count);

    private static Stats Summarize(Tensor t)
    {
        long n = t.ElementCount;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        bool nan = false;
        for (long i = 0; i < n; i++)
        {
            double v = t.Get(i);
            sum += v;
            if (double.IsNaN(v)) nan = true;
            else
            {
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        }
        double mean = n == 0 ? double.NaN : sum / n;
        double sq = 0;
        for (long i = 0; i < n; i++)
        {
            double d = t.Get(i) - mean;
            sq += d * d;
        }
        double std = n == 0 ? double.NaN : Math.Sqrt(sq / n);
        if (n == 0 || nan) min = max = n == 0 ? double.NaN : double.NaN;
        var first = new string[Math.Min(n, FirstValues)];
        for (int i = 0; i < first.Length; i++) first[i] = FormatElement(t, i);
        return new Stats(mean, std, min, max, first, n);
    }

    private static string FormatElement(Tensor t, long i) => t.DType switch
    {
        DType.Bool => t.GetInt64(i) != 0 ? "true" : "false",
        DType.I8 or DType.I32 or DType.I64 => t.GetInt64(i).ToString(CultureInfo.InvariantCulture),
        _ => Tensor.FormatFloat(t.Get(i)),
    };

    private static string Text(ModelSetup setup, RunOptions o, RunResult result)
    {
        var (graph, inputs, weights) = (setup.Graph, setup.Inputs, setup.Weights);
        var sb = new StringBuilder();
        sb.Append($"model {graph.Name} (engine {o.Engine}, seed {o.Seed.ToString(CultureInfo.InvariantCulture)})\n");
        if (result.Dims.Count > 0)
            sb.Append("dims    ").Append(string.Join(", ", result.Dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}"))).Append('\n');
        if (graph.Inputs.Length > 0)
        {
            int nameWidth = graph.Inputs.Max(i => i.Name.Length);
            int typeWidth = graph.Inputs.Max(i => inputs[i.Name].TypeText().Length);
            sb.Append("inputs\n");
            foreach (var i in graph.Inputs)
            {
                var origin = setup.Origins[i.Name];
                sb.Append("  ").Append(i.Name.PadRight(nameWidth)).Append("  ").Append(inputs[i.Name].TypeText().PadRight(typeWidth)).Append("  ")
                  .Append(origin.FromFile ? "from " + origin.Detail : origin.Detail).Append('\n');
            }
        }
        long values = weights.Sum(kv => kv.Value.ElementCount);
        sb.Append("weights ").Append(weights.Count.ToString(CultureInfo.InvariantCulture)).Append(weights.Count == 1 ? " tensor, " : " tensors, ")
          .Append(values.ToString(CultureInfo.InvariantCulture)).Append(values == 1 ? " value, " : " values, ")
          .Append(o.Weights != null ? "from " + o.Weights : "initialised with seed " + o.Seed.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var output in result.Outputs)
        {
            var s = Summarize(output.Tensor);
            sb.Append(output.Name).Append("  ").Append(output.Tensor.TypeText()).Append('\n');
            sb.Append("  mean   ").Append(Tensor.FormatFloat(s.Mean)).Append('\n');
            sb.Append("  std    ").Append(Tensor.FormatFloat(s.Std)).Append('\n');
            sb.Append("  min    ").Append(Tensor.FormatFloat(s.Min)).Append('\n');
            sb.Append("  max    ").Append(Tensor.FormatFloat(s.Max)).Append('\n');
            sb.Append("  first  [").Append(string.Join(", ", s.First)).Append(s.Count > s.First.Length ? ", …" : "").Append("]\n");
        }
        if (o.Save != null) sb.Append("saved inputs, outputs and weights to ").Append(o.Save).Append('\n');
        return sb.ToString();
    }

    private static string Json(ModelSetup setup, RunOptions o, RunResult result)
    {
        var (graph, inputs, weights) = (setup.Graph, setup.Inputs, setup.Weights);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", graph.Name);
            w.WriteString("engine", o.Engine);
            w.WriteNumber("seed", o.Seed);
            w.WriteStartObject("dims");
            foreach (var (k, v) in result.Dims.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteStartArray("inputs");
            foreach (var i in graph.Inputs)
            {
                var t = inputs[i.Name];
                var origin = setup.Origins[i.Name];
                w.WriteStartObject();
                w.WriteString("name", i.Name);
                WriteType(w, t);
                w.WriteString("source", origin.FromFile ? "file" : "random");
                if (origin.FromFile) w.WriteString("path", origin.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("weights");
            w.WriteNumber("tensors", weights.Count);
            w.WriteNumber("values", weights.Sum(kv => kv.Value.ElementCount));
            w.WriteString("source", o.Weights != null ? "file" : "initialized");
            if (o.Weights != null) w.WriteString("path", o.Weights);
            w.WriteEndObject();
            w.WriteStartArray("outputs");
            foreach (var output in result.Outputs)
            {
                var s = Summarize(output.Tensor);
                w.WriteStartObject();
                w.WriteString("name", output.Name);
                WriteType(w, output.Tensor);
                WriteNumber(w, "mean", s.Mean);
                WriteNumber(w, "std", s.Std);
                WriteNumber(w, "min", s.Min);
                WriteNumber(w, "max", s.Max);
                w.WriteStartArray("first");
                for (int i = 0; i < s.First.Length; i++)
                {
                    var t = output.Tensor;
                    if (t.DType == DType.Bool) w.WriteBooleanValue(t.GetInt64(i) != 0);
                    else if (!t.DType.IsFloat()) w.WriteNumberValue(t.GetInt64(i));
                    else WriteNumberValue(w, t.Get(i));
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (o.Save != null) w.WriteString("saved", o.Save);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteType(Utf8JsonWriter w, Tensor t)
    {
        w.WriteString("dtype", t.DType.Name());
        w.WriteStartArray("shape");
        foreach (var d in t.Shape) w.WriteNumberValue(d);
        w.WriteEndArray();
    }

    /// <summary>JSON has no NaN or infinity: those are written as the strings "nan", "inf" and "-inf".</summary>
    private static void WriteNumber(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        WriteNumberValue(w, v);
    }

    private static void WriteNumberValue(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(Tensor.FormatFloat(v));
    }
}
