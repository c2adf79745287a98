using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Lang.Runtime.Kernels.Cpu;
using Microsoft.ML.OnnxRuntime;

namespace GemmBench;

/// <summary>
/// Times DeepSeek.Lang's SGEMM against ONNX Runtime's MatMul on the same inputs in one process,
/// interleaving the two in every round so that load from other processes hits both alike; reports
/// the median GFLOP/s over the rounds, the median of the per-round ratios ours/ORT, and checks that
/// both agree numerically.
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

    private static bool s_threadCpuTime;
    private static GemmPath? s_path;
    private static int s_pauseMs;
    private static bool s_ortNoSpin;

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Seconds on a clock: the monotonic wall clock, or this thread's CPU time.</summary>
    private static double Now()
    {
        if (!s_threadCpuTime) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    private static int Main(string[] args)
    {
        bool json = args.Contains("--json");
        int rounds = IntArg(args, "--rounds", 9);
        int roundMs = IntArg(args, "--round-ms", 60);
        string set = StringArg(args, "--shapes", "squares,transformer");
        string threadList = StringArg(args, "--threads", $"1,{Environment.ProcessorCount}");
        bool packed = !args.Contains("--no-packed");
        s_path = StringArg(args, "--path", "") switch
        {
            "avx512" => GemmPath.Avx512,
            "avx2" => GemmPath.Avx2,
            "scalar" => GemmPath.Scalar,
            _ => null,
        };
        // Tuning aid on a shared machine: with one thread, time only this thread's CPU time, so
        // time slices lost to other processes do not count (both libraries run on the calling thread).
        s_threadCpuTime = args.Contains("--thread-cpu-time");
        if (s_threadCpuTime && threadList != "1")
            throw new ArgumentException("--thread-cpu-time needs --threads 1");
        string? saveModel = StringArg(args, "--save-model", null!);

        if (args.Contains("--diag"))
        {
            Diag(IntArg(args, "--n", 512), IntArg(args, "--threads", 2));
            return 0;
        }

        s_threadCpuTime = args.Contains("--thread-cpu-time");
        s_pauseMs = IntArg(args, "--pause-ms", 250);
        s_ortNoSpin = args.Contains("--ort-no-spin");
        if (args.Contains("--epilogue"))
        {
            string threadArg = StringArg(args, "--threads", $"1,{Environment.ProcessorCount}");
            EpilogueCost(threadArg.Split(',').Select(int.Parse).ToArray(), IntArg(args, "--rounds", 9), IntArg(args, "--round-ms", 40));
            return 0;
        }

        if (args.Contains("--kernel"))
        {
            KernelPeak(IntArg(args, "--kc", 256));
            return 0;
        }

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

        Console.Error.WriteLine($"GemmBench: {Environment.ProcessorCount} processors, path {s_path ?? Gemm.BestPath}, {rounds} rounds of ~{roundMs} ms, medians");
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
            Console.WriteLine(Header);
            foreach (var r in results) Console.WriteLine(Line(r));
        }
        return results.All(r => r.RelativeError < 1e-4) ? 0 : 1;
    }

    /// <summary>One shape at one thread count: GFLOP/s medians and bests (fastest round) of each variant.</summary>
    private sealed record Result(string Shape, int M, int N, int K, int Threads,
        double OursGflops, double OrtGflops, double Ratio, double OursBestGflops, double OrtBestGflops, double BestRatio,
        double? OursPackedGflops, double? OrtConstGflops, double? PackedRatio,
        double? OursPackedBestGflops, double? OrtConstBestGflops, double? PackedBestRatio, double RelativeError);

    private const string Header =
        "| shape (MxNxK) | threads | ours median | ORT median | ours/ORT (paired) | ours best | ORT best | best ratio " +
        "| packed-B ours best | const-B ORT best | best ratio | packed paired ratio | rel. diff |\n" +
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

    private static string Line(Result r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Shape} | {r.Threads} | {r.OursGflops:F1} | {r.OrtGflops:F1} | {r.Ratio:P0} | {r.OursBestGflops:F1} | {r.OrtBestGflops:F1} | {r.BestRatio:P0} | " +
        $"{Opt(r.OursPackedBestGflops)} | {Opt(r.OrtConstBestGflops)} | {Pct(r.PackedBestRatio)} | {Pct(r.PackedRatio)} | {r.RelativeError:E1} |");

    private static string Pct(double? v) => v is { } x ? x.ToString("P0", CultureInfo.InvariantCulture) : "-";

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
        var options = new GemmOptions { MaxThreads = threads, ForcePath = s_path };

        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ORT's pool spins after each run; --ort-no-spin makes it sleep (ORT is then slower on small
        // products, but its idle threads take no core from the variant timed next).
        if (s_ortNoSpin) sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
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
            using var packedB = withPacked ? Gemm.PackB(k, n, pb, n, false, s_path ?? Gemm.BestPath) : null;
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

            // Warm up (JIT, thread pools, caches), then interleaved rounds.
            var perRound = TimeRounds(variants.ToArray(), rounds, roundMs);
            var median = perRound.Select(Median).ToArray();

            double err = RelativeError(ours, ort);
            if (withPacked) err = Math.Max(err, Math.Max(RelativeError(oursPacked, ort), RelativeError(ortConst, ort)));
            double g(int v) => flops / median[v] / 1e9;
            double best(int v) => flops / perRound[v].Min() / 1e9;
            double? gp = withPacked ? g(2) : null, gc = withPacked ? g(3) : null;
            double? bp = withPacked ? best(2) : null, bc = withPacked ? best(3) : null;
            return new Result(name, m, n, k, threads, g(0), g(1), PairedSpeedup(perRound[0], perRound[1]),
                best(0), best(1), best(0) / best(1), gp, gc, withPacked ? PairedSpeedup(perRound[2], perRound[3]) : null,
                bp, bc, bp / bc, err);
        }
    }

    /// <summary>
    /// The 12×32 micro-kernel alone on L1/L2-resident packed panels (no packing, no threads): the
    /// ceiling the whole GEMM can reach on one core. Reports thread-CPU-time GFLOP/s.
    /// </summary>
    private static unsafe void KernelPeak(int kc)
    {
        s_threadCpuTime = true;
        const int panels = 8; // 8 B micro-panels against one A micro-panel, as in the driver's inner loop
        float* a = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(12 * kc * 4), 64);
        float* b = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(32 * kc * panels * 4), 64);
        float* c = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(12 * 32 * panels * 4), 64);
        for (int i = 0; i < 12 * kc; i++) a[i] = 0.001f * (i % 17);
        for (int i = 0; i < 32 * kc * panels; i++) b[i] = 0.001f * (i % 13);
        var times = new double[9];
        for (int r = 0; r < times.Length; r++)
        {
            int iters = 2000;
            double start = Now();
            for (int it = 0; it < iters; it++)
                for (int j = 0; j < panels; j++)
                    Avx512Kernel.Tile(12, 32, kc, a, b + j * 32 * kc, 32, c + j * 32, 32 * panels, 1f, 1f);
            times[r] = (Now() - start) / ((double)iters * panels);
        }
        double flops = 2.0 * 12 * 32 * kc;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"12x32 micro-kernel, kc={kc}: {flops / Median(times) / 1e9:F1} GFLOP/s (thread CPU time)"));
    }

    /// <summary>
    /// What the fused epilogue costs: a product with pre-packed B (inference) plain, then with
    /// each epilogue fused into the tile stores (time added, in %), and bias + GELU(erf) + residual
    /// as a separate vectorised pass over C after the product (what an unfused executor would do).
    /// </summary>
    private static unsafe void EpilogueCost(int[] threadCounts, int rounds, int roundMs)
    {
        (string Name, int M, int N, int K)[] shapes =
            [("ffn-up 512x3072x768", 512, 3072, 768), ("ffn-down 512x768x3072", 512, 768, 3072), ("decode 16x3072x768", 16, 3072, 768), ("1024^3", 1024, 1024, 1024)];
        string[] labels = ["bias", "bias+relu", "bias+silu", "bias+gelu(tanh)", "bias+gelu(erf)", "bias+residual", "bias+gelu(erf)+residual", "unfused bias+gelu(erf)+residual"];
        Console.WriteLine($"| shape (MxNxK) | threads | plain GFLOP/s | {string.Join(" | ", labels)} |");
        Console.WriteLine($"| --- | ---: | ---: |{string.Concat(labels.Select(_ => " ---: |"))}");
        foreach (var (name, m, n, k) in shapes)
            foreach (int t in threadCounts)
            {
                var rng = new Random(7);
                float[] a = Random(rng, m * k), b = Random(rng, k * n), bias = Random(rng, n), res = Random(rng, m * n);
                float[] c = new float[m * n], fused = new float[m * n];
                var options = new GemmOptions { MaxThreads = t };
                fixed (float* pa = a, pb = b, pbias = bias, pres = res, pc = c, pf = fused)
                {
                    float* ca = pa, cc = pc, cf = pf, cbias = pbias, cres = pres;
                    using var packed = Gemm.PackB(k, n, pb, n);
                    Epilogue Make(Activation act, bool residual) => new()
                    {
                        Bias = cbias, BiasKind = BiasKind.PerColumn, Activation = act,
                        Residual = residual ? cres : null, ResidualStride = n,
                    };
                    Epilogue[] epilogues =
                        [Make(Activation.None, false), Make(Activation.Relu, false), Make(Activation.Silu, false),
                         Make(Activation.GeluTanh, false), Make(Activation.GeluErf, false), Make(Activation.None, true),
                         Make(Activation.GeluErf, true)];
                    var gelu = new EpilogueArgs(epilogues[^1], 0);
                    var variants = new List<Action> { () => Gemm.Sgemm(options, m, ca, k, packed, cc, n) };
                    foreach (var e in epilogues) variants.Add(() => Gemm.Sgemm(options, m, ca, k, packed, cf, n, e));
                    variants.Add(() =>
                    {
                        Gemm.Sgemm(options, m, ca, k, packed, cc, n);
                        EpilogueKernels.Apply512(cc, n, m, n, 0, 0, gelu);
                    });
                    var times = TimeInterleaved(variants.ToArray(), rounds, roundMs);
                    // The last two variants computed the same thing, fused (in `fused`) and not (in `c`).
                    double diff = 0;
                    for (int i = 0; i < c.Length; i++) diff = Math.Max(diff, Math.Abs(c[i] - fused[i]));
                    double flops = 2.0 * m * n * k;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {t} | {flops / times[0] / 1e9:F1} |{string.Concat(times.Skip(1).Select(x => $" +{x / times[0] - 1:P1} |"))}"));
                    if (diff > 1e-3) Console.WriteLine($"  fused and unfused differ by {diff}");
                }
            }
    }

    /// <summary>Median seconds a call of each variant, timed in interleaved rounds after a warm-up.</summary>
    private static double[] TimeInterleaved(Action[] variants, int rounds, int roundMs) =>
        TimeRounds(variants, rounds, roundMs).Select(Median).ToArray();

    /// <summary>Seconds a call of each variant in each round; the variants run back to back in every round.</summary>
    private static double[][] TimeRounds(Action[] variants, int rounds, int roundMs)
    {
        var iters = new int[variants.Length];
        for (int v = 0; v < variants.Length; v++)
        {
            variants[v]();
            var sw = Stopwatch.StartNew();
            int count = 0;
            while (sw.Elapsed.TotalMilliseconds < Math.Max(20, roundMs / 2.0)) { variants[v](); count++; }
            iters[v] = Math.Max(1, (int)(count * roundMs / sw.Elapsed.TotalMilliseconds));
        }
        var perCall = new double[variants.Length][];
        for (int v = 0; v < variants.Length; v++) perCall[v] = new double[rounds];
        for (int r = 0; r < rounds; r++)
            for (int v = 0; v < variants.Length; v++)
            {
                // Let the previous variant's idle workers go to sleep, so that they take no core
                // from this one: ours spin 0.2 ms after a call, ORT's pool threads spin much longer
                // (tens of ms) after a run, and there are two ORT sessions.
                if (s_pauseMs > 0) Thread.Sleep(s_pauseMs);
                double start = Now();
                for (int i = 0; i < iters[v]; i++) variants[v]();
                perCall[v][r] = (Now() - start) / iters[v];
            }
        return perCall;
    }

    /// <summary>
    /// Median over rounds of time(y)/time(x) within the same round: a paired comparison, which load
    /// from other processes (changing from round to round) disturbs less than a ratio of medians.
    /// </summary>
    private static double PairedSpeedup(double[] x, double[] y) => Median(x.Zip(y, (a, b) => b / a).ToArray());

    /// <summary>Wall time against process CPU time of our GEMM alone: shows how busy the workers are.</summary>
    private static unsafe void Diag(int n, int threads)
    {
        var rng = new Random(1);
        float[] a = Random(rng, n * n), b = Random(rng, n * n), c = Random(rng, n * n);
        var options = new GemmOptions { MaxThreads = threads };
        fixed (float* pa = a, pb = b, pc = c)
        {
            for (int i = 0; i < 20; i++) Gemm.Sgemm(options, n, n, n, pa, n, pb, n, pc, n);
            for (int r = 0; r < 5; r++)
            {
                var proc = Process.GetCurrentProcess();
                var cpu0 = proc.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                int iters = 0;
                while (sw.ElapsedMilliseconds < 500) { Gemm.Sgemm(options, n, n, n, pa, n, pb, n, pc, n); iters++; }
                proc.Refresh();
                double wall = sw.Elapsed.TotalSeconds, cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{n}^3 x{threads}: {2.0 * n * n * n * iters / wall / 1e9:F1} GFLOP/s wall, CPU/wall {cpu / wall:F2}"));
            }
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
