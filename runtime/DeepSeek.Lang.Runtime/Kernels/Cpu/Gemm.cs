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
/// CPU) computes each tile of C. On several threads, B is packed once by all of them and
/// rectangles of C (or whole batch items) are claimed one at a time by persistent worker threads.
/// A few rows against a B given each call skip packing B (<see cref="SmallMKernel"/>, or B read in
/// place). Shapes: op(A) is M×K, op(B) is K×N, C is M×N.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>
    /// A problem smaller than this many multiply-adds per thread stays on fewer threads: waking a
    /// worker costs a few microseconds, about 0.5 M multiply-adds of this kernel.
    /// </summary>
    private const long MinMacsPerThread = 1L << 20;

    /// <summary>
    /// Up to this many rows of A, a row-major B that is likely cache-resident (at most
    /// <see cref="DirectBMaxFloats"/>) is read in place instead of packed: each of its panels is
    /// used by one or two micro-tiles only, so packing (a read and a write of all of B) would cost
    /// about as much as the product. A larger B comes from DRAM, where reading its rows pages apart
    /// defeats the prefetchers and packing row by row is faster (measured: 16×768×768 goes from 72
    /// to 104 GFLOP/s in place, 16×4096×4096 from 42 to 35).
    /// </summary>
    private const int DirectBMaxRows = 16;

    private const long DirectBMaxFloats = 1L << 20;

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

    private enum Phase
    {
        /// <summary>Items are whole batch items, each run on one thread.</summary>
        BatchItems,
        /// <summary>Items are rectangles of C of one batch item, after chunks of B (a KC block × a few panels) to pack.</summary>
        Tiles,
    }

    /// <summary>A whole (batched) call: what each part of the thread pool reads.</summary>
    private struct Job
    {
        public GemmProblem Item0;
        public Epilogue Epilogue;
        public long StrideA, StrideB, StrideC;
        public int Batch;
        public GemmPath Path;
        public Phase Phase;
        /// <summary>Batch item of the PackB and Tiles phases.</summary>
        public GemmProblem Current;
        public int Items;
        /// <summary>Next unclaimed item: threads claim items one at a time, so a thread that another process delays does less.</summary>
        public int Next;
        /// <summary>Items of packing B before the Tiles phase (0: B is packed already), next to claim, finished.</summary>
        public int PackItems, NextPack, PackDone;
        public int GridM, GridN, TilesM, TilesN, Mr, Nr;
        public float* PackedB;
        public int NPad;
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

        p.SmallM = SmallMKernel.Applies(path, p);
        p.DirectB = p.PackedB == null && !p.TransB && p.M <= DirectBMaxRows && (long)p.K * p.Ldb <= DirectBMaxFloats;

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

        if (batch > 1 && batch >= threads)
        {
            job.Phase = Phase.BatchItems;
            job.Items = batch;
            GemmThreads.Run(Math.Min(threads, batch) - 1, &RunJob, &job);
            return;
        }

        for (int i = 0; i < batch; i++)
        {
            job.Current = Item(&job, i);
            if (threads == 1)
            {
                // One thread: the plain BLIS nest, packing B block by block while it is hot in cache.
                RunRect(path, &job.Current, 0, p.M, 0, p.N);
                continue;
            }

            job.PackItems = 0;
            if (job.Current.PackedB == null && !job.Current.DirectB && !job.Current.SmallM)
            {
                // Several threads: all of B is packed once, by all of them, instead of once per
                // thread; then every thread reads the shared panels. (They stream from L2/L3 against
                // an A block of ≥ 48 rows: a few bytes a cycle, far below what the caches deliver.)
                int kc = KcOf(path);
                job.NPad = job.TilesN * job.Nr;
                job.PackedB = PackBuffers.ForCurrentThread(0, 0).Whole((nuint)((long)p.K * job.NPad));
                job.PackItems = (p.K + kc - 1) / kc * ((job.TilesN + PanelsPerPackItem - 1) / PanelsPerPackItem);
                job.Current.PackedB = job.PackedB;
                job.Current.PackedNPad = job.NPad;
            }

            (job.GridM, job.GridN) = ChooseGrid(threads, job.TilesM, job.TilesN);
            job.Phase = Phase.Tiles;
            job.Items = job.GridM * job.GridN;
            job.Next = job.NextPack = job.PackDone = 0;
            GemmThreads.Run(Math.Min(threads, Math.Max(job.Items, job.PackItems)) - 1, &RunJob, &job);
        }
    }

    /// <summary>B panels per item of the parallel packing of B.</summary>
    private const int PanelsPerPackItem = 4;

    /// <summary>
    /// Rectangles of C handed out to threads: about four per thread so that a thread slowed by
    /// another process leaves its share to the others, each at least 4 micro-tiles tall (48 rows of
    /// the Vector512 path: the A block a B panel is reused against) and, when M is too short to give
    /// enough items, at least 4 panels wide.
    /// </summary>
    private static (int GridM, int GridN) ChooseGrid(int threads, int tilesM, int tilesN)
    {
        int target = 4 * threads;
        int gridM = Math.Clamp(tilesM / 4, 1, target);
        int gridN = gridM >= target ? 1 : Math.Clamp((target + gridM - 1) / gridM, 1, Math.Max(1, tilesN / 4));
        // Forced part counts in tests may exceed what the minimum sizes allow: still give each part work.
        while (gridM * gridN < threads && (gridM < tilesM || gridN < tilesN))
        {
            if (gridM < tilesM) gridM++;
            else gridN++;
        }
        return (gridM, gridN);
    }

    private static int KcOf(GemmPath path) => path switch
    {
        GemmPath.Avx512 => Avx512Kernel.KC,
        GemmPath.Avx2 => Avx2Kernel.KC,
        _ => ScalarKernel.KC,
    };

    /// <summary>
    /// The body every thread of a call runs: claim items until none are left. In the Tiles phase with
    /// a B to pack, pack items come first, and a thread waits for the last of them to be finished
    /// (by whichever thread claimed it) before it claims a rectangle of C.
    /// </summary>
    private static void RunJob(void* state)
    {
        var job = (Job*)state;
        int item;
        if (job->Phase == Phase.BatchItems)
        {
            while ((item = Interlocked.Increment(ref job->Next) - 1) < job->Items)
            {
                var problem = Item(job, item);
                RunRect(job->Path, &problem, 0, problem.M, 0, problem.N);
            }
            return;
        }

        if (job->PackItems > 0)
        {
            while ((item = Interlocked.Increment(ref job->NextPack) - 1) < job->PackItems)
            {
                PackBItem(job, item);
                Interlocked.Increment(ref job->PackDone);
            }
            // The last pack items may be held by a preempted thread: spin, then yield (never Sleep(1),
            // which would outlast the wait and miss the tiles).
            var wait = new SpinWait();
            while (Volatile.Read(ref job->PackDone) < job->PackItems) wait.SpinOnce(sleep1Threshold: -1);
        }

        var p = &job->Current;
        while ((item = Interlocked.Increment(ref job->Next) - 1) < job->Items)
        {
            int gm = item / job->GridN, gn = item % job->GridN;
            int m0 = (int)Math.Min((long)gm * job->TilesM / job->GridM * job->Mr, p->M);
            int m1 = (int)Math.Min((long)(gm + 1) * job->TilesM / job->GridM * job->Mr, p->M);
            int n0 = (int)Math.Min((long)gn * job->TilesN / job->GridN * job->Nr, p->N);
            int n1 = (int)Math.Min((long)(gn + 1) * job->TilesN / job->GridN * job->Nr, p->N);
            if (m0 < m1 && n0 < n1) RunRect(job->Path, p, m0, m1, n0, n1);
        }
    }

    /// <summary>Packs one item of B: KC block `item / chunksPerBlock`, panels of chunk `item % chunksPerBlock`.</summary>
    private static void PackBItem(Job* job, int item)
    {
        var p = &job->Current;
        int kc = KcOf(job->Path), nr = job->Nr;
        int chunksPerBlock = (job->TilesN + PanelsPerPackItem - 1) / PanelsPerPackItem;
        int pc = item / chunksPerBlock * kc, j0 = item % chunksPerBlock * PanelsPerPackItem * nr;
        int kb = Math.Min(kc, p->K - pc), nb = Math.Min(PanelsPerPackItem * nr, p->N - j0);
        // The layout of PackedMatrix: block pc at pc·NPad, panel j at j·kb within it.
        float* dst = job->PackedB + (nint)pc * job->NPad + (nint)j0 * kb;
        switch (job->Path)
        {
            case GemmPath.Avx512: Packing.PackB<Avx512Kernel>(p->B, p->Ldb, p->TransB, pc, j0, kb, nb, dst); break;
            case GemmPath.Avx2: Packing.PackB<Avx2Kernel>(p->B, p->Ldb, p->TransB, pc, j0, kb, nb, dst); break;
            default: Packing.PackB<ScalarKernel>(p->B, p->Ldb, p->TransB, pc, j0, kb, nb, dst); break;
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
        if (p->SmallM)
        {
            SmallMKernel.Run(p, n0, n1);
            return;
        }
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
