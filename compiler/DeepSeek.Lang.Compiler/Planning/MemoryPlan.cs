using System.Buffers;
using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Planning;

/// <summary>
/// Where each intermediate lives in one arena: liveness-based reuse, so two values whose lifetimes
/// do not overlap may share bytes. Graph inputs, weights and outputs are not in the arena (the caller
/// owns them); reshapes alias their input and extend its lifetime.
/// </summary>
public sealed class MemoryPlan
{
    /// <summary>Offsets are aligned to this many bytes (a cache line, and what AVX-512 loads like).</summary>
    public const long Alignment = 64;

    private MemoryPlan(IReadOnlyDictionary<Value, long> offsets, long arenaBytes, long unplannedBytes)
    {
        Offsets = offsets;
        ArenaBytes = arenaBytes;
        UnplannedBytes = unplannedBytes;
    }

    /// <summary>The arena offset of every planned value (alias outputs share their source's offset).</summary>
    public IReadOnlyDictionary<Value, long> Offsets { get; }

    /// <summary>The arena's size: the peak of planned activation memory.</summary>
    public long ArenaBytes { get; }

    /// <summary>What the intermediates would take with a buffer each, never reused.</summary>
    public long UnplannedBytes { get; }

    /// <summary>
    /// Plans the values that <paramref name="isPlanned"/> selects (the executor keeps library kernels'
    /// outputs elsewhere, so it plans only what generated kernels and GEMMs write).
    /// </summary>
    public static MemoryPlan Create(FusionPlan plan, Func<KernelGroup, bool>? isPlanned = null)
    {
        var graph = plan.Graph;
        var outputs = new HashSet<Value>(graph.Outputs.Select(o => o.Value));

        // The value that owns each value's storage: an alias's source (transitively), else itself.
        var owner = new Dictionary<Value, Value>();
        Value Owner(Value v) => owner.TryGetValue(v, out var o) ? o : v;
        foreach (var g in plan.Groups)
            if (g.Kind == GroupKind.Alias)
                owner[g.Anchor.Output] = Owner(g.Anchor.Inputs[0]);

        // Lifetimes in group steps, by the owner's value id: from the defining step to the last reading step (-1: none).
        int bound = graph.IdBound;
        var first = ArrayPool<int>.Shared.Rent(bound);
        var last = ArrayPool<int>.Shared.Rent(bound);
        try
        {
            first.AsSpan(0, bound).Fill(-1);
            for (int step = 0; step < plan.Groups.Length; step++)
            {
                var g = plan.Groups[step];
                foreach (var v in g.Outputs)
                {
                    int o = Owner(v).Id;
                    if (first[o] < 0)
                    {
                        first[o] = step;
                        last[o] = step;
                    }
                    else last[o] = Math.Max(last[o], step);
                }
                foreach (var v in g.Inputs)
                {
                    int o = Owner(v).Id;
                    if (first[o] >= 0) last[o] = Math.Max(last[o], step);
                }
            }
            return Place(plan, isPlanned, outputs, owner, first, last);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(first);
            ArrayPool<int>.Shared.Return(last);
        }
    }

    private static MemoryPlan Place(FusionPlan plan, Func<KernelGroup, bool>? isPlanned, HashSet<Value> outputs,
        Dictionary<Value, Value> owner, int[] first, int[] last)
    {
        // Values whose storage some graph output aliases: the caller owns that storage.
        var aliasedByOutput = new HashSet<Value>();
        foreach (var kv in owner)
            if (outputs.Contains(kv.Key)) aliasedByOutput.Add(kv.Value);

        // Group outputs are node results, never inputs or weights (which the caller owns too).
        var planned = new List<Value>();
        var seen = new HashSet<Value>();
        foreach (var g in plan.Groups)
        {
            if (g.Kind is GroupKind.Alias or GroupKind.Constant) continue;
            if (isPlanned != null && !isPlanned(g)) continue;
            foreach (var v in g.Outputs)
            {
                if (owner.ContainsKey(v) || outputs.Contains(v) || aliasedByOutput.Contains(v)) continue;
                if (seen.Add(v)) planned.Add(v);
            }
        }

        // First fit, largest values first: a simple heuristic that comes close to the lower bound.
        var order = planned.OrderByDescending(Size).ThenBy(v => first[v.Id]).ToList();
        var blocks = new (long Size, int First, int Last)[order.Count];
        for (int i = 0; i < order.Count; i++) blocks[i] = (Align(Size(order[i])), first[order[i].Id], last[order[i].Id]);
        var placedAt = PlacedBlocks.FirstFit(blocks, plan.Groups.Length);
        var offsets = new Dictionary<Value, long>(order.Count + owner.Count);
        long arena = 0, unplanned = 0;
        for (int i = 0; i < order.Count; i++)
        {
            offsets[order[i]] = placedAt[i];
            unplanned += blocks[i].Size;
            arena = Math.Max(arena, placedAt[i] + blocks[i].Size);
        }
        foreach (var kv in owner)
            if (offsets.TryGetValue(kv.Value, out var at)) offsets[kv.Key] = at;
        return new MemoryPlan(offsets, arena, unplanned);
    }

    private static long Size(Value v) => (v.Type.Shape.ElementCount.ConstantValue ?? 0) * v.Type.DType.ByteSize();

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
