namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>Elementwise activation of the fused GEMM epilogue.</summary>
public enum Activation
{
    None,
    Relu,
    /// <summary>x·Φ(x) with the exact normal CDF (erf).</summary>
    GeluErf,
    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    GeluTanh,
    /// <summary>x·sigmoid(x).</summary>
    Silu,
    Sigmoid,
    Tanh,
}

/// <summary>How the epilogue's bias vector is laid out.</summary>
public enum BiasKind
{
    None,
    /// <summary>One value per output column (length N): the usual linear-layer bias.</summary>
    PerColumn,
    /// <summary>One value per output row (length M).</summary>
    PerRow,
}

/// <summary>Transposes, scale factors and threading of one product.</summary>
/// <remarks>
/// <c>default(GemmOptions)</c> means C = A·B: alpha 1, beta 0, no transposes, all cores.
/// </remarks>
public readonly struct GemmOptions
{
    private readonly float _alpha;
    private readonly bool _hasAlpha;

    /// <summary>op(A) = Aᵀ: A is stored K×M (row-major) with leading dimension lda ≥ M.</summary>
    public bool TransposeA { get; init; }

    /// <summary>op(B) = Bᵀ: B is stored N×K (row-major, the layout of a linear layer's weight) with ldb ≥ K.</summary>
    public bool TransposeB { get; init; }

    /// <summary>Scale of the product; 1 unless set.</summary>
    public float Alpha
    {
        get => _hasAlpha ? _alpha : 1f;
        init { _alpha = value; _hasAlpha = true; }
    }

    /// <summary>Scale of the existing C; 0 (C is not read, so it may hold garbage) unless set.</summary>
    public float Beta { get; init; }

    /// <summary>Upper bound on worker threads; 0 means all processors, 1 runs on the calling thread only.</summary>
    public int MaxThreads { get; init; }

    /// <summary>Tests force a code path (Vector512, Vector256, scalar) through this; null picks the best one.</summary>
    internal GemmPath? ForcePath { get; init; }

    /// <summary>Tests force this many parts (beyond the processor count and the size cut-off) to check the splits.</summary>
    internal int ForceParts { get; init; }
}

/// <summary>
/// Work fused into the product, applied to each block of C as soon as it is final (while it is in
/// L2), in this order:
/// <c>C = act(alpha·op(A)·op(B) + beta·C + bias) + residual</c>, or with
/// <see cref="ResidualBeforeActivation"/>: <c>C = act(alpha·op(A)·op(B) + beta·C + bias + residual)</c>.
/// </summary>
/// <remarks>The pointers are not owned: the caller keeps them pinned for the duration of the call.</remarks>
public readonly unsafe struct Epilogue
{
    /// <summary>Bias values: N of them for <see cref="BiasKind.PerColumn"/>, M for <see cref="BiasKind.PerRow"/>.</summary>
    public float* Bias { get; init; }

    public BiasKind BiasKind { get; init; }

    /// <summary>
    /// Matrix added to the output, M×N row-major with leading dimension <see cref="ResidualStride"/>.
    /// It must not overlap C (blocks of C are overwritten before their epilogue runs): to add C itself,
    /// use <see cref="GemmOptions.Beta"/> = 1.
    /// </summary>
    public float* Residual { get; init; }

    /// <summary>Leading dimension of <see cref="Residual"/> (≥ N).</summary>
    public int ResidualStride { get; init; }

    /// <summary>Distance between consecutive batch items' residuals, in elements (0 broadcasts one residual).</summary>
    public long ResidualBatchStride { get; init; }

    /// <summary>Distance between consecutive batch items' bias vectors, in elements (0, the default, shares one).</summary>
    public long BiasBatchStride { get; init; }

    public Activation Activation { get; init; }

    /// <summary>Add the residual before the activation (act(x + bias + residual)) instead of after it.</summary>
    public bool ResidualBeforeActivation { get; init; }

    internal bool IsIdentity => BiasKind == BiasKind.None && Residual == null && Activation == Activation.None;
}

/// <summary>Code path of the kernels; chosen at run time from the CPU's instruction sets.</summary>
internal enum GemmPath
{
    Scalar,
    Avx2,
    Avx512,
}
