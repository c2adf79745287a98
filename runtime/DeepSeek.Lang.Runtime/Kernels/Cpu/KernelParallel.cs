namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>The body of a parallel loop over [start, end).</summary>
public delegate void RangeAction(long start, long end);

/// <summary>
/// Splits a kernel's outermost loop over the CPU's cores. Small loops (little work in total) run on
/// the calling thread: starting threads costs microseconds, which small kernels do not have to spare.
/// </summary>
public static class KernelParallel
{
    /// <summary>Below this many element operations a loop stays on one thread.</summary>
    public const long MinParallelWork = 1 << 15;

    public static int Threads { get; set; } = Environment.ProcessorCount;

    public static void For(long extent, long workPerIteration, RangeAction body)
    {
        if (extent <= 0) return;
        int threads = Threads;
        long total = extent * Math.Max(1, workPerIteration);
        if (threads <= 1 || extent == 1 || total < MinParallelWork)
        {
            body(0, extent);
            return;
        }
        int chunks = (int)Math.Min(extent, threads * 4L);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            long start = extent * c / chunks;
            long end = extent * (c + 1) / chunks;
            if (end > start) body(start, end);
        });
    }
}
