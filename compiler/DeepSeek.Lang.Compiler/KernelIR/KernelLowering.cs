using System.Collections.Immutable;
using System.Globalization;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.KernelIR;

/// <summary>
/// Lowers pointwise and reduction groups to kernels. A group's ops become one expression tree
/// evaluated at each point of the kernel's iteration space; views inside the group (transpose,
/// expand, slice, broadcasting) become strides of the loads, so nothing between the group's
/// inputs and its output is written to memory.
/// </summary>
public sealed class KernelLowering
{
    private readonly FusionPlan _plan;
    private readonly KernelGroup _group;
    private readonly HashSet<Node> _inside;
    private readonly Dictionary<Value, Node> _producers = new();
    private readonly Dictionary<Value, KernelBuffer> _buffers = new();
    private readonly List<KernelBuffer> _bufferList = new();
    private readonly Dictionary<string, KExpr> _letCache = new(StringComparer.Ordinal);
    private List<KStmt> _statements = new();
    private int _nextLet;
    private Value? _overrideValue;
    private KExpr? _override;

    private KernelLowering(FusionPlan plan, KernelGroup group)
    {
        _plan = plan;
        _group = group;
        _inside = new HashSet<Node>(group.Nodes);
        foreach (var n in plan.Graph.Nodes)
            foreach (var o in n.Outputs) _producers[o] = n;
    }

    /// <summary>True for the groups this lowering handles; the others are library calls.</summary>
    public static bool CanLower(KernelGroup group) => group.Kind is GroupKind.Pointwise or GroupKind.Reduction;

    /// <summary>Lowers a group; the result names the graph value behind each of the kernel's buffers.</summary>
    public static LoweredKernel Lower(FusionPlan plan, KernelGroup group, string name)
    {
        var lowering = new KernelLowering(plan, group);
        var kernel = group.Kind == GroupKind.Reduction ? lowering.LowerReduction(name) : lowering.LowerPointwise(name);
        return new LoweredKernel(kernel, lowering.Bindings);
    }

    // ------------------------------------------------------------------ pointwise

    private Kernel LowerPointwise(string name)
    {
        var output = _group.Outputs.Length > 0 ? _group.Outputs[0] : _group.Anchor.Output;
        var outBuffer = OutputBuffer(output);
        var loops = LoopVariables(output.Type.Shape.Rank, "i");
        var coords = loops.Select(v => Var(v)).ToList();
        var value = Evaluate(output, coords);
        var body = new List<KStmt>(_statements) { new KStore(outBuffer, Linear(coords, output.Type.Shape), value) };
        return Finish(name, Nest(loops, output.Type.Shape, body, vectorInner: true));
    }

    // ------------------------------------------------------------------ reductions

