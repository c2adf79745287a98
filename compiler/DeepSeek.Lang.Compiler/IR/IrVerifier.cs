using System.Collections.Immutable;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>
/// Checks the invariants every pass must keep: SSA (each value defined once, before its uses),
/// every node well typed by its op's rule with the output types it records, unique input and
/// weight names, outputs defined, routing groups naming real weights.
/// </summary>
public static class IrVerifier
{
    public static ImmutableArray<string> Verify(Graph graph)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var defined = new HashSet<Value>();
        var names = new HashSet<string>(StringComparer.Ordinal);

        foreach (var i in graph.Inputs)
        {
            if (!names.Add(i.Name)) problems.Add($"input '{i.Name}' is declared twice");
            if (!defined.Add(i.Value)) problems.Add($"input '{i.Name}' reuses a value");
        }
        foreach (var w in graph.Weights)
        {
            if (!names.Add(w.Name)) problems.Add($"weight '{w.Name}' is declared twice (or shares a name with an input)");
            if (!defined.Add(w.Value)) problems.Add($"weight '{w.Name}' reuses a value");
        }

        int index = 0;
        foreach (var n in graph.Nodes)
        {
            foreach (var input in n.Inputs)
                if (!defined.Contains(input)) problems.Add($"node {index} ({n.Op.Name}) uses %{input.Id} before it is defined");
            var typing = n.Op.Type(n.Inputs.Select(i => i.Type).ToArray(), n.Attributes);
            if (!typing.Ok) problems.Add($"node {index} ({n.Op.Name}) is ill-typed: {typing.Message}");
            else if (!typing.Outputs.SequenceEqual(n.Outputs.Select(o => o.Type)))
                problems.Add($"node {index} ({n.Op.Name}) records {string.Join(", ", n.Outputs.Select(o => o.Type))} but its rule gives {string.Join(", ", typing.Outputs)}");
            foreach (var o in n.Outputs)
                if (!defined.Add(o)) problems.Add($"node {index} ({n.Op.Name}) redefines %{o.Id}");
            if (n.RoutingGroup >= graph.Routing.Length) problems.Add($"node {index} ({n.Op.Name}) names routing group {n.RoutingGroup}, which does not exist");
            index++;
        }

        var outputNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in graph.Outputs)
        {
            if (!outputNames.Add(o.Name)) problems.Add($"output '{o.Name}' is declared twice");
            if (!defined.Contains(o.Value)) problems.Add($"output '{o.Name}' is not defined by the graph");
        }

        var weightNames = new HashSet<string>(graph.Weights.Select(w => w.Name), StringComparer.Ordinal);
        foreach (var r in graph.Routing)
            foreach (var w in r.WeightNames)
                if (!weightNames.Contains(w)) problems.Add($"routing group names unknown weight '{w}'");
        return problems.ToImmutable();
    }

    public static void VerifyOrThrow(Graph graph, string after)
    {
        var problems = Verify(graph);
        if (problems.Length > 0)
            throw new InvalidOperationException($"IR verification failed after {after}:\n  " + string.Join("\n  ", problems));
    }
}
