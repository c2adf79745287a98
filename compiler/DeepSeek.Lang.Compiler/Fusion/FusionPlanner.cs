using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
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
    internal KernelGroup(int id, GroupKind kind, Node anchor, int position)
    {
        Id = id;
        Kind = kind;
        Anchor = anchor;
        Nodes.Add(anchor);
        Positions.Add(position);
    }

    public int Id { get; internal set; }

    public GroupKind Kind { get; internal set; }

    /// <summary>The node that decides the kernel's shape: the reduction, the matmul, the library op, or the last pointwise op.</summary>
    public Node Anchor { get; internal set; }

    // Most groups keep their one node: lists start with room for one.
    public List<Node> Nodes { get; } = new(1);

    /// <summary>The graph positions of <see cref="Nodes"/>, ascending (while planning).</summary>
    internal List<int> Positions { get; } = new(1);

    /// <summary>Scratch marks of the planner (the round a group was merged in, its index when ordering).</summary>
    internal int Mark { get; set; } = -1;

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
/// <remarks>
/// Nodes are known by their position in the graph and values by their id (unique in a graph), so
/// producers, consumers and groups are array lookups; consumers are one flat array with an offset
/// per value. The arrays indexed by value id are pooled and given back when planning ends.
/// </remarks>
public sealed class FusionPlanner
{
    public const int MaxNodesPerKernel = 48;
    public const int MaxInputsPerKernel = 16;

    private readonly Graph _graph;
    private readonly ImmutableArray<Node> _nodes;
    private readonly KernelGroup[] _groupOf;
    private readonly int _idBound;
    // By value id: the position of the producing node (-1 for inputs and weights), and the range
    // [_consumerStart[id], _consumerStart[id + 1]) of _consumers holding the positions of its users.
    private readonly int[] _producer;
    private readonly int[] _consumerStart;
    private readonly int[] _consumers;
    // By value id: marks for counting distinct values without sets (a value is marked when
    // _mark[id] == _stamp; a new stamp clears every mark).
    private readonly int[] _mark;
    private readonly int[] _seen;
    private int _stamp;
    private readonly HashSet<Value> _graphOutputs;
    // By node position: marks of the cycle search.
    private readonly int[] _visited;
    private int _visit;
    private readonly Stack<int> _stack = new();

    private FusionPlanner(Graph graph)
    {
        _graph = graph;
        _nodes = graph.Nodes;
        _groupOf = new KernelGroup[_nodes.Length];
        _visited = new int[_nodes.Length];
        int bound = _idBound = graph.IdBound;
        var pool = ArrayPool<int>.Shared;
        _producer = pool.Rent(bound);
        _consumerStart = pool.Rent(bound + 1);
        _mark = pool.Rent(bound);
        _seen = pool.Rent(bound);
        _producer.AsSpan(0, bound).Fill(-1);
        Array.Clear(_consumerStart, 0, bound + 1);
        Array.Clear(_mark, 0, bound);
        Array.Clear(_seen, 0, bound);
        _graphOutputs = new HashSet<Value>(graph.Outputs.Select(o => o.Value));

        int edges = 0;
        for (int i = 0; i < _nodes.Length; i++)
        {
            var n = _nodes[i];
            foreach (var o in n.Outputs)
            {
                if (_producer[o.Id] >= 0) throw new InvalidOperationException($"value id %{o.Id} is defined twice");
                _producer[o.Id] = i;
            }
            foreach (var input in n.Inputs) _consumerStart[input.Id + 1]++;
            edges += n.Inputs.Length;
        }
        for (int id = 0; id < bound; id++) _consumerStart[id + 1] += _consumerStart[id];
        _consumers = pool.Rent(Math.Max(edges, 1));
        // Fill each value's range in node order (the order users were listed in before).
        var next = pool.Rent(bound);
        Array.Copy(_consumerStart, next, bound);
        for (int i = 0; i < _nodes.Length; i++)
            foreach (var input in _nodes[i].Inputs) _consumers[next[input.Id]++] = i;
        pool.Return(next);
    }