    private Kernel LowerReduction(string name)
    {
        var anchor = _group.Anchor;
        var input = anchor.Inputs[0];
        var shape = input.Type.Shape;
        int reduced = ReducedAxisCount(anchor);
        int outer = shape.Rank - reduced;
        var output = _group.Outputs.Length > 0 ? _group.Outputs[0] : anchor.Output;
        var outBuffer = OutputBuffer(output);
        var rowLoops = LoopVariables(outer, "r");
        var innerLoops = LoopVariables(reduced, "j");
        var rowCoords = rowLoops.Select(v => Var(v)).ToList();
        var inputCoords = rowCoords.Concat(innerLoops.Select(v => Var(v))).ToList();
        var innerShape = new Shape(shape.Dims.Skip(outer).ToImmutableArray());
        var length = innerShape.ElementCount;
        var dtype = input.Type.DType;
        var rowBody = new List<KStmt>();

        // Each pass re-evaluates the prologue at the inner coordinates.
        KExpr Prologue(List<KStmt> into)
        {
            var saved = _statements;
            _statements = into;
            _letCache.Clear();
            var x = Evaluate(input, inputCoords);
            _statements = saved;
            return x;
        }

        ImmutableArray<KStmt> Pass(Func<KExpr, List<KStmt>, KStmt> make)
        {
            var stmts = new List<KStmt>();
            var x = Prologue(stmts);
            stmts.Add(make(x, stmts));
            // Reduction loops are never the parallel one: their accumulators are shared.
            return Nest(innerLoops, innerShape, stmts, vectorInner: true, parallelOuter: false);
        }

        KExpr Length() => length.IsConstant ? new KConst(length.ConstantValue!.Value, dtype) : new KDim(length, dtype);

        switch (anchor.Op.Name)
        {
            case "softmax":
            case "log_softmax":
            case "logsumexp":
                {
                    rowBody.Add(new KAccumulator("m", dtype, ReduceOp.Max, new KConst(double.NegativeInfinity, dtype)));
                    rowBody.AddRange(Pass((x, _) => new KAccumulate("m", ReduceOp.Max, x)));
                    rowBody.Add(new KAccumulator("s", dtype, ReduceOp.Sum, new KConst(0, dtype)));
                    var m = new KRef("m", dtype);
                    rowBody.AddRange(Pass((x, _) => new KAccumulate("s", ReduceOp.Sum, new KUnary("exp", Sub(x, m)))));
                    var s = new KRef("s", dtype);
                    if (anchor.Op.Name == "logsumexp")
                    {
                        var result = Add(m, new KUnary("log", s));
                        rowBody.AddRange(StoreEpilogue(anchor, result, output, outBuffer, rowCoords, ReducedOutputCoords(anchor, rowCoords)));
                        break;
                    }
                    if (anchor.Op.Name == "softmax") rowBody.Add(new KLet("inv", new KBinary("div", new KConst(1, dtype), s, dtype)));
                    else rowBody.Add(new KLet("lse", Add(m, new KUnary("log", s))));
                    rowBody.AddRange(Pass((x, stmts) =>
                    {
                        KExpr y = anchor.Op.Name == "softmax"
                            ? Mul(new KUnary("exp", Sub(x, m)), new KRef("inv", dtype))
                            : Sub(x, new KRef("lse", dtype));
                        return StoreElement(anchor, y, output, outBuffer, inputCoords, stmts);
                    }));
                    break;
                }
            case "layer_norm":
            case "rms_norm":
                {
                    bool layer = anchor.Op == Ops.LayerNorm;
                    double eps = anchor.Attributes.GetFloat("eps");
                    if (layer)
                    {
                        rowBody.Add(new KAccumulator("s", dtype, ReduceOp.Sum, new KConst(0, dtype)));
                        rowBody.AddRange(Pass((x, _) => new KAccumulate("s", ReduceOp.Sum, x)));
                        rowBody.Add(new KLet("mean", new KBinary("div", new KRef("s", dtype), Length(), dtype)));
                    }
                    var mean = new KRef("mean", dtype);
                    rowBody.Add(new KAccumulator("q", dtype, ReduceOp.Sum, new KConst(0, dtype)));
                    rowBody.AddRange(Pass((x, _) =>
                    {
                        var centred = layer ? Sub(x, mean) : x;
                        return new KAccumulate("q", ReduceOp.Sum, Mul(centred, centred));
                    }));
                    rowBody.Add(new KLet("rstd", new KUnary("rsqrt", Add(new KBinary("div", new KRef("q", dtype), Length(), dtype), new KConst(eps, dtype)))));
                    var rstd = new KRef("rstd", dtype);
                    var innerCoords = innerLoops.Select(v => Var(v)).ToList();
                    rowBody.AddRange(Pass((x, stmts) =>
                    {
                        var saved = _statements;
                        _statements = stmts;
                        var w = Load(anchor.Inputs[1], innerCoords);
                        KExpr y = Mul(Mul(layer ? Sub(x, mean) : x, rstd), w);
                        if (layer) y = Add(y, Load(anchor.Inputs[2], innerCoords));
                        _statements = saved;
                        return StoreElement(anchor, y, output, outBuffer, inputCoords, stmts);
                    }));
                    break;
                }
            default:
                {
                    var op = anchor.Op.Name switch { "max" => ReduceOp.Max, "min" => ReduceOp.Min, _ => ReduceOp.Sum };
                    var init = op switch
                    {
                        ReduceOp.Max => double.NegativeInfinity,
                        ReduceOp.Min => double.PositiveInfinity,
                        _ => 0.0,
                    };
                    if (!dtype.IsFloat() && op != ReduceOp.Sum) init = op == ReduceOp.Max ? long.MinValue : long.MaxValue;
                    rowBody.Add(new KAccumulator("acc", dtype, op, new KConst(init, dtype)));
                    rowBody.AddRange(Pass((x, _) => new KAccumulate("acc", op, x)));
                    KExpr result = new KRef("acc", dtype);
                    if (anchor.Op.Name == "mean") result = new KBinary("div", result, Length(), dtype);
                    if (output.Type.Shape.Equals(shape) && !anchor.Output.Type.Shape.Equals(shape))
                    {
                        // The result broadcast back over its row: a second pass stores the epilogue per element.
                        rowBody.Add(new KLet("red", result));
                        var red = new KRef("red", dtype);
                        rowBody.AddRange(Pass((_, stmts) => StoreElement(anchor, red, output, outBuffer, inputCoords, stmts)));
                        break;
                    }
                    rowBody.AddRange(StoreEpilogue(anchor, result, output, outBuffer, rowCoords, ReducedOutputCoords(anchor, rowCoords)));
                    break;
                }
        }
        var nest = Nest(rowLoops, new Shape(shape.Dims.Take(outer).ToImmutableArray()), rowBody, vectorInner: false);
        return Finish(name, nest);
    }

