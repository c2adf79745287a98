using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the micro-kernels' layouts: an A block becomes MR-row
/// micro-panels (for each k, MR consecutive values of a column), a B block becomes NR-column
/// micro-panels (for each k, NR consecutive values of a row, zero-padded past the last column), so
/// the micro-kernel reads both with unit stride from aligned buffers whatever the strides and
/// transposes of the operands.
/// </summary>
internal static unsafe class Packing
{
    /// <summary>
    /// Packs op(A)[i0 .. i0+mb, p0 .. p0+kb] into dst: micro-panel q (rows q·MR ..) at dst + q·MR·kb,
    /// element (i, p) at p·MR + i. Rows of a last, partial panel beyond mb are left unwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<TKernel>(float* a, nint lda, bool transA, int i0, int p0, int mb, int kb, float* dst)
        where TKernel : struct, IGemmKernel
    {
        int mr = TKernel.MR;
        for (int ir = 0; ir < mb; ir += mr)
        {
            int rows = Math.Min(mr, mb - ir);
            float* d = dst + (nint)ir * kb;
            if (transA)
            {
                // op(A) row i is A's column i: each k contributes `rows` contiguous values.
                float* s = a + (nint)p0 * lda + i0 + ir;
                for (int p = 0; p < kb; p++, s += lda, d += mr)
                    for (int i = 0; i < rows; i++)
                        d[i] = s[i];
            }
            else
            {
                Transpose(a + (nint)(i0 + ir) * lda + p0, lda, rows, kb, d, mr);
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kb, j0 .. j0+nb] into dst: micro-panel q (columns q·NR ..) at dst + q·NR·kb,
    /// element (p, j) at p·NR + j, zero past nb so the micro-kernel may load whole vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<TKernel>(float* b, nint ldb, bool transB, int p0, int j0, int kb, int nb, float* dst)
        where TKernel : struct, IGemmKernel
    {
        int nr = TKernel.NR;
        if (!transB)
        {
            // Row by row: each row of the block is read front to back (one sequential stream the
            // prefetchers follow, even when rows are pages apart) and dealt out to the panels.
            int full = nb / nr * nr, rest = nb - full;
            float* s = b + (nint)p0 * ldb + j0;
            for (int p = 0; p < kb; p++, s += ldb)
            {
                float* d = dst + p * nr;
                for (int jr = 0; jr < full; jr += nr, d += (nint)kb * nr)
                    CopyRow<TKernel>(s + jr, d);
                if (rest > 0)
                {
                    int j = 0;
                    for (; j < rest; j++) d[j] = s[full + j];
                    for (; j < nr; j++) d[j] = 0f;
                }
            }
            return;
        }

        for (int jr = 0; jr < nb; jr += nr)
        {
            int cols = Math.Min(nr, nb - jr);
            float* d = dst + (nint)jr * kb;
            // op(B) column j is B's row j: read `cols` rows in k order, 16 k's of a row per cache line.
            if (cols < nr)
                new Span<float>(d, kb * nr).Clear();
            Transpose(b + (nint)(j0 + jr) * ldb + p0, ldb, cols, kb, d, nr);
        }
    }

    /// <summary>
    /// dst[p·stride + i] = src[i·ld + p] for i &lt; count, p &lt; kb: gathers `count` rows of a row-major
    /// matrix into k-major groups (A's rows into an A micro-panel, Bᵀ's rows into a B micro-panel).
    /// Four rows × four k at a time go through a 4×4 SSE transpose (8 shuffles for 16 values) instead
    /// of 16 strided scalar moves; leftovers are scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* src, nint ld, int count, int kb, float* dst, int stride)
    {
        int i = 0;
        if (Sse.IsSupported)
        {
            for (; i + 4 <= count; i += 4)
            {
                float* s0 = src + i * ld, s1 = s0 + ld, s2 = s1 + ld, s3 = s2 + ld;
                float* d = dst + i;
                int p = 0;
                for (; p + 4 <= kb; p += 4)
                {
                    var r0 = Sse.LoadVector128(s0 + p);
                    var r1 = Sse.LoadVector128(s1 + p);
                    var r2 = Sse.LoadVector128(s2 + p);
                    var r3 = Sse.LoadVector128(s3 + p);
                    var t0 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
                    var t1 = Sse.UnpackLow(r2, r3);   // r2[0] r3[0] r2[1] r3[1]
                    var t2 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
                    var t3 = Sse.UnpackHigh(r2, r3);  // r2[2] r3[2] r2[3] r3[3]
                    float* dp = d + p * stride;
                    Sse.Store(dp, Sse.MoveLowToHigh(t0, t1));
                    Sse.Store(dp + stride, Sse.MoveHighToLow(t1, t0));
                    Sse.Store(dp + 2 * stride, Sse.MoveLowToHigh(t2, t3));
                    Sse.Store(dp + 3 * stride, Sse.MoveHighToLow(t3, t2));
                }
                for (; p < kb; p++)
                {
                    float* dp = d + p * stride;
                    dp[0] = s0[p]; dp[1] = s1[p]; dp[2] = s2[p]; dp[3] = s3[p];
                }
            }
        }
        for (; i < count; i++)
        {
            float* s = src + i * ld;
            for (int p = 0; p < kb; p++) dst[p * stride + i] = s[p];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow<TKernel>(float* s, float* d) where TKernel : struct, IGemmKernel
    {
        if (TKernel.NR == 32 && Vector512.IsHardwareAccelerated)
        {
            Vector512.Store(Vector512.Load(s), d);
            Vector512.Store(Vector512.Load(s + 16), d + 16);
        }
        else if (TKernel.NR == 16 && Vector256.IsHardwareAccelerated)
        {
            Vector256.Store(Vector256.Load(s), d);
            Vector256.Store(Vector256.Load(s + 8), d + 8);
        }
        else
        {
            for (int j = 0; j < TKernel.NR; j++) d[j] = s[j];
        }
    }
}
