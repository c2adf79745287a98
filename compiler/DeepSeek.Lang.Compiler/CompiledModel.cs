using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Analysis;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Passes;

namespace DeepSeek.Lang.Compiler;

/// <summary>A problem with how a compile was asked for (a dimension binding), not with the source.</summary>
public sealed record CommandError(DiagnosticDescriptor Descriptor, string Message)
{
    public override string ToString() => $"error {Descriptor.Code}: {Message}";
}

/// <summary>One model lowered and optimised for the given dimensions, with its report.</summary>
public sealed class CompiledModel
{
    private CompiledModel(ModelSymbol model, Graph graph, ModelReport report, IReadOnlyDictionary<string, long> dims)
    {
        Model = model;
        Graph = graph;
        Report = report;
        Dims = dims;
    }

    public ModelSymbol Model { get; }

    /// <summary>The optimised graph; dims given are bound, the others stay symbolic.</summary>
    public Graph Graph { get; }

    public ModelReport Report { get; }

    public IReadOnlyDictionary<string, long> Dims { get; }

    /// <summary>
    /// Elaborates, specialises and optimises a model. Source errors come back as diagnostics;
    /// a bad binding (an unknown dim, or one that makes a shape non-positive) as a <see cref="CommandError"/>.
    /// </summary>
    public static (CompiledModel? Model, ImmutableArray<Diagnostic> Diagnostics, CommandError? Error) Compile(
        Compilation compilation, ModelSymbol model, IReadOnlyDictionary<string, long> dims)
    {
        var elaborated = compilation.GetModel(model);
        if (elaborated.Graph == null) return (null, elaborated.Diagnostics, null);
        var graph = elaborated.Graph;

        var known = graph.SymbolicDims.OrderBy(d => d, StringComparer.Ordinal).ToList();
        foreach (var kv in dims)
        {
            if (!known.Contains(kv.Key))
            {
                // The same words as dskc run's check (DimArguments), so every command says it alike.
                var list = known.Count == 0 ? "it has no symbolic dimensions" : "its dimensions are " + string.Join(", ", known);
                return (null, elaborated.Diagnostics, new CommandError(DiagnosticDescriptors.InvalidDimBinding,
                    $"model {model.Name} has no dimension '{kv.Key}'; {list}"));
            }
            if (kv.Value <= 0)
                return (null, elaborated.Diagnostics, new CommandError(DiagnosticDescriptors.InvalidDimBinding,
                    $"--dim {kv.Key}={kv.Value}: sizes must be positive"));
        }

        try
        {
            graph = Optimizer.Apply(new Specialization(dims), graph);
            graph = new Optimizer().Run(graph);
            ModelReport report;
            try
            {
                report = ModelReport.Create(model.Name, graph, dims);
            }
            catch (IrTypeException e)
            {
                // The report counts unbound dims as 1, which a graph may not allow (H query heads over 2 kv heads).
                var unbound = graph.SymbolicDims.OrderBy(d => d, StringComparer.Ordinal).ToList();
                return (null, elaborated.Diagnostics, new CommandError(DiagnosticDescriptors.NonPositiveShape,
                    $"model {model.Name}: the report counts unbound dims as 1, and {string.Join(", ", unbound.Select(d => d + " = 1"))} makes the graph ill-typed ({e.Message}); " +
                    "bind the dims it needs with --dim NAME=VALUE"));
            }
            return (new CompiledModel(model, graph, report, dims), elaborated.Diagnostics, null);
        }
        catch (SpecializationException e)
        {
            return (null, elaborated.Diagnostics, new CommandError(DiagnosticDescriptors.NonPositiveShape, e.Message));
        }
        catch (Shapes.DimOverflowException e)
        {
            return (null, elaborated.Diagnostics, new CommandError(DiagnosticDescriptors.NonPositiveShape, "a size is too large: " + e.Message));
        }
    }
}
