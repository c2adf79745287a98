using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>The epilogue of one batch item: pointers already offset to that item.</summary>
internal readonly unsafe struct EpilogueArgs
{
    public readonly float* Bias;
    public readonly BiasKind BiasKind;
    public readonly float* Residual;
    public readonly nint ResidualStride;
    public readonly Activation Activation;
    public readonly bool ResidualBeforeActivation;

    public EpilogueArgs(in Epilogue e, long batchIndex)
    {
        BiasKind = e.Bias == null ? BiasKind.None : e.BiasKind;
        Bias = BiasKind == BiasKind.None ? null : e.Bias + batchIndex * e.BiasBatchStride;
        Residual = e.Residual == null ? null : e.Residual + batchIndex * e.ResidualBatchStride;
        ResidualStride = e.ResidualStride;
        Activation = e.Activation;
        ResidualBeforeActivation = e.ResidualBeforeActivation;
    }

    public bool IsIdentity => BiasKind == BiasKind.None && Residual == null && Activation == Activation.None;
}

/// <summary>
/// Bias, residual and activation over a finished block of C. The driver calls it once a block of
/// C (at most MC×NC) holds its final sums, while the block is still in L2: one extra load and store
/// per element against K multiply-adds per element. The activation is a type argument, so the
/// switch runs once per block and the loop body is inlined.
/// </summary>
internal static unsafe class EpilogueKernels
{
    /// <summary>Lanes [0, count) set; count may be ≤ 0 or ≥ 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Mask512(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Mask256(int count) => Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(count)).AsSingle();

    public static void Apply512(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
    {
        switch (e.Activation)
        {
            case Activation.None: Apply512<NoActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Relu: Apply512<ReluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluErf: Apply512<GeluErfActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluTanh: Apply512<GeluTanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Silu: Apply512<SiluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Sigmoid: Apply512<SigmoidActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Tanh: Apply512<TanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            default: throw new ArgumentOutOfRangeException(nameof(e), e.Activation, "unknown activation");
        }
    }

    public static void Apply256(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
    {
        switch (e.Activation)
        {
            case Activation.None: Apply256<NoActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Relu: Apply256<ReluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluErf: Apply256<GeluErfActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluTanh: Apply256<GeluTanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Silu: Apply256<SiluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Sigmoid: Apply256<SigmoidActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Tanh: Apply256<TanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            default: throw new ArgumentOutOfRangeException(nameof(e), e.Activation, "unknown activation");
        }
    }

    public static void ApplyScalar(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
    {
        switch (e.Activation)
        {
            case Activation.None: ApplyScalar<NoActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Relu: ApplyScalar<ReluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluErf: ApplyScalar<GeluErfActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.GeluTanh: ApplyScalar<GeluTanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Silu: ApplyScalar<SiluActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Sigmoid: ApplyScalar<SigmoidActivation>(c, ldc, rows, cols, row0, col0, e); break;
            case Activation.Tanh: ApplyScalar<TanhActivation>(c, ldc, rows, cols, row0, col0, e); break;
            default: throw new ArgumentOutOfRangeException(nameof(e), e.Activation, "unknown activation");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply512<TAct>(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
        where TAct : struct, IActivation
    {
        float* colBias = e.BiasKind == BiasKind.PerColumn ? e.Bias + col0 : null;
        bool before = e.ResidualBeforeActivation;
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + i * ldc;
            float* ri = e.Residual == null ? null : e.Residual + (row0 + i) * e.ResidualStride + col0;
            var rowBias = e.BiasKind == BiasKind.PerRow ? Vector512.Create(e.Bias[row0 + i]) : Vector512<float>.Zero;
            int j = 0;
            for (; j + 16 <= cols; j += 16)
            {
                var v = Vector512.Load(ci + j);
                v += colBias != null ? Vector512.Load(colBias + j) : rowBias;
                var r = ri != null ? Vector512.Load(ri + j) : Vector512<float>.Zero;
                if (before) v += r;
                v = TAct.Apply(v);
                if (!before) v += r;
                Vector512.Store(v, ci + j);
            }
            if (j < cols)
            {
                var m = Mask512(cols - j);
                var v = Avx512F.MaskLoad(ci + j, m, Vector512<float>.Zero);
                v += colBias != null ? Avx512F.MaskLoad(colBias + j, m, Vector512<float>.Zero) : rowBias;
                var r = ri != null ? Avx512F.MaskLoad(ri + j, m, Vector512<float>.Zero) : Vector512<float>.Zero;
                if (before) v += r;
                v = TAct.Apply(v);
                if (!before) v += r;
                Avx512F.MaskStore(ci + j, m, v);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Apply256<TAct>(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
        where TAct : struct, IActivation
    {
        float* colBias = e.BiasKind == BiasKind.PerColumn ? e.Bias + col0 : null;
        bool before = e.ResidualBeforeActivation;
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + i * ldc;
            float* ri = e.Residual == null ? null : e.Residual + (row0 + i) * e.ResidualStride + col0;
            var rowBias = e.BiasKind == BiasKind.PerRow ? Vector256.Create(e.Bias[row0 + i]) : Vector256<float>.Zero;
            int j = 0;
            for (; j + 8 <= cols; j += 8)
            {
                var v = Vector256.Load(ci + j);
                v += colBias != null ? Vector256.Load(colBias + j) : rowBias;
                var r = ri != null ? Vector256.Load(ri + j) : Vector256<float>.Zero;
                if (before) v += r;
                v = TAct.Apply(v);
                if (!before) v += r;
                Vector256.Store(v, ci + j);
            }
            for (; j < cols; j++)
                ci[j] = ApplyOne<TAct>(ci[j], colBias != null ? colBias[j] : rowBias.ToScalar(), ri != null ? ri[j] : 0f, before);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyScalar<TAct>(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e)
        where TAct : struct, IActivation
    {
        float* colBias = e.BiasKind == BiasKind.PerColumn ? e.Bias + col0 : null;
        bool before = e.ResidualBeforeActivation;
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + i * ldc;
            float* ri = e.Residual == null ? null : e.Residual + (row0 + i) * e.ResidualStride + col0;
            float rowBias = e.BiasKind == BiasKind.PerRow ? e.Bias[row0 + i] : 0f;
            for (int j = 0; j < cols; j++)
                ci[j] = ApplyOne<TAct>(ci[j], colBias != null ? colBias[j] : rowBias, ri != null ? ri[j] : 0f, before);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ApplyOne<TAct>(float v, float bias, float residual, bool before) where TAct : struct, IActivation =>
        before ? TAct.Apply(v + bias + residual) : TAct.Apply(v + bias) + residual;
}
