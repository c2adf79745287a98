using System.Text;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>
/// The textual form of the graph IR, which <see cref="IrParser"/> reads back:
/// <code>
/// graph Name(x: f32[B, T, 512]) {
///   param gate.weight: f32[8, 512] = normal(0.02)
///   %0 = reshape(%x) {shape=&lt;B * T, 512&gt;} : f32[B * T, 512]
///   %1, %2 = topk(%0) {axis=-1, k=2} : f32[B * T, 2], i64[B * T, 2]
///   output output = %9
/// }
/// </code>
/// Inputs and weights are referred to by name, node outputs by number (renumbered from 0).
/// </summary>
public static class IrPrinter
{
    public static string Print(Graph graph, bool origins = false)
    {
        var names = new Dictionary<Value, string>();
        foreach (var i in graph.Inputs) names[i.Value] = i.Name;
        foreach (var w in graph.Weights) names[w.Value] = w.Name;
        int next = 0;

        var sb = new StringBuilder();
        sb.Append("graph ").Append(graph.Name).Append('(');
        sb.Append(string.Join(", ", graph.Inputs.Select(i => $"{i.Name}: {i.Value.Type}")));
        sb.Append(") {\n");
        foreach (var w in graph.Weights)
            sb.Append("  ").Append(w.Kind == WeightKind.Param ? "param " : "buffer ").Append(w.Name).Append(": ")
              .Append(w.Value.Type).Append(" = ").Append(w.Init).Append('\n');
        foreach (var r in graph.Routing)
            sb.Append("  routing(top_k=").Append(r.TopK).Append(", experts=").Append(r.ExpertCount)
              .Append(", rows=<").Append(r.ExecutedRows).Append(">, useful=<").Append(r.UsefulRows).Append(">) ")
              .Append(string.Join(", ", r.WeightNames)).Append('\n');
        foreach (var n in graph.Nodes)
        {
            sb.Append("  ");
            for (int k = 0; k < n.Outputs.Length; k++)
            {
                var name = (next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
                names[n.Outputs[k]] = name;
                if (k > 0) sb.Append(", ");
                sb.Append('%').Append(name);
            }
            if (n.Outputs.Length == 0) sb.Append("()");
            sb.Append(" = ").Append(n.Op.Name).Append('(');
            sb.Append(string.Join(", ", n.Inputs.Select(i => "%" + Name(names, i))));
            sb.Append(')');
            if (n.Attributes.Count > 0) sb.Append(' ').Append(n.Attributes);
            sb.Append(" : ").Append(string.Join(", ", n.Outputs.Select(o => o.Type.ToString())));
            if (n.RoutingGroup >= 0) sb.Append(" routed(").Append(n.RoutingGroup).Append(')');
            if (origins && n.Origin is { } at) sb.Append("  // ").Append(at);
            sb.Append('\n');
        }
        foreach (var o in graph.Outputs) sb.Append("  output ").Append(o.Name).Append(" = %").Append(Name(names, o.Value)).Append('\n');
        sb.Append("}\n");
        return sb.ToString();
    }

    private static string Name(Dictionary<Value, string> names, Value v) => names.TryGetValue(v, out var n) ? n : $"?{v.Id}";
}
