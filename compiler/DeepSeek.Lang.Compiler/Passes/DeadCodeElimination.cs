using System.Collections;
using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>Removes nodes whose results no output depends on. Weights stay: they are the model's parameters.</summary>
public sealed class DeadCodeElimination : IPass
{
    public string Name => "dce";

    public Graph Run(Graph graph)
    {
        // Liveness by value id and node position: bit sets, small enough to stay off the large object heap.
        var nodes = graph.Nodes;
        var live = new BitArray(graph.IdBound);
        var keep = new BitArray(nodes.Length);
        foreach (var o in graph.Outputs) live[o.Value.Id] = true;
        int kept = 0;
        for (int i = nodes.Length - 1; i >= 0; i--)
        {
            var node = nodes[i];
            bool used = false;
            foreach (var o in node.Outputs)
                if (live[o.Id]) used = true;
            if (!used) continue;
            keep[i] = true;
            kept++;
            foreach (var input in node.Inputs) live[input.Id] = true;
        }
        if (kept == nodes.Length) return graph;
        return GraphRewriter.Rewrite(graph, (r, node) =>
        {
            if (keep[r.CurrentIndex]) return false;
            r.MarkChanged();
            return true;
        });
    }
}