    private static int ReducedAxisCount(Node anchor) => anchor.Op.Name switch
    {
        "softmax" or "log_softmax" => 1,
        "layer_norm" or "rms_norm" => anchor.Inputs[1].Type.Rank,
        _ => anchor.Attributes.GetInts("axes").Length,
    };

    /// <summary>Coordinates of a reduction's result: the row coordinates, with zeros for kept (size 1) axes.</summary>
    private static List<KIndex> ReducedOutputCoords(Node anchor, List<KIndex> rowCoords)
    {
        if (!anchor.Attributes.GetBool("keepdim")) return rowCoords;
        var coords = new List<KIndex>(rowCoords);
        for (int i = rowCoords.Count; i < anchor.Output.Type.Rank; i++) coords.Add(KIndex.Zero);
        return coords;
    }

    /// <summary>Stores one element of a shape-preserving reduction (softmax, norms) after its epilogue.</summary>
    private KStmt StoreElement(Node anchor, KExpr value, Value output, KernelBuffer buffer, List<KIndex> coords, List<KStmt> into)
    {
        var saved = _statements;
        _statements = into;
        var result = EpilogueValue(anchor, value, output, coords);
        _statements = saved;
        return new KStore(buffer, Linear(coords, output.Type.Shape), result);
    }

    private List<KStmt> StoreEpilogue(Node anchor, KExpr value, Value output, KernelBuffer buffer, List<KIndex> rowCoords, List<KIndex> coords)
    {
        var stmts = new List<KStmt>();
        var saved = _statements;
        _statements = stmts;
        _letCache.Clear();
        var result = EpilogueValue(anchor, value, output, coords);
        _statements = saved;
        _ = rowCoords;
        stmts.Add(new KStore(buffer, Linear(coords, output.Type.Shape), result));
        return stmts;
    }

    /// <summary>The group's output at <paramref name="coords"/>, with the anchor's result given.</summary>
    private KExpr EpilogueValue(Node anchor, KExpr anchorValue, Value output, List<KIndex> coords)
    {
        _overrideValue = anchor.Output;
        _override = anchorValue;
        _letCache.Clear();
        var result = Evaluate(output, coords);
        _overrideValue = null;
        _override = null;
        return result;
    }

    // ------------------------------------------------------------------ expressions

    /// <summary>The expression for <paramref name="v"/> at the given coordinates (one affine index per axis of v).</summary>
    private KExpr Evaluate(Value v, List<KIndex> coords)
    {
        if (_overrideValue == v) return _override!;
        if (!_producers.TryGetValue(v, out var node) || !_inside.Contains(node)) return Load(v, coords);

        var key = v.Id + "@" + string.Join(",", coords);
        if (_letCache.TryGetValue(key, out var cached)) return cached;
        var expr = Compute(node, v, coords);
        if (expr is KLoad or KBinary or KUnary or KSelect or KCast)
        {
            var name = "t" + _nextLet++;
            _statements.Add(new KLet(name, expr));
            expr = new KRef(name, expr.DType);
        }
        _letCache[key] = expr;
        return expr;
    }

