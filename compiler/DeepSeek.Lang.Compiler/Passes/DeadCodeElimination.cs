using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>Removes nodes whose results no output depends on. Weights stay: they are the model's parameters.</summary>
public sealed class DeadCodeElimination : IPass
{
    public string Name => "dce";

    public Graph Run(Graph graph)
    {
        var live = new HashSet<Value>(graph.Outputs.Select(o => o.Value));
        var keep = new HashSet<Node>();
        for (int i = graph.Nodes.Length - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (!node.Outputs.Any(live.Contains)) continue;
            keep.Add(node);
            foreach (var input in node.Inputs) live.Add(input);
        }
        if (keep.Count == graph.Nodes.Length) return graph;
        return GraphRewriter.Rewrite(graph, (r, node) =>
        {
            if (keep.Contains(node)) return false;
            r.MarkChanged();
            return true;
        });
    }
}
