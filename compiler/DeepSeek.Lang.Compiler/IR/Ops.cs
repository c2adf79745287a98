using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Shapes;
using D = DeepSeek.Lang.Compiler.Diagnostics.DiagnosticDescriptors;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>
/// The primitive set of the graph IR (language.md §5) with each op's type rule. Type errors are
/// phrased for the .dsk author and name the shapes involved; the elaborator reports them at the
/// expression that made the op.
/// </summary>
public static class Ops
{
    private static readonly Dictionary<string, Op> ByName = new(StringComparer.Ordinal);

    // ------------------------------------------------------------------ sources

    /// <summary>A tensor of explicit values: attrs dtype, shape (concrete dims), values (doubles, row-major; one value fills).</summary>
    public static readonly Op Constant = Define(new Op("constant", OpCategory.Source, 0, 0, (_, a) =>
        new TensorType(a.GetDType("dtype"), new Shape(a.GetDims("shape"))), _ => Dim.Zero));

    /// <summary>A tensor filled with one value; the shape may be symbolic. Attrs dtype, shape, value.</summary>
    public static readonly Op Full = Define(new Op("full", OpCategory.Source, 0, 0, (_, a) =>
        new TensorType(a.GetDType("dtype"), new Shape(a.GetDims("shape"))), _ => Dim.Zero));

    /// <summary>start, start + step, … below stop. Attrs dtype, start (Dim), stop (Dim), step (int).</summary>
    public static readonly Op Arange = Define(new Op("arange", OpCategory.Source, 0, 0, (_, a) =>
    {
        var start = a.GetDim("start");
        var stop = a.GetDim("stop");
        long step = a.GetInt("step", 1);
        if (step == 0) return OpTyping.Fail(D.InvalidArgumentValue, "arange step must not be zero");
        var span = stop - start;
        var length = step == 1 ? span : Dim.FloorDiv(span + Dim.Const(step - Math.Sign(step)), Dim.Const(step));
        return new TensorType(a.GetDType("dtype"), length);
    }, _ => Dim.Zero));

    /// <summary>Standard normal samples (REPL and tests). Attrs dtype, shape, seed.</summary>
    public static readonly Op Randn = Define(new Op("randn", OpCategory.Opaque, 0, 0, (_, a) =>
        new TensorType(a.GetDType("dtype"), new Shape(a.GetDims("shape"))), _ => Dim.Zero));

    // ------------------------------------------------------------------ elementwise

    public static readonly Op Exp = Unary("exp");
    public static readonly Op Log = Unary("log");
    public static readonly Op Sqrt = Unary("sqrt");
    public static readonly Op Rsqrt = Unary("rsqrt");
    public static readonly Op Tanh = Unary("tanh");
    public static readonly Op Sigmoid = Unary("sigmoid");
    public static readonly Op Relu = Unary("relu", floatOnly: false);
    public static readonly Op Gelu = Unary("gelu", composite: true);
    public static readonly Op Silu = Unary("silu", composite: true);
    public static readonly Op Erf = Unary("erf");
    public static readonly Op Abs = Unary("abs", floatOnly: false);
    public static readonly Op Sin = Unary("sin");
    public static readonly Op Cos = Unary("cos");
    public static readonly Op Neg = Unary("neg", floatOnly: false);

    public static readonly Op Not = Define(new Op("not", OpCategory.Elementwise, 1, 1, (i, _) =>
        i[0].DType == DType.Bool ? i[0] : OpTyping.Fail(D.DTypeMismatch, $"'not' needs a bool tensor, got {i[0]}")));

    /// <summary>Converts the element type. Attr dtype.</summary>
    public static readonly Op Cast = Define(new Op("cast", OpCategory.Elementwise, 1, 1, (i, a) => i[0].WithDType(a.GetDType("dtype")), _ => Dim.Zero));

    /// <summary>Clamps into [min, max]; attrs min and/or max (floats).</summary>
    public static readonly Op Clamp = Define(new Op("clamp", OpCategory.Elementwise, 1, 1, (i, a) =>
        i[0].DType == DType.Bool ? OpTyping.Fail(D.DTypeMismatch, $"clamp needs a numeric tensor, got {i[0]}") : i[0]));

