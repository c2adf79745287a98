using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// One code path: a register-blocked micro-kernel that computes an MR×NR tile of C from a packed
/// MR×kc panel of A and a packed kc×NR panel of B, plus the cache-blocking sizes around it.
/// Implementations are structs so that the driver, generic over them, is compiled once per path
/// with every blocking size a constant.
/// </summary>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }

    /// <summary>Depth of one packed block (the k extent of a micro-panel).</summary>
    static abstract int KC { get; }

    /// <summary>Rows of A packed at once (a multiple of MR).</summary>
    static abstract int MC { get; }

    /// <summary>Columns of B packed at once (a multiple of NR).</summary>
    static abstract int NC { get; }

    static abstract GemmPath Path { get; }

    /// <summary>
    /// C[rows×cols] = alpha·(A·B) + beta·C, for rows ≤ MR and cols ≤ NR. a holds kc groups of MR
    /// values (only the first rows of each are read); b holds kc rows of NR values, ldb apart (NR when
    /// packed, zero beyond cols; B's own row stride when read in place, with cols = NR). beta = 0 does
    /// not read C.
    /// </summary>
    static abstract void Tile(int rows, int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta);

    /// <summary>Applies the epilogue to a finished rows×cols block of C (still in L2).</summary>
    static abstract void Epilogue(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e);
}

/// <summary>A row count as a type, so that a kernel is compiled once per count with dead rows removed.</summary>
internal interface IRows
{
    static abstract int Value { get; }
}

internal struct R1 : IRows { public static int Value => 1; }
internal struct R2 : IRows { public static int Value => 2; }
internal struct R3 : IRows { public static int Value => 3; }
internal struct R4 : IRows { public static int Value => 4; }
internal struct R5 : IRows { public static int Value => 5; }
internal struct R6 : IRows { public static int Value => 6; }
internal struct R7 : IRows { public static int Value => 7; }
internal struct R8 : IRows { public static int Value => 8; }
internal struct R9 : IRows { public static int Value => 9; }
internal struct R10 : IRows { public static int Value => 10; }
internal struct R11 : IRows { public static int Value => 11; }
internal struct R12 : IRows { public static int Value => 12; }

