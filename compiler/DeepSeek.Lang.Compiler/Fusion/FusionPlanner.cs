using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Fusion;

/// <summary>How a group of nodes becomes one kernel.</summary>
public enum GroupKind
{
    /// <summary>Elementwise, broadcast and view ops: one loop nest over the output.</summary>
    Pointwise,

    /// <summary>A reduction (sum, softmax, layer_norm, …) with its pointwise prologue and epilogue.</summary>
    Reduction,

    /// <summary>A matrix product and its epilogue (bias, activation, residual add).</summary>
    Gemm,

    /// <summary>One op computed by a hand-written kernel (attention, topk, scatter_add, …).</summary>
    Library,

    /// <summary>A reshape of contiguous data: no kernel, the output aliases the input.</summary>
    Alias,

    /// <summary>A fill (full) that the kernels reading it inline as a constant: no kernel, no buffer.</summary>
    Constant,
}

/// <summary>Nodes computed by one kernel, in topological order.</summary>
public sealed class KernelGroup
{
    internal KernelGroup(int id, GroupKind kind, Node anchor)
    {
        Id = id;
        Kind = kind;
        Anchor = anchor;
        Nodes.Add(anchor);
    }

    public int Id { get; internal set; }

    public GroupKind Kind { get; internal set; }

    /// <summary>The node that decides the kernel's shape: the reduction, the matmul, the library op, or the last pointwise op.</summary>
    public Node Anchor { get; internal set; }

    public List<Node> Nodes { get; } = new();

    /// <summary>Values read from outside the group (other groups, inputs, weights).</summary>
    public ImmutableArray<Value> Inputs { get; internal set; } = ImmutableArray<Value>.Empty;

    /// <summary>Values the group writes: those used outside it, or graph outputs.</summary>
    public ImmutableArray<Value> Outputs { get; internal set; } = ImmutableArray<Value>.Empty;

    public override string ToString() => $"{Kind} #{Id}: {string.Join(" ", Nodes.Select(n => n.Op.Name))}";
}

/// <summary>A graph cut into kernel groups, in an order that respects every dependency.</summary>
public sealed class FusionPlan
{
    public FusionPlan(Graph graph, ImmutableArray<KernelGroup> groups)
    {
        Graph = graph;
        Groups = groups;
    }

    public Graph Graph { get; }

    public ImmutableArray<KernelGroup> Groups { get; }

    /// <summary>Kernels the graph would need with one kernel per op (reshapes excluded: they copy nothing).</summary>
    public int UnfusedKernels => Graph.Nodes.Count(n => !FusionRules.IsAlias(n) && n.Op != Ops.Full);

    /// <summary>Kernels after fusion.</summary>
    public int FusedKernels => Groups.Count(g => g.Kind is not (GroupKind.Alias or GroupKind.Constant));
}

/// <summary>
/// Fusion into kernel groups with explicit legality and a scored greedy order. Every op has a
/// pattern kind in a lattice (elementwise &lt; broadcast &lt; injective &lt; reduction &lt;
/// output-fusable &lt; opaque, as in TVM); a producer may be fused into a consumer's kernel when the
/// lattice and the group shapes allow it (<see cref="FusionRules"/>). Candidate merges are taken in
/// order of bytes of memory traffic saved, then of closeness in the graph (as Inductor does), and a
/// kernel is capped in size.
/// </summary>
public sealed class FusionPlanner
{
    public const int MaxNodesPerKernel = 48;
    public const int MaxInputsPerKernel = 16;

    private readonly Graph _graph;
    private readonly Dictionary<Node, KernelGroup> _groupOf = new();
    private readonly Dictionary<Value, Node> _producer = new();
    private readonly Dictionary<Value, List<Node>> _consumers = new();
    private readonly Dictionary<Node, int> _order = new();
    private readonly HashSet<Value> _graphOutputs;

