using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Imports;

// Compile-time benchmark (issue 4): `dskc compile examples/deepseek_v3.dsk --emit report` in process,
// cold and warm, and compile time against the number of layers of a model, up to 1,000 layers.
//   dotnet run -c Release --project bench/CompileBench [-- --json] [--repo PATH]
bool json = args.Contains("--json");
var repo = args.SkipWhile(a => a != "--repo").Skip(1).FirstOrDefault() ?? FindRepo();
var v3 = Path.Combine(repo, "examples", "deepseek_v3.dsk");

double Compile(SourceSet sources)
{
    var sw = Stopwatch.StartNew();
    var compilation = Compilation.Create(sources);
    var (compiled, diagnostics, error) = CompiledModel.Compile(compilation, compilation.Models[0], new Dictionary<string, long>());
    if (compiled == null) throw new InvalidOperationException(error?.ToString() ?? string.Join("\n", diagnostics));
    _ = compiled.Report.ToJson();
    return sw.Elapsed.TotalMilliseconds;
}

double Median(List<double> xs)
{
    xs.Sort();
    return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
}

var cold = Compile(SourceLoader.Load(new[] { v3 }));
var warm = new List<double>();
for (int i = 0; i < 7; i++) warm.Add(Compile(SourceLoader.Load(new[] { v3 })));

var scaling = new List<(int Layers, double Ms)>();
foreach (int layers in new[] { 10, 50, 100, 250, 500, 1000 })
{
    var text = LayeredModel(layers);
    var runs = new List<double>();
    for (int i = 0; i < 3; i++) runs.Add(Compile(SourceLoader.LoadText("/bench/layers.dsk", text, new MemoryFileSystem())));
    scaling.Add((layers, Median(runs)));
}

if (json)
{
    var sb = new StringBuilder();
    sb.Append("{\"deepseek_v3_report_ms\": {\"cold\": ").Append(F(cold)).Append(", \"warm_median\": ").Append(F(Median(warm))).Append("}, \"layers\": [");
    sb.Append(string.Join(", ", scaling.Select(s => $"{{\"layers\": {s.Layers}, \"ms\": {F(s.Ms)}, \"ms_per_layer\": {F(s.Ms / s.Layers)}}}")));
    Console.WriteLine(sb.Append("]}").ToString());
}
else
{
    Console.WriteLine($"deepseek_v3.dsk --emit report: cold {cold:F0} ms, warm median {Median(warm):F0} ms (of {warm.Count})");
    Console.WriteLine("layers   compile ms   ms/layer");
    foreach (var (layers, ms) in scaling) Console.WriteLine($"{layers,6} {ms,12:F1} {ms / layers,10:F2}");
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