    private KExpr Compute(Node node, Value v, List<KIndex> coords)
    {
        var a = node.Attributes;
        var type = v.Type;
        switch (node.Op.Name)
        {
            case "full":
                return Fill(node);
            case "arange":
                {
                    var start = a.GetDim("start");
                    long step = a.GetInt("step", 1);
                    KExpr index = new KIndexValue(coords[0]);
                    if (step != 1) index = new KBinary("mul", index, new KConst(step, DType.I64), DType.I64);
                    if (!start.IsZero) index = new KBinary("add", index, start.IsConstant ? new KConst(start.ConstantValue!.Value, DType.I64) : new KDim(start, DType.I64), DType.I64);
                    return type.DType == DType.I64 ? index : new KCast(index, type.DType);
                }
            case "transpose":
                {
                    var perm = a.GetInts("perm");
                    var inner = new KIndex[perm.Length];
                    for (int i = 0; i < perm.Length; i++) inner[perm[i]] = coords[i];
                    return Evaluate(node.Inputs[0], inner.ToList());
                }
            case "expand":
                return Evaluate(node.Inputs[0], Broadcast(node.Inputs[0].Type.Shape, type.Shape, coords));
            case "slice":
                {
                    var inner = new List<KIndex>(coords);
                    var axes = a.GetInts("axes");
                    var starts = a.GetDims("starts");
                    var steps = a.GetInts("steps");
                    for (int k = 0; k < axes.Length; k++)
                    {
                        int axis = (int)axes[k];
                        inner[axis] = Affine(coords[axis], steps[k], starts[k]);
                    }
                    return Evaluate(node.Inputs[0], inner);
                }
            case "cast":
                return new KCast(Evaluate(node.Inputs[0], coords), type.DType);
            case "clamp":
                {
                    var x = Evaluate(node.Inputs[0], coords);
                    if (a.TryGet("min", out _)) x = new KBinary("max", x, new KConst(a.GetFloat("min"), type.DType), type.DType);
                    if (a.TryGet("max", out _)) x = new KBinary("min", x, new KConst(a.GetFloat("max"), type.DType), type.DType);
                    return x;
                }
            case "where":
                return new KSelect(Operand(node, 0, coords), Operand(node, 1, coords), Operand(node, 2, coords));
            case "gelu":
                return new KUnary(a.TryGet("approximate", out var mode) && (string)mode == "tanh" ? "gelu_tanh" : "gelu", Operand(node, 0, coords));
        }
        if (node.Op.Category == OpCategory.Elementwise) return new KUnary(node.Op.Name, Operand(node, 0, coords));
        if (node.Op.Category == OpCategory.Broadcast)
        {
            var name = node.Op.Name switch { "maximum" => "max", "minimum" => "min", var n => n };
            return new KBinary(name, Operand(node, 0, coords), Operand(node, 1, coords), type.DType);
        }
        throw new InvalidOperationException($"{node.Op.Name} cannot be lowered inside a pointwise kernel");
    }

    /// <summary>An input of a broadcasting node at the node's coordinates (NumPy alignment from the right).</summary>
    private KExpr Operand(Node node, int index, List<KIndex> coords) =>
        Evaluate(node.Inputs[index], Broadcast(node.Inputs[index].Type.Shape, node.Outputs[0].Type.Shape, coords));

    private static List<KIndex> Broadcast(Shape from, Shape to, List<KIndex> coords)
    {
        var result = new List<KIndex>(from.Rank);
        int offset = to.Rank - from.Rank;
        for (int i = 0; i < from.Rank; i++)
        {
            bool stretched = from[i].IsConstant && from[i].ConstantValue == 1 && !(to[i + offset].IsConstant && to[i + offset].ConstantValue == 1);
            result.Add(stretched ? KIndex.Zero : coords[i + offset]);
        }
        return result;
    }

    /// <summary>A value from outside the group: a constant if it is a fill, else a load from its buffer.</summary>
    private KExpr Load(Value v, List<KIndex> coords)
    {
        if (_producers.TryGetValue(v, out var p) && p.Op == Ops.Full && _plan.Groups.First(g => g.Nodes.Contains(p)).Kind == GroupKind.Constant)
            return Fill(p);
        return new KLoad(InputBuffer(v), Linear(coords, v.Type.Shape));
    }

    private static KExpr Fill(Node full)
    {
        var dtype = full.Output.Type.DType;
        full.Attributes.TryGet("value", out var value);
        return value is Dim d ? (d.IsConstant ? new KConst(d.ConstantValue!.Value, dtype) : new KDim(d, dtype)) : new KConst((double)value, dtype);
    }

    // ------------------------------------------------------------------ indices and loops

    private static KIndex Var(string name) => new(ImmutableArray.Create(new KIndexTerm(name, Dim.One)), Dim.Zero);

