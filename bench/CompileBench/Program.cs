using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Analysis;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Passes;
using DeepSeek.Lang.Compiler.Planning;

// Compile-time benchmark (issue 4): `dskc compile examples/deepseek_v3.dsk --emit report` in process,
// cold and warm, and compile time against the number of layers of a model, up to 1,000 layers.
//   dotnet run -c Release --project bench/CompileBench [-- --json] [--repo PATH] [--runs N] [--v3-only]
//   dotnet run -c Release --project bench/CompileBench -- --profile [--layers N] [--runs N]   (time of each phase)
bool json = args.Contains("--json");
bool profile = args.Contains("--profile");
bool v3Only = args.Contains("--v3-only");
int runs = int.Parse(args.SkipWhile(a => a != "--runs").Skip(1).FirstOrDefault() ?? "7", CultureInfo.InvariantCulture);
var repo = args.SkipWhile(a => a != "--repo").Skip(1).FirstOrDefault() ?? FindRepo();
var v3 = Path.Combine(repo, "examples", "deepseek_v3.dsk");

if (profile)
{
    // --profile: DeepSeek-V3; --profile --layers N: the layered model with N layers.
    var layersArg = args.SkipWhile(a => a != "--layers").Skip(1).FirstOrDefault();
    if (layersArg != null)
    {
        var text = LayeredModel(int.Parse(layersArg, CultureInfo.InvariantCulture));
        Profile($"layers.dsk ({layersArg} layers)", () => SourceLoader.LoadText("/bench/layers.dsk", text, new MemoryFileSystem()), runs);
    }
    else
    {
        Profile(Path.GetFileName(v3), () => SourceLoader.Load(new[] { v3 }), runs);
    }
    return;
}

var cold = Compile(SourceLoader.Load(new[] { v3 }));
var warm = new List<Sample>();
for (int i = 0; i < runs; i++) warm.Add(Compile(SourceLoader.Load(new[] { v3 })));
var v3Stats = Stats.Of(warm);

// Each size: a collection first (the previous size's garbage is not this one's), one untimed warm-up
// compile, then the timed ones back to back. The mean CPU time of those includes the collections
// their garbage causes (the steady state); the median leaves out runs a full collection fell in.
var scaling = new List<(int Layers, Stats Stats)>();
if (!v3Only)
{
    foreach (int layers in new[] { 10, 50, 100, 250, 500, 1000 })
    {
        var text = LayeredModel(layers);
        SourceSet Load() => SourceLoader.LoadText("/bench/layers.dsk", text, new MemoryFileSystem());
        GC.Collect();
        Compile(Load());
        var samples = new List<Sample>();
        for (int i = 0; i < 5; i++) samples.Add(Compile(Load()));
        scaling.Add((layers, Stats.Of(samples)));
    }
}

if (json)
{
    var sb = new StringBuilder();
    sb.Append("{\"load_average\": ").Append(F(LoadAverage()));
    sb.Append(", \"deepseek_v3_report_ms\": {\"cold\": ").Append(F(cold.WallMs)).Append(", \"warm_median\": ").Append(F(v3Stats.WallMedian))
        .Append(", \"warm_fastest\": ").Append(F(v3Stats.WallFastest))
        .Append(", \"warm_cpu_median\": ").Append(F(v3Stats.CpuMedian)).Append(", \"warm_cpu_mean\": ").Append(F(v3Stats.CpuMean)).Append("}, \"layers\": [");
    sb.Append(string.Join(", ", scaling.Select(s =>
        $"{{\"layers\": {s.Layers}, \"ms\": {F(s.Stats.WallMedian)}, \"cpu_ms\": {F(s.Stats.CpuMedian)}, \"cpu_ms_mean\": {F(s.Stats.CpuMean)}, " +
        $"\"ms_per_layer\": {F(s.Stats.WallMedian / s.Layers)}, \"cpu_ms_mean_per_layer\": {F(s.Stats.CpuMean / s.Layers)}}}")));
    Console.WriteLine(sb.Append("]}").ToString());
}
else
{
    Console.WriteLine($"load average {LoadAverage():F1}");
    Console.WriteLine($"deepseek_v3.dsk --emit report: cold {cold.WallMs:F0} ms; warm (of {warm.Count}) median {v3Stats.WallMedian:F0} ms, fastest {v3Stats.WallFastest:F0} ms; " +
        $"CPU median {v3Stats.CpuMedian:F0} ms, mean {v3Stats.CpuMean:F0} ms");
    if (scaling.Count > 0)
    {
        Console.WriteLine("layers  median ms  ms/layer   CPU median  CPU mean  CPU mean/layer");
        foreach (var (layers, st) in scaling)
            Console.WriteLine($"{layers,6} {st.WallMedian,10:F1} {st.WallMedian / layers,9:F2} {st.CpuMedian,12:F1} {st.CpuMean,9:F1} {st.CpuMean / layers,15:F2}");
    }
}

