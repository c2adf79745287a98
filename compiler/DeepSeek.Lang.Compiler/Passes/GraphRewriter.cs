using System.Collections.Immutable;
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
/// </summary>
public sealed class GraphRewriter
{
    private readonly Dictionary<Value, Value> _map = new();
    private readonly Dictionary<Value, Node> _producers = new();
    private readonly Graph _source;

    private GraphRewriter(Graph source, Func<string, Dim?>? binding)
    {
        _source = source;
        Binding = binding;
        Builder = new GraphBuilder(source.Name);
    }

    public GraphBuilder Builder { get; }

    /// <summary>Values for symbolic dimensions, substituted everywhere (specialisation), or null.</summary>
    public Func<string, Dim?>? Binding { get; }

    public Graph Source => _source;

    /// <summary>The node being rewritten (for its origin and routing group).</summary>
    public Node? Current { get; private set; }

    /// <summary>The value that now stands for a value of the original graph.</summary>
    public Value Map(Value original) => _map.TryGetValue(original, out var v) ? v : throw new InvalidOperationException($"%{original.Id} was not rewritten");

    public ImmutableArray<Value> MapInputs(Node node) => node.Inputs.Select(Map).ToImmutableArray();

    /// <summary>Uses of <paramref name="original"/> become uses of <paramref name="replacement"/>.</summary>
    public void Replace(Value original, Value replacement)
    {
        _map[original] = replacement;
        Changed = true;
    }

    /// <summary>Records that the rule changed the graph without replacing a value (it dropped a node).</summary>
    public void MarkChanged() => Changed = true;

    /// <summary>Adds a node in place of the current one (inheriting its origin and routing group).</summary>
    public Node Emit(Op op, IReadOnlyList<Value> inputs, Attributes attributes)
    {
        Builder.CurrentRoutingGroup = Current?.RoutingGroup ?? -1;
        var node = Builder.Add(op, inputs, Binding == null ? attributes : attributes.SubstituteDims(Binding), Current?.Origin);
        foreach (var o in node.Outputs) _producers[o] = node;
        return node;
    }

    /// <summary>The node of the new graph that defines a (new) value, or null for inputs and weights.</summary>
    public Node? ProducerOf(Value value) => _producers.TryGetValue(value, out var n) ? n : null;

    public Value Emit1(Op op, Attributes attributes, params Value[] inputs) => Emit(op, inputs, attributes).Output;

    /// <summary>
    /// Copies the current node with its inputs mapped. When the inputs keep their types and no dims
    /// are being bound, the node keeps its output types too, so it need not be typed again.
    /// </summary>
    public void Keep(Node node)
    {
        Node copy;
        var inputs = MapInputs(node);
        if (Binding == null && SameTypes(node.Inputs, inputs))
        {
            Builder.CurrentRoutingGroup = node.RoutingGroup;
            copy = Builder.AddTyped(node.Op, inputs, node.Attributes, node.Outputs.Select(o => o.Type).ToArray(), node.Origin);
            foreach (var o in copy.Outputs) _producers[o] = copy;
        }
        else
        {
            copy = Emit(node.Op, inputs, node.Attributes);
        }
        for (int i = 0; i < node.Outputs.Length; i++) _map[node.Outputs[i]] = copy.Outputs[i];
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
        // Weights (and, when no dims are bound, inputs) carry over as the same values.
        r.Builder.AdoptWeights(graph.Weights);
        foreach (var w in graph.Weights) r._map[w.Value] = w.Value;
        foreach (var input in graph.Inputs)
        {
            if (binding == null)
            {
                r.Builder.AdoptInput(input);
                r._map[input.Value] = input.Value;
            }
            else
            {
                var type = input.Value.Type.WithShape(input.Value.Type.Shape.Substitute(binding));
                r._map[input.Value] = r.Builder.AddInput(input.Name, type);
            }
        }
        foreach (var g in graph.Routing)
            r.Builder.AddRouting(binding == null ? g : g.SubstituteDims(binding));
        foreach (var node in graph.Nodes)
        {
            r.Current = node;
            if (!rule(r, node)) r.Keep(node);
        }
        r.Current = null;
        foreach (var o in graph.Outputs) r.Builder.AddOutput(o.Name, r.Map(o.Value));
        // A rewrite that changed nothing gives back the graph it was given, so pipelines can stop.
        return r.Changed || binding != null ? r.Builder.ToGraph() : graph;
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
