using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>
/// Folds computations on constants that fill a tensor with one value (<c>full</c>, the form every
/// literal and zeros/ones takes): elementwise math of fills is a fill, so is reshaping or slicing
/// one, and reducing one has a closed form. No tensor data is materialised at compile time. A fill
/// whose value is a dimension that has become a number is turned into a plain fill.
/// </summary>
public sealed class ConstantFolding : IPass
{
    public string Name => "fold";

    public Graph Run(Graph graph) => GraphRewriter.Rewrite(graph, Fold);

    private static bool Fold(GraphRewriter r, Node node)
    {
        if (node.Op == Ops.Full) return FoldDimFill(r, node);
        if (node.Outputs.Length != 1 || node.Inputs.Length == 0) return false;
        var inputs = r.MapInputs(node);
        // Most nodes read no fill: look before allocating.
        foreach (var input in inputs)
            if (FillValue(r, input) is null) return false;
        var fills = new double[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) fills[i] = FillValue(r, inputs[i])!.Value;
        var type = node.Output.Type;
        var value = Evaluate(node, fills, inputs);
        if (value is not { } result) return false;
        result = Convert(result, type.DType);
        if (double.IsNaN(result) || double.IsInfinity(result)) return false;
        r.Replace(node.Output, r.Emit1(Ops.Full, Attributes.Of(("dtype", type.DType), ("shape", type.Shape.Dims), ("value", result))));
        return true;
    }

    private static bool FoldDimFill(GraphRewriter r, Node node)
    {
        if (!node.Attributes.TryGet("value", out var v) || v is not Dim d) return false;
        var value = r.Binding != null ? d.Substitute(r.Binding) : d;
        if (!value.IsConstant) return false;
        var t = node.Output.Type;
        r.Replace(node.Output, r.Emit1(Ops.Full, Attributes.Of(("dtype", t.DType), ("shape", node.Attributes.GetDims("shape")), ("value", (double)value.ConstantValue!.Value))));
        return true;
    }

    /// <summary>The value a fill holds, or null when <paramref name="v"/> is not a plain fill.</summary>
    private static double? FillValue(GraphRewriter r, Value v) =>
        r.ProducerOf(v) is { } p && p.Op == Ops.Full && p.Attributes.TryGet("value", out var fill) && fill is double d ? d : null;

    private static double? Evaluate(Node node, double[] v, ImmutableArray<Value> inputs)
    {
        var a = node.Attributes;
        switch (node.Op.Name)
        {
            case "exp": return Math.Exp(v[0]);
            case "log": return Math.Log(v[0]);
            case "sqrt": return Math.Sqrt(v[0]);
            case "rsqrt": return 1 / Math.Sqrt(v[0]);
            case "tanh": return Math.Tanh(v[0]);
            case "sigmoid": return 1 / (1 + Math.Exp(-v[0]));
            case "relu": return Math.Max(0, v[0]);
            case "silu": return v[0] / (1 + Math.Exp(-v[0]));
            case "abs": return Math.Abs(v[0]);
            case "sin": return Math.Sin(v[0]);
            case "cos": return Math.Cos(v[0]);
            case "neg": return -v[0];
            case "not": return v[0] != 0 ? 0 : 1;
            case "cast": return v[0];
            case "clamp": return Math.Min(a.GetFloat("max", double.PositiveInfinity), Math.Max(a.GetFloat("min", double.NegativeInfinity), v[0]));
            case "add": return v[0] + v[1];
            case "sub": return v[0] - v[1];
            case "mul": return v[0] * v[1];
            case "div": return v[1] == 0 ? null : v[0] / v[1];
            case "mod": return v[1] == 0 ? null : v[0] - Math.Floor(v[0] / v[1]) * v[1];
            case "pow": return Math.Pow(v[0], v[1]);
            case "maximum": return Math.Max(v[0], v[1]);
            case "minimum": return Math.Min(v[0], v[1]);
            case "eq": return v[0] == v[1] ? 1 : 0;
            case "ne": return v[0] != v[1] ? 1 : 0;
            case "lt": return v[0] < v[1] ? 1 : 0;
            case "le": return v[0] <= v[1] ? 1 : 0;
            case "gt": return v[0] > v[1] ? 1 : 0;
            case "ge": return v[0] >= v[1] ? 1 : 0;
            case "and": return v[0] != 0 && v[1] != 0 ? 1 : 0;
            case "or": return v[0] != 0 || v[1] != 0 ? 1 : 0;
            case "where": return v[0] != 0 ? v[1] : v[2];
            case "reshape":
            case "expand":
            case "transpose":
            case "squeeze":
            case "unsqueeze":
            case "slice":
                return v[0];
            case "concat":
            case "stack":
                return v.All(x => x == v[0]) ? v[0] : null;
            case "mean":
            case "max":
            case "min":
                return v[0];
            case "sum":
                {
                    var count = ReducedCount(inputs[0].Type.Shape, a.GetInts("axes"));
                    return count is { } n ? v[0] * n : null;
                }
            case "softmax":
                {
                    var size = inputs[0].Type.Shape[(int)Normalize(a.GetInt("axis"), inputs[0].Type.Rank)];
                    return size.ConstantValue is { } n ? 1.0 / n : null;
                }
            default:
                return null;
        }
    }

    private static long Normalize(long axis, int rank) => axis < 0 ? axis + rank : axis;

    private static long? ReducedCount(Shape shape, ImmutableArray<long> axes)
    {
        long n = 1;
        foreach (var axis in axes)
        {
            if (shape[(int)Normalize(axis, shape.Rank)].ConstantValue is not { } size) return null;
            n *= size;
        }
        return n;
    }

    /// <summary>Rounds a folded value as the dtype stores it (integers truncate, bools are 0 or 1).</summary>
    private static double Convert(double value, DType dtype) => dtype switch
    {
        DType.Bool => value != 0 ? 1 : 0,
        DType.I8 or DType.I32 or DType.I64 => Math.Truncate(value),
        DType.F32 => (float)value,
        _ => value,
    };
}