    public static FusionPlan Plan(Graph graph, bool fuse = true)
    {
        var planner = new FusionPlanner(graph);
        try
        {
            planner.Seed();
            if (fuse) planner.MergeGreedily();
            return planner.Finish();
        }
        finally
        {
            planner.ReturnArrays();
        }
    }

    private void ReturnArrays()
    {
        var pool = ArrayPool<int>.Shared;
        pool.Return(_producer);
        pool.Return(_consumerStart);
        pool.Return(_consumers);
        pool.Return(_mark);
        pool.Return(_seen);
    }

    private void Seed()
    {
        for (int i = 0; i < _nodes.Length; i++)
            _groupOf[i] = new KernelGroup(i, FusionRules.KindOf(_nodes[i]), _nodes[i], i);
    }

    /// <summary>A candidate merge of a producer's group into a consumer's.</summary>
    private readonly record struct Candidate(KernelGroup Producer, KernelGroup Consumer, long BytesSaved, int Distance);

    private void MergeGreedily()
    {
        // Re-collect candidates after every round of merges; a merge changes what is legal nearby.
        var candidates = new List<Candidate>();
        var seen = new HashSet<(int, int)>();
        for (int round = 0; round < 64; round++)
        {
            candidates.Clear();
            seen.Clear();
            for (int i = 0; i < _nodes.Length; i++)
            {
                var consumer = _groupOf[i];
                foreach (var input in _nodes[i].Inputs)
                {
                    int p = _producer[input.Id];
                    if (p < 0) continue;
                    var producer = _groupOf[p];
                    // A pair met again (another edge between the same groups) is legal or not as it was the first
                    // time, so only legal pairs need remembering.
                    if (ReferenceEquals(producer, consumer) || !FusionRules.CanFuse(producer, consumer, this)) continue;
                    if (!seen.Add((producer.Id, consumer.Id))) continue;
                    long saved = BytesSaved(producer, consumer);
                    candidates.Add(new Candidate(producer, consumer, saved, Position(consumer.Anchor, consumer) - p));
                }
            }
            if (candidates.Count == 0) break;
            bool merged = false;
            // Marks the groups a merge of this round has touched.
            int touched = round;
            foreach (var c in candidates.OrderByDescending(c => c.BytesSaved).ThenBy(c => c.Distance))
            {
                if (c.Producer.Mark == touched || c.Consumer.Mark == touched) continue;
                if (!FusionRules.CanFuse(c.Producer, c.Consumer, this) || CreatesCycle(c.Producer, c.Consumer)) continue;
                Merge(c.Producer, c.Consumer);
                c.Producer.Mark = touched;
                c.Consumer.Mark = touched;
                merged = true;
            }
            if (!merged) break;
        }
    }

    /// <summary>The position of a node of <paramref name="group"/>.</summary>
    private static int Position(Node node, KernelGroup group) => group.Positions[group.Nodes.IndexOf(node)];

    /// <summary>Bytes not written and read back when the producer's outputs stay inside the merged kernel.</summary>
    private long BytesSaved(KernelGroup producer, KernelGroup consumer)
    {
        long saved = 0;
        foreach (var n in producer.Nodes)
        {
            foreach (var v in n.Outputs)
            {
                if (_graphOutputs.Contains(v)) continue;
                var users = ConsumerPositions(v);
                if (users.Length == 0) continue;
                bool all = true;
                foreach (int u in users)
                    if (!ReferenceEquals(_groupOf[u], consumer)) all = false;
                if (all) saved += 2 * ((v.Type.Shape.ElementCount.ConstantValue ?? 1 << 20) * v.Type.DType.ByteSize());
            }
        }
        return saved;
    }

