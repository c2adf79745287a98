using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Hosting;

/// <summary>
/// One model instance behind a generated class: a <see cref="ModelRunner"/> and the weights it owns.
/// <see cref="Forward"/> binds the symbolic dims from the input shapes (<see cref="DimBinder"/>) and runs
/// the model; the compiled engine builds a plan the first time it sees a set of dims and reuses it.
/// </summary>
public sealed class DskModelSession : IDisposable
{
    private bool _disposed;

    public DskModelSession(ModelRunner runner, WeightSet weights)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(weights);
        Runner = runner;
        Weights = weights;
    }

    public ModelRunner Runner { get; }

    /// <summary>The weights, owned by the session.</summary>
    public WeightSet Weights { get; }

    public Graph Graph => Runner.Graph;

    /// <summary>
    /// Runs the model on <paramref name="inputs"/>, given in the order of the .dsk forward signature.
    /// Returns the outputs in order; the caller owns them. A wrong dtype or shape is a <see cref="RuntimeError"/>
    /// naming the input, its expected type with the dims bound so far, and the actual type.
    /// </summary>
    public Tensor[] Forward(params Tensor[] inputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        var graph = Graph;
        if (inputs.Length != graph.Inputs.Length)
            throw new RuntimeError($"model {graph.Name} takes {graph.Inputs.Length} inputs, not {inputs.Length}");
        var named = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, ShapeInfo>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Length; i++)
        {
            var name = graph.Inputs[i].Name;
            var t = inputs[i] ?? throw new ArgumentNullException(name, $"input '{name}' of model {graph.Name} is null");
            if (t.IsDisposed) throw new ObjectDisposedException(name, $"input '{name}' of model {graph.Name} was disposed");
            named[name] = t;
            shapes[name] = new ShapeInfo(t.DType, t.Shape.ToArray());
        }
        var binder = new DimBinder();
        var dims = binder.BindInputs(graph, shapes);
        var unbound = graph.SymbolicDims.Where(d => !dims.ContainsKey(d)).ToList();
        if (unbound.Count > 0)
            throw new RuntimeError($"model {graph.Name}: the input shapes leave {string.Join(", ", unbound)} unbound");
        var result = Runner.Run(named, dims.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
        // The outputs now belong to the caller; the result holds nothing else.
        return result.Outputs.Select(o => o.Tensor).ToArray();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Runner.Dispose();
        Weights.Dispose();
    }
}