    private static KIndex Affine(KIndex x, long scale, Dim offset) =>
        new(x.Terms.Select(t => t with { Stride = t.Stride * Dim.Const(scale) }).ToImmutableArray(), x.Offset * Dim.Const(scale) + offset);

    /// <summary>The row-major element offset of coordinates in a contiguous tensor of <paramref name="shape"/>.</summary>
    private static KIndex Linear(List<KIndex> coords, Shape shape)
    {
        var terms = new Dictionary<string, Dim>(StringComparer.Ordinal);
        var order = new List<string>();
        var offset = Dim.Zero;
        var stride = Dim.One;
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            var c = coords[axis];
            foreach (var t in c.Terms)
            {
                if (!terms.ContainsKey(t.Variable))
                {
                    terms[t.Variable] = Dim.Zero;
                    order.Add(t.Variable);
                }
                terms[t.Variable] += t.Stride * stride;
            }
            offset += c.Offset * stride;
            stride *= shape[axis];
        }
        order.Sort(StringComparer.Ordinal);
        return new KIndex(order.Select(v => new KIndexTerm(v, terms[v])).Where(t => !t.Stride.IsZero).ToImmutableArray(), offset);
    }

    private static List<string> LoopVariables(int count, string prefix) =>
        Enumerable.Range(0, count).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)).ToList();

    /// <summary>Nested loops over a shape: the outermost parallel (unless told not), the innermost vectorisable when asked.</summary>
    private static ImmutableArray<KStmt> Nest(List<string> loops, Shape shape, List<KStmt> body, bool vectorInner, bool parallelOuter = true)
    {
        var current = body.ToImmutableArray();
        for (int i = loops.Count - 1; i >= 0; i--)
        {
            var kind = i == loops.Count - 1 && vectorInner ? LoopKind.Vector : i == 0 && parallelOuter ? LoopKind.Parallel : LoopKind.Serial;
            if (i == 0 && i == loops.Count - 1 && vectorInner) kind = LoopKind.Vector;
            current = ImmutableArray.Create<KStmt>(new KFor(loops[i], shape[i], kind, current));
        }
        return current;
    }

    // ------------------------------------------------------------------ buffers

    private KernelBuffer InputBuffer(Value v)
    {
        if (_buffers.TryGetValue(v, out var b)) return b;
        b = new KernelBuffer("in" + _bufferList.Count(x => x.Role == BufferRole.Input).ToString(CultureInfo.InvariantCulture), v.Type.DType, v.Type.Shape.Dims, BufferRole.Input);
        _buffers[v] = b;
        _bufferList.Add(b);
        BufferValues.Add(v);
        return b;
    }

    private KernelBuffer OutputBuffer(Value v)
    {
        var b = new KernelBuffer("out0", v.Type.DType, v.Type.Shape.Dims, BufferRole.Output);
        _outputValue = v;
        _outputBuffer = b;
        return b;
    }

    private Value? _outputValue;
    private KernelBuffer? _outputBuffer;

    /// <summary>The graph values bound to the kernel's input buffers, in order.</summary>
    private List<Value> BufferValues { get; } = new();

    private Kernel Finish(string name, ImmutableArray<KStmt> body)
    {
        var buffers = _bufferList.Append(_outputBuffer!).ToImmutableArray();
        var dims = buffers.SelectMany(b => b.Shape).SelectMany(d => d.Variables).Concat(DimsIn(body)).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToImmutableArray();
        var description = string.Join(" ", _group.Nodes.Where(n => n.Op != Ops.Full).Select(n => n.Op.Name));
        var kernel = new Kernel(name, buffers, dims, body, description);
        Bindings = BufferValues.Append(_outputValue!).ToImmutableArray();
        return kernel;
    }

    /// <summary>After lowering: the graph value behind each kernel buffer, in the kernel's buffer order.</summary>
    private ImmutableArray<Value> Bindings { get; set; }

    private static IEnumerable<string> DimsIn(ImmutableArray<KStmt> body) =>
        body.OfType<KFor>().SelectMany(f => f.Extent.Variables.Concat(DimsIn(f.Body)));

    private static KExpr Add(KExpr a, KExpr b) => new KBinary("add", a, b, a.DType);

    private static KExpr Sub(KExpr a, KExpr b) => new KBinary("sub", a, b, a.DType);

    private static KExpr Mul(KExpr a, KExpr b) => new KBinary("mul", a, b, a.DType);
}