// What the bench times: Compilation.Create + CompiledModel.Compile + Report.ToJson (files already parsed).
// CPU time is the process's (all threads), so it also counts JIT and GC work.
static Sample Compile(SourceSet sources)
{
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var compilation = Compilation.Create(sources);
    var (compiled, diagnostics, error) = CompiledModel.Compile(compilation, compilation.Models[0], new Dictionary<string, long>());
    if (compiled == null) throw new InvalidOperationException(error?.ToString() ?? string.Join("\n", diagnostics));
    _ = compiled.Report.ToJson();
    var wall = sw.Elapsed.TotalMilliseconds;
    return new Sample(wall, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
}

// The pipeline of Compile above, one phase at a time (as CompiledModel.Compile and ModelReport.Create
// run it), with each phase's wall time, the CPU time of this thread and the bytes it allocated.
// The report's parts (specialising unbound dims to 1, fusion, memory planning) are timed again on
// their own, after the report: they are inside "report", not added to the total.
static void Profile(string name, Func<SourceSet> load, int runs)
{
    var table = new Dictionary<string, List<(double Wall, double Cpu, double Mb, double Gc)>>();
    var order = new List<string>();
    var calls = new Dictionary<string, int>();
    int currentRun = 0;
    T Time<T>(string phase, Func<T> f)
    {
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        var pause = GC.GetTotalPauseDuration();
        double cpu = ThreadCpuMs();
        var sw = Stopwatch.StartNew();
        var result = f();
        var wall = sw.Elapsed.TotalMilliseconds;
        var sample = (wall, ThreadCpuMs() - cpu, (GC.GetAllocatedBytesForCurrentThread() - bytes) / 1e6, (GC.GetTotalPauseDuration() - pause).TotalMilliseconds);
        if (!table.TryGetValue(phase, out var list))
        {
            table[phase] = list = new();
            if (!order.Contains(phase)) order.Add(phase);
        }
        // A phase met again in the same run (a pass in a later round) adds to that run's time.
        if (list.Count == currentRun + 1)
        {
            var (w, c, m, g) = list[currentRun];
            list[currentRun] = (w + sample.Item1, c + sample.Item2, m + sample.Item3, g + sample.Item4);
            calls[phase]++;
        }
        else
        {
            list.Add(sample);
            calls[phase] = 1;
        }
        return result;
    }

    int nodes = 0, rounds = 0;
    for (int run = 0; run <= runs; run++) // run 0 warms up and is dropped
    {
        if (run == 1) table.Clear();
        currentRun = run == 0 ? 0 : run - 1;
        var sources = Time("parse", load);
        var (compiled, elaborated) = Time("total (bench)", () =>
        {
            var compilation = Time("bind", () => Compilation.Create(sources));
            var model = compilation.Models[0];
            var elaborated = Time("elaborate", () => compilation.GetModel(model).Graph!);
            var dims = new Dictionary<string, long>();
            var graph = Time("specialize", () => Optimizer.Apply(new Specialization(dims), elaborated));
            var optimizer = new Optimizer();
            rounds = 0;
            for (int round = 0; round < 4; round++)
            {
                var before = graph;
                rounds++;
                foreach (var pass in optimizer.Passes) graph = Time("opt: " + pass.Name, () => Optimizer.Apply(pass, graph));
                if (ReferenceEquals(graph, before)) break;
            }
            var report = Time("report", () => ModelReport.Create(model.Name, graph, dims));
            _ = Time("json", () => report.ToJson());
            return (graph, elaborated);
        });
        nodes = compiled.Nodes.Length;
        var bound = compiled.SymbolicDims.ToDictionary(d => d, _ => 1L);
        var concrete = Time("  report: specialize", () => new Specialization(bound).Run(compiled));
        var plan = Time("  report: fusion", () => FusionPlanner.Plan(concrete));
        _ = Time("  report: memory", () => MemoryPlan.Create(plan));
        if (run == 0) Console.WriteLine($"{name}: {elaborated.Nodes.Length} nodes elaborated, {nodes} after {rounds} optimiser rounds, {elaborated.Weights.Length} weights");
    }

    Console.WriteLine($"load average {LoadAverage():F1}; medians of {runs} warm runs; {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2 collections in all");
    Console.WriteLine("phase                       wall ms    CPU ms   alloc MB  GC pause ms");
    foreach (var phase in order)
    {
        var xs = table[phase];
        Console.WriteLine($"{phase,-24} {Median(xs.Select(x => x.Wall)),10:F1} {Median(xs.Select(x => x.Cpu)),9:F1} {Median(xs.Select(x => x.Mb)),10:F1} {Median(xs.Select(x => x.Gc)),12:F1}" + (calls[phase] > 1 ? $"   ({calls[phase]} calls a run)" : ""));
    }
}

static double Median(IEnumerable<double> values)
{
    var xs = values.OrderBy(x => x).ToList();
    return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
}

static double LoadAverage()
{
    try
    {
        return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
    }
    catch (IOException)
    {
        return double.NaN;
    }
}

// CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID)); elsewhere the process's.
static double ThreadCpuMs()
{
    if (OperatingSystem.IsLinux() && Native.clock_gettime(3, out var ts) == 0) return ts.Seconds * 1e3 + ts.Nanoseconds / 1e6;
    return Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;
}

static string F(double x) => x.ToString("F1", CultureInfo.InvariantCulture);

// A transformer with mixture-of-experts layers, as deep as asked.
static string LayeredModel(int layers) => $$"""
    module Layer(d: int, heads: int, hidden: int, experts: int) {
      norm1 = RMSNorm(d)
      attn = MultiheadAttention(d, heads, causal: true, bias: false, rotary: true)
      norm2 = RMSNorm(d)
      moe = MoE(d, hidden, experts, top_k: 2)

      forward(x: f32[B, T, d]) -> f32[B, T, d] {
        x = x + attn(norm1(x))
        return x + moe(norm2(x))
      }
    }

    module Deep(vocab: int, d: int, n: int) {
      embed = Embedding(vocab, d)
      layers = Layer(d, 8, 4 * d, 8)[n]
      head = Linear(d, vocab, bias: false)

      forward(ids: i64[B, T]) -> f32[B, T, vocab] {
        let x = embed(ids)
        for layer in layers {
          x = layer(x)
        }
        return head(x)
      }
    }

    model M = Deep(vocab: 1000, d: 256, n: {{layers}})
    """;

static string FindRepo()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "DeepSeek.Lang.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}

readonly record struct Sample(double WallMs, double CpuMs);

readonly record struct Stats(double WallMedian, double WallFastest, double CpuMedian, double CpuMean)
{
    public static Stats Of(List<Sample> samples)
    {
        static double Median(IEnumerable<double> values)
        {
            var xs = values.OrderBy(x => x).ToList();
            return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
        }
        return new Stats(Median(samples.Select(s => s.WallMs)), samples.Min(s => s.WallMs), Median(samples.Select(s => s.CpuMs)), samples.Average(s => s.CpuMs));
    }
}

[StructLayout(LayoutKind.Sequential)]
struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

static class Native
{
    [DllImport("libc", SetLastError = true)]
    public static extern int clock_gettime(int clockId, out TimeSpec ts);
}