    /// <summary>Merging is unsafe when some other group lies on a path from the producer to the consumer.</summary>
    private bool CreatesCycle(KernelGroup producer, KernelGroup consumer)
    {
        int limit = consumer.Positions[consumer.Positions.Count - 1];
        int visit = ++_visit;
        var stack = _stack;
        stack.Clear();
        foreach (var n in producer.Nodes)
            foreach (var v in n.Outputs)
                foreach (int u in ConsumerPositions(v))
                    if (!ReferenceEquals(_groupOf[u], producer) && !ReferenceEquals(_groupOf[u], consumer)) stack.Push(u);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            if (_visited[n] == visit || n > limit) continue;
            _visited[n] = visit;
            foreach (var o in _nodes[n].Outputs)
            {
                foreach (int u in ConsumerPositions(o))
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
        foreach (int p in producer.Positions) _groupOf[p] = consumer;
        // Both lists are in graph order: merge them.
        var nodes = new List<Node>(consumer.Nodes.Count + producer.Nodes.Count);
        var positions = new List<int>(nodes.Capacity);
        int i = 0, j = 0;
        while (i < consumer.Positions.Count || j < producer.Positions.Count)
        {
            bool fromConsumer = j == producer.Positions.Count || (i < consumer.Positions.Count && consumer.Positions[i] < producer.Positions[j]);
            if (fromConsumer)
            {
                nodes.Add(consumer.Nodes[i]);
                positions.Add(consumer.Positions[i++]);
            }
            else
            {
                nodes.Add(producer.Nodes[j]);
                positions.Add(producer.Positions[j++]);
            }
        }
        consumer.Nodes.Clear();
        consumer.Nodes.AddRange(nodes);
        consumer.Positions.Clear();
        consumer.Positions.AddRange(positions);
        consumer.Kind = FusionRules.MergedKind(producer, consumer);
        consumer.Anchor = FusionRules.AnchorOf(consumer);
    }

    /// <summary>The positions of the nodes that use <paramref name="v"/>, in graph order (a node using it twice is listed twice).</summary>
    internal ReadOnlySpan<int> ConsumerPositions(Value v) =>
        _consumers.AsSpan(_consumerStart[v.Id], _consumerStart[v.Id + 1] - _consumerStart[v.Id]);

    internal Node NodeAt(int position) => _nodes[position];

    internal KernelGroup GroupAt(int position) => _groupOf[position];

    internal bool UsedOutside(Value v, KernelGroup g)
    {
        if (_graphOutputs.Contains(v)) return true;
        foreach (int u in ConsumerPositions(v))
            if (!ReferenceEquals(_groupOf[u], g)) return true;
        return false;
    }

    internal Node? ProducerOf(Value v) => _producer[v.Id] is var p && p >= 0 ? _nodes[p] : null;

    internal bool IsGraphOutput(Value v) => _graphOutputs.Contains(v);

    /// <summary>The distinct values a merged group would read from outside.</summary>
    internal int InputCount(KernelGroup a, KernelGroup b)
    {
        int stamp = ++_stamp;
        foreach (var n in a.Nodes)
            foreach (var o in n.Outputs) _mark[o.Id] = stamp;
        foreach (var n in b.Nodes)
            foreach (var o in n.Outputs) _mark[o.Id] = stamp;
        int count = 0;
        count += CountOutside(a, stamp);
        count += CountOutside(b, stamp);
        return count;
    }

    // Values read by the group's nodes that are not marked as produced, each counted once per stamp.
    private int CountOutside(KernelGroup g, int stamp)
    {
        int count = 0;
        foreach (var n in g.Nodes)
        {
            foreach (var v in n.Inputs)
            {
                if (_mark[v.Id] == stamp || _seen[v.Id] == stamp) continue;
                _seen[v.Id] = stamp;
                count++;
            }
        }
        return count;
    }

    private FusionPlan Finish()
    {
        // Groups in the order of their first node.
        var groups = new List<KernelGroup>();
        for (int i = 0; i < _nodes.Length; i++)
        {
            var g = _groupOf[i];
            if (g.Mark == int.MaxValue) continue;
            g.Mark = int.MaxValue;
            groups.Add(g);
        }
        var inputs = new List<Value>();
        var outputs = new List<Value>();
        foreach (var g in groups)
        {
            int stamp = ++_stamp;
            foreach (var n in g.Nodes)
                foreach (var o in n.Outputs) _mark[o.Id] = stamp;
            inputs.Clear();
            outputs.Clear();
            foreach (var n in g.Nodes)
            {
                foreach (var v in n.Inputs)
                {
                    if (_mark[v.Id] == stamp || _seen[v.Id] == stamp) continue;
                    _seen[v.Id] = stamp;
                    inputs.Add(v);
                }
            }
            foreach (var n in g.Nodes)
                foreach (var v in n.Outputs)
                    if (UsedOutside(v, g)) outputs.Add(v);
            g.Inputs = ToImmutable(inputs);
            g.Outputs = ToImmutable(outputs);
            // A fill read only by kernels that inline constants needs no kernel of its own.
            if (g.Kind == GroupKind.Pointwise && g.Nodes.Count == 1 && g.Anchor.Op == Ops.Full && ReadOnlyByInliningKernels(g))
                g.Kind = GroupKind.Constant;
        }
        return new FusionPlan(_graph, TopologicalOrder(groups));
    }

    private static ImmutableArray<Value> ToImmutable(List<Value> values) =>
        values.Count == 0 ? ImmutableArray<Value>.Empty : ImmutableCollectionsMarshal.AsImmutableArray(values.ToArray());

    private bool ReadOnlyByInliningKernels(KernelGroup g)
    {
        foreach (var v in g.Outputs)
        {
            if (_graphOutputs.Contains(v)) return false;
            foreach (int c in ConsumerPositions(v))
                if (_groupOf[c].Kind is not (GroupKind.Pointwise or GroupKind.Reduction)) return false;
        }
        return true;
    }

    /// <summary>Kahn's algorithm over groups; among ready groups the one whose first node comes first goes first.</summary>
    private ImmutableArray<KernelGroup> TopologicalOrder(List<KernelGroup> groups)
    {
        for (int i = 0; i < groups.Count; i++) groups[i].Mark = i;
        var indegree = new int[groups.Count];
        var successors = new List<int>?[groups.Count];
        // The last group an edge into was recorded from each group (edges are found target by target).
        var lastTarget = new int[groups.Count];
        lastTarget.AsSpan().Fill(-1);
        for (int gi = 0; gi < groups.Count; gi++)
        {
            foreach (var v in groups[gi].Inputs)
            {
                int p = _producer[v.Id];
                if (p < 0) continue;
                int from = _groupOf[p].Mark;
                if (lastTarget[from] == gi) continue;
                lastTarget[from] = gi;
                (successors[from] ??= new List<int>()).Add(gi);
                indegree[gi]++;
            }
        }
        // Each node is in one group, so a group's first node identifies it.
        var ready = new ReadyGroups(groups.Count);
        for (int gi = 0; gi < groups.Count; gi++)
            if (indegree[gi] == 0) ready.Add(groups[gi].Positions[0], gi);
        var result = ImmutableArray.CreateBuilder<KernelGroup>(groups.Count);
        while (ready.Count > 0)
        {
            int gi = ready.TakeFirst();
            var g = groups[gi];
            g.Id = result.Count;
            result.Add(g);
            if (successors[gi] is { } next)
                foreach (int s in next)
                    if (--indegree[s] == 0) ready.Add(groups[s].Positions[0], s);
        }
        foreach (var g in groups) g.Mark = -1;
        if (result.Count != groups.Count) throw new InvalidOperationException("fusion made a cycle between kernel groups");
        return result.MoveToImmutable();
    }

    /// <summary>Groups ready to be ordered, keyed by their first node's position (distinct): a binary min-heap.</summary>
    private sealed class ReadyGroups
    {
        private readonly (int Key, int Group)[] _heap;

        public ReadyGroups(int capacity)
        {
            _heap = new (int, int)[Math.Max(capacity, 1)];
        }

        public int Count { get; private set; }

        public void Add(int key, int group)
        {
            int i = Count++;
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (_heap[parent].Key <= key) break;
                _heap[i] = _heap[parent];
                i = parent;
            }
            _heap[i] = (key, group);
        }

        public int TakeFirst()
        {
            int first = _heap[0].Group;
            var last = _heap[--Count];
            int i = 0;
            while (true)
            {
                int child = 2 * i + 1;
                if (child >= Count) break;
                if (child + 1 < Count && _heap[child + 1].Key < _heap[child].Key) child++;
                if (_heap[child].Key >= last.Key) break;
                _heap[i] = _heap[child];
                i = child;
            }
            if (Count > 0) _heap[i] = last;
            return first;
        }
    }
}
