using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Kernels.Reference;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Eager;

/// <summary>A named output of a run.</summary>
public sealed record NamedTensor(string Name, Tensor Tensor);

/// <summary>The outputs of one run of any engine (owned: dispose to free them) and the dims it bound.</summary>
public sealed class RunResult : IDisposable
{
    public RunResult(IReadOnlyList<NamedTensor> outputs, IReadOnlyDictionary<string, long> dims)
    {
        Outputs = outputs;
        Dims = dims;
    }

    /// <summary>In the graph's order: <c>output</c>, or <c>output0</c>, <c>output1</c>… for a tuple.</summary>
    public IReadOnlyList<NamedTensor> Outputs { get; }

    public IReadOnlyDictionary<string, long> Dims { get; }

    /// <summary>The first (usually the only) output.</summary>
    public Tensor Output => Outputs[0].Tensor;

    public Tensor this[string name] => Outputs.FirstOrDefault(o => o.Name == name)?.Tensor ?? throw new RuntimeError($"there is no output '{name}'");

    public void Dispose()
    {
        foreach (var o in Outputs) o.Tensor.Dispose();
    }
}

/// <summary>
/// Runs a <see cref="Graph"/> op by op with the <see cref="ReferenceKernels"/>: the numerical reference
/// for every faster path and the dynamic graph of the REPL. It binds the graph's symbolic dims from the
/// input shapes (<see cref="DimBinder"/>), evaluates every Dim attribute and node type with them, runs
/// each node, checks that each result has the type its node records, and frees each intermediate after
/// its last use. Inputs and weights stay the caller's; outputs are new tensors the caller owns.
/// </summary>
public sealed class EagerInterpreter
{
    public EagerInterpreter(Graph graph)
    {
        Graph = graph;
    }

    public Graph Graph { get; }