/// <summary>
/// AVX-512 path: a 12×32 tile, 24 zmm accumulators (12 rows × 2 vectors of 16), 2 zmm for the row of B
/// and one for the broadcast of A: 27 of the 32 zmm registers, no spills. Per k step: 2 vector loads,
/// 12 broadcasts, 24 FMAs, which keeps Zen 4's single 512-bit FMA port (4-cycle latency) saturated
/// with 24 independent chains; alone on L1-resident panels it runs at 115 GFLOP/s a core here.
/// Blocking (Zen 4: 32 KiB L1D and 1 MiB L2 a core, 32 MiB L3 shared), chosen by measuring
/// KC 128..768, MC 96..480, NC 512..2304 on one core: KC = 384 makes the B micro-panel (KC×32,
/// 48 KiB) an L2 stream of 128 B per 24 FMAs, and amortises each tile's C load/store over 384
/// k steps; MC = 144 keeps the packed A block (216 KiB) in L2; NC = 1024 keeps the packed B block
/// (1.5 MiB) in L3 while A is repacked only every 1024 columns. Neighbouring choices are within 3%.
/// </summary>
internal unsafe struct Avx512Kernel : IGemmKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 384;
    public static int MC => 144;
    public static int NC => 1024;
    public static GemmPath Path => GemmPath.Avx512;

    public static void Tile(int rows, int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        switch (rows)
        {
            case 12: Tile<R12>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 11: Tile<R11>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 10: Tile<R10>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 9: Tile<R9>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 8: Tile<R8>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 7: Tile<R7>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 6: Tile<R6>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 5: Tile<R5>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 4: Tile<R4>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 3: Tile<R3>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 2: Tile<R2>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            default: Tile<R1>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
        }
    }

    public static void Epilogue(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e) =>
        EpilogueKernels.Apply512(c, ldc, rows, cols, row0, col0, e);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<R>(int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
        where R : struct, IRows
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            // B read in place has rows pages apart, which the hardware prefetchers do not follow;
            // 8 rows ahead covers an L3 hit. (Packed panels are sequential: a no-op there.)
            Sse.Prefetch0(b + 8 * ldb);
            Sse.Prefetch0(b + 8 * ldb + 16);
            Vector512<float> ai = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(ai, b0, c00); c01 = Avx512F.FusedMultiplyAdd(ai, b1, c01);
            if (R.Value > 1) { ai = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(ai, b0, c10); c11 = Avx512F.FusedMultiplyAdd(ai, b1, c11); }
            if (R.Value > 2) { ai = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(ai, b0, c20); c21 = Avx512F.FusedMultiplyAdd(ai, b1, c21); }
            if (R.Value > 3) { ai = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(ai, b0, c30); c31 = Avx512F.FusedMultiplyAdd(ai, b1, c31); }
            if (R.Value > 4) { ai = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(ai, b0, c40); c41 = Avx512F.FusedMultiplyAdd(ai, b1, c41); }
            if (R.Value > 5) { ai = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(ai, b0, c50); c51 = Avx512F.FusedMultiplyAdd(ai, b1, c51); }
            if (R.Value > 6) { ai = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(ai, b0, c60); c61 = Avx512F.FusedMultiplyAdd(ai, b1, c61); }
            if (R.Value > 7) { ai = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(ai, b0, c70); c71 = Avx512F.FusedMultiplyAdd(ai, b1, c71); }
            if (R.Value > 8) { ai = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(ai, b0, c80); c81 = Avx512F.FusedMultiplyAdd(ai, b1, c81); }
            if (R.Value > 9) { ai = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(ai, b0, c90); c91 = Avx512F.FusedMultiplyAdd(ai, b1, c91); }
            if (R.Value > 10) { ai = Vector512.Create(a[10]); ca0 = Avx512F.FusedMultiplyAdd(ai, b0, ca0); ca1 = Avx512F.FusedMultiplyAdd(ai, b1, ca1); }
            if (R.Value > 11) { ai = Vector512.Create(a[11]); cb0 = Avx512F.FusedMultiplyAdd(ai, b0, cb0); cb1 = Avx512F.FusedMultiplyAdd(ai, b1, cb1); }
            a += 12;
            b += ldb;
        }

        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        if (cols == 32)
        {
            Store(c, c00, c01, va, vb, beta);
            if (R.Value > 1) Store(c + ldc, c10, c11, va, vb, beta);
            if (R.Value > 2) Store(c + 2 * ldc, c20, c21, va, vb, beta);
            if (R.Value > 3) Store(c + 3 * ldc, c30, c31, va, vb, beta);
            if (R.Value > 4) Store(c + 4 * ldc, c40, c41, va, vb, beta);
            if (R.Value > 5) Store(c + 5 * ldc, c50, c51, va, vb, beta);
            if (R.Value > 6) Store(c + 6 * ldc, c60, c61, va, vb, beta);
            if (R.Value > 7) Store(c + 7 * ldc, c70, c71, va, vb, beta);
            if (R.Value > 8) Store(c + 8 * ldc, c80, c81, va, vb, beta);
            if (R.Value > 9) Store(c + 9 * ldc, c90, c91, va, vb, beta);
            if (R.Value > 10) Store(c + 10 * ldc, ca0, ca1, va, vb, beta);
            if (R.Value > 11) Store(c + 11 * ldc, cb0, cb1, va, vb, beta);
        }
        else
        {
            var m0 = EpilogueKernels.Mask512(cols);
            var m1 = EpilogueKernels.Mask512(cols - 16);
            StoreMasked(c, c00, c01, va, vb, beta, m0, m1);
            if (R.Value > 1) StoreMasked(c + ldc, c10, c11, va, vb, beta, m0, m1);
            if (R.Value > 2) StoreMasked(c + 2 * ldc, c20, c21, va, vb, beta, m0, m1);
            if (R.Value > 3) StoreMasked(c + 3 * ldc, c30, c31, va, vb, beta, m0, m1);
            if (R.Value > 4) StoreMasked(c + 4 * ldc, c40, c41, va, vb, beta, m0, m1);
            if (R.Value > 5) StoreMasked(c + 5 * ldc, c50, c51, va, vb, beta, m0, m1);
            if (R.Value > 6) StoreMasked(c + 6 * ldc, c60, c61, va, vb, beta, m0, m1);
            if (R.Value > 7) StoreMasked(c + 7 * ldc, c70, c71, va, vb, beta, m0, m1);
            if (R.Value > 8) StoreMasked(c + 8 * ldc, c80, c81, va, vb, beta, m0, m1);
            if (R.Value > 9) StoreMasked(c + 9 * ldc, c90, c91, va, vb, beta, m0, m1);
            if (R.Value > 10) StoreMasked(c + 10 * ldc, ca0, ca1, va, vb, beta, m0, m1);
            if (R.Value > 11) StoreMasked(c + 11 * ldc, cb0, cb1, va, vb, beta, m0, m1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb, float beta)
    {
        x0 *= va;
        x1 *= va;
        if (beta != 0f)
        {
            x0 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c), x0);
            x1 = Avx512F.FusedMultiplyAdd(vb, Vector512.Load(c + 16), x1);
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMasked(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb,
        float beta, Vector512<float> m0, Vector512<float> m1)
    {
        x0 *= va;
        x1 *= va;
        if (beta != 0f)
        {
            x0 = Avx512F.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c, m0, Vector512<float>.Zero), x0);
            x1 = Avx512F.FusedMultiplyAdd(vb, Avx512F.MaskLoad(c + 16, m1, Vector512<float>.Zero), x1);
        }
        Avx512F.MaskStore(c, m0, x0);
        Avx512F.MaskStore(c + 16, m1, x1);
    }
}

