using System.Globalization;
using System.Text;
using System.Text.Json;

using DeepSeek.Lang.Runtime.Compiled;

namespace DeepSeek.Lang.Cli.Commands.Bench;

/// <summary>
/// One engine's numbers: runs timed, the median and fastest run, the one-time preparation (the compiled
/// plan, the ORT session; null for eager) and the largest relative error against the reference engine
/// (null for the reference itself, or when there was none).
/// </summary>
internal sealed record EngineTiming(string Engine, int Runs, double MedianMs, double MinMs, double? PrepareMs, double? MaxRelError);

/// <summary>What <c>dskc bench</c> measured, and how it prints it as a table or as one JSON object.</summary>
internal sealed class BenchReport
{
    public required string Model { get; init; }

    public required IReadOnlyDictionary<string, long> Dims { get; init; }

    public required long Seed { get; init; }

    public required int Iters { get; init; }

    public required int Warmup { get; init; }

    public required int Threads { get; init; }

    /// <summary>The engine the others are compared with: eager when it ran, else compiled, else none.</summary>
    public string? Reference { get; set; }

    /// <summary>Why ONNX Runtime did not run although it was asked for (the export failed, ORT refused the model).</summary>
    public string? OnnxRuntimeSkipped { get; set; }

    public List<EngineTiming> Timings { get; } = new();

    /// <summary>With --profile: the compiled engine's time kernel by kernel.</summary>
    public ExecutionProfile? Profile { get; set; }

    public EngineTiming? this[string engine] => Timings.FirstOrDefault(t => t.Engine == engine);

    /// <summary>An engine's median over the compiled engine's: above 1, the compiled engine is faster.</summary>
    public double? VersusCompiled(string engine) =>
        this[engine] is { } e && this[BenchCommand.Compiled] is { MedianMs: > 0 } c ? e.MedianMs / c.MedianMs : null;

    public string ToText()
    {
        var sb = new StringBuilder();
        var dims = Dims.Count == 0 ? "no dims" : "dims " + string.Join(", ", Dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Int(kv.Value)}"));
        sb.Append($"model {Model}, {dims}, seed {Int(Seed)}, {Int(Threads)} {(Threads == 1 ? "thread" : "threads")}\n");
        var rows = new List<string[]> { new[] { "engine", "runs", "median ms", "min ms", "vs compiled", "max rel. error" } };
        foreach (var t in Timings)
        {
            var ratio = VersusCompiled(t.Engine);
            var error = t.Engine == Reference ? "reference" : t.MaxRelError is { } e ? Error(e) : "-";
            rows.Add(new[] { t.Engine, Int(t.Runs), Ms(t.MedianMs), Ms(t.MinMs), ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "x" : "-", error });
        }
        if (OnnxRuntimeSkipped != null) rows.Add(new[] { BenchCommand.OnnxRuntime, "-", "-", "-", "-", "skipped" });
        AppendTable(sb, rows);

        if (this[BenchCommand.Compiled] is { PrepareMs: { } compile })
            sb.Append($"compiled: plan and kernels built in {Ms(compile)} ms (before the runs, not in their times)\n");
        if (this[BenchCommand.OnnxRuntime] is { PrepareMs: { } session })
            sb.Append($"onnxruntime: session created in {Ms(session)} ms\n");
        if (OnnxRuntimeSkipped != null) sb.Append($"onnxruntime skipped: {OnnxRuntimeSkipped}\n");
        if (Profile != null) sb.Append($"compiled engine, by kernel group ({Int(Profile.Runs)} profiled runs): ").Append(Profile.Format());
        return sb.ToString();
    }

    /// <summary>Columns padded to their widest cell: the first left-aligned, the numbers right-aligned.</summary>
    private static void AppendTable(StringBuilder sb, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var cells = row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]));
            sb.Append(string.Join("  ", cells).TrimEnd()).Append('\n');
        }
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("model", Model);
            w.WriteStartObject("dims");
            foreach (var (k, v) in Dims.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteNumber("seed", Seed);
            w.WriteNumber("iters", Iters);
            w.WriteNumber("warmup", Warmup);
            w.WriteNumber("threads", Threads);
            foreach (var engine in BenchCommand.EngineNames) Number(w, engine + "_ms", this[engine]?.MedianMs);
            Number(w, "compile_ms", this[BenchCommand.Compiled]?.PrepareMs);
            Number(w, "speedup_vs_eager", VersusCompiled(BenchCommand.Eager));
            Number(w, "speedup_vs_onnxruntime", VersusCompiled(BenchCommand.OnnxRuntime));
            w.WriteStartObject("max_rel_error");
            Number(w, BenchCommand.Compiled, this[BenchCommand.Compiled]?.MaxRelError);
            Number(w, BenchCommand.OnnxRuntime, this[BenchCommand.OnnxRuntime]?.MaxRelError);
            w.WriteEndObject();
            if (Reference != null) w.WriteString("reference", Reference);
            else w.WriteNull("reference");
            w.WriteStartObject("runs");
            foreach (var engine in BenchCommand.EngineNames)
            {
                if (this[engine] is { } t) w.WriteNumber(engine, t.Runs);
                else w.WriteNull(engine);
            }
            w.WriteEndObject();
            w.WriteStartObject("min_ms");
            foreach (var engine in BenchCommand.EngineNames) Number(w, engine, this[engine]?.MinMs);
            w.WriteEndObject();
            Number(w, "onnxruntime_session_ms", this[BenchCommand.OnnxRuntime]?.PrepareMs);
            if (OnnxRuntimeSkipped != null) w.WriteString("onnxruntime_skipped", OnnxRuntimeSkipped);
            else w.WriteNull("onnxruntime_skipped");
            if (Profile != null)
            {
                int runs = Math.Max(1, Profile.Runs);
                w.WriteStartArray("profile");
                foreach (var step in Profile.Steps)
                {
                    w.WriteStartObject();
                    w.WriteNumber("group", step.Group);
                    w.WriteString("kind", step.Kind);
                    w.WriteString("ops", step.Ops);
                    w.WriteNumber("ms", step.Total.TotalMilliseconds / runs);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>null for an engine that did not run; NaN and infinities (which JSON cannot hold) as "nan", "inf".</summary>
    private static void Number(Utf8JsonWriter w, string name, double? value)
    {
        if (value is not { } v) w.WriteNull(name);
        else if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteString(name, Runtime.Tensors.Tensor.FormatFloat(v));
    }

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Ms(double ms) => ms.ToString(ms < 10 ? "F3" : "F2", CultureInfo.InvariantCulture);

    public static string Error(double e) => double.IsFinite(e) ? e.ToString("0.00e+00", CultureInfo.InvariantCulture) : Runtime.Tensors.Tensor.FormatFloat(e);
}
