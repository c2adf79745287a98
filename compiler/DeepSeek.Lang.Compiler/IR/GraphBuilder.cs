using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>Thrown when a pass builds an ill-typed node: a compiler bug, never a user error.</summary>
public sealed class IrTypeException : Exception
{
    public IrTypeException(string message) : base(message)
    {
    }
}

/// <summary>
/// Builds a <see cref="Graph"/> in topological order. The elaborator and every pass use it; each
/// added node is typed by its op's rule, so a builder can only make well-typed graphs.
/// </summary>
public sealed class GraphBuilder
{
    private readonly List<GraphInput> _inputs = new();
    private readonly List<Weight> _weights = new();
    private readonly Dictionary<string, Weight> _weightsByName = new(StringComparer.Ordinal);
    // Weight names by each enclosing module path ("blocks.3" for "blocks.3.attn.q_proj.weight"), in order.
    private readonly List<Node> _nodes = new();
    private readonly List<GraphOutput> _outputs = new();
    private readonly List<RoutingGroup> _routing = new();
    private int _nextId;

    public GraphBuilder(string name)
    {
        Name = name;
    }

    public string Name { get; set; }

    public int NodeCount => _nodes.Count;

    /// <summary>The routing group that nodes added now belong to (-1: none); see <see cref="Node.RoutingGroup"/>.</summary>
    public int CurrentRoutingGroup { get; set; } = -1;

    public int RoutingGroupCount => _routing.Count;

    public RoutingGroup RoutingAt(int index) => _routing[index];

    public void ReplaceRouting(int index, RoutingGroup group) => _routing[index] = group;

    public IReadOnlyList<Node> Nodes => _nodes;

    public Value NewValue(TensorType type) => new(_nextId++, type);

    public Value AddInput(string name, TensorType type)
    {
        var v = NewValue(type);
        _inputs.Add(new GraphInput(name, v));
        return v;
    }

    public Value AddWeight(string name, WeightKind kind, TensorType type, Initializer init)
    {
        if (_weightsByName.TryGetValue(name, out var existing)) return existing.Value;
        var v = NewValue(type);
        var w = new Weight(name, kind, v, init);
        _weights.Add(w);
        _weightsByName.Add(name, w);
        return v;
    }

    /// <summary>
    /// Takes over another graph's weights as they are (same values), which is what passes do:
    /// rewrites never change weights, and there may be tens of thousands of them.
    /// </summary>
    public void AdoptWeights(ImmutableArray<Weight> weights)
    {
        foreach (var w in weights)
        {
            _weights.Add(w);
            _weightsByName[w.Name] = w;
            if (w.Value.Id >= _nextId) _nextId = w.Value.Id + 1;
        }
    }

    /// <summary>Takes over a graph input as it is (same value).</summary>
    public void AdoptInput(GraphInput input)
    {
        _inputs.Add(input);
        if (input.Value.Id >= _nextId) _nextId = input.Value.Id + 1;
    }

    public Weight? FindWeight(string name) => _weightsByName.TryGetValue(name, out var w) ? w : null;

    public void AddRouting(RoutingGroup group) => _routing.Add(group);

    public int WeightCount => _weights.Count;

    public Weight WeightAt(int index) => _weights[index];

    /// <summary>The names of weights [start, end) in the order they were added.</summary>
    public IEnumerable<string> WeightNames(int start, int end)
    {
        for (int i = start; i < end; i++) yield return _weights[i].Name;
    }

    /// <summary>Adds a node whose output types are already known (the caller typed it).</summary>
    public Node AddTyped(Op op, ImmutableArray<Value> inputs, Attributes attributes, IReadOnlyList<TensorType> outputTypes, Location? origin = null)
    {
        var outputs = ImmutableArray.CreateBuilder<Value>(outputTypes.Count);
        foreach (var t in outputTypes) outputs.Add(NewValue(t));
        var node = new Node(op, inputs, attributes, outputs.MoveToImmutable(), origin, CurrentRoutingGroup);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Types and adds a node; an ill-typed node is a compiler bug and throws <see cref="IrTypeException"/>.</summary>
    public Node Add(Op op, IReadOnlyList<Value> inputs, Attributes? attributes = null, Location? origin = null)
    {
        var attrs = attributes ?? Attributes.Empty;
        var typing = op.Type(inputs.Select(i => i.Type).ToArray(), attrs);
        if (!typing.Ok) throw new IrTypeException($"{op.Name}: {typing.Message}");
        return AddTyped(op, inputs.ToImmutableArray(), attrs, typing.Outputs, origin);
    }

    public Value Apply(Op op, params Value[] inputs) => Add(op, inputs).Output;

    public Value Apply(Op op, Attributes attributes, params Value[] inputs) => Add(op, inputs, attributes).Output;

    public void AddOutput(string name, Value value) => _outputs.Add(new GraphOutput(name, value));

    public Graph ToGraph() => new(Name, _inputs.ToImmutableArray(), _weights.ToImmutableArray(), _nodes.ToImmutableArray(),
        _outputs.ToImmutableArray(), _routing.ToImmutableArray());
}