/// <summary>
/// AVX2+FMA path: a 6×16 tile, 12 ymm accumulators (6 rows × 2 vectors of 8), 2 for B, 1 broadcast:
/// 15 of the 16 ymm registers a machine without AVX-512 has. Blocking: kc×16 B micro-panel (KC·64 B) in L1.
/// </summary>
internal unsafe struct Avx2Kernel : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;
    public static int MC => 144;
    public static int NC => 2048;
    public static GemmPath Path => GemmPath.Avx2;

    public static void Tile(int rows, int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        switch (rows)
        {
            case 6: Tile<R6>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 5: Tile<R5>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 4: Tile<R4>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 3: Tile<R3>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            case 2: Tile<R2>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
            default: Tile<R1>(cols, kc, a, b, ldb, c, ldc, alpha, beta); break;
        }
    }

    public static void Epilogue(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e) =>
        EpilogueKernels.Apply256(c, ldc, rows, cols, row0, col0, e);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<R>(int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
        where R : struct, IRows
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;

        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            Vector256<float> ai = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(ai, b0, c00); c01 = Fma.MultiplyAdd(ai, b1, c01);
            if (R.Value > 1) { ai = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(ai, b0, c10); c11 = Fma.MultiplyAdd(ai, b1, c11); }
            if (R.Value > 2) { ai = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(ai, b0, c20); c21 = Fma.MultiplyAdd(ai, b1, c21); }
            if (R.Value > 3) { ai = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(ai, b0, c30); c31 = Fma.MultiplyAdd(ai, b1, c31); }
            if (R.Value > 4) { ai = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(ai, b0, c40); c41 = Fma.MultiplyAdd(ai, b1, c41); }
            if (R.Value > 5) { ai = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(ai, b0, c50); c51 = Fma.MultiplyAdd(ai, b1, c51); }
            a += 6;
            b += ldb;
        }

        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        // Masks for a partial tile; all ones for a full one (vmaskmovps is only paid on the edge).
        bool full = cols == 16;
        var m0 = full ? Vector256<float>.AllBitsSet : EpilogueKernels.Mask256(cols);
        var m1 = full ? Vector256<float>.AllBitsSet : EpilogueKernels.Mask256(cols - 8);
        Store(c, c00, c01, va, vb, beta, full, m0, m1);
        if (R.Value > 1) Store(c + ldc, c10, c11, va, vb, beta, full, m0, m1);
        if (R.Value > 2) Store(c + 2 * ldc, c20, c21, va, vb, beta, full, m0, m1);
        if (R.Value > 3) Store(c + 3 * ldc, c30, c31, va, vb, beta, full, m0, m1);
        if (R.Value > 4) Store(c + 4 * ldc, c40, c41, va, vb, beta, full, m0, m1);
        if (R.Value > 5) Store(c + 5 * ldc, c50, c51, va, vb, beta, full, m0, m1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> va, Vector256<float> vb,
        float beta, bool full, Vector256<float> m0, Vector256<float> m1)
    {
        x0 *= va;
        x1 *= va;
        if (full)
        {
            if (beta != 0f)
            {
                x0 = Fma.MultiplyAdd(vb, Vector256.Load(c), x0);
                x1 = Fma.MultiplyAdd(vb, Vector256.Load(c + 8), x1);
            }
            Vector256.Store(x0, c);
            Vector256.Store(x1, c + 8);
        }
        else
        {
            if (beta != 0f)
            {
                x0 = Fma.MultiplyAdd(vb, Avx.MaskLoad(c, m0), x0);
                x1 = Fma.MultiplyAdd(vb, Avx.MaskLoad(c + 8, m1), x1);
            }
            Avx.MaskStore(c, m0, x0);
            Avx.MaskStore(c + 8, m1, x1);
        }
    }
}

/// <summary>
/// Portable path: a 4×4 tile of scalar accumulators (16 locals fit the 16 xmm registers of x64 and
/// most other targets' FP register files). Same packing and blocking as the vector paths.
/// </summary>
internal unsafe struct ScalarKernel : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 1024;
    public static GemmPath Path => GemmPath.Scalar;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, int cols, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4;
            b += ldb;
        }

        // Rows of the packed panel past `rows` hold whatever the buffer held: computed, never stored.
        float* t = stackalloc float[16];
        t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03; t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
        t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23; t[12] = c30; t[13] = c31; t[14] = c32; t[15] = c33;
        for (int i = 0; i < rows; i++)
        {
            float* ci = c + i * ldc;
            for (int j = 0; j < cols; j++)
                ci[j] = beta == 0f ? alpha * t[i * 4 + j] : alpha * t[i * 4 + j] + beta * ci[j];
        }
    }

    public static void Epilogue(float* c, nint ldc, int rows, int cols, int row0, int col0, in EpilogueArgs e) =>
        EpilogueKernels.ApplyScalar(c, ldc, rows, cols, row0, col0, e);
}
