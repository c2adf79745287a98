using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>
/// Local identities that remove work without changing any value: transpose of transpose,
/// reshape chains and no-op reshapes, casts to the same dtype, full-range slices, double
/// negation, adding zero, multiplying or dividing by one. A rule fires only when the result has
/// exactly the type of the node it replaces.
/// </summary>
public sealed class AlgebraicSimplification : IPass
{
    public string Name => "simplify";

    public Graph Run(Graph graph) => GraphRewriter.Rewrite(graph, Simplify);

    private static bool Simplify(GraphRewriter r, Node node)
    {
        if (node.Outputs.Length != 1) return false;
        var output = node.Output;
        var inputs = r.MapInputs(node);
        var replacement = TrySimplify(r, node, inputs);
        if (replacement == null || !replacement.Type.Equals(output.Type)) return false;
        r.Replace(output, replacement);
        return true;
    }

    private static Value? TrySimplify(GraphRewriter r, Node node, ImmutableArray<Value> inputs)
    {
        var a = node.Attributes;
        var x = inputs.Length > 0 ? inputs[0] : null;
        var producer = x != null ? r.ProducerOf(x) : null;
        switch (node.Op.Name)
        {
            case "transpose":
                {
                    var perm = a.GetInts("perm");
                    if (IsIdentity(perm)) return x;
                    if (producer?.Op == Ops.Transpose)
                    {
                        var inner = producer.Attributes.GetInts("perm");
                        var combined = perm.Select(p => inner[(int)p]).ToImmutableArray();
                        var source = producer.Inputs[0];
                        return IsIdentity(combined) ? source : r.Emit1(Ops.Transpose, Attributes.Of(("perm", combined)), source);
                    }
                    return null;
                }
            case "reshape":
                {
                    var target = new Shape(a.GetDims("shape"));
                    if (x!.Type.Shape.Equals(target)) return x;
                    if (producer?.Op == Ops.Reshape || producer?.Op == Ops.Squeeze || producer?.Op == Ops.Unsqueeze)
                    {
                        var source = producer.Inputs[0];
                        return source.Type.Shape.Equals(target) ? source : r.Emit1(Ops.Reshape, a, source);
                    }
                    return null;
                }
            case "expand":
                return x!.Type.Shape.Equals(new Shape(a.GetDims("shape"))) ? x : null;
            case "squeeze":
                if (a.GetInts("axes").IsEmpty) return x;
                if (producer?.Op == Ops.Unsqueeze && producer.Attributes.GetInts("axes").SequenceEqual(a.GetInts("axes"))) return producer.Inputs[0];
                return null;
            case "unsqueeze":
                if (a.GetInts("axes").IsEmpty) return x;
                if (producer?.Op == Ops.Squeeze && producer.Attributes.GetInts("axes").SequenceEqual(a.GetInts("axes"))) return producer.Inputs[0];
                return null;
            case "cast":
                return x!.Type.DType == a.GetDType("dtype") ? x : null;
            case "slice":
                {
                    var axes = a.GetInts("axes");
                    var starts = a.GetDims("starts");
                    var stops = a.GetDims("stops");
                    var steps = a.GetInts("steps");
                    for (int i = 0; i < axes.Length; i++)
                        if (!starts[i].IsZero || steps[i] != 1 || !stops[i].Equals(x!.Type.Shape[(int)axes[i]])) return null;
                    return x;
                }
            case "concat":
                return inputs.Length == 1 ? x : null;
            case "neg":
                return producer?.Op == Ops.Neg ? producer.Inputs[0] : null;
            case "not":
                return producer?.Op == Ops.Not ? producer.Inputs[0] : null;
            case "add":
                return IsSplat(r, inputs[1], 0) ? inputs[0] : IsSplat(r, inputs[0], 0) ? inputs[1] : null;
            case "sub":
                return IsSplat(r, inputs[1], 0) ? inputs[0] : null;
            case "mul":
                return IsSplat(r, inputs[1], 1) ? inputs[0] : IsSplat(r, inputs[0], 1) ? inputs[1] : null;
            case "div":
            case "pow":
                return IsSplat(r, inputs[1], 1) ? inputs[0] : null;
            default:
                return null;
        }
    }

    private static bool IsIdentity(ImmutableArray<long> perm)
    {
        for (int i = 0; i < perm.Length; i++)
            if (perm[i] != i) return false;
        return true;
    }

    /// <summary>True when <paramref name="v"/> is a <c>full</c> of exactly <paramref name="value"/>.</summary>
    internal static bool IsSplat(GraphRewriter r, Value v, double value) =>
        r.ProducerOf(v) is { } p && p.Op == Ops.Full && p.Attributes.TryGet("value", out var fill) && fill is double d && d == value;
}