    private FusionPlanner(Graph graph)
    {
        _graph = graph;
        _graphOutputs = new HashSet<Value>(graph.Outputs.Select(o => o.Value));
        for (int i = 0; i < graph.Nodes.Length; i++)
        {
            var n = graph.Nodes[i];
            _order[n] = i;
            foreach (var o in n.Outputs) _producer[o] = n;
            foreach (var input in n.Inputs)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<Node>();
                list.Add(n);
            }
        }
    }

    public static FusionPlan Plan(Graph graph, bool fuse = true)
    {
        var planner = new FusionPlanner(graph);
        planner.Seed();
        if (fuse) planner.MergeGreedily();
        return planner.Finish();
    }

    private void Seed()
    {
        int id = 0;
        foreach (var n in _graph.Nodes)
            _groupOf[n] = new KernelGroup(id++, FusionRules.KindOf(n), n);
    }

    /// <summary>A candidate merge of a producer's group into a consumer's.</summary>
    private readonly record struct Candidate(KernelGroup Producer, KernelGroup Consumer, long BytesSaved, int Distance);

    private void MergeGreedily()
    {
        // Re-collect candidates after every round of merges; a merge changes what is legal nearby.
        for (int round = 0; round < 64; round++)
        {
            var candidates = new List<Candidate>();
            var seen = new HashSet<(int, int)>();
            foreach (var n in _graph.Nodes)
            {
                var consumer = _groupOf[n];
                foreach (var input in n.Inputs)
                {
                    if (!_producer.TryGetValue(input, out var p)) continue;
                    var producer = _groupOf[p];
                    if (ReferenceEquals(producer, consumer) || !seen.Add((producer.Id, consumer.Id))) continue;
                    if (!FusionRules.CanFuse(producer, consumer, this)) continue;
                    long saved = BytesSaved(producer, consumer);
                    candidates.Add(new Candidate(producer, consumer, saved, _order[consumer.Anchor] - _order[p]));
                }
            }
            if (candidates.Count == 0) break;
            bool merged = false;
            var touched = new HashSet<KernelGroup>();
            foreach (var c in candidates.OrderByDescending(c => c.BytesSaved).ThenBy(c => c.Distance))
            {
                if (touched.Contains(c.Producer) || touched.Contains(c.Consumer)) continue;
                if (!FusionRules.CanFuse(c.Producer, c.Consumer, this) || CreatesCycle(c.Producer, c.Consumer)) continue;
                Merge(c.Producer, c.Consumer);
                touched.Add(c.Producer);
                touched.Add(c.Consumer);
                merged = true;
            }
            if (!merged) break;
        }
    }

    /// <summary>Bytes not written and read back when the producer's outputs stay inside the merged kernel.</summary>
    private long BytesSaved(KernelGroup producer, KernelGroup consumer)
    {
        long saved = 0;
        foreach (var v in OutputsOf(producer))
        {
            if (_graphOutputs.Contains(v)) continue;
            if (_consumers.TryGetValue(v, out var users) && users.All(u => ReferenceEquals(_groupOf[u], consumer)))
                saved += 2 * ((v.Type.Shape.ElementCount.ConstantValue ?? 1 << 20) * v.Type.DType.ByteSize());
        }
        return saved;
    }

    /// <summary>Merging is unsafe when some other group lies on a path from the producer to the consumer.</summary>
    private bool CreatesCycle(KernelGroup producer, KernelGroup consumer)
    {
        int limit = consumer.Nodes.Max(n => _order[n]);
        var stack = new Stack<Node>();
        var visited = new HashSet<Node>();
        foreach (var v in OutputsOf(producer))
            if (_consumers.TryGetValue(v, out var users))
                foreach (var u in users)
                    if (!ReferenceEquals(_groupOf[u], producer) && !ReferenceEquals(_groupOf[u], consumer)) stack.Push(u);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!visited.Add(n) || _order[n] > limit) continue;
            foreach (var o in n.Outputs)
            {
                if (!_consumers.TryGetValue(o, out var users)) continue;
                foreach (var u in users)
                {
                    if (ReferenceEquals(_groupOf[u], consumer)) return true;
                    stack.Push(u);
                }
            }
        }
        return false;
    }

    private void Merge(KernelGroup producer, KernelGroup consumer)
    {
        foreach (var n in producer.Nodes)
        {
            consumer.Nodes.Add(n);
            _groupOf[n] = consumer;
        }
        consumer.Nodes.Sort((a, b) => _order[a].CompareTo(_order[b]));
        consumer.Kind = FusionRules.MergedKind(producer, consumer);
        consumer.Anchor = FusionRules.AnchorOf(consumer);
    }

    internal IEnumerable<Value> OutputsOf(KernelGroup g) => g.Nodes.SelectMany(n => n.Outputs);

    internal bool UsedOutside(Value v, KernelGroup g) =>
        _graphOutputs.Contains(v) || (_consumers.TryGetValue(v, out var users) && users.Any(u => !ReferenceEquals(_groupOf[u], g)));

    internal IEnumerable<Node> ConsumersOf(Value v) => _consumers.TryGetValue(v, out var users) ? users : Enumerable.Empty<Node>();

    internal KernelGroup GroupOf(Node n) => _groupOf[n];

    internal Node? ProducerOf(Value v) => _producer.TryGetValue(v, out var n) ? n : null;

    internal bool IsGraphOutput(Value v) => _graphOutputs.Contains(v);

    /// <summary>The distinct values a merged group would read from outside.</summary>
    internal int InputCount(KernelGroup a, KernelGroup b)
    {
        var produced = new HashSet<Value>(a.Nodes.Concat(b.Nodes).SelectMany(n => n.Outputs));
        return a.Nodes.Concat(b.Nodes).SelectMany(n => n.Inputs).Where(v => !produced.Contains(v)).Distinct().Count();
    }

    private FusionPlan Finish()
    {
        var groups = _groupOf.Values.Distinct().ToList();
        foreach (var g in groups)
        {
            var produced = new HashSet<Value>(g.Nodes.SelectMany(n => n.Outputs));
            g.Inputs = g.Nodes.SelectMany(n => n.Inputs).Where(v => !produced.Contains(v)).Distinct().ToImmutableArray();
            g.Outputs = g.Nodes.SelectMany(n => n.Outputs).Where(v => UsedOutside(v, g)).ToImmutableArray();
            // A fill read only by kernels that inline constants needs no kernel of its own.
            if (g.Kind == GroupKind.Pointwise && g.Nodes.Count == 1 && g.Anchor.Op == Ops.Full &&
                g.Outputs.All(v => !_graphOutputs.Contains(v) && ConsumersOf(v).All(c => _groupOf[c].Kind is GroupKind.Pointwise or GroupKind.Reduction)))
                g.Kind = GroupKind.Constant;
        }
        return new FusionPlan(_graph, TopologicalOrder(groups));
    }

    /// <summary>Kahn's algorithm over groups; among ready groups the one whose first node comes first goes first.</summary>
    private ImmutableArray<KernelGroup> TopologicalOrder(List<KernelGroup> groups)
    {
        var indegree = groups.ToDictionary(g => g, _ => 0);
        var successors = groups.ToDictionary(g => g, _ => new HashSet<KernelGroup>());
        foreach (var g in groups)
        {
            foreach (var v in g.Inputs)
            {
                if (ProducerOf(v) is not { } p) continue;
                var from = _groupOf[p];
                if (successors[from].Add(g)) indegree[g]++;
            }
        }
        // Each node is in one group, so a group's first node identifies it.
        int First(KernelGroup g) => g.Nodes.Min(n => _order[n]);
        var ready = new SortedDictionary<int, KernelGroup>(groups.Where(g => indegree[g] == 0).ToDictionary(First));
        var result = ImmutableArray.CreateBuilder<KernelGroup>(groups.Count);
        while (ready.Count > 0)
        {
            var first = ready.First();
            ready.Remove(first.Key);
            var g = first.Value;
            g.Id = result.Count;
            result.Add(g);
            foreach (var s in successors[g])
                if (--indegree[s] == 0) ready.Add(First(s), s);
        }
        if (result.Count != groups.Count) throw new InvalidOperationException("fusion made a cycle between kernel groups");
        return result.MoveToImmutable();
    }
}
