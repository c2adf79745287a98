using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>An SSA value: defined once, by a graph input, a weight, or one output of a node.</summary>
public sealed class Value
{
    public Value(int id, TensorType type)
    {
        Id = id;
        Type = type;
    }

    /// <summary>Unique within its graph; the printer numbers values afresh.</summary>
    public int Id { get; }

    public TensorType Type { get; }

    /// <summary>Ids are unique within a graph, so they hash well (and without the runtime's identity hash).</summary>
    public override int GetHashCode() => Id;

    public override string ToString() => $"%{Id}: {Type}";
}

/// <summary>
/// One operation: an <see cref="Op"/> from the primitive set applied to input values with
/// attributes, defining its output values. <see cref="Origin"/> is the .dsk expression it came from.
/// </summary>
public sealed class Node
{
    public Node(Op op, ImmutableArray<Value> inputs, Attributes attributes, ImmutableArray<Value> outputs, Location? origin = null, int routingGroup = -1)
    {
        Op = op;
        Inputs = inputs;
        Attributes = attributes;
        Outputs = outputs;
        Origin = origin;
        RoutingGroup = routingGroup;
    }

    public Op Op { get; }

    public ImmutableArray<Value> Inputs { get; }

    public Attributes Attributes { get; }

    public ImmutableArray<Value> Outputs { get; }

    public Location? Origin { get; }

    /// <summary>
    /// The index of the <see cref="Graph.Routing"/> group whose experts this node computes, or -1.
    /// Reports use it to tell the work a static dispatch executes from the work tokens need.
    /// </summary>
    public int RoutingGroup { get; }

    public Value Output => Outputs[0];

    public override string ToString() => $"{Op.Name}({string.Join(", ", Inputs.Select(i => "%" + i.Id))}){Attributes}";
}

/// <summary>A forward input of the model, named as in the .dsk signature.</summary>
public sealed record GraphInput(string Name, Value Value);

/// <summary>A named output: <c>output</c>, or <c>output0</c>, <c>output1</c>… for a tuple.</summary>
public sealed record GraphOutput(string Name, Value Value);

public enum WeightKind
{
    Param,
    Buffer,
}

/// <summary>How a weight is initialised (language.md §3): normal(std), uniform(lo, hi), zeros, ones, xavier, kaiming.</summary>
public sealed record Initializer(string Kind, ImmutableArray<double> Arguments)
{
    public static readonly Initializer Zeros = new("zeros", ImmutableArray<double>.Empty);
    public static readonly Initializer Ones = new("ones", ImmutableArray<double>.Empty);

    public override string ToString() =>
        Arguments.IsEmpty ? Kind : $"{Kind}({string.Join(", ", Arguments.Select(Attributes.FormatDouble))})";
}

/// <summary>A learned parameter or a buffer, with its hierarchical PyTorch-style name (<c>blocks.3.attn.q_proj.weight</c>).</summary>
public sealed record Weight(string Name, WeightKind Kind, Value Value, Initializer Init);

/// <summary>
/// The experts a <c>route</c> call dispatches to: each token uses <see cref="TopK"/> of
/// <see cref="ExpertCount"/> experts, so only that fraction of these weights is active per token.
/// The experts together process <see cref="ExecutedRows"/> rows (capacity slots, padding included)
/// of which <see cref="UsefulRows"/> (top_k per token) carry tokens.
/// </summary>
public sealed record RoutingGroup(int TopK, int ExpertCount, Dim ExecutedRows, Dim UsefulRows, ImmutableArray<string> WeightNames)
{
    public RoutingGroup SubstituteDims(Func<string, Dim?> binding) =>
        this with { ExecutedRows = ExecutedRows.Substitute(binding), UsefulRows = UsefulRows.Substitute(binding) };
}

/// <summary>
/// A model as a static dataflow graph: inputs, weights, nodes in topological order, outputs.
/// Immutable; passes build new graphs with <see cref="GraphBuilder"/>.
/// </summary>
public sealed class Graph
{
    private Dictionary<Value, Node>? _producers;

    public Graph(
        string name,
        ImmutableArray<GraphInput> inputs,
        ImmutableArray<Weight> weights,
        ImmutableArray<Node> nodes,
        ImmutableArray<GraphOutput> outputs,
        ImmutableArray<RoutingGroup> routing)
    {
        Name = name;
        Inputs = inputs;
        Weights = weights;
        Nodes = nodes;
        Outputs = outputs;
        Routing = routing;
    }

    public string Name { get; }

    public ImmutableArray<GraphInput> Inputs { get; }

    public ImmutableArray<Weight> Weights { get; }

    public ImmutableArray<Node> Nodes { get; }

    public ImmutableArray<GraphOutput> Outputs { get; }

    public ImmutableArray<RoutingGroup> Routing { get; }

    private int _idBound;

    /// <summary>One more than the largest value id in the graph: passes index values by id in arrays this long.</summary>
    public int IdBound
    {
        get
        {
            if (_idBound > 0) return _idBound;
            int max = -1;
            foreach (var i in Inputs) max = Math.Max(max, i.Value.Id);
            foreach (var w in Weights) max = Math.Max(max, w.Value.Id);
            foreach (var n in Nodes)
                foreach (var o in n.Outputs) max = Math.Max(max, o.Id);
            return _idBound = max + 1;
        }
        internal init => _idBound = value;
    }

    /// <summary>The node that defines a value, or null for inputs and weights.</summary>
    public Node? ProducerOf(Value value)
    {
        if (_producers == null)
        {
            var map = new Dictionary<Value, Node>();
            foreach (var n in Nodes)
                foreach (var o in n.Outputs) map[o] = n;
            _producers = map;
        }
        return _producers.TryGetValue(value, out var node) ? node : null;
    }

    /// <summary>Every symbolic dimension named by an input type.</summary>
    public IEnumerable<string> SymbolicDims =>
        Inputs.SelectMany(i => i.Value.Type.Shape.Dims).SelectMany(d => d.Variables).Distinct();

    public override string ToString() => IrPrinter.Print(this);
}
