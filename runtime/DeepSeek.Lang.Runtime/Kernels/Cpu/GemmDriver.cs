using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>One product (one batch item), with B either given or pre-packed.</summary>
internal unsafe struct GemmProblem
{
    public int M, N, K;
    public float* A;
    public nint Lda;
    public bool TransA;
    public float* B;
    public nint Ldb;
    public bool TransB;
    /// <summary>Non-null when B was packed ahead (<see cref="PackedMatrix"/>): K×PackedNPad floats.</summary>
    public float* PackedB;
    public int PackedNPad;
    /// <summary>Read a row-major B in place (no packing): set for a few rows of A, where each B panel is used once or twice.</summary>
    public bool DirectB;
    /// <summary>Run by <see cref="SmallMKernel"/> (a few rows, B given row-major each call).</summary>
    public bool SmallM;
    public float* C;
    public nint Ldc;
    public float Alpha, Beta;
    public EpilogueArgs Epilogue;
}

/// <summary>
/// The BLIS loop nest around a micro-kernel, over the rectangle [m0, m1)×[n0, n1) of C:
/// jc (NC columns: B block, shared L3) → pc (KC deep: pack B block) → ic (MC rows: pack A block, L2)
/// → jr (NR columns: B micro-panel, L1) → ir (MR rows: A micro-panel) → micro-kernel.
/// The first k block applies beta, later ones accumulate; after the last one, the epilogue runs over
/// each finished MC×NC block of C while it is still in L2 (at most 144×1024 floats, 576 KiB).
/// Running it per 12×32 tile instead (in L1) measured slower: 2 vectors a row a call, and the
/// residual read in 128-byte pieces rows apart (ffn-up 512×3072×768 with bias + GELU(erf) +
/// residual: +13.8% over the plain product per tile, +9.7% per block, +7.7% as a separate pass).
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IGemmKernel
{
    /// <summary>Prefetches the NR floats (one or two cache lines) of each of `rows` rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* row, nint stride, int rows)
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < rows; i++, row += stride)
        {
            Sse.Prefetch0(row);
            if (TKernel.NR > 16) Sse.Prefetch0(row + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmProblem* p, int m0, int m1, int n0, int n1)
    {
        int mr = TKernel.MR, nr = TKernel.NR, kcMax = TKernel.KC, mcMax = TKernel.MC, ncMax = TKernel.NC;
        var buffers = PackBuffers.ForCurrentThread((nuint)(mcMax * kcMax), (nuint)(kcMax * ncMax));
        float* bufA = buffers.A, bufB = buffers.B;
        bool epilogue = !p->Epilogue.IsIdentity;
        int k = p->K;
        nint ldc = p->Ldc;
        float alpha = p->Alpha;

        for (int jc = n0; jc < n1; jc += ncMax)
        {
            int nb = Math.Min(ncMax, n1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kb = Math.Min(kcMax, k - pc);
                float beta = pc == 0 ? p->Beta : 1f;
                bool last = pc + kb == k;
                float* pb = null;
                bool direct = p->DirectB && p->PackedB == null && !p->TransB;
                if (p->PackedB != null)
                {
                    // Pre-packed layout: block pc at pc·NPad, its panels kb·NR apart (jc is a multiple of NR).
                    pb = p->PackedB + (nint)pc * p->PackedNPad + (nint)jc * kb;
                }
                else if (!direct)
                {
                    Packing.PackB<TKernel>(p->B, p->Ldb, p->TransB, pc, jc, kb, nb, bufB);
                    pb = bufB;
                }

                for (int ic = m0; ic < m1; ic += mcMax)
                {
                    int mb = Math.Min(mcMax, m1 - ic);
                    Packing.PackA<TKernel>(p->A, p->Lda, p->TransA, ic, pc, mb, kb, bufA);
                    for (int jr = 0; jr < nb; jr += nr)
                    {
                        int cols = Math.Min(nr, nb - jr);
                        float* bp = pb + (nint)jr * kb;
                        nint ldb = nr;
                        if (direct)
                        {
                            // Whole panels straight from B's rows; the last, partial one is packed
                            // (zero-padded) so that no load runs past B's last column.
                            if (cols == nr)
                            {
                                bp = p->B + (nint)pc * p->Ldb + jc + jr;
                                ldb = p->Ldb;
                            }
                            else
                            {
                                Packing.PackB<TKernel>(p->B, p->Ldb, false, pc, jc + jr, kb, cols, bufB);
                                bp = bufB;
                            }
                        }
                        float* cj = p->C + jc + jr;
                        for (int ir = 0; ir < mb; ir += mr)
                        {
                            int rows = Math.Min(mr, mb - ir);
                            float* cp = cj + (ic + ir) * ldc;
                            // Rows of C (partial sums, or beta·C) are read once a tile, rows apart, which
                            // the prefetchers miss: ask for them now, a whole micro-kernel (kb·MR·NR
                            // multiply-adds) before they are needed.
                            if (beta != 0f) PrefetchRows(cp, ldc, rows);
                            TKernel.Tile(rows, cols, kb, bufA + (nint)ir * kb, bp, ldb, cp, ldc, alpha, beta);
                        }
                    }
                    if (last && epilogue)
                        TKernel.Epilogue(p->C + ic * ldc + jc, ldc, mb, nb, ic, jc, p->Epilogue);
                }
            }
        }
    }
}

/// <summary>
/// Per-thread packing buffers, 64-byte aligned, grown on demand and kept for the thread's lifetime
/// (so a product allocates nothing once warm); freed by the finalizer when the thread is gone.
/// </summary>
internal sealed unsafe class PackBuffers
{
    [ThreadStatic] private static PackBuffers? t_current;

    // Slack past the end: vector stores of partial panels may run a vector past the last element.
    private const nuint Slack = 64;

    private nuint _capacityA, _capacityB, _capacityWhole;
    private float* _whole;
    public float* A { get; private set; }
    public float* B { get; private set; }

    /// <summary>
    /// A buffer for all of B packed, owned by the thread that called the GEMM (the workers write and
    /// read it only during that call), so concurrent callers never share one.
    /// </summary>
    public float* Whole(nuint floats)
    {
        if (floats > _capacityWhole)
        {
            NativeMemory.AlignedFree(_whole);
            _whole = (float*)NativeMemory.AlignedAlloc((floats + Slack) * sizeof(float), 64);
            _capacityWhole = floats;
        }
        return _whole;
    }

    public static PackBuffers ForCurrentThread(nuint floatsA, nuint floatsB)
    {
        var buffers = t_current ??= new PackBuffers();
        buffers.Ensure(floatsA, floatsB);
        return buffers;
    }

    private void Ensure(nuint floatsA, nuint floatsB)
    {
        if (floatsA > _capacityA)
        {
            NativeMemory.AlignedFree(A);
            A = (float*)NativeMemory.AlignedAlloc((floatsA + Slack) * sizeof(float), 64);
            _capacityA = floatsA;
        }
        if (floatsB > _capacityB)
        {
            NativeMemory.AlignedFree(B);
            B = (float*)NativeMemory.AlignedAlloc((floatsB + Slack) * sizeof(float), 64);
            _capacityB = floatsB;
        }
    }

    ~PackBuffers()
    {
        NativeMemory.AlignedFree(A);
        NativeMemory.AlignedFree(B);
        NativeMemory.AlignedFree(_whole);
    }
}
