using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSeek.Lang.Cli;

// The compiled engine against its peers on issue 6's four targets, in one run: for each target,
// `dskc bench` times the eager interpreter, the compiled engine and ONNX Runtime (on the exported model,
// same weights and inputs) side by side and checks they agree; then the PyTorch peers (eager and
// TorchScript, torch.sparse for the GCN) run from bench/ModelBench/torch_peers.py when /usr/bin/python3
// has torch. Where the compiled engine is not the fastest, its profile by kernel group follows.
//
//   dotnet run -c Release --project bench/ModelBench [-- --iters 10] [--threads 2] [--targets moe,gcn] [--no-torch] [--json]

var options = Options.Parse(args);
var repo = FindRepo();
var targets = new[]
{
    new Target("moe", "MoE layer (B=8, T=128, d=512, 8 experts, top-2, hidden 1024)",
        Path.Combine(repo, "examples", "sparse_moe.dsk"), "SparseMoE8", new[] { "B=8", "T=128" }),
    new Target("cross_modal", "cross-modal attention (B=8, S=64, P=196, text 768, vision 1024, d 512, 8 heads)",
        Path.Combine(repo, "examples", "cross_modal_attention.dsk"), "CrossModal", new[] { "B=8", "S=64", "P=196" }),
    new Target("gcn", "GCN fraud detector (N=20,000, E=200,000, 128 features, hidden 256)",
        Path.Combine(repo, "examples", "fraud_gcn.dsk"), "Fraud", new[] { "N=20000", "E=200000" }),
    new Target("block", "transformer block (B=4, T=256, d=768, 12 heads)",
        Path.Combine(repo, "bench", "ModelBench", "models", "transformer_block.dsk"), "TransformerBlock768", new[] { "B=4", "T=256" }),
}.Where(t => options.Targets == null || options.Targets.Contains(t.Name)).ToList();

var results = new List<Result>();
foreach (var target in targets)
{
    Console.Error.WriteLine($"[{target.Name}] dskc bench {Path.GetFileName(target.File)} --model {target.Model} {string.Join(" ", target.Dims.Select(d => "--dim " + d))}");
    var cliArgs = new List<string> { "bench", target.File, "--model", target.Model, "--iters", Int(options.Iters), "--threads", Int(options.Threads), "--json", "--profile" };
    foreach (var d in target.Dims) cliArgs.AddRange(new[] { "--dim", d });
    var output = new StringWriter();
    var error = new StringWriter();
    int exit = Cli.Run(cliArgs.ToArray(), new CliConsole(output, error));
    if (exit != 0) throw new InvalidOperationException($"dskc bench failed on {target.Name}:\n{error}");
    if (error.ToString().Length > 0) Console.Error.Write(error.ToString());
    results.Add(new Result(target, JsonDocument.Parse(output.ToString()).RootElement.Clone()));
}

var torch = options.Torch ? TorchPeers(repo, options, targets) : null;

