using System.Collections.Concurrent;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Runtime.Compiled;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime;

/// <summary>How a model is run.</summary>
public enum Engine
{
    /// <summary>The compiled plan: fused, generated kernels, a planned arena (the default).</summary>
    Compiled,

    /// <summary>The reference interpreter, op by op.</summary>
    Eager,
}

/// <summary>
/// Runs one model with one weight set, on either engine. The compiled engine builds a static plan
/// the first time it sees a set of dim values and reuses it afterwards. dskc run and bench, the REPL
/// and the classes the source generator writes all run models through this class.
/// </summary>
public sealed class ModelRunner : IDisposable
{
    private readonly Compilation _compilation;
    private readonly ConcurrentDictionary<string, CompiledExecutor> _plans = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public ModelRunner(Compilation compilation, ModelSymbol model, WeightSet weights, Engine engine = Engine.Compiled)
    {
        _compilation = compilation;
        Model = model;
        Weights = weights;
        Engine = engine;
        var elaborated = compilation.GetModel(model);
        Graph = elaborated.Graph ?? throw new RuntimeError($"model {model.Name} has errors:\n" +
            string.Join("\n", elaborated.Diagnostics.Where(d => d.IsError).Select(d => d.ToString())));
    }

    public ModelSymbol Model { get; }

    /// <summary>The model's graph as elaborated, dims symbolic.</summary>
    public Graph Graph { get; }

    public WeightSet Weights { get; }

    public Engine Engine { get; }

    /// <summary>The compiled plan for these dims (built on first use).</summary>
    public CompiledExecutor Plan(IReadOnlyDictionary<string, long> dims)
    {
        var key = string.Join(",", dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
        if (_plans.TryGetValue(key, out var plan)) return plan;
        lock (_gate)
        {
            if (_plans.TryGetValue(key, out plan)) return plan;
            var (compiled, diagnostics, error) = CompiledModel.Compile(_compilation, Model, dims);
            if (error != null) throw new RuntimeError(error.ToString());
            if (compiled == null) throw new RuntimeError(string.Join("\n", diagnostics.Where(d => d.IsError).Select(d => d.ToString())));
            plan = CompiledExecutor.Build(compiled.Graph, Weights);
            _plans[key] = plan;
            return plan;
        }
    }

    /// <summary>
    /// Runs the model; <paramref name="dims"/> must bind every symbolic dim (see <see cref="DimBinder"/>).
    /// The eager engine stops between ops when <paramref name="cancellation"/> is cancelled.
    /// </summary>
    public RunResult Run(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, long> dims, CancellationToken cancellation = default)
    {
        if (Engine == Engine.Eager) return new EagerInterpreter(Graph).Run(inputs, Weights, dims, cancellation);
        var result = Plan(dims).Run(inputs);
        return new RunResult(result.Outputs, new Dictionary<string, long>(dims.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal));
    }

    public void Dispose()
    {
        foreach (var p in _plans.Values) p.Dispose();
        _plans.Clear();
    }
}