    // ------------------------------------------------------------------ broadcast binary and ternary

    public static readonly Op Add = Binary("add", "add");
    public static readonly Op Sub = Binary("sub", "subtract");
    public static readonly Op Mul = Binary("mul", "multiply");
    public static readonly Op Div = Binary("div", "divide", floatOnly: true);
    public static readonly Op Mod = Binary("mod", "take the remainder of");
    public static readonly Op Pow = Binary("pow", "raise", floatOnly: true);
    public static readonly Op Maximum = Binary("maximum", "take the maximum of");
    public static readonly Op Minimum = Binary("minimum", "take the minimum of");
    public static readonly Op Eq = Binary("eq", "compare", result: DType.Bool);
    public static readonly Op Ne = Binary("ne", "compare", result: DType.Bool);
    public static readonly Op Lt = Binary("lt", "compare", result: DType.Bool);
    public static readonly Op Le = Binary("le", "compare", result: DType.Bool);
    public static readonly Op Gt = Binary("gt", "compare", result: DType.Bool);
    public static readonly Op Ge = Binary("ge", "compare", result: DType.Bool);
    public static readonly Op And = Binary("and", "combine with 'and'", result: DType.Bool, boolOnly: true);
    public static readonly Op Or = Binary("or", "combine with 'or'", result: DType.Bool, boolOnly: true);

    /// <summary>where(cond, a, b): a where cond is true, else b; all three broadcast.</summary>
    public static readonly Op Where = Define(new Op("where", OpCategory.Broadcast, 3, 3, (i, _) =>
    {
        if (i[0].DType != DType.Bool) return OpTyping.Fail(D.DTypeMismatch, $"where's condition must be a bool tensor, got {i[0]}");
        if (i[1].DType != i[2].DType)
            return OpTyping.Fail(D.DTypeMismatch, $"where's branches have different dtypes: {i[1]} and {i[2]}; use cast(...)");
        var r = BroadcastShapes("select between", i[1], i[2]);
        if (!r.Ok) return r;
        var s = BroadcastShapes("select with", i[0], r.Outputs[0]);
        return s.Ok ? i[1].WithShape(s.Outputs[0].Shape) : s;
    }));

    // ------------------------------------------------------------------ reductions

    public static readonly Op Sum = Reduce("sum", floatOnly: false);
    public static readonly Op Mean = Reduce("mean", floatOnly: true);
    public static readonly Op Max = Reduce("max", floatOnly: false);
    public static readonly Op Min = Reduce("min", floatOnly: false);
    public static readonly Op LogSumExp = Reduce("logsumexp", floatOnly: true, composite: true);

