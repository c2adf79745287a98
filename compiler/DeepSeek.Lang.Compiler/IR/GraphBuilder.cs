using System.Collections.Immutable;
using System.Runtime.InteropServices;
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
    // Weights taken over from another graph as they are (a pass's source), then those added here.
    private ImmutableArray<Weight> _adopted = ImmutableArray<Weight>.Empty;
    private readonly List<Weight> _weights = new();
    // Built on first use: passes adopt tens of thousands of weights and never look one up by name.
    private Dictionary<string, Weight>? _weightsByName;
    private readonly ImmutableArray<Node>.Builder _nodes = ImmutableArray.CreateBuilder<Node>();
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
        var byName = WeightsByName();
        if (byName.TryGetValue(name, out var existing)) return existing.Value;
        var v = NewValue(type);
        var w = new Weight(name, kind, v, init);
        _weights.Add(w);
        byName.Add(name, w);
        return v;
    }

    /// <summary>
    /// Takes over another graph's weights as they are (same values), which is what passes do:
    /// rewrites never change weights, and there may be tens of thousands of them, so the first
    /// adoption keeps the array itself.
    /// </summary>
    public void AdoptWeights(ImmutableArray<Weight> weights)
    {
        if (_adopted.IsEmpty && _weights.Count == 0 && _weightsByName == null) _adopted = weights;
        else
        {
            var byName = WeightsByName();
            foreach (var w in weights)
            {
                _weights.Add(w);
                byName[w.Name] = w;
            }
        }
        foreach (var w in weights)
            if (w.Value.Id >= _nextId) _nextId = w.Value.Id + 1;
    }

    /// <summary>New values are numbered from <paramref name="bound"/> up, so they never clash with a source graph's.</summary>
    public void ReserveIds(int bound)
    {
        if (bound > _nextId) _nextId = bound;
    }

    private Dictionary<string, Weight> WeightsByName()
    {
        if (_weightsByName != null) return _weightsByName;
        var map = new Dictionary<string, Weight>(_adopted.Length + _weights.Count, StringComparer.Ordinal);
        foreach (var w in _adopted) map[w.Name] = w;
        foreach (var w in _weights) map[w.Name] = w;
        return _weightsByName = map;
    }

    /// <summary>Takes over a graph input as it is (same value).</summary>
    public void AdoptInput(GraphInput input)
    {
        _inputs.Add(input);
        if (input.Value.Id >= _nextId) _nextId = input.Value.Id + 1;
    }

    public Weight? FindWeight(string name) => WeightsByName().TryGetValue(name, out var w) ? w : null;

    public void AddRouting(RoutingGroup group) => _routing.Add(group);

    public int WeightCount => _adopted.Length + _weights.Count;

    public Weight WeightAt(int index) => index < _adopted.Length ? _adopted[index] : _weights[index - _adopted.Length];

    /// <summary>The names of weights [start, end) in the order they were added.</summary>
    public IEnumerable<string> WeightNames(int start, int end)
    {
        for (int i = start; i < end; i++) yield return WeightAt(i).Name;
    }

    /// <summary>Adds a node whose output types are already known (the caller typed it).</summary>
    public Node AddTyped(Op op, ImmutableArray<Value> inputs, Attributes attributes, IReadOnlyList<TensorType> outputTypes, Location? origin = null)
    {
        var outputs = new Value[outputTypes.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = NewValue(outputTypes[i]);
        var node = new Node(op, inputs, attributes, ImmutableCollectionsMarshal.AsImmutableArray(outputs), origin, CurrentRoutingGroup);
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Adds a node whose outputs are given (a pass keeping a node of its source graph, or one with new
    /// inputs of the same types); the caller guarantees the outputs are defined nowhere else in this graph.
    /// </summary>
    public Node AddWithOutputs(Op op, ImmutableArray<Value> inputs, Attributes attributes, ImmutableArray<Value> outputs, Location? origin, int routingGroup)
    {
        var node = new Node(op, inputs, attributes, outputs, origin, routingGroup);
        AddExisting(node);
        return node;
    }

    /// <summary>Adds a node of another graph as it is (its inputs must be defined here already).</summary>
    public void AddExisting(Node node)
    {
        foreach (var o in node.Outputs)
            if (o.Id >= _nextId) _nextId = o.Id + 1;
        _nodes.Add(node);
    }

    /// <summary>Room for this many nodes (a pass knows its source's size).</summary>
    public void EnsureNodeCapacity(int count)
    {
        if (_nodes.Capacity < count) _nodes.Capacity = count;
    }

    /// <summary>Types and adds a node; an ill-typed node is a compiler bug and throws <see cref="IrTypeException"/>.</summary>
    public Node Add(Op op, IReadOnlyList<Value> inputs, Attributes? attributes = null, Location? origin = null)
    {
        var attrs = attributes ?? Attributes.Empty;
        var types = new TensorType[inputs.Count];
        for (int i = 0; i < types.Length; i++) types[i] = inputs[i].Type;
        var typing = op.Type(types, attrs);
        if (!typing.Ok) throw new IrTypeException($"{op.Name}: {typing.Message}");
        return AddTyped(op, inputs is ImmutableArray<Value> same ? same : inputs.ToImmutableArray(), attrs, typing.Outputs, origin);
    }

    public Value Apply(Op op, params Value[] inputs) => Add(op, inputs).Output;

    public Value Apply(Op op, Attributes attributes, params Value[] inputs) => Add(op, inputs, attributes).Output;

    public void AddOutput(string name, Value value) => _outputs.Add(new GraphOutput(name, value));

    public Graph ToGraph() => ToGraph(_nodes.ToImmutable());

    /// <summary>
    /// The graph, handing over the node array without a copy when the room reserved for nodes was
    /// filled exactly (a pass that keeps the node count); the builder is left with no nodes.
    /// </summary>
    internal Graph TakeGraph()
    {
        if (_nodes.Count != _nodes.Capacity) _nodes.Capacity = _nodes.Count;
        return ToGraph(_nodes.MoveToImmutable());
    }

    private Graph ToGraph(ImmutableArray<Node> nodes)
    {
        var weights = _weights.Count == 0 ? _adopted : _adopted.IsEmpty ? _weights.ToImmutableArray() : _adopted.AddRange(_weights);
        return new(Name, _inputs.ToImmutableArray(), weights, nodes, _outputs.ToImmutableArray(), _routing.ToImmutableArray())
        {
            IdBound = _nextId,
        };
    }
}
