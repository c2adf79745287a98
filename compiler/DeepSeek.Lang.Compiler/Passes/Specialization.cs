using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>A binding that makes some shape empty or negative: <c>with T = 2, T - 4 is -2</c>.</summary>
public sealed class SpecializationException : Exception
{
    public SpecializationException(string message) : base(message)
    {
    }
}

/// <summary>
/// Binds symbolic dimensions to numbers everywhere: input types, attributes, every node's type and
/// the routing groups. What was symbolic (B * T, a capacity (5 * B * T + 15) / 16) becomes concrete,
/// so later passes and code generators see fixed shapes. Dims not bound stay symbolic.
/// </summary>
public sealed class Specialization : IPass
{
    private readonly IReadOnlyDictionary<string, long> _dims;

    public Specialization(IReadOnlyDictionary<string, long> dims)
    {
        _dims = dims;
    }

    public string Name => "specialize";

    public Graph Run(Graph graph)
    {
        if (_dims.Count == 0) return graph;
        Dim? Bind(string name) => _dims.TryGetValue(name, out var v) ? Dim.Const(v) : null;
        var result = GraphRewriter.Rewrite(graph, (_, _) => false, Bind);
        Check(graph, result);
        return result;
    }

    private void Check(Graph before, Graph after)
    {
        var binding = string.Join(", ", _dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} = {kv.Value}"));
        for (int i = 0; i < after.Nodes.Length; i++)
        {
            var node = after.Nodes[i];
            for (int k = 0; k < node.Outputs.Length; k++)
            {
                var type = node.Outputs[k].Type;
                for (int axis = 0; axis < type.Rank; axis++)
                {
                    var d = type.Shape[axis];
                    if (d.ConstantValue is { } v && v <= 0)
                    {
                        var written = before.Nodes[i].Outputs[k].Type.Shape[axis];
                        var where = node.Origin is { } at ? $" (from {at})" : "";
                        throw new SpecializationException(
                            $"with {binding}, dimension {written} of {node.Op.Name}'s result is {v}; sizes must be positive{where}");
                    }
                }
            }
        }
    }
}

/// <summary>The standard optimisation pipeline, run to a fixed point; optionally verifies after every pass.</summary>
public sealed class Optimizer
{
    private readonly ImmutableArray<IPass> _passes;

    public Optimizer(IEnumerable<IPass>? passes = null)
    {
        _passes = (passes ?? new IPass[] { new ConstantFolding(), new AlgebraicSimplification(), new CommonSubexpressionElimination(), new DeadCodeElimination() }).ToImmutableArray();
    }

    /// <summary>The passes of one round, in order.</summary>
    public ImmutableArray<IPass> Passes => _passes;

    /// <summary>Run <see cref="IrVerifier"/> after every pass (tests turn this on).</summary>
    public static bool VerifyAfterEachPass { get; set; }

    public Graph Run(Graph graph, int maxRounds = 4)
    {
        for (int round = 0; round < maxRounds; round++)
        {
            var before = graph;
            foreach (var pass in _passes) graph = Apply(pass, graph);
            if (ReferenceEquals(graph, before)) break;
        }
        return graph;
    }

    /// <summary>Runs one pass with verification when enabled.</summary>
    public static Graph Apply(IPass pass, Graph graph)
    {
        var result = pass.Run(graph);
        if (VerifyAfterEachPass) IrVerifier.VerifyOrThrow(result, pass.Name);
        return result;
    }

}