    /// <summary>Index of the largest element along one axis. Attrs axis, keepdim.</summary>
    public static readonly Op ArgMax = Define(new Op("argmax", OpCategory.Reduction, 1, 1, (i, a) =>
    {
        var axis = NormalizeAxis("argmax", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        return new TensorType(DType.I64, ReducedShape(i[0].Shape, new[] { axis }, a.GetBool("keepdim")));
    }, n => n.Inputs[0].Type.Shape.ElementCount));

    public static readonly Op Softmax = AlongAxis("softmax", composite: true);
    public static readonly Op LogSoftmax = AlongAxis("log_softmax", composite: true);

    /// <summary>Running sum along an axis; attr exclusive starts each sum at zero.</summary>
    public static readonly Op CumSum = Define(new Op("cumsum", OpCategory.Reduction, 1, 1, (i, a) =>
    {
        var axis = NormalizeAxis("cumsum", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        return i[0].DType == DType.Bool ? OpTyping.Fail(D.DTypeMismatch, $"cumsum needs a numeric tensor, got {i[0]}") : i[0];
    }));

    // ------------------------------------------------------------------ shape (injective)

    /// <summary>Same elements, new shape. Attr shape (Dims).</summary>
    public static readonly Op Reshape = Define(new Op("reshape", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var target = new Shape(a.GetDims("shape"));
        var from = i[0].Shape.ElementCount;
        var to = target.ElementCount;
        if (!DimEquality.Same(from, to))
            return OpTyping.Fail(D.ReshapeMismatch, $"cannot reshape {i[0]} to {target}: {from} elements cannot become {to}");
        return i[0].WithShape(target);
    }, _ => Dim.Zero));

    /// <summary>Permutes axes. Attr perm.</summary>
    public static readonly Op Transpose = Define(new Op("transpose", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var perm = a.GetInts("perm");
        var shape = i[0].Shape;
        if (perm.Length != shape.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= shape.Rank))
            return OpTyping.Fail(D.AxisOutOfRange, $"permutation ({string.Join(", ", perm)}) does not fit {i[0]}: it must list each of the {shape.Rank} axes once");
        return i[0].WithShape(new Shape(perm.Select(p => shape[(int)p]).ToImmutableArray()));
    }, _ => Dim.Zero));

    /// <summary>Broadcasts to a larger shape. Attr shape.</summary>
    public static readonly Op Expand = Define(new Op("expand", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var target = new Shape(a.GetDims("shape"));
        if (!Broadcasting.BroadcastsTo(i[0].Shape, target))
            return OpTyping.Fail(D.ShapeMismatch, $"cannot expand {i[0]} to {target}");
        return i[0].WithShape(target);
    }, _ => Dim.Zero));

    /// <summary>Joins tensors along an existing axis. Attr axis.</summary>
    public static readonly Op Concat = Define(new Op("concat", OpCategory.Injective, 1, int.MaxValue, (i, a) =>
    {
        var axis = NormalizeAxis("concat", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        var total = Dim.Zero;
        for (int k = 0; k < i.Count; k++)
        {
            if (i[k].DType != i[0].DType) return OpTyping.Fail(D.DTypeMismatch, $"cannot concat {i[0]} and {i[k]}: dtypes differ");
            if (i[k].Rank != i[0].Rank) return OpTyping.Fail(D.RankMismatch, $"cannot concat {i[0]} and {i[k]}: ranks differ");
            for (int d = 0; d < i[0].Rank; d++)
                if (d != axis && !DimEquality.Same(i[k].Shape[d], i[0].Shape[d]))
                    return OpTyping.Fail(D.ShapeMismatch, $"cannot concat {i[0]} and {i[k]} along axis {axis}: dimension {d} is {i[0].Shape[d]} and {i[k].Shape[d]}");
            total += i[k].Shape[axis];
        }
        return i[0].WithShape(i[0].Shape.With(axis, total));
    }, _ => Dim.Zero));

    /// <summary>Stacks same-shaped tensors along a new axis. Attr axis.</summary>
    public static readonly Op Stack = Define(new Op("stack", OpCategory.Injective, 1, int.MaxValue, (i, a) =>
    {
        long axis = a.GetInt("axis");
        if (axis < 0) axis += i[0].Rank + 1;
        if (axis < 0 || axis > i[0].Rank) return OpTyping.Fail(D.AxisOutOfRange, $"stack axis {a.GetInt("axis")} is out of range for {i[0]}");
        for (int k = 1; k < i.Count; k++)
            if (!DimEquality.Same(i[k], i[0])) return OpTyping.Fail(D.ShapeMismatch, $"cannot stack {i[0]} and {i[k]}: types differ");
        return i[0].WithShape(new Shape(i[0].Shape.Dims.Insert((int)axis, Dim.Const(i.Count))));
    }, _ => Dim.Zero));

    /// <summary>Splits along an axis into pieces of the given sizes (one output each). Attrs axis, sizes (Dims).</summary>
    public static readonly Op Split = Define(new Op("split", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var axis = NormalizeAxis("split", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        var sizes = a.GetDims("sizes");
        var total = Dim.Zero;
        foreach (var s in sizes) total += s;
        if (!DimEquality.Same(total, i[0].Shape[axis]))
            return OpTyping.Fail(D.ShapeMismatch, $"cannot split dimension {axis} of {i[0]} into pieces of {string.Join(", ", sizes)}: they add up to {total}");
        return OpTyping.Of(sizes.Select(s => i[0].WithShape(i[0].Shape.With(axis, s))).ToArray());
    }, _ => Dim.Zero, outputs: -1));

    /// <summary>Removes axes of size 1. Attr axes.</summary>
    public static readonly Op Squeeze = Define(new Op("squeeze", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var axes = new List<int>();
        foreach (var ax in a.GetInts("axes"))
        {
            var n = NormalizeAxis("squeeze", i[0], ax, out var error);
            if (n < 0) return error;
            if (!(i[0].Shape[n].IsConstant && i[0].Shape[n].ConstantValue == 1))
                return OpTyping.Fail(D.ShapeMismatch, $"cannot squeeze axis {n} of {i[0]}: its size is {i[0].Shape[n]}, not 1");
            axes.Add(n);
        }
        return i[0].WithShape(new Shape(i[0].Shape.Dims.Where((_, k) => !axes.Contains(k)).ToImmutableArray()));
    }, _ => Dim.Zero));

    /// <summary>Inserts axes of size 1; attr axes are positions in the result.</summary>
    public static readonly Op Unsqueeze = Define(new Op("unsqueeze", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var axes = a.GetInts("axes");
        int rank = i[0].Rank + axes.Length;
        var normalized = axes.Select(x => x < 0 ? x + rank : x).ToList();
        if (normalized.Any(x => x < 0 || x >= rank) || normalized.Distinct().Count() != normalized.Count)
            return OpTyping.Fail(D.AxisOutOfRange, $"cannot insert axes ({string.Join(", ", axes)}) into {i[0]}");
        var dims = new List<Dim>();
        int src = 0;
        for (int k = 0; k < rank; k++) dims.Add(normalized.Contains(k) ? Dim.One : i[0].Shape[src++]);
        return i[0].WithShape(new Shape(dims.ToImmutableArray()));
    }, _ => Dim.Zero));

    /// <summary>
    /// Strided slice. Attrs axes (ints), starts and stops (Dims, already within [0, size]), steps (ints &gt; 0).
    /// </summary>
    public static readonly Op Slice = Define(new Op("slice", OpCategory.Injective, 1, 1, (i, a) =>
    {
        var axes = a.GetInts("axes");
        var starts = a.GetDims("starts");
        var stops = a.GetDims("stops");
        var steps = a.GetInts("steps");
        var shape = i[0].Shape;
        for (int k = 0; k < axes.Length; k++)
        {
            int axis = (int)axes[k];
            if (axis < 0 || axis >= shape.Rank) return OpTyping.Fail(D.AxisOutOfRange, $"slice axis {axis} is out of range for {i[0]}");
            var length = stops[k] - starts[k];
            if (steps[k] != 1) length = Dim.FloorDiv(length + Dim.Const(steps[k] - 1), Dim.Const(steps[k]));
            shape = shape.With(axis, length);
        }
        return i[0].WithShape(shape);
    }, _ => Dim.Zero));

    // ------------------------------------------------------------------ indexing

    /// <summary>Whole slices along an axis, picked by an integer index tensor (numpy take). Attr axis.</summary>
    public static readonly Op IndexSelect = Define(new Op("index_select", OpCategory.Injective, 2, 2, (i, a) =>
    {
        var axis = NormalizeAxis("index_select", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        if (!i[1].DType.IsInteger()) return OpTyping.Fail(D.IndexNotInteger, $"index_select's index must be an integer tensor, got {i[1]}");
        var dims = i[0].Shape.Dims.RemoveAt(axis).InsertRange(axis, i[1].Shape.Dims);
        return i[0].WithShape(new Shape(dims));
    }, _ => Dim.Zero));

    /// <summary>Element-wise gather along an axis (PyTorch gather, ONNX GatherElements). Attr axis.</summary>
    public static readonly Op Gather = Define(new Op("gather", OpCategory.Injective, 2, 2, (i, a) =>
    {
        var axis = NormalizeAxis("gather", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        if (!i[1].DType.IsInteger()) return OpTyping.Fail(D.IndexNotInteger, $"gather's index must be an integer tensor, got {i[1]}");
        if (i[1].Rank != i[0].Rank) return OpTyping.Fail(D.RankMismatch, $"gather's index {i[1]} must have the rank of {i[0]}");
        for (int d = 0; d < i[0].Rank; d++)
            if (d != axis && !DimEquality.Same(i[1].Shape[d], i[0].Shape[d]))
                return OpTyping.Fail(D.ShapeMismatch, $"gather's index {i[1]} and input {i[0]} differ in dimension {d}");
        return i[0].WithShape(i[1].Shape);
    }, _ => Dim.Zero));

    /// <summary>
    /// Adds slices into a zero tensor: src [E, *F], index [E] gives [size, *F] with out[index[e]] += src[e]
    /// (PyG's scatter with sum). Attr size.
    /// </summary>
    public static readonly Op ScatterAdd = Define(new Op("scatter_add", OpCategory.Opaque, 2, 2, (i, a) =>
    {
        if (!i[1].DType.IsInteger()) return OpTyping.Fail(D.IndexNotInteger, $"scatter_add's index must be an integer tensor, got {i[1]}");
        if (i[1].Rank != 1) return OpTyping.Fail(D.RankMismatch, $"scatter_add's index must be one-dimensional, got {i[1]}");
        if (i[0].Rank < 1 || !DimEquality.Same(i[0].Shape[0], i[1].Shape[0]))
            return OpTyping.Fail(D.ShapeMismatch, $"scatter_add's source {i[0]} must have one row per index entry ({i[1].Shape[0]})");
        return i[0].WithShape(i[0].Shape.With(0, a.GetDim("size")));
    }, n => n.Inputs[0].Type.Shape.ElementCount));

    /// <summary>One-hot encoding: ids [*S] gives [*S, depth]. Attrs depth (Dim), dtype.</summary>
    public static readonly Op OneHot = Define(new Op("one_hot", OpCategory.Injective, 1, 1, (i, a) =>
    {
        if (!i[0].DType.IsInteger()) return OpTyping.Fail(D.IndexNotInteger, $"one_hot needs integer ids, got {i[0]}");
        return new TensorType(a.GetDType("dtype"), new Shape(i[0].Shape.Dims.Add(a.GetDim("depth"))));
    }, _ => Dim.Zero));

    /// <summary>The k largest values along an axis and their indices. Attrs k, axis.</summary>
    public static readonly Op TopK = Define(new Op("topk", OpCategory.Opaque, 1, 1, (i, a) =>
    {
        var axis = NormalizeAxis("topk", i[0], a.GetInt("axis"), out var error);
        if (axis < 0) return error;
        long k = a.GetInt("k");
        var size = i[0].Shape[axis];
        if (k < 1 || (size.IsConstant && k > size.ConstantValue))
            return OpTyping.Fail(D.InvalidArgumentValue, $"topk k = {k} must be between 1 and the size of axis {axis} of {i[0]} ({size})");
        var shape = i[0].Shape.With(axis, Dim.Const(k));
        return OpTyping.Of(i[0].WithShape(shape), new TensorType(DType.I64, shape));
    }, n => n.Inputs[0].Type.Shape.ElementCount, outputs: 2));

    // ------------------------------------------------------------------ network

    /// <summary>Matrix product with NumPy batch broadcasting.</summary>
    public static readonly Op MatMul = Define(new Op("matmul", OpCategory.OutputFusable, 2, 2, (i, _) => MatMulType(i[0], i[1]),
        n => Dim.Const(2) * n.Output.Type.Shape.ElementCount * ContractedDim(n.Inputs[0].Type)));

    /// <summary>
    /// Rows multiplied by the weight of their group: x [R, K], w [G, K, N], group [R] gives [R, N]
    /// (the dropless MoE product).
    /// </summary>
    public static readonly Op GroupedMatMul = Define(new Op("grouped_matmul", OpCategory.Opaque, 3, 3, (i, _) =>
    {
        var (x, w, g) = (i[0], i[1], i[2]);
        if (x.Rank != 2 || w.Rank != 3 || g.Rank != 1)
            return OpTyping.Fail(D.RankMismatch, $"grouped_matmul takes x [R, K], w [G, K, N] and group [R]; got {x}, {w} and {g}");
        if (!g.DType.IsInteger()) return OpTyping.Fail(D.IndexNotInteger, $"grouped_matmul's group must be an integer tensor, got {g}");
        if (!DimEquality.Same(x.Shape[1], w.Shape[1])) return OpTyping.Fail(D.MatMulMismatch, $"cannot multiply {x} by {w}: inner dimensions {x.Shape[1]} and {w.Shape[1]} differ");
        if (!DimEquality.Same(g.Shape[0], x.Shape[0])) return OpTyping.Fail(D.ShapeMismatch, $"grouped_matmul's group {g} must have one entry per row of {x}");
        if (x.DType != w.DType) return OpTyping.Fail(D.DTypeMismatch, $"cannot multiply {x} by {w}: dtypes differ");
        return new TensorType(x.DType, x.Shape[0], w.Shape[2]);
    }, n => Dim.Const(2) * n.Output.Type.Shape.ElementCount * n.Inputs[0].Type.Shape[1]));

    /// <summary>Normalises over the last axes (as many as the weight has) with weight and bias. Attr eps.</summary>
    public static readonly Op LayerNorm = Define(new Op("layer_norm", OpCategory.Reduction, 3, 3, (i, _) => NormType("layer_norm", i),
        n => Dim.Const(8) * n.Output.Type.Shape.ElementCount, composite: true));

    /// <summary>Root-mean-square normalisation over the last axes with a weight. Attr eps.</summary>
    public static readonly Op RmsNorm = Define(new Op("rms_norm", OpCategory.Reduction, 2, 2, (i, _) => NormType("rms_norm", i),
        n => Dim.Const(6) * n.Output.Type.Shape.ElementCount, composite: true));

    /// <summary>
    /// Scaled dot-product attention: q [B, H, Tq, dh], k [B, Hkv, Tk, dh], v [B, Hkv, Tk, dv], optional
    /// mask (bool, true = attend; or float, added) broadcasting to [B, H, Tq, Tk]. Grouped-query when Hkv
    /// divides H. Attrs causal (bool), scale (float, default 1/sqrt(dh)).
    /// </summary>
    public static readonly Op Attention = Define(new Op("attention", OpCategory.Opaque, 3, 4, (i, _) => AttentionType(i), AttentionFlops, composite: true));

    public static IEnumerable<Op> All => ByName.Values;

    public static Op? Find(string name) => ByName.TryGetValue(name, out var op) ? op : null;

    // ------------------------------------------------------------------ rule helpers

    private static Op Define(Op op)
    {
        ByName.Add(op.Name, op);
        return op;
    }

    private static Op Unary(string name, bool floatOnly = true, bool composite = false) =>
        Define(new Op(name, OpCategory.Elementwise, 1, 1, (i, _) =>
        {
            var t = i[0];
            if (floatOnly ? !t.DType.IsFloat() : t.DType == DType.Bool)
                return OpTyping.Fail(D.DTypeMismatch, $"{name} needs a {(floatOnly ? "floating-point" : "numeric")} tensor, got {t}; use cast(...)");
            return t;
        }, composite: composite));

    private static Op Binary(string name, string verb, DType? result = null, bool floatOnly = false, bool boolOnly = false) =>
        Define(new Op(name, OpCategory.Broadcast, 2, 2, (i, _) =>
        {
            var (l, r) = (i[0], i[1]);
            if (l.DType != r.DType)
                return OpTyping.Fail(D.DTypeMismatch, $"cannot {verb} {l} and {r}: dtypes {l.DType.Name()} and {r.DType.Name()} differ; use cast(...)");
            if (boolOnly && l.DType != DType.Bool)
                return OpTyping.Fail(D.DTypeMismatch, $"cannot {verb} {l} and {r}: they must be bool tensors");
            if (!boolOnly && result == null && l.DType == DType.Bool)
                return OpTyping.Fail(D.DTypeMismatch, $"cannot {verb} bool tensors {l} and {r}; use cast(...)");
            if (floatOnly && !l.DType.IsFloat())
                return OpTyping.Fail(D.DTypeMismatch, $"cannot {verb} {l} and {r}: '{name}' needs floating-point tensors; use cast(...)");
            var shaped = BroadcastShapes(verb, l, r);
            if (!shaped.Ok) return shaped;
            return new TensorType(result ?? l.DType, shaped.Outputs[0].Shape);
        }));

    private static OpTyping BroadcastShapes(string verb, TensorType l, TensorType r)
    {
        if (Broadcasting.TryBroadcast(l.Shape, r.Shape, out var shape, out var fail)) return l.WithShape(shape);
        return OpTyping.Fail(D.BroadcastMismatch,
            D.BroadcastMismatch.Format(new object[] { verb, l, r, fail.Axis, fail.Left, fail.Right }));
    }

    private static Op Reduce(string name, bool floatOnly, bool composite = false) =>
        Define(new Op(name, OpCategory.Reduction, 1, 1, (i, a) =>
        {
            var t = i[0];
            if (floatOnly ? !t.DType.IsFloat() : t.DType == DType.Bool)
                return OpTyping.Fail(D.DTypeMismatch, $"{name} needs a {(floatOnly ? "floating-point" : "numeric")} tensor, got {t}");
            var axes = new List<int>();
            foreach (var ax in a.GetInts("axes"))
            {
                int n = NormalizeAxis(name, t, ax, out var error);
                if (n < 0) return error;
                if (axes.Contains(n)) return OpTyping.Fail(D.AxisOutOfRange, $"{name} lists axis {n} twice");
                axes.Add(n);
            }
            return t.WithShape(ReducedShape(t.Shape, axes, a.GetBool("keepdim")));
        }, n => n.Inputs[0].Type.Shape.ElementCount, composite: composite));

    private static Op AlongAxis(string name, bool composite) =>
        Define(new Op(name, OpCategory.Reduction, 1, 1, (i, a) =>
        {
            if (!i[0].DType.IsFloat()) return OpTyping.Fail(D.DTypeMismatch, $"{name} needs a floating-point tensor, got {i[0]}");
            var axis = NormalizeAxis(name, i[0], a.GetInt("axis"), out var error);
            return axis < 0 ? error : i[0];
        }, n => Dim.Const(5) * n.Output.Type.Shape.ElementCount, composite: composite));

    /// <summary>Axis in [0, rank), or -1 with <paramref name="error"/> set.</summary>
    public static int NormalizeAxis(string what, TensorType t, long axis, out OpTyping error)
    {
        long n = axis < 0 ? axis + t.Rank : axis;
        if (n < 0 || n >= t.Rank)
        {
            error = OpTyping.Fail(D.AxisOutOfRange, $"{what}: axis {axis} is out of range for {t} (rank {t.Rank})");
            return -1;
        }
        error = default;
        return (int)n;
    }

    private static Shape ReducedShape(Shape s, IReadOnlyCollection<int> axes, bool keepdim)
    {
        var dims = ImmutableArray.CreateBuilder<Dim>();
        for (int k = 0; k < s.Rank; k++)
        {
            if (!axes.Contains(k)) dims.Add(s[k]);
            else if (keepdim) dims.Add(Dim.One);
        }
        return new Shape(dims.ToImmutable());
    }

    private static OpTyping MatMulType(TensorType a, TensorType b)
    {
        if (a.DType != b.DType)
            return OpTyping.Fail(D.DTypeMismatch, $"cannot multiply {a} by {b}: dtypes {a.DType.Name()} and {b.DType.Name()} differ; use cast(...)");
        if (a.DType == DType.Bool) return OpTyping.Fail(D.DTypeMismatch, $"cannot multiply bool tensors {a} and {b}");
        if (a.Rank == 0 || b.Rank == 0)
            return OpTyping.Fail(D.MatMulMismatch, $"cannot multiply {a} by {b}: '@' needs tensors of rank 1 or more; use '*' for scalars");
        var ka = a.Shape[a.Rank - 1];
        var kb = b.Rank == 1 ? b.Shape[0] : b.Shape[b.Rank - 2];
        if (!DimEquality.Same(ka, kb))
            return OpTyping.Fail(D.MatMulMismatch, $"cannot multiply {a} by {b}: inner dimensions {ka} and {kb} differ");
        var batchA = a.Rank > 2 ? new Shape(a.Shape.Dims.Take(a.Rank - 2).ToImmutableArray()) : Shape.Scalar;
        var batchB = b.Rank > 2 ? new Shape(b.Shape.Dims.Take(b.Rank - 2).ToImmutableArray()) : Shape.Scalar;
        if (!Broadcasting.TryBroadcast(batchA, batchB, out var batch, out var fail))
            return OpTyping.Fail(D.MatMulMismatch, $"cannot multiply {a} by {b}: batch dimension {fail.Axis} is {fail.Left} on the left and {fail.Right} on the right");
        var dims = batch.Dims.ToBuilder();
        if (a.Rank >= 2) dims.Add(a.Shape[a.Rank - 2]);
        if (b.Rank >= 2) dims.Add(b.Shape[b.Rank - 1]);
        return new TensorType(a.DType, new Shape(dims.ToImmutable()));
    }

    private static Dim ContractedDim(TensorType a) => a.Shape[a.Rank - 1];

    private static OpTyping NormType(string name, IReadOnlyList<TensorType> i)
    {
        var x = i[0];
        if (!x.DType.IsFloat()) return OpTyping.Fail(D.DTypeMismatch, $"{name} needs a floating-point tensor, got {x}");
        for (int k = 1; k < i.Count; k++)
        {
            var w = i[k];
            if (w.DType != x.DType) return OpTyping.Fail(D.DTypeMismatch, $"{name}: weight {w} and input {x} have different dtypes");
            if (w.Rank > x.Rank || w.Rank == 0)
                return OpTyping.Fail(D.ShapeMismatch, $"{name}: weight {w} does not match the last dimensions of {x}");
            for (int d = 0; d < w.Rank; d++)
                if (!DimEquality.Same(w.Shape[d], x.Shape[x.Rank - w.Rank + d]))
                    return OpTyping.Fail(D.ShapeMismatch, $"{name}: weight {w} does not match the last dimensions of {x}");
        }
        return x;
    }

    private static OpTyping AttentionType(IReadOnlyList<TensorType> i)
    {
        var (q, k, v) = (i[0], i[1], i[2]);
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            return OpTyping.Fail(D.RankMismatch, $"attention takes q [B, H, Tq, dh], k [B, Hkv, Tk, dh] and v [B, Hkv, Tk, dv]; got {q}, {k} and {v}");
        if (!q.DType.IsFloat() || k.DType != q.DType || v.DType != q.DType)
            return OpTyping.Fail(D.DTypeMismatch, $"attention needs q, k and v of one floating-point dtype; got {q}, {k} and {v}");
        if (!DimEquality.Same(k.Shape[0], q.Shape[0]) || !DimEquality.Same(v.Shape[0], q.Shape[0]))
            return OpTyping.Fail(D.ShapeMismatch, $"attention: batch sizes differ in q {q}, k {k} and v {v}");
        if (!DimEquality.Same(k.Shape[3], q.Shape[3]))
            return OpTyping.Fail(D.ShapeMismatch, $"attention: q {q} and k {k} have different head sizes ({q.Shape[3]} and {k.Shape[3]})");
        if (!DimEquality.Same(k.Shape[1], v.Shape[1]) || !DimEquality.Same(k.Shape[2], v.Shape[2]))
            return OpTyping.Fail(D.ShapeMismatch, $"attention: k {k} and v {v} must agree in heads and length");
        var division = Dim.DivideExact(q.Shape[1], k.Shape[1]);
        if (division.Kind != DivisionKind.Exact && division.Kind != DivisionKind.Unknown)
            return OpTyping.Fail(D.NotDivisible, $"attention: {k.Shape[1]} key/value heads do not divide {q.Shape[1]} query heads");
        if (i.Count == 4)
        {
            var m = i[3];
            if (m.DType != DType.Bool && m.DType != q.DType)
                return OpTyping.Fail(D.DTypeMismatch, $"attention mask must be bool or {q.DType.Name()}, got {m}");
            var scores = new Shape(q.Shape[0], q.Shape[1], q.Shape[2], k.Shape[2]);
            if (!Broadcasting.BroadcastsTo(m.Shape, scores))
                return OpTyping.Fail(D.ShapeMismatch, $"attention mask {m} does not broadcast to the scores {scores}");
        }
        return q.WithShape(new Shape(q.Shape[0], q.Shape[1], q.Shape[2], v.Shape[3]));
    }

    private static Dim AttentionFlops(Node n)
    {
        var q = n.Inputs[0].Type.Shape;
        var k = n.Inputs[1].Type.Shape;
        var v = n.Inputs[2].Type.Shape;
        var scores = q[0] * q[1] * q[2] * k[2];
        return Dim.Const(2) * scores * q[3] + Dim.Const(2) * scores * v[3] + Dim.Const(5) * scores;
    }
}