if (options.Json)
{
    using var stream = new MemoryStream();
    using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
    {
        w.WriteStartObject();
        w.WriteNumber("iters", options.Iters);
        w.WriteNumber("threads", options.Threads);
        foreach (var r in results)
        {
            w.WritePropertyName(r.Target.Name);
            w.WriteStartObject();
            w.WritePropertyName("dskc_bench");
            r.Bench.WriteTo(w);
            w.WritePropertyName("torch");
            if (torch != null && torch.Value.TryGetProperty(r.Target.Name, out var t)) t.WriteTo(w);
            else w.WriteNullValue();
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
    Console.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    return;
}

Console.WriteLine($"{options.Threads} threads, median of {options.Iters} runs (eager: {Math.Min(options.Iters, 3)}); ms");
var header = new[] { "target", "eager", "compiled", "onnxruntime", "torch", "torchscript", "vs best peer", "vs eager", "max rel. error" };
var rows = new List<string[]> { header };
foreach (var r in results)
{
    double compiled = r.Ms("compiled_ms")!.Value;
    double? ort = r.Ms("onnxruntime_ms"), eager = r.Ms("eager_ms");
    double? torchEager = TorchMs(torch, r.Target.Name, "eager_ms"), torchScript = TorchMs(torch, r.Target.Name, "torchscript_ms");
    var peers = new[] { ort, torchEager, torchScript }.Where(p => p != null).Select(p => p!.Value).ToList();
    double? best = peers.Count > 0 ? peers.Min() : null;
    var errors = r.Bench.GetProperty("max_rel_error");
    var maxError = new[] { "compiled", "onnxruntime" }.Select(e => errors.GetProperty(e)).Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetDouble()).DefaultIfEmpty(double.NaN).Max();
    rows.Add(new[]
    {
        r.Target.Name, Ms(eager), Ms(compiled), Ms(ort), Ms(torchEager), Ms(torchScript),
        best is { } b ? Ratio(b / compiled) : "-", eager is { } e ? Ratio(e / compiled) : "-", maxError.ToString("0.0e+00", CultureInfo.InvariantCulture),
    });
    r.BehindPeers = best is { } bb && bb < compiled;
}
var widths = Enumerable.Range(0, header.Length).Select(c => rows.Max(row => row[c].Length)).ToArray();
foreach (var row in rows) Console.WriteLine(string.Join("  ", row.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
Console.WriteLine("vs best peer: the fastest of onnxruntime, torch and torchscript over compiled (above 1x the compiled engine is faster); vs eager: eager over compiled.");

foreach (var r in results)
{
    Console.WriteLine();
    Console.WriteLine($"{r.Target.Name}: {r.Target.Description}{(r.BehindPeers ? " (compiled is behind a peer)" : "")}");
    var groups = r.Bench.GetProperty("profile").EnumerateArray().ToList();
    double total = groups.Sum(g => g.GetProperty("ms").GetDouble());
    foreach (var kind in groups.GroupBy(g => g.GetProperty("kind").GetString()).OrderByDescending(k => k.Sum(g => g.GetProperty("ms").GetDouble())))
    {
        double ms = kind.Sum(g => g.GetProperty("ms").GetDouble());
        Console.WriteLine($"  {kind.Key,-10} {ms,9:F2} ms {100 * ms / total,5:F1}%  ({kind.Count()} kernels)");
    }
    foreach (var g in groups.Take(r.BehindPeers ? 8 : 3))
        Console.WriteLine($"    #{g.GetProperty("group").GetInt32(),-4} {g.GetProperty("kind").GetString(),-10} {g.GetProperty("ms").GetDouble(),8:F2} ms  {g.GetProperty("ops").GetString()}");
}

static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);

static string Ms(double? ms) => ms is { } v ? v.ToString(v < 10 ? "F2" : "F1", CultureInfo.InvariantCulture) : "-";

static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture) + "x";

static double? TorchMs(JsonElement? torch, string target, string key) =>
    torch is { } t && t.TryGetProperty(target, out var e) && e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

// The PyTorch peers, in a Python process of their own (Debian's python3-torch; skipped when absent).
static JsonElement? TorchPeers(string repo, Options options, List<Target> targets)
{
    const string python = "/usr/bin/python3";
    if (!File.Exists(python)) return null;
    var script = Path.Combine(repo, "bench", "ModelBench", "torch_peers.py");
    Console.Error.WriteLine("[torch] " + python + " " + script);
    var start = new ProcessStartInfo(python)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        ArgumentList = { script, "--iters", Int(options.Iters), "--threads", Int(options.Threads), "--targets", string.Join(",", targets.Select(t => t.Name)) },
    };
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.Error.WriteLine("[torch] skipped: " + stderr.Result.Trim().Split('\n').LastOrDefault());
        return null;
    }
    return JsonDocument.Parse(stdout.Result).RootElement.Clone();
}

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "DeepSeek.Lang.sln"))) return dir.FullName;
    throw new InvalidOperationException("run ModelBench from inside the repository");
}

internal sealed record Target(string Name, string Description, string File, string Model, string[] Dims);

internal sealed class Result(Target target, JsonElement bench)
{
    public Target Target { get; } = target;

    public JsonElement Bench { get; } = bench;

    public bool BehindPeers { get; set; }

    public double? Ms(string key) => Bench.GetProperty(key) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;
}

internal sealed record Options(int Iters, int Threads, HashSet<string>? Targets, bool Torch, bool Json)
{
    public static Options Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return new Options(
            int.Parse(Value("--iters") ?? "10", CultureInfo.InvariantCulture),
            int.Parse(Value("--threads") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
            Value("--targets") is { } t ? t.Split(',').ToHashSet(StringComparer.Ordinal) : null,
            !args.Contains("--no-torch"),
            args.Contains("--json"));
    }
}
