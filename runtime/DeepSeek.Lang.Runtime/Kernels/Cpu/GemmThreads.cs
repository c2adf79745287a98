namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Persistent worker threads for the GEMM: ProcessorCount - 1 of them, the caller runs part 0.
/// A call hands each worker a part index through a function pointer and a state pointer, so it
/// allocates nothing; workers spin briefly then sleep on an event between calls. One call uses the
/// pool at a time: a concurrent caller runs its parts on its own thread instead of waiting.
/// </summary>
internal static unsafe class GemmThreads
{
    private static readonly object Gate = new();
    private static Worker[]? s_workers;
    private static delegate*<void*, int, void> s_body;
    private static void* s_state;
    private static int s_pending;
    private static Exception? s_failure;
    private static readonly ManualResetEventSlim Done = new(false);

    public static int MaxParallelism => Environment.ProcessorCount;

    /// <summary>Runs body(state, i) for i in [0, parts), in parallel where threads are free.</summary>
    public static void Run(int parts, delegate*<void*, int, void> body, void* state)
    {
        if (parts <= 1 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < parts; i++) body(state, i);
            return;
        }

        try
        {
            var workers = s_workers ??= StartWorkers(MaxParallelism - 1);
            int helpers = Math.Min(parts - 1, workers.Length);
            s_body = body;
            s_state = state;
            s_failure = null;
            s_pending = helpers;
            Done.Reset();
            for (int i = 0; i < helpers; i++)
                workers[i].Start(i + 1);
            body(state, 0);
            // Parts beyond the pool's size (more parts than processors) run here.
            for (int i = helpers + 1; i < parts; i++) body(state, i);
            if (helpers > 0) Done.Wait();
            if (s_failure is { } failure)
                throw new AggregateException("a GEMM worker failed", failure);
        }
        finally
        {
            s_body = null;
            s_state = null;
            Monitor.Exit(Gate);
        }
    }

    private static Worker[] StartWorkers(int count)
    {
        var workers = new Worker[Math.Max(0, count)];
        for (int i = 0; i < workers.Length; i++) workers[i] = new Worker(i);
        return workers;
    }

    private sealed class Worker
    {
        private readonly ManualResetEventSlim _go = new(false);
        private int _part;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"gemm-worker-{index}" };
            thread.Start();
        }

        public void Start(int part)
        {
            _part = part;
            _go.Set();
        }

        private void Loop()
        {
            while (true)
            {
                _go.Wait();
                _go.Reset();
                try
                {
                    s_body(s_state, _part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref s_failure, e, null);
                }
                if (Interlocked.Decrement(ref s_pending) == 0)
                    Done.Set();
            }
        }
    }
}