    /// <summary>
    /// Runs the graph. <paramref name="dims"/> are extra bindings (they must agree with the input shapes).
    /// A wrong input (missing, extra, wrong dtype, rank or size) or weight is a <see cref="RuntimeError"/>.
    /// <paramref name="cancellation"/> is looked at before each node (a REPL's Ctrl+C): a cancelled run
    /// frees what it made and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public RunResult Run(IReadOnlyDictionary<string, Tensor> inputs, WeightSet weights, IReadOnlyDictionary<string, long>? dims = null,
        CancellationToken cancellation = default)
    {
        var names = string.Join(", ", Graph.Inputs.Select(i => i.Name));
        foreach (var name in inputs.Keys)
            if (!Graph.Inputs.Any(i => i.Name == name))
                throw new RuntimeError($"model {Graph.Name} has no input '{name}'; its inputs are {(names.Length > 0 ? names : "none")}");
        foreach (var input in Graph.Inputs)
            if (!inputs.ContainsKey(input.Name))
                throw new RuntimeError($"missing input '{input.Name}' ({input.Value.Type}); model {Graph.Name} takes {names}");

        var binder = new DimBinder();
        if (dims != null)
            foreach (var (name, value) in dims) binder.Give(name, value);
        var bound = binder.BindInputs(Graph, inputs.ToDictionary(kv => kv.Key, kv => new ShapeInfo(kv.Value.DType, kv.Value.Shape.ToArray())));
        var bindings = new Dictionary<string, long>(bound, StringComparer.Ordinal);
        Dim? Binding(string n) => bindings.TryGetValue(n, out var v) ? Dim.Const(v) : null;

        weights.CheckAgainst(Graph);

        var values = new Dictionary<Value, Tensor>();
        var owned = new HashSet<Value>();
        foreach (var i in Graph.Inputs) values[i.Value] = inputs[i.Name];
        foreach (var w in Graph.Weights) values[w.Value] = weights[w.Name];

        var lastUse = new Dictionary<Value, int>();
        for (int n = 0; n < Graph.Nodes.Length; n++)
            foreach (var v in Graph.Nodes[n].Inputs) lastUse[v] = n;
        foreach (var o in Graph.Outputs) lastUse[o.Value] = int.MaxValue;

        try
        {
            for (int n = 0; n < Graph.Nodes.Length; n++)
            {
                cancellation.ThrowIfCancellationRequested();
                var node = Graph.Nodes[n];
                var args = node.Inputs.Select(v => values[v]).ToArray();
                var attrs = node.Attributes.SubstituteDims(Binding);
                Tensor[] results;
                try
                {
                    results = ReferenceKernels.Run(node.Op, args, attrs);
                }
                catch (RuntimeError e)
                {
                    throw new RuntimeError(e.Message + Where(node), e);
                }
                for (int k = 0; k < results.Length; k++)
                {
                    if (k < node.Outputs.Length)
                    {
                        values[node.Outputs[k]] = results[k];
                        owned.Add(node.Outputs[k]);
                    }
                    else results[k].Dispose();
                }
                if (results.Length != node.Outputs.Length)
                    throw new InvalidOperationException($"internal error: {node.Op.Name} gave {results.Length} outputs, its node has {node.Outputs.Length}{Where(node)}");
                for (int k = 0; k < results.Length; k++)
                {
                    var expected = node.Outputs[k].Type;
                    var shape = Evaluate(expected.Shape, bindings, node);
                    if (results[k].DType != expected.DType || !results[k].Shape.AsSpan().SequenceEqual(shape))
                        throw new InvalidOperationException($"internal error: {node.Op.Name} produced {results[k].TypeText()} but its type is {Tensor.TypeText(expected.DType, shape)} ({expected}){Where(node)}");
                }
                // Free what is dead: inputs used for the last time here, and outputs nobody reads.
                foreach (var v in node.Inputs.Concat(node.Outputs).Distinct())
                    if (owned.Contains(v) && (!lastUse.TryGetValue(v, out var last) || last <= n))
                    {
                        values[v].Dispose();
                        values.Remove(v);
                        owned.Remove(v);
                    }
            }

            var outputs = new List<NamedTensor>();
            var given = new HashSet<Value>();
            foreach (var o in Graph.Outputs)
            {
                var t = values[o.Value];
                // An input, a weight, or a value already returned is copied, so each output is the caller's own.
                if (!owned.Contains(o.Value) || !given.Add(o.Value)) t = t.Clone();
                outputs.Add(new NamedTensor(o.Name, t));
            }
            foreach (var o in Graph.Outputs) owned.Remove(o.Value);
            return new RunResult(outputs, bindings);
        }
        finally
        {
            foreach (var v in owned) values[v].Dispose();
        }
    }

    /// <summary>A shape under the bindings; an unbound name is an error that says which.</summary>
    public static long[] Evaluate(Shape shape, IReadOnlyDictionary<string, long> bindings, Node? node = null)
    {
        var dims = new long[shape.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = shape[i];
            long? v = d.TryEvaluate(n => bindings.TryGetValue(n, out var x) ? x : null);
            if (v is null)
            {
                var unbound = d.Variables.Where(n => !bindings.ContainsKey(n)).ToList();
                throw new RuntimeError(unbound.Count > 0
                    ? $"dimension {d} cannot be evaluated: {string.Join(", ", unbound)} {(unbound.Count == 1 ? "is" : "are")} not bound{(node != null ? Where(node) : "")}"
                    : $"dimension {d} cannot be evaluated (a division by zero){(node != null ? Where(node) : "")}");
            }
            if (v < 0) throw new RuntimeError($"dimension {d} is {v}, a negative size{(node != null ? Where(node) : "")}");
            dims[i] = v.Value;
        }
        return dims;
    }

    private static string Where(Node node) =>
        node.Origin is { } at ? $" (in {node.Op.Name} at {Compiler.Diagnostics.DiagnosticFormatter.FormatLocation(at)})" : "";
}
