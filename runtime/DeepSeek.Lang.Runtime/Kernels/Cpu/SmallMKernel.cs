using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Products with at most <see cref="MaxRows"/> rows and a row-major B given each call (a GEMV-like
/// shape: a token or a few against a weight that was not pre-packed). Packing B would cost as
/// much as the product, and the register-tiled kernel reads B in 32-column strips whose rows are
/// pages apart. Instead each block of <see cref="KBlock"/> rows of B is swept front to back (that
/// many sequential streams, which the prefetchers follow) in chunks of 64 columns, with the
/// rows×64 slice of C held in up to 16 zmm accumulators across the block.
/// </summary>
internal static unsafe class SmallMKernel
{
    public const int MaxRows = 4;

    /// <summary>Rows of B per sweep: C is read and written once per this many k, and as many streams run at once.</summary>
    private const int KBlock = 8;

    public static bool Applies(GemmPath path, in GemmProblem p) =>
        path == GemmPath.Avx512 && p.M <= MaxRows && p.PackedB == null && !p.TransB;

    /// <summary>Columns [n0, n1) of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(GemmProblem* p, int n0, int n1)
    {
        switch (p->M)
        {
            case 1: Run<R1>(p, n0, n1); break;
            case 2: Run<R2>(p, n0, n1); break;
            case 3: Run<R3>(p, n0, n1); break;
            default: Run<R4>(p, n0, n1); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<R>(GemmProblem* p, int n0, int n1) where R : struct, IRows
    {
        int k = p->K;
        nint lda = p->Lda, ldb = p->Ldb, ldc = p->Ldc;
        bool transA = p->TransA;
        bool epilogue = !p->Epilogue.IsIdentity;
        // op(A)[i, kk] with A as stored.
        float* a = p->A;
        nint aRow = transA ? 1 : lda, aCol = transA ? lda : 1;

        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int kb = Math.Min(KBlock, k - k0);
            bool first = k0 == 0, last = k0 + kb == k;
            float beta = first ? p->Beta : 1f;
            float* bk = p->B + (nint)k0 * ldb;
            float* ak = a + k0 * aCol;
            int j = n0;
            for (; j + 64 <= n1; j += 64)
                Chunk<R>(kb, ak, aRow, aCol, bk + j, ldb, p->C + j, ldc, p->Alpha, beta, 64);
            for (; j < n1; j += 16)
                Chunk<R>(kb, ak, aRow, aCol, bk + j, ldb, p->C + j, ldc, p->Alpha, beta, Math.Min(16, n1 - j));
            if (last && epilogue)
                Avx512Kernel.Epilogue(p->C + n0, ldc, p->M, n1 - n0, 0, n0, p->Epilogue);
        }
    }

    /// <summary>C[0..R, 0..cols) = alpha·A[0..R, 0..kb)·B[0..kb, 0..cols) + beta·C, cols = 64 or ≤ 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Chunk<R>(int kb, float* a, nint aRow, nint aCol, float* b, nint ldb, float* c, nint ldc,
        float alpha, float beta, int cols) where R : struct, IRows
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        if (cols == 64)
        {
            for (int kk = 0; kk < kb; kk++, b += ldb, a += aCol)
            {
                var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
                var b2 = Vector512.Load(b + 32); var b3 = Vector512.Load(b + 48);
                var ai = Vector512.Create(a[0]);
                c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
                c02 = Avx512F.FusedMultiplyAdd(ai, b2, c02); c03 = Avx512F.FusedMultiplyAdd(ai, b3, c03);
                if (R.Value > 1)
                {
                    ai = Vector512.Create(a[aRow]);
                    c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11);
                    c12 = Avx512F.FusedMultiplyAdd(ai, b2, c12); c13 = Avx512F.FusedMultiplyAdd(ai, b3, c13);
                }
                if (R.Value > 2)
                {
                    ai = Vector512.Create(a[2 * aRow]);
                    c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21);
                    c22 = Avx512F.FusedMultiplyAdd(ai, b2, c22); c23 = Avx512F.FusedMultiplyAdd(ai, b3, c23);
                }
                if (R.Value > 3)
                {
                    ai = Vector512.Create(a[3 * aRow]);
                    c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31);
                    c32 = Avx512F.FusedMultiplyAdd(ai, b2, c32); c33 = Avx512F.FusedMultiplyAdd(ai, b3, c33);
                }
            }
            Store4(c, c00, c01, c02, c03, alpha, beta);
            if (R.Value > 1) Store4(c + ldc, c10, c11, c12, c13, alpha, beta);
            if (R.Value > 2) Store4(c + 2 * ldc, c20, c21, c22, c23, alpha, beta);
            if (R.Value > 3) Store4(c + 3 * ldc, c30, c31, c32, c33, alpha, beta);
        }
        else
        {
            // One masked vector of ≤ 16 columns: the tail of the row.
            var m = EpilogueKernels.Mask512(cols);
            for (int kk = 0; kk < kb; kk++, b += ldb, a += aCol)
            {
                var b0 = Avx512F.MaskLoad(b, m, Vector512<float>.Zero);
                c00 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c00);
                if (R.Value > 1) c10 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[aRow]), b0, c10);
                if (R.Value > 2) c20 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[2 * aRow]), b0, c20);
                if (R.Value > 3) c30 = Avx512F.FusedMultiplyAdd(Vector512.Create(a[3 * aRow]), b0, c30);
            }
            StoreMasked(c, c00, alpha, beta, m);
            if (R.Value > 1) StoreMasked(c + ldc, c10, alpha, beta, m);
            if (R.Value > 2) StoreMasked(c + 2 * ldc, c20, alpha, beta, m);
            if (R.Value > 3) StoreMasked(c + 3 * ldc, c30, alpha, beta, m);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
        float alpha, float beta)
    {
        var va = Vector512.Create(alpha);
        x0 *= va; x1 *= va; x2 *= va; x3 *= va;
        if (beta != 0f)
        {
            var vb = Vector512.Create(beta);
            x0 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c), x0);
            x1 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 16), x1);
            x2 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 32), x2);
            x3 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 48), x3);
        }
        Vector512.Store(x0, c); Vector512.Store(x1, c + 16); Vector512.Store(x2, c + 32); Vector512.Store(x3, c + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* c, Vector512<float> x, float alpha, float beta, Vector512<float> m)
    {
        x *= Vector512.Create(alpha);
        if (beta != 0f)
            x = Avx512F.FusedMultiplyAdd(Vector512.Create(beta), Avx512F.MaskLoad(c, m, Vector512<float>.Zero), x);
        Avx512F.MaskStore(c, m, x);
    }
}
