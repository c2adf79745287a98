using DeepSeek.Lang.Runtime.Kernels.Cpu;

namespace DeepSeek.Lang.Kernels.Tests;

/// <summary>
/// One product to check against <see cref="Reference"/>: shapes, transposes, padding of the
/// leading dimensions, batch layout, alpha/beta, epilogue, code path and thread split.
/// </summary>
public sealed record GemmCase(int M, int N, int K)
{
    /// <summary>The tolerance of every product test: ‖C − C_ref‖₂ / ‖C_ref‖₂ with C_ref in double.</summary>
    public const double Tolerance = 1e-5;

    private const float Sentinel = 777.25f;

    public bool TransA { get; init; }
    public bool TransB { get; init; }
    public int PadA { get; init; }
    public int PadB { get; init; }
    public int PadC { get; init; }
    public int PadR { get; init; }
    public float Alpha { get; init; } = 1f;
    public float Beta { get; init; }
    public int Batch { get; init; } = 1;
    /// <summary>Elements between batch items beyond the item itself (0: contiguous items).</summary>
    public int BatchGap { get; init; }
    public bool BroadcastB { get; init; }
    public bool BroadcastResidual { get; init; }
    public bool BiasPerItem { get; init; }
    public BiasKind Bias { get; init; }
    public bool Residual { get; init; }
    public bool ResidualBefore { get; init; }
    public Activation Act { get; init; }
    public bool PackedB { get; init; }
    internal GemmPath? Path { get; init; }
    public int Parts { get; init; }
    public int MaxThreads { get; init; }
    public int Seed { get; init; } = 1;

    public override string ToString() =>
        $"{M}x{N}x{K}{(TransA ? " At" : "")}{(TransB ? " Bt" : "")}{(PadA + PadB + PadC > 0 ? $" pad{PadA},{PadB},{PadC}" : "")}" +
        $"{(Alpha != 1 || Beta != 0 ? $" a{Alpha} b{Beta}" : "")}{(Batch > 1 ? $" batch{Batch}{(BroadcastB ? " bcastB" : "")}{(BatchGap > 0 ? " gap" : "")}" : "")}" +
        $"{(Bias != BiasKind.None ? $" bias{Bias}" : "")}{(Residual ? (ResidualBefore ? " res-in" : " res") : "")}{(Act != Activation.None ? $" {Act}" : "")}" +
        $"{(PackedB ? " packed" : "")}{(Path is { } p ? $" {p}" : "")}{(Parts > 0 ? $" parts{Parts}" : "")}";

    /// <summary>Runs the case; returns the worst relative error over batch items. Throws if anything outside C was written.</summary>
    public unsafe double Run()
    {
        var rng = new Random(Seed);
        int rowsA = TransA ? K : M, colsA = TransA ? M : K, lda = colsA + PadA;
        int rowsB = TransB ? N : K, colsB = TransB ? K : N, ldb = colsB + PadB;
        int ldc = N + PadC, ldr = N + PadR;
        long strideA = (long)rowsA * lda + BatchGap;
        // A packed B is one matrix for the whole batch.
        bool sharedB = BroadcastB || PackedB;
        long strideB = sharedB ? 0 : (long)rowsB * ldb + BatchGap;
        long strideC = (long)M * ldc + BatchGap;
        long strideR = BroadcastResidual ? 0 : (long)M * ldr + BatchGap;
        int biasLength = Bias == BiasKind.PerRow ? M : N;
        long strideBias = BiasPerItem ? biasLength : 0;

        float[] a = Fill(rng, Extent(Batch, strideA, rowsA, lda));
        float[] b = Fill(rng, Extent(sharedB ? 1 : Batch, strideB, rowsB, ldb));
        float[] bias = Fill(rng, Bias == BiasKind.None ? 0 : (int)((BiasPerItem ? Batch : 1) * (long)biasLength));
        float[] res = Fill(rng, Residual ? Extent(BroadcastResidual ? 1 : Batch, strideR, M, ldr) : 0);
        float[] c = new float[Extent(Batch, strideC, M, ldc) + 64];
        Array.Fill(c, Sentinel);
        var inside = new bool[c.Length];
        for (int t = 0; t < Batch; t++)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    long at = t * strideC + (long)i * ldc + j;
                    // beta = 0 must not read C: give it NaN, which would poison the result if read.
                    c[at] = Beta == 0 ? float.NaN : (float)(rng.NextDouble() * 2 - 1);
                    inside[at] = true;
                }
        float[] c0 = (float[])c.Clone();

        var options = new GemmOptions
        {
            TransposeA = TransA, TransposeB = PackedB ? false : TransB, Alpha = Alpha, Beta = Beta,
            ForcePath = Path, ForceParts = Parts, MaxThreads = MaxThreads,
        };
        fixed (float* pa = a, pb = b, pc = c, pbias = bias, pres = res)
        {
            var epilogue = new Epilogue
            {
                Bias = Bias == BiasKind.None ? null : pbias, BiasKind = Bias, BiasBatchStride = strideBias,
                Residual = Residual ? pres : null, ResidualStride = ldr, ResidualBatchStride = strideR,
                Activation = Act, ResidualBeforeActivation = ResidualBefore,
            };
            if (PackedB)
            {
                using var packed = Gemm.PackB(K, N, pb, ldb, TransB, Path ?? Gemm.BestPath);
                if (Batch == 1) Gemm.Sgemm(options, M, pa, lda, packed, pc, ldc, epilogue);
                else Gemm.SgemmBatched(options, Batch, M, pa, lda, strideA, packed, pc, ldc, strideC, epilogue);
            }
            else if (Batch == 1 && BatchGap == 0)
            {
                Gemm.Sgemm(options, M, N, K, pa, lda, pb, ldb, pc, ldc, epilogue);
            }
            else
            {
                Gemm.SgemmBatched(options, Batch, M, N, K, pa, lda, strideA, pb, ldb, strideB, pc, ldc, strideC, epilogue);
            }
        }

        for (int i = 0; i < c.Length; i++)
            if (!inside[i] && BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(Sentinel))
                throw new InvalidOperationException($"{this}: wrote outside C at {i}: {c[i]}");

        double worst = 0;
        for (int t = 0; t < Batch; t++)
        {
            var expected = Reference.Gemm(TransA, TransB, M, N, K, Alpha, Beta,
                a.AsSpan((int)(t * strideA)), lda, b.AsSpan((int)(t * strideB)), ldb, c0.AsSpan((int)(t * strideC)), ldc,
                Bias, bias.AsSpan((int)(t * strideBias)), Residual ? res.AsSpan((int)(t * strideR)) : default, ldr,
                Act, ResidualBefore);
            double err = Reference.RelativeError(c.AsSpan((int)(t * strideC)), ldc, expected, M, N);
            worst = double.IsNaN(err) ? double.NaN : Math.Max(worst, err);
            if (double.IsNaN(err)) break;
        }
        return worst;
    }

    /// <summary>Asserts the case is within <see cref="Tolerance"/>.</summary>
    public void Check()
    {
        double err = Run();
        Assert.True(err <= Tolerance, $"{this}: relative error {err:E2} > {Tolerance:E0}");
    }

    private static int Extent(int batch, long stride, int rows, int ld) =>
        rows == 0 ? 0 : checked((int)((batch - 1) * stride + (long)rows * ld));

    private static float[] Fill(Random rng, int count)
    {
        var data = new float[count];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
