using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.CodeGen.CSharp;

/// <summary>
/// The file <c>dskc compile --emit csharp</c> writes: a header comment that says which model and dims the
/// kernels are for and, for each kernel, which graph nodes it fuses (numbered as <c>--emit ir</c> numbers
/// them, with the .dsk expression each came from), followed by <see cref="KernelModule.Source"/>
/// unchanged. Every header line goes through <see cref="CSharpKernelPrinter.Comment"/>: paths and source
/// excerpts come from the user and must not be able to end the comment.
/// </summary>
public static class KernelSourceFile
{
    /// <summary>How much of a node's .dsk expression the header quotes.</summary>
    private const int ExcerptLength = 60;

    public static string Print(KernelModule module, string sourcePath, IReadOnlyDictionary<string, long> dims)
    {
        var graph = module.Fusion.Graph;
        var names = ValueNames(graph);
        var lines = new List<string>
        {
            $"Generated C# kernels of model {graph.Name} (from {sourcePath}), written by dskc compile --emit csharp.",
        };
        var symbolic = graph.SymbolicDims.OrderBy(d => d, StringComparer.Ordinal).ToList();
        var bound = dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={Int(kv.Value)}").ToList();
        if (bound.Count > 0) lines.Add("Dims bound: " + string.Join(", ", bound) + ".");
        if (symbolic.Count > 0)
            lines.Add($"Dims left symbolic: {string.Join(", ", symbolic)}; a kernel takes those it uses in its dims argument, in the order listed for it.");
        int groups = module.Fusion.FusedKernels;
        int library = groups - module.Kernels.Length;
        lines.Add(module.Kernels.Length == 0
            ? $"{groups} fused kernel groups, none of them generated: all run library kernels of the runtime (matrix products, attention, gathers)."
            : $"{groups} fused kernel groups: {Count(module.Kernels.Length, "generated kernel")} below" +
              (library == 0 ? "." : $"; {Count(library, "other")} {(library == 1 ? "runs a library kernel" : "run library kernels")} of the runtime (matrix products, attention, gathers)."));
        lines.Add("Each kernel is static void kN(nint* buffers, long* dims): its input buffers then its output, contiguous and row-major.");
        lines.Add("Parallel loops call DeepSeek.Lang.Runtime.Kernels.Cpu.KernelParallel: compile with a reference to DeepSeek.Lang.Runtime.");
        lines.Add("Node numbers (%n) are those of dskc compile --emit ir with the same dims.");
        foreach (var k in module.Kernels)
        {
            lines.Add("");
            // Every node, fills included (the kernel's own description leaves out the fills it inlines).
            lines.Add($"{k.Kernel.Name} fuses {Count(k.Group.Nodes.Count, "node")}: {string.Join(" ", k.Group.Nodes.Select(n => n.Op.Name))}");
            foreach (var node in k.Group.Nodes)
            {
                var outputs = string.Join(", ", node.Outputs.Select(o => "%" + names[o]));
                var origin = node.Origin is { } at ? "  at " + Origin(at) : "";
                lines.Add($"  {outputs} = {node.Op.Name}{origin}");
            }
            var buffers = k.Kernel.Buffers.Select((b, i) => $"{b.Name} = {Name(names, k.Lowered.Bindings[i])} {b.DType.Name()}[{string.Join(", ", b.Shape)}]");
            lines.Add("  buffers: " + string.Join("; ", buffers));
            if (k.Kernel.Dims.Length > 0) lines.Add("  dims: " + string.Join(", ", k.Kernel.Dims));
        }

        var sb = new StringBuilder();
        foreach (var line in lines) sb.Append(line.Length == 0 ? "//" : "// " + CSharpKernelPrinter.Comment(line)).Append('\n');
        sb.Append('\n').Append(module.Source);
        return sb.ToString();
    }

    /// <summary>Names as <see cref="IrPrinter"/> gives them: inputs and weights by name, node outputs numbered from 0.</summary>
    private static Dictionary<Value, string> ValueNames(Graph graph)
    {
        var names = new Dictionary<Value, string>();
        foreach (var i in graph.Inputs) names[i.Value] = i.Name;
        foreach (var w in graph.Weights) names[w.Value] = w.Name;
        int next = 0;
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs) names[o] = Int(next++);
        return names;
    }

    private static string Name(Dictionary<Value, string> names, Value v) =>
        names.TryGetValue(v, out var n) ? (char.IsDigit(n[0]) ? "%" + n : n) : "?";

    /// <summary><c>file.dsk(line,col): the expression</c>, the expression cut to one line of at most <see cref="ExcerptLength"/> characters.</summary>
    private static string Origin(Text.Location at)
    {
        var excerpt = string.Join(" ", at.Source[at.Span].Split(new[] { '\r', '\n', '\t', ' ' }, StringSplitOptions.RemoveEmptyEntries));
        if (excerpt.Length > ExcerptLength) excerpt = excerpt[..(ExcerptLength - 1)] + "…";
        return $"{Path.GetFileName(at.Source.Path)}{at.Start}: {excerpt}";
    }

    private static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Count(int n, string noun) => $"{Int(n)} {noun}{(n == 1 ? "" : "s")}";
}
