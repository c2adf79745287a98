using System.Diagnostics;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Persistent worker threads for the GEMM (ProcessorCount - 1 of them; the caller works too), with
/// a function pointer and a state pointer per call, so a call allocates nothing.
/// <para>
/// Workers join a call; they are not waited for. The body claims work items itself (an atomic
/// counter), the caller runs it at once, and when the caller is done it revokes the offer to every
/// worker that has not started yet and waits only for those already running. On a machine shared
/// with other processes a worker may be descheduled for milliseconds: the call then simply runs on
/// fewer threads instead of waiting for it.
/// </para>
/// <para>
/// Between calls a worker busy-waits (pause, never yielding) for <see cref="SpinMicroseconds"/>, then
/// sleeps on an event: products issued back to back, as an executor issues them, find it running,
/// and an idle process gives the cores back quickly. (A yielding spin, like ManualResetEventSlim's,
/// hands the core to any other runnable process.) One call uses the pool at a time: a concurrent
/// caller runs alone.
/// </para>
/// </summary>
internal static unsafe class GemmThreads
{
    /// <summary>How long an idle worker spins before sleeping.</summary>
    private const int SpinMicroseconds = 200;

    private const int Idle = 0, Offered = 1, Running = 2;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
    private static readonly object Gate = new();
    private static Worker[]? s_workers;
    private static delegate*<void*, void> s_body;
    private static void* s_state;
    private static Exception? s_failure;

    public static int MaxParallelism => Environment.ProcessorCount;

    /// <summary>
    /// Runs body(state) on the calling thread and on up to helpers workers that join in time. The
    /// body must share out its work dynamically: it may run on any number of threads from 1 up.
    /// </summary>
    public static void Run(int helpers, delegate*<void*, void> body, void* state)
    {
        if (helpers <= 0 || !Monitor.TryEnter(Gate))
        {
            body(state);
            return;
        }

        try
        {
            var workers = s_workers ??= StartWorkers(MaxParallelism - 1);
            helpers = Math.Min(helpers, workers.Length);
            s_body = body;
            s_state = state;
            s_failure = null;
            for (int i = 0; i < helpers; i++) workers[i].Offer();
            body(state);
            for (int i = 0; i < helpers; i++) workers[i].RevokeOrWait();
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
        private readonly ManualResetEventSlim _wake = new(false, 0);
        private int _state;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"gemm-worker-{index}" };
            thread.Start();
        }

        /// <summary>Publishes the call (s_body and s_state are written before this release).</summary>
        public void Offer()
        {
            Volatile.Write(ref _state, Offered);
            _wake.Set();
        }

        /// <summary>Takes the offer back if the worker has not taken it, else waits for it to finish.</summary>
        public void RevokeOrWait()
        {
            if (Interlocked.CompareExchange(ref _state, Idle, Offered) == Offered) return;
            // Running: it finishes the item it holds and finds no more. If another process preempted
            // it, SpinOnce soon yields (never sleeps: a 1 ms Sleep(1) would outlast most items), so this
            // thread does not hold the core the worker needs.
            var wait = new SpinWait();
            while (Volatile.Read(ref _state) != Idle) wait.SpinOnce(sleep1Threshold: -1);
        }

        private void Loop()
        {
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _state) != Offered && Stopwatch.GetTimestamp() - start <= SpinTicks)
                    Thread.SpinWait(16);
                if (Interlocked.CompareExchange(ref _state, Running, Offered) != Offered)
                {
                    if (Volatile.Read(ref _state) != Offered)
                    {
                        // Sleep; an Offer from before the Reset is caught by re-reading the state.
                        _wake.Wait();
                        _wake.Reset();
                    }
                    continue;
                }
                try
                {
                    s_body(s_state);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref s_failure, e, null);
                }
                Volatile.Write(ref _state, Idle);
            }
        }
    }
}
