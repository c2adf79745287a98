using System.Runtime.Intrinsics.X86;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Single-precision matrix products for the compiled CPU backend:
/// <c>C = act(alpha·op(A)·op(B) + beta·C + bias) + residual</c> (see <see cref="Epilogue"/>), row-major
/// with leading dimensions, optionally batched with batch strides (0 broadcasts an operand), with B
/// given or pre-packed (<see cref="PackB(int, int, float*, int, bool)"/>).
/// </summary>
/// <remarks>
/// A BLIS-style kernel: B and A are packed into cache-sized blocks, and a register-blocked
/// micro-kernel (12×32 with Vector512 FMA, 6×16 with Vector256 FMA, or 4×4 scalar, chosen by the
/// CPU) computes each tile of C. Work is split over persistent worker threads as independent
/// rectangles of C (or batch items). Shapes: op(A) is M×K, op(B) is K×N, C is M×N.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>
    /// A problem smaller than this many multiply-adds per thread stays on fewer threads: waking a
    /// worker costs a few microseconds, about 0.5 M multiply-adds of this kernel.
    /// </summary>
    private const long MinMacsPerThread = 1L << 20;

    /// <summary>The code path this CPU runs.</summary>
    internal static GemmPath BestPath =>
        Avx512F.IsSupported ? GemmPath.Avx512 :
        Avx2.IsSupported && Fma.IsSupported ? GemmPath.Avx2 :
        GemmPath.Scalar;

    /// <summary>C (m×n, ldc) = epilogue(alpha·op(A)·op(B) + beta·C) for op(A) m×k (lda) and op(B) k×n (ldb).</summary>
    public static void Sgemm(in GemmOptions options, int m, int n, int k, float* a, int lda, float* b, int ldb,
        float* c, int ldc, in Epilogue epilogue = default) =>
        SgemmBatched(options, 1, m, n, k, a, lda, 0, b, ldb, 0, c, ldc, 0, epilogue);

    /// <summary>
    /// For each i in [0, batch): C + i·strideC = epilogue(alpha·op(A + i·strideA)·op(B + i·strideB) + beta·C).
    /// Strides are in elements; a stride of 0 shares that operand across the batch (one weight for all).
    /// </summary>
    public static void SgemmBatched(in GemmOptions options, int batch, int m, int n, int k,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float* c, int ldc, long strideC,
        in Epilogue epilogue = default)
    {
        CheckCommon(options, batch, m, n, k, a, lda, c, ldc, epilogue);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, Math.Max(1, options.TransposeB ? k : n));
        if (batch > 0 && m > 0 && n > 0 && k > 0) ArgumentNullException.ThrowIfNull(b);
        var p = NewProblem(options, m, n, k, a, lda, c, ldc);
        p.B = b;
        p.Ldb = ldb;
        p.TransB = options.TransposeB;
        Run(options, options.ForcePath ?? BestPath, batch, ref p, strideA, strideB, strideC, epilogue);
    }

    /// <summary>C (m×n, ldc) = epilogue(alpha·op(A)·B + beta·C) for a pre-packed B (k×n).</summary>
    public static void Sgemm(in GemmOptions options, int m, float* a, int lda, PackedMatrix b, float* c, int ldc,
        in Epilogue epilogue = default) =>
        SgemmBatched(options, 1, m, a, lda, 0, b, c, ldc, 0, epilogue);

    /// <summary>The batched product with one pre-packed B shared by every batch item.</summary>
    public static void SgemmBatched(in GemmOptions options, int batch, int m, float* a, int lda, long strideA,
        PackedMatrix b, float* c, int ldc, long strideC, in Epilogue epilogue = default)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (options.TransposeB)
            throw new ArgumentException("a packed B is transposed (or not) when packed; options.TransposeB must be false", nameof(options));
        if (options.ForcePath is { } forced && forced != b.Path)
            throw new ArgumentException($"B was packed for the {b.Path} path, not {forced}", nameof(options));
        CheckCommon(options, batch, m, b.N, b.K, a, lda, c, ldc, epilogue);
        var p = NewProblem(options, m, b.N, b.K, a, lda, c, ldc);
        p.PackedB = b.Data;
        p.PackedNPad = b.NPad;
        Run(options, b.Path, batch, ref p, strideA, 0, strideC, epilogue);
        GC.KeepAlive(b);
    }

    /// <summary>Packs op(B) (k×n; B is n×k with ldb ≥ k when transposeB) for repeated products.</summary>
    public static PackedMatrix PackB(int k, int n, float* b, int ldb, bool transposeB = false) =>
        PackB(k, n, b, ldb, transposeB, BestPath);

    /// <summary>Packs op(B) from a span (see <see cref="PackB(int, int, float*, int, bool)"/>).</summary>
    public static PackedMatrix PackB(int k, int n, ReadOnlySpan<float> b, int ldb, bool transposeB = false)
    {
        CheckSpan(b.Length, transposeB ? n : k, transposeB ? k : n, ldb, nameof(b));
        fixed (float* pb = b) return PackB(k, n, pb, ldb, transposeB);
    }

    /// <summary>Span form of <see cref="Sgemm(in GemmOptions, int, int, int, float*, int, float*, int, float*, int, in Epilogue)"/> without an epilogue, with bounds checked.</summary>
    public static void Sgemm(in GemmOptions options, int m, int n, int k, ReadOnlySpan<float> a, int lda,
        ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        CheckSpan(a.Length, options.TransposeA ? k : m, options.TransposeA ? m : k, lda, nameof(a));
        CheckSpan(b.Length, options.TransposeB ? n : k, options.TransposeB ? k : n, ldb, nameof(b));
        CheckSpan(c.Length, m, n, ldc, nameof(c));
        fixed (float* pa = a, pb = b, pc = c)
            Sgemm(options, m, n, k, pa, lda, pb, ldb, pc, ldc);
    }

    internal static PackedMatrix PackB(int k, int n, float* b, int ldb, bool transposeB, GemmPath path)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldb, transposeB ? k : n);
        ArgumentNullException.ThrowIfNull(b);
        return path switch
        {
            GemmPath.Avx512 => PackB<Avx512Kernel>(k, n, b, ldb, transposeB),
            GemmPath.Avx2 => PackB<Avx2Kernel>(k, n, b, ldb, transposeB),
            _ => PackB<ScalarKernel>(k, n, b, ldb, transposeB),
        };
    }

    private static PackedMatrix PackB<TKernel>(int k, int n, float* b, int ldb, bool transposeB)
        where TKernel : struct, IGemmKernel
    {
        int nPad = (n + TKernel.NR - 1) / TKernel.NR * TKernel.NR;
        var packed = new PackedMatrix(k, n, nPad, TKernel.Path);
        // Block pc (KC deep, as the driver walks K) holds all N: panel j at pc·NPad + j·kb.
        for (int pc = 0; pc < k; pc += TKernel.KC)
        {
            int kb = Math.Min(TKernel.KC, k - pc);
            Packing.PackB<TKernel>(b, ldb, transposeB, pc, 0, kb, n, packed.Data + (nint)pc * nPad);
        }
        return packed;
    }

    private static GemmProblem NewProblem(in GemmOptions options, int m, int n, int k, float* a, int lda, float* c, int ldc) =>
        new()
        {
            M = m, N = n, K = k,
            A = a, Lda = lda, TransA = options.TransposeA,
            C = c, Ldc = ldc,
            Alpha = options.Alpha, Beta = options.Beta,
        };

    private static void CheckCommon(in GemmOptions options, int batch, int m, int n, int k, float* a, int lda,
        float* c, int ldc, in Epilogue epilogue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(lda, Math.Max(1, options.TransposeA ? m : k));
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, Math.Max(1, n));
        if (batch == 0 || m == 0 || n == 0) return;
        ArgumentNullException.ThrowIfNull(c);
        if (k > 0) ArgumentNullException.ThrowIfNull(a);
        if (epilogue.Residual != null && epilogue.ResidualStride < n)
            throw new ArgumentOutOfRangeException(nameof(epilogue), "the residual's stride is below N");
        if (epilogue.BiasKind != BiasKind.None && epilogue.Bias == null)
            throw new ArgumentNullException(nameof(epilogue), "a bias kind without a bias pointer");
    }

    private static void CheckSpan(int length, int rows, int cols, int ld, string name)
    {
        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols)
            throw new ArgumentException($"{name} holds {length} floats, fewer than {rows}×{cols} with stride {ld}", name);
    }

    // ---- scheduling -------------------------------------------------------------------------------

    /// <summary>A whole (batched) call: what each part of the thread pool reads.</summary>
    private struct Job
    {
        public GemmProblem Item0;
        public Epilogue Epilogue;
        public long StrideA, StrideB, StrideC;
        public int Batch;
        public GemmPath Path;
        public bool OverBatch;   // parts take whole batch items; otherwise a grid over C of item BatchIndex
        public int Parts, BatchIndex;
        public int GridM, GridN, TilesM, TilesN, Mr, Nr;
    }

    private static void Run(in GemmOptions options, GemmPath path, int batch, ref GemmProblem p,
        long strideA, long strideB, long strideC, in Epilogue epilogue)
    {
        if (batch == 0 || p.M == 0 || p.N == 0) return;

        // One weight for the whole batch over contiguous row-major items is one taller product.
        if (batch > 1 && strideB == 0 && !p.TransA && strideA == (long)p.M * p.Lda && strideC == (long)p.M * p.Ldc
            && (epilogue.Residual == null || epilogue.ResidualBatchStride == (long)p.M * epilogue.ResidualStride)
            && epilogue.BiasBatchStride == 0 && (epilogue.BiasKind != BiasKind.PerRow || epilogue.Bias == null)
            && (long)batch * p.M <= int.MaxValue)
        {
            p.M *= batch;
            batch = 1;
        }

        if (p.K == 0)
        {
            for (int i = 0; i < batch; i++)
                ScaleAndFinish(p.C + i * strideC, p.Ldc, p.M, p.N, p.Beta, new EpilogueArgs(epilogue, i));
            return;
        }

        var job = new Job
        {
            Item0 = p, Epilogue = epilogue, StrideA = strideA, StrideB = strideB, StrideC = strideC,
            Batch = batch, Path = path,
        };
        (job.Mr, job.Nr) = path switch
        {
            GemmPath.Avx512 => (Avx512Kernel.MR, Avx512Kernel.NR),
            GemmPath.Avx2 => (Avx2Kernel.MR, Avx2Kernel.NR),
            _ => (ScalarKernel.MR, ScalarKernel.NR),
        };
        job.TilesM = (p.M + job.Mr - 1) / job.Mr;
        job.TilesN = (p.N + job.Nr - 1) / job.Nr;

        int maxThreads = options.MaxThreads <= 0 ? GemmThreads.MaxParallelism : Math.Min(options.MaxThreads, GemmThreads.MaxParallelism);
        long macs = (long)batch * p.M * p.N * p.K;
        int threads = options.ForceParts > 0 ? options.ForceParts : (int)Math.Clamp(macs / MinMacsPerThread, 1, maxThreads);

        if (batch >= threads && batch > 1)
        {
            job.OverBatch = true;
            job.Parts = Math.Min(threads, batch);
            GemmThreads.Run(job.Parts, &RunPart, &job);
            return;
        }

        (job.GridM, job.GridN) = ChooseGrid(threads, job.TilesM, job.TilesN, job.Mr, job.Nr, p.K, p.PackedB != null);
        job.Parts = job.GridM * job.GridN;
        for (int i = 0; i < batch; i++)
        {
            job.BatchIndex = i;
            GemmThreads.Run(job.Parts, &RunPart, &job);
        }
    }

    /// <summary>
    /// Splits C into gridM×gridN rectangles, one a thread, choosing the split that minimises the
    /// slowest thread's estimated cycles: its multiply-adds at 16 a cycle plus about a cycle per
    /// packed element. Each thread packs its own rows of A and (unless pre-packed) its own columns of
    /// B, so splitting M repacks B in every thread and splitting N repacks A.
    /// </summary>
    private static (int GridM, int GridN) ChooseGrid(int threads, int tilesM, int tilesN, int mr, int nr, int k, bool packedB)
    {
        var best = (GridM: 1, GridN: 1);
        double bestCost = double.MaxValue;
        for (int t = threads; t >= 1 && bestCost == double.MaxValue; t--)
        {
            for (int gm = 1; gm <= t; gm++)
            {
                if (t % gm != 0) continue;
                int gn = t / gm;
                if (gm > tilesM || gn > tilesN) continue;
                double rows = (double)((tilesM + gm - 1) / gm) * mr, cols = (double)((tilesN + gn - 1) / gn) * nr;
                double cost = rows * cols * k / 16 + rows * k * Math.Ceiling(cols / Avx512Kernel.NC) + (packedB ? 0 : cols * k);
                if (cost < bestCost) { bestCost = cost; best = (gm, gn); }
            }
        }
        return best;
    }

    private static void RunPart(void* state, int part)
    {
        var job = (Job*)state;
        if (job->OverBatch)
        {
            long first = (long)part * job->Batch / job->Parts, end = (long)(part + 1) * job->Batch / job->Parts;
            for (long i = first; i < end; i++)
            {
                var item = Item(job, i);
                RunRect(job->Path, &item, 0, item.M, 0, item.N);
            }
        }
        else
        {
            var item = Item(job, job->BatchIndex);
            int gm = part / job->GridN, gn = part % job->GridN;
            int m0 = (int)Math.Min((long)gm * job->TilesM / job->GridM * job->Mr, item.M);
            int m1 = (int)Math.Min((long)(gm + 1) * job->TilesM / job->GridM * job->Mr, item.M);
            int n0 = (int)Math.Min((long)gn * job->TilesN / job->GridN * job->Nr, item.N);
            int n1 = (int)Math.Min((long)(gn + 1) * job->TilesN / job->GridN * job->Nr, item.N);
            if (m0 < m1 && n0 < n1) RunRect(job->Path, &item, m0, m1, n0, n1);
        }
    }

    private static GemmProblem Item(Job* job, long i)
    {
        var item = job->Item0;
        item.A += i * job->StrideA;
        if (item.B != null) item.B += i * job->StrideB;
        item.C += i * job->StrideC;
        item.Epilogue = new EpilogueArgs(job->Epilogue, i);
        return item;
    }

    private static void RunRect(GemmPath path, GemmProblem* p, int m0, int m1, int n0, int n1)
    {
        switch (path)
        {
            case GemmPath.Avx512: GemmDriver<Avx512Kernel>.Run(p, m0, m1, n0, n1); break;
            case GemmPath.Avx2: GemmDriver<Avx2Kernel>.Run(p, m0, m1, n0, n1); break;
            default: GemmDriver<ScalarKernel>.Run(p, m0, m1, n0, n1); break;
        }
    }

    /// <summary>K = 0: the product is empty, C = epilogue(beta·C).</summary>
    private static void ScaleAndFinish(float* c, nint ldc, int m, int n, float beta, in EpilogueArgs e)
    {
        for (int i = 0; i < m; i++)
        {
            float* ci = c + i * ldc;
            for (int j = 0; j < n; j++) ci[j] = beta == 0f ? 0f : beta * ci[j];
        }
        if (!e.IsIdentity) EpilogueKernels.ApplyScalar(c, ldc, m, n, 0, 0, e);
    }
}
