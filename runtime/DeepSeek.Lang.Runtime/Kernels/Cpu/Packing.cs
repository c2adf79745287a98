using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
                float* s = a + (nint)(i0 + ir) * lda + p0;
                for (int i = 0; i < rows; i++, s += lda)
                    for (int p = 0; p < kb; p++)
                        d[p * mr + i] = s[p];
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
        for (int jr = 0; jr < nb; jr += nr)
        {
            int cols = Math.Min(nr, nb - jr);
            float* d = dst + (nint)jr * kb;
            if (transB)
            {
                // op(B) column j is B's row j: read `cols` rows in k order, 16 k's of a row per cache line.
                float* s = b + (nint)(j0 + jr) * ldb + p0;
                if (cols < nr)
                    new Span<float>(d, kb * nr).Clear();
                for (int p = 0; p < kb; p++, d += nr)
                {
                    float* sp = s + p;
                    for (int j = 0; j < cols; j++)
                        d[j] = sp[j * ldb];
                }
            }
            else
            {
                float* s = b + (nint)p0 * ldb + j0 + jr;
                if (cols == nr)
                {
                    for (int p = 0; p < kb; p++, s += ldb, d += nr)
                        CopyRow<TKernel>(s, d);
                }
                else
                {
                    for (int p = 0; p < kb; p++, s += ldb, d += nr)
                    {
                        int j = 0;
                        for (; j < cols; j++) d[j] = s[j];
                        for (; j < nr; j++) d[j] = 0f;
                    }
                }
            }
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
