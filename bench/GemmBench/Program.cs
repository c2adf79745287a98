using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Lang.Runtime.Kernels.Cpu;
using Microsoft.ML.OnnxRuntime;

namespace GemmBench;

/// <summary>
/// Times DeepSeek.Lang's SGEMM against ONNX Runtime's MatMul on the same inputs in one process,
/// interleaving the two in every round so that load from other processes hits both alike; reports
/// the median GFLOP/s over the rounds and checks that both agree numerically.
/// Variants: B as an input (both pack B every call) and B constant (our PackB; an ORT initializer,
/// which ORT pre-packs at session creation).
/// </summary>
internal static class Program
{
    private static readonly (string Name, int M, int N, int K)[] Squares =
        [("128^3", 128, 128, 128), ("256^3", 256, 256, 256), ("512^3", 512, 512, 512), ("1024^3", 1024, 1024, 1024), ("2048^3", 2048, 2048, 2048)];

    private static readonly (string Name, int M, int N, int K)[] Transformer =
        [("qkv 512x2304x768", 512, 2304, 768), ("ffn-down 1024x768x3072", 1024, 768, 3072), ("decode 16x4096x4096", 16, 4096, 4096)];

    private static readonly (string Name, int M, int N, int K)[] SmallM =
        [("m1 1x4096x4096", 1, 4096, 4096), ("m4 4x4096x4096", 4, 4096, 4096), ("m8 8x4096x4096", 8, 4096, 4096),
         ("m32 32x4096x4096", 32, 4096, 4096), ("m16 16x768x768", 16, 768, 768), ("m32 32x2304x768", 32, 2304, 768)];

    private static int Main(string[] args)
    {
        bool json = args.Contains("--json");
        int rounds = IntArg(args, "--rounds", 9);
        int roundMs = IntArg(args, "--round-ms", 60);
        string set = StringArg(args, "--shapes", "squares,transformer");
        string threadList = StringArg(args, "--threads", $"1,{Environment.ProcessorCount}");
        bool packed = !args.Contains("--no-packed");
        string? saveModel = StringArg(args, "--save-model", null!);

        var shapes = new List<(string Name, int M, int N, int K)>();
        foreach (var s in set.Split(','))
        {
            switch (s)
            {
                case "squares": shapes.AddRange(Squares); break;
                case "transformer": shapes.AddRange(Transformer); break;
                case "smallm": shapes.AddRange(SmallM); break;
                default:
                    var d = s.Split('x').Select(int.Parse).ToArray();
                    shapes.Add((s, d[0], d[1], d[2]));
                    break;
            }
        }
        var threadCounts = threadList.Split(',').Select(int.Parse).ToArray();

        if (saveModel != null)
        {
            File.WriteAllBytes(saveModel, OnnxModel.MatMul(4, 5, 3));
            Console.Error.WriteLine($"wrote {saveModel}");
        }

        Console.Error.WriteLine($"GemmBench: {Environment.ProcessorCount} processors, path {Gemm.BestPath}, {rounds} rounds of ~{roundMs} ms, medians");
        var results = new List<Result>();
        foreach (var (name, m, n, k) in shapes)
            foreach (int t in threadCounts)
            {
                var r = Measure(name, m, n, k, t, rounds, roundMs, packed);
                results.Add(r);
                if (!json) Console.Error.WriteLine(Line(r));
            }

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine();
            Console.WriteLine("| shape (MxNxK) | threads | ours GFLOP/s | ORT GFLOP/s | ours/ORT | ours packed-B | ORT const-B | ratio | max rel err |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in results) Console.WriteLine(Line(r));
        }
        return results.All(r => r.RelativeError < 1e-4) ? 0 : 1;
    }

    private sealed record Result(string Shape, int M, int N, int K, int Threads,
        double OursGflops, double OrtGflops, double Ratio,
        double? OursPackedGflops, double? OrtConstGflops, double? PackedRatio, double RelativeError);

