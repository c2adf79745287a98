using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>A graph-to-graph transformation with one job.</summary>
public interface IPass
{
    string Name { get; }

    Graph Run(Graph graph);
}

/// <summary>
/// Rebuilds a graph node by node, which is how every pass works: inputs and weights are carried
/// over, each node is offered to a rule that may replace it, and uses are redirected to the
/// replacement. Types are recomputed by the builder, so a rewrite can only produce a well-typed graph.
/// A node the rule leaves alone is kept as it is when its inputs are, and keeps its output values
/// when its inputs change but keep their types, so a rewrite costs little beyond what it changes.
/// </summary>
public sealed class GraphRewriter
{
    // What each value of the source graph now stands for, indexed by the source value's id.
    private readonly MapSlot[] _map;
    // The node of the new graph that defines each of its values, indexed by value id (grows).
    private ProducerSlot[] _producers;
    private readonly Graph _source;

    private struct MapSlot
    {
        public Value? Original;
        public Value? Mapped;
    }

    private struct ProducerSlot
    {
        public Value? Value;
        public Node? Node;
    }

    private GraphRewriter(Graph source, Func<string, Dim?>? binding)
    {
        _source = source;
        Binding = binding;
        Builder = new GraphBuilder(source.Name);
        int bound = source.IdBound;
        _map = ArrayPool<MapSlot>.Shared.Rent(Math.Max(bound, 1));
        _producers = ArrayPool<ProducerSlot>.Shared.Rent(Math.Max(bound + bound / 8 + 16, 16));
    }

    public GraphBuilder Builder { get; }

    /// <summary>Values for symbolic dimensions, substituted everywhere (specialisation), or null.</summary>
    public Func<string, Dim?>? Binding { get; }

    public Graph Source => _source;

    /// <summary>The node being rewritten (for its origin and routing group).</summary>
    public Node? Current { get; private set; }

    /// <summary>The index of <see cref="Current"/> in the source graph's nodes.</summary>
    public int CurrentIndex { get; private set; } = -1;

    /// <summary>The value that now stands for a value of the original graph.</summary>
    public Value Map(Value original)
    {
        int id = original.Id;
        if ((uint)id < (uint)_map.Length)
        {
            ref var slot = ref _map[id];
            if (ReferenceEquals(slot.Original, original)) return slot.Mapped!;
        }
        throw new InvalidOperationException($"%{original.Id} was not rewritten");
    }

    /// <summary>The node's inputs as mapped; the node's own array when none changed (no allocation).</summary>
    public ImmutableArray<Value> MapInputs(Node node)
    {
        var inputs = node.Inputs;
        for (int i = 0; i < inputs.Length; i++)
        {
            var m = Map(inputs[i]);
            if (ReferenceEquals(m, inputs[i])) continue;
            var mapped = new Value[inputs.Length];
            for (int j = 0; j < i; j++) mapped[j] = inputs[j];
            mapped[i] = m;
            for (int j = i + 1; j < inputs.Length; j++) mapped[j] = Map(inputs[j]);
            return ImmutableCollectionsMarshal.AsImmutableArray(mapped);
        }
        return inputs;
    }

    private void SetMap(Value original, Value mapped)
    {
        ref var slot = ref _map[original.Id];
        slot.Original = original;
        slot.Mapped = mapped;
    }

    /// <summary>Uses of <paramref name="original"/> become uses of <paramref name="replacement"/>.</summary>
    public void Replace(Value original, Value replacement)
    {
        SetMap(original, replacement);
        Changed = true;
    }

    /// <summary>Records that the rule changed the graph without replacing a value (it dropped a node).</summary>
    public void MarkChanged() => Changed = true;

    /// <summary>Adds a node in place of the current one (inheriting its origin and routing group).</summary>
    public Node Emit(Op op, IReadOnlyList<Value> inputs, Attributes attributes)
    {
        Builder.CurrentRoutingGroup = Current?.RoutingGroup ?? -1;
        var node = Builder.Add(op, inputs, Binding == null ? attributes : attributes.SubstituteDims(Binding), Current?.Origin);
        Define(node);
        return node;
    }

    private void Define(Node node)
    {
        foreach (var o in node.Outputs)
        {
            int id = o.Id;
            if (id >= _producers.Length)
            {
                var larger = ArrayPool<ProducerSlot>.Shared.Rent(Math.Max(id + 1, _producers.Length * 2));
                Array.Copy(_producers, larger, _producers.Length);
                ArrayPool<ProducerSlot>.Shared.Return(_producers, clearArray: true);
                _producers = larger;
            }
            _producers[id] = new ProducerSlot { Value = o, Node = node };
        }
    }

