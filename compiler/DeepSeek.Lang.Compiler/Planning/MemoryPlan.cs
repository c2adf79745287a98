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

    private MemoryPlan(ImmutableDictionary<Value, long> offsets, long arenaBytes, long unplannedBytes)
    {
        Offsets = offsets;
        ArenaBytes = arenaBytes;
        UnplannedBytes = unplannedBytes;
    }

    /// <summary>The arena offset of every planned value (alias outputs share their source's offset).</summary>
    public ImmutableDictionary<Value, long> Offsets { get; }

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
        var external = new HashSet<Value>(graph.Inputs.Select(i => i.Value).Concat(graph.Weights.Select(w => w.Value)));

        // The value that owns each value's storage: an alias's source (transitively), else itself.
        var owner = new Dictionary<Value, Value>();
        Value Owner(Value v) => owner.TryGetValue(v, out var o) ? o : v;
        foreach (var g in plan.Groups)
            if (g.Kind == GroupKind.Alias)
                owner[g.Anchor.Output] = Owner(g.Anchor.Inputs[0]);

        // Lifetimes in group steps: from the defining step to the last reading step.
        var first = new Dictionary<Value, int>();
        var last = new Dictionary<Value, int>();
        for (int step = 0; step < plan.Groups.Length; step++)
        {
            var g = plan.Groups[step];
            foreach (var v in g.Outputs)
            {
                var o = Owner(v);
                if (!first.ContainsKey(o)) first[o] = step;
                last[o] = Math.Max(last.TryGetValue(o, out var l) ? l : step, step);
            }
            foreach (var v in g.Inputs)
            {
                var o = Owner(v);
                if (first.ContainsKey(o)) last[o] = Math.Max(last[o], step);
            }
        }

        var planned = new HashSet<Value>();
        foreach (var g in plan.Groups)
        {
            if (g.Kind is GroupKind.Alias or GroupKind.Constant) continue;
            if (isPlanned != null && !isPlanned(g)) continue;
            foreach (var v in g.Outputs)
            {
                var o = Owner(v);
                if (o == v && !outputs.Contains(v) && !external.Contains(v) && !AliasesOutput(v, owner, outputs)) planned.Add(v);
            }
        }

        // First fit, largest values first: a simple heuristic that comes close to the lower bound.
        var placed = new List<(long Offset, long Size, int First, int Last)>();
        var offsets = ImmutableDictionary.CreateBuilder<Value, long>();
        long arena = 0, unplanned = 0;
        foreach (var v in planned.OrderByDescending(Size).ThenBy(v => first[v]))
        {
            long size = Align(Size(v));
            unplanned += size;
            int f = first[v], l = last[v];
            long offset = 0;
            foreach (var p in placed.Where(p => p.First <= l && f <= p.Last).OrderBy(p => p.Offset))
            {
                if (offset + size <= p.Offset) break;
                offset = Math.Max(offset, p.Offset + p.Size);
            }
            placed.Add((offset, size, f, l));
            offsets[v] = offset;
            arena = Math.Max(arena, offset + size);
        }
        foreach (var kv in owner)
            if (offsets.TryGetValue(kv.Value, out var at)) offsets[kv.Key] = at;
        return new MemoryPlan(offsets.ToImmutable(), arena, unplanned);
    }

    private static bool AliasesOutput(Value v, Dictionary<Value, Value> owner, HashSet<Value> outputs) =>
        owner.Any(kv => kv.Value == v && outputs.Contains(kv.Key));

    private static long Size(Value v) => (v.Type.Shape.ElementCount.ConstantValue ?? 0) * v.Type.DType.ByteSize();

    private static long Align(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
