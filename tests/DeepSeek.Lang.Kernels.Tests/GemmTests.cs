using DeepSeek.Lang.Runtime.Kernels.Cpu;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Kernels.Tests;

/// <summary>
/// SGEMM against the double-precision reference, every case within
/// ‖C − C_ref‖₂/‖C_ref‖₂ ≤ 1e-5 (<see cref="GemmCase.Tolerance"/>), on each code path this CPU runs:
/// Vector512, Vector256 and scalar are all checked on an AVX-512 machine.
/// </summary>
public class GemmTests
{
    public static readonly string[] PathNames = ["Avx512", "Avx2", "Scalar"];

    internal static GemmPath? ToPath(string name) => name switch
    {
        "Avx512" => Avx512F.IsSupported ? GemmPath.Avx512 : null,
        "Avx2" => Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2 : null,
        _ => GemmPath.Scalar,
    };

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 3, 4), (7, 13, 29), (97, 61, 131), (12, 32, 256), (13, 33, 257), (11, 31, 255),
        (1, 1, 300), (1, 300, 7), (300, 1, 7), (500, 3, 17), (3, 500, 17), (64, 64, 1), (1, 64, 64), (64, 1, 64),
        (150, 70, 600), (25, 2100, 9), (289, 17, 40),
    ];

    public static TheoryData<string, int, int, int, bool, bool> ShapeCases()
    {
        var data = new TheoryData<string, int, int, int, bool, bool>();
        foreach (var path in PathNames)
            foreach (var (m, n, k) in Shapes)
                foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
                    data.Add(path, m, n, k, ta, tb);
        return data;
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void Shapes_and_transposes_match_the_reference(string path, int m, int n, int k, bool transA, bool transB)
    {
        if (ToPath(path) is not { } p) return;
        new GemmCase(m, n, k) { TransA = transA, TransB = transB, Path = p }.Check();
    }

    [Theory]
    [MemberData(nameof(ShapeCases))]
    public void Leading_dimensions_wider_than_the_matrices(string path, int m, int n, int k, bool transA, bool transB)
    {
        if (ToPath(path) is not { } p) return;
        new GemmCase(m, n, k) { TransA = transA, TransB = transB, PadA = 3, PadB = 17, PadC = 5, Path = p }.Check();
    }

    public static TheoryData<string, float, float> AlphaBetaCases()
    {
        var data = new TheoryData<string, float, float>();
        foreach (var path in PathNames)
            foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (0.5f, 2f), (-1.5f, -0.25f), (0f, 1f), (2f, 0f) })
                data.Add(path, alpha, beta);
        return data;
    }

    [Theory]
    [MemberData(nameof(AlphaBetaCases))]
    public void Alpha_and_beta(string path, float alpha, float beta)
    {
        if (ToPath(path) is not { } p) return;
        // K = 600 spans three k blocks: beta applies once, later blocks accumulate.
        new GemmCase(37, 45, 600) { Alpha = alpha, Beta = beta, PadC = 2, Path = p }.Check();
        new GemmCase(5, 7, 3) { Alpha = alpha, Beta = beta, Path = p }.Check();
    }

    public static TheoryData<string, Activation, BiasKind, int> EpilogueCases()
    {
        var data = new TheoryData<string, Activation, BiasKind, int>();
        foreach (var path in PathNames)
            foreach (var act in Enum.GetValues<Activation>())
                foreach (var bias in Enum.GetValues<BiasKind>())
                    for (int residual = 0; residual < 3; residual++)
                        data.Add(path, act, bias, residual);
        return data;
    }

    /// <summary>residual: 0 none, 1 after the activation, 2 inside it.</summary>
    [Theory]
    [MemberData(nameof(EpilogueCases))]
    public void Every_epilogue(string path, Activation act, BiasKind bias, int residual)
    {
        if (ToPath(path) is not { } p) return;
        foreach (var (m, n, k) in new[] { (37, 45, 19), (12, 32, 300), (1, 1, 1) })
            new GemmCase(m, n, k)
            {
                Act = act, Bias = bias, Residual = residual > 0, ResidualBefore = residual == 2, PadR = 3,
                Alpha = 1.5f, Beta = 0.5f, Path = p,
            }.Check();
    }

    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (var path in PathNames) data.Add(path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Batched_with_strides_and_broadcasts(string path)
    {
        if (ToPath(path) is not { } p) return;
        // One weight for every item over contiguous items: folded into one taller product.
        new GemmCase(7, 33, 20) { Batch = 5, BroadcastB = true, Path = p, Bias = BiasKind.PerColumn, Residual = true, Act = Activation.Relu }.Check();
        // The same with gaps between items, or transposed A: not foldable, item by item.
        new GemmCase(7, 33, 20) { Batch = 5, BroadcastB = true, BatchGap = 3, Path = p }.Check();
        new GemmCase(7, 33, 20) { Batch = 4, BroadcastB = true, TransA = true, TransB = true, Path = p }.Check();
        // Every operand its own, per-item bias (per row too), one residual broadcast to all items.
        new GemmCase(13, 17, 29) { Batch = 3, BatchGap = 1, Bias = BiasKind.PerRow, BiasPerItem = true, Path = p }.Check();
        new GemmCase(13, 17, 29) { Batch = 3, Bias = BiasKind.PerColumn, BiasPerItem = true, Residual = true, BroadcastResidual = true, Path = p }.Check();
        new GemmCase(13, 17, 29) { Batch = 6, BroadcastB = true, Bias = BiasKind.PerRow, Act = Activation.Silu, Path = p }.Check();
        // Items spread over parts (threads), and one item split into a grid.
        new GemmCase(30, 50, 40) { Batch = 7, Parts = 3, Alpha = 2, Beta = 1, Path = p }.Check();
        new GemmCase(30, 50, 40) { Batch = 2, Parts = 4, Path = p }.Check();
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Prepacked_B(string path)
    {
        if (ToPath(path) is not { } p) return;
        foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 13, 29), (16, 100, 600), (97, 61, 131), (3, 2100, 9) })
            foreach (bool tb in new[] { false, true })
            {
                new GemmCase(m, n, k) { PackedB = true, TransB = tb, PadB = 2, Path = p }.Check();
                new GemmCase(m, n, k) { PackedB = true, TransB = tb, TransA = true, Act = Activation.GeluTanh, Bias = BiasKind.PerColumn, Path = p, Parts = 2 }.Check();
            }
        new GemmCase(5, 40, 50) { PackedB = true, Batch = 4, Path = p, Residual = true }.Check();
        new GemmCase(5, 40, 50) { PackedB = true, Batch = 4, BatchGap = 2, Path = p, Parts = 3 }.Check();
    }

    public static TheoryData<string, int> SplitCases()
    {
        var data = new TheoryData<string, int>();
        foreach (var path in PathNames)
            foreach (int parts in new[] { 1, 2, 3, 4, 6, 16 })
                data.Add(path, parts);
        return data;
    }

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void Thread_splits_cover_C_exactly(string path, int parts)
    {
        if (ToPath(path) is not { } p) return;
        foreach (var (m, n, k) in new[] { (100, 100, 50), (5, 300, 20), (300, 5, 20), (1, 1, 1), (40, 70, 300) })
        {
            new GemmCase(m, n, k) { Parts = parts, Path = p, Bias = BiasKind.PerRow, Act = Activation.Tanh }.Check();
            new GemmCase(m, n, k) { Parts = parts, Path = p, PackedB = true, Beta = 1 }.Check();
        }
    }

    public static TheoryData<int, int, int> FewRowCases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int m in new[] { 1, 2, 3, 4, 5, 16, 17 })
            foreach (int n in new[] { 1, 15, 16, 17, 63, 64, 65, 200, 1000 })
                foreach (int k in new[] { 1, 7, 8, 9, 300 })
                    data.Add(m, n, k);
        return data;
    }

    /// <summary>
    /// A few rows with B given each call: the row-sweep kernel (M ≤ 4) and B read in place
    /// (M ≤ 16): 64-column chunks, 16-column masked tails, 8-deep k blocks.
    /// </summary>
    [Theory]
    [MemberData(nameof(FewRowCases))]
    public void Few_rows_with_B_given_each_call(int m, int n, int k)
    {
        new GemmCase(m, n, k).Check();
        new GemmCase(m, n, k) { TransA = true, PadA = 2, PadB = 3, PadC = 1, Alpha = 0.5f, Beta = 1.5f, Parts = 3 }.Check();
        new GemmCase(m, n, k) { Bias = BiasKind.PerColumn, Residual = true, Act = Activation.GeluErf, Batch = 2, BatchGap = 1 }.Check();
    }

    [Fact]
    public void Default_path_and_thread_count()
    {
        new GemmCase(200, 300, 400).Check();
        new GemmCase(200, 300, 400) { MaxThreads = 1 }.Check();
        new GemmCase(520, 270, 300) { Bias = BiasKind.PerColumn, Act = Activation.GeluErf, Residual = true }.Check();
    }

    [Fact]
    public unsafe void Empty_products()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        float[] bias = [10, 20, 30];
        fixed (float* pc = c, pbias = bias)
        {
            // M or N = 0: nothing happens.
            Gemm.Sgemm(default, 0, 3, 4, null, 4, null, 3, pc, 3);
            Gemm.Sgemm(default, 2, 0, 4, null, 4, null, 1, pc, 3);
            Assert.Equal([1, 2, 3, 4, 5, 6], c);
            // K = 0: C = epilogue(beta·C).
            Gemm.Sgemm(new GemmOptions { Beta = 2 }, 2, 3, 0, null, 1, null, 3, pc, 3,
                new Epilogue { Bias = pbias, BiasKind = BiasKind.PerColumn, Activation = Activation.Relu });
            Assert.Equal([12, 24, 36, 18, 30, 42], c);
        }
    }

    [Fact]
    public unsafe void Arguments_are_checked()
    {
        float[] buf = new float[64];
        fixed (float* p = buf)
        {
            float* q = p;
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(default, -1, 2, 2, q, 2, q, 2, q, 2));
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(default, 2, 3, 4, q, 3, q, 3, q, 3)); // lda < K
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(default, 2, 3, 4, q, 4, q, 2, q, 3)); // ldb < N
            Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(default, 2, 3, 4, q, 4, q, 3, q, 2)); // ldc < N
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                Gemm.Sgemm(new GemmOptions { TransposeA = true }, 5, 3, 4, q, 4, q, 3, q, 3)); // Aᵀ: lda < M
            Assert.Throws<ArgumentNullException>(() => Gemm.Sgemm(default, 2, 3, 4, null, 4, q, 3, q, 3));
            Assert.Throws<ArgumentNullException>(() =>
                Gemm.Sgemm(default, 2, 3, 4, q, 4, q, 3, q, 3, new Epilogue { BiasKind = BiasKind.PerRow }));
            using var packed = Gemm.PackB(4, 3, q, 3);
            Assert.Equal(4, packed.K);
            Assert.Equal(3, packed.N);
            Assert.Throws<ArgumentException>(() => Gemm.Sgemm(new GemmOptions { TransposeB = true }, 2, q, 4, packed, q, 3));
            packed.Dispose();
            Assert.Throws<ObjectDisposedException>(() => Gemm.Sgemm(default, 2, q, 4, packed, q, 3));
        }
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(default, 4, 4, 4, new float[15], 4, new float[16], 4, new float[16], 4));
    }

    [Fact]
    public void Span_overloads()
    {
        var rng = new Random(3);
        float[] a = Enumerable.Range(0, 6 * 5).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] b = Enumerable.Range(0, 5 * 7).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] c = new float[6 * 7];
        Gemm.Sgemm(default, 6, 7, 5, a, 5, b, 7, c, 7);
        var expected = Reference.Gemm(false, false, 6, 7, 5, 1, 0, a, 5, b, 7, c, 7, BiasKind.None, default, default, 7, Activation.None, false);
        Assert.True(Reference.RelativeError(c, 7, expected, 6, 7) <= GemmCase.Tolerance);
        unsafe
        {
            using var packed = Gemm.PackB(5, 7, b, 7);
            float[] c2 = new float[6 * 7];
            fixed (float* pa = a, pc = c2) Gemm.Sgemm(default, 6, pa, 5, packed, pc, 7);
            Assert.Equal(c, c2);
        }
    }

    [Fact]
    public void Concurrent_callers_share_the_pool_safely()
    {
        var cases = Enumerable.Range(0, 8).Select(i => new GemmCase(60 + i, 90, 70) { Seed = i, Act = Activation.Sigmoid, Bias = BiasKind.PerColumn }).ToArray();
        var errors = new double[cases.Length];
        Parallel.For(0, cases.Length, i => errors[i] = cases[i].Run());
        Assert.All(errors, e => Assert.True(e <= GemmCase.Tolerance, $"{e:E2}"));
    }
}