    /// <summary>The node of the new graph that defines a (new) value, or null for inputs and weights.</summary>
    public Node? ProducerOf(Value value)
    {
        int id = value.Id;
        if ((uint)id < (uint)_producers.Length)
        {
            ref var slot = ref _producers[id];
            if (ReferenceEquals(slot.Value, value)) return slot.Node;
        }
        return null;
    }

    public Value Emit1(Op op, Attributes attributes, params Value[] inputs) => Emit(op, inputs, attributes).Output;

    /// <summary>
    /// Copies the current node with its inputs mapped. When no dims are being bound: a node whose
    /// inputs are unchanged is kept as it is, and one whose inputs keep their types keeps its output
    /// values and types (they need not be typed again, and its users need not change).
    /// </summary>
    public void Keep(Node node)
    {
        var inputs = MapInputs(node);
        if (Binding == null && inputs == node.Inputs)
        {
            Builder.AddExisting(node);
            Define(node);
            foreach (var o in node.Outputs) SetMap(o, o);
            return;
        }
        if (Binding == null && SameTypes(node.Inputs, inputs))
        {
            var copy = Builder.AddWithOutputs(node.Op, inputs, node.Attributes, node.Outputs, node.Origin, node.RoutingGroup);
            Define(copy);
            foreach (var o in node.Outputs) SetMap(o, o);
            return;
        }
        var emitted = Emit(node.Op, inputs, node.Attributes);
        for (int i = 0; i < node.Outputs.Length; i++) SetMap(node.Outputs[i], emitted.Outputs[i]);
    }

    private static bool SameTypes(ImmutableArray<Value> before, ImmutableArray<Value> after)
    {
        for (int i = 0; i < before.Length; i++)
            if (!ReferenceEquals(before[i].Type, after[i].Type) && !before[i].Type.Equals(after[i].Type)) return false;
        return true;
    }

    /// <summary>True when some rule replaced or dropped a node (the result then differs from the source graph).</summary>
    public bool Changed { get; private set; }

    /// <summary>
    /// Rebuilds <paramref name="graph"/>; <paramref name="rule"/> returns true when it has handled the
    /// node (emitted a replacement and called <see cref="Replace"/> for every output, dropped it with
    /// <see cref="MarkChanged"/>, or kept it itself), false to have it kept as it is.
    /// </summary>
    public static Graph Rewrite(Graph graph, Func<GraphRewriter, Node, bool> rule, Func<string, Dim?>? binding = null)
    {
        var r = new GraphRewriter(graph, binding);
        try
        {
            // New values are numbered past the source's, since kept nodes keep theirs.
            r.Builder.ReserveIds(graph.IdBound);
            r.Builder.EnsureNodeCapacity(graph.Nodes.Length);
            // Weights (and, when no dims are bound, inputs) carry over as the same values.
            r.Builder.AdoptWeights(graph.Weights);
            foreach (var w in graph.Weights) r.SetMap(w.Value, w.Value);
            foreach (var input in graph.Inputs)
            {
                if (binding == null)
                {
                    r.Builder.AdoptInput(input);
                    r.SetMap(input.Value, input.Value);
                }
                else
                {
                    var type = input.Value.Type.WithShape(input.Value.Type.Shape.Substitute(binding));
                    r.SetMap(input.Value, r.Builder.AddInput(input.Name, type));
                }
            }
            foreach (var g in graph.Routing)
                r.Builder.AddRouting(binding == null ? g : g.SubstituteDims(binding));
            var nodes = graph.Nodes;
            for (int i = 0; i < nodes.Length; i++)
            {
                var node = nodes[i];
                r.Current = node;
                r.CurrentIndex = i;
                if (!rule(r, node)) r.Keep(node);
            }
            r.Current = null;
            r.CurrentIndex = -1;
            // A rewrite that changed nothing gives back the graph it was given, so pipelines can stop.
            if (!r.Changed && binding == null) return graph;
            foreach (var o in graph.Outputs) r.Builder.AddOutput(o.Name, r.Map(o.Value));
            return r.Builder.TakeGraph();
        }
        finally
        {
            ArrayPool<MapSlot>.Shared.Return(r._map, clearArray: true);
            ArrayPool<ProducerSlot>.Shared.Return(r._producers, clearArray: true);
        }
    }

    /// <summary>How many nodes use each value (graph outputs count as uses).</summary>
    public static Dictionary<Value, int> UseCounts(Graph graph)
    {
        var counts = new Dictionary<Value, int>();
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs) counts[i] = counts.TryGetValue(i, out var c) ? c + 1 : 1;
        foreach (var o in graph.Outputs) counts[o.Value] = counts.TryGetValue(o.Value, out var c) ? c + 1 : 1;
        return counts;
    }
}