    private static string Line(Result r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Shape} | {r.Threads} | {r.OursGflops:F1} | {r.OrtGflops:F1} | {r.Ratio:P0} | " +
        $"{Opt(r.OursPackedGflops)} | {Opt(r.OrtConstGflops)} | {(r.PackedRatio is { } p ? p.ToString("P0", CultureInfo.InvariantCulture) : "-")} | {r.RelativeError:E1} |");

    private static string Opt(double? v) => v is { } x ? x.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static unsafe Result Measure(string name, int m, int n, int k, int threads, int rounds, int roundMs, bool withPacked)
    {
        var rng = new Random(1234);
        float[] a = Random(rng, m * k), b = Random(rng, k * n);
        float[] ours = GC.AllocateArray<float>(m * n, pinned: true);
        float[] oursPacked = GC.AllocateArray<float>(m * n, pinned: true);
        float[] ort = GC.AllocateArray<float>(m * n, pinned: true);
        float[] ortConst = GC.AllocateArray<float>(m * n, pinned: true);
        double flops = 2.0 * m * n * k;
        var options = new GemmOptions { MaxThreads = threads };

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(OnnxModel.MatMul(m, n, k), sessionOptions);
        using var constSession = withPacked ? new InferenceSession(OnnxModel.MatMul(m, n, k, b), sessionOptions) : null;
        using var runOptions = new RunOptions();
        using var aValue = OrtValue.CreateTensorValueFromMemory(a, [m, k]);
        using var bValue = OrtValue.CreateTensorValueFromMemory(b, [k, n]);
        using var yValue = OrtValue.CreateTensorValueFromMemory(ort, [m, n]);
        using var yConstValue = OrtValue.CreateTensorValueFromMemory(ortConst, [m, n]);
        string[] abNames = ["A", "B"], aNames = ["A"], yNames = ["Y"];
        OrtValue[] abValues = [aValue, bValue], aValues = [aValue], yValues = [yValue], yConstValues = [yConstValue];

        fixed (float* pa = a, pb = b, pc = ours, pcp = oursPacked)
        {
            float* ca = pa, cb = pb, cc = pc, ccp = pcp;
            using var packedB = withPacked ? Gemm.PackB(k, n, pb, n) : null;
            var variants = new List<Action>
            {
                () => Gemm.Sgemm(options, m, n, k, ca, k, cb, n, cc, n),
                () => session.Run(runOptions, abNames, abValues, yNames, yValues),
            };
            if (withPacked)
            {
                variants.Add(() => Gemm.Sgemm(options, m, ca, k, packedB!, ccp, n));
                variants.Add(() => constSession!.Run(runOptions, aNames, aValues, yNames, yConstValues));
            }

            // Warm up (JIT, thread pools, caches) and size each round to ~roundMs.
            var iters = new int[variants.Count];
            for (int v = 0; v < variants.Count; v++)
            {
                variants[v]();
                var sw = Stopwatch.StartNew();
                int count = 0;
                while (sw.Elapsed.TotalMilliseconds < Math.Max(20, roundMs / 2.0)) { variants[v](); count++; }
                iters[v] = Math.Max(1, (int)(count * roundMs / sw.Elapsed.TotalMilliseconds));
            }

            var perCall = new double[variants.Count][];
            for (int v = 0; v < variants.Count; v++) perCall[v] = new double[rounds];
            for (int r = 0; r < rounds; r++)
                for (int v = 0; v < variants.Count; v++)
                {
                    var action = variants[v];
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < iters[v]; i++) action();
                    perCall[v][r] = Stopwatch.GetElapsedTime(start).TotalSeconds / iters[v];
                }

            double err = RelativeError(ours, ort);
            if (withPacked) err = Math.Max(err, Math.Max(RelativeError(oursPacked, ort), RelativeError(ortConst, ort)));
            double g(int v) => flops / Median(perCall[v]) / 1e9;
            double? gp = withPacked ? g(2) : null, gc = withPacked ? g(3) : null;
            return new Result(name, m, n, k, threads, g(0), g(1), g(0) / g(1), gp, gc, withPacked ? gp / gc : null, err);
        }
    }

    private static float[] Random(Random rng, int count)
    {
        var data = GC.AllocateArray<float>(count, pinned: true);
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>‖x − y‖₂ / ‖y‖₂ in double.</summary>
    private static double RelativeError(float[] x, float[] y)
    {
        double num = 0, den = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = (double)x[i] - y[i];
            num += d * d;
            den += (double)y[i] * y[i];
        }
        return Math.Sqrt(num / Math.Max(den, double.Epsilon));
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static int IntArg(string[] args, string name, int fallback) =>
        int.Parse(StringArg(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static string StringArg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
