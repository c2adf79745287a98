using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.CodeGen.Onnx.Proto;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.CodeGen.Onnx;

// One rule an op: the ONNX nodes that compute it with the semantics of the reference kernels
// (docs/runtime.md). docs/onnx.md has the table.
internal sealed partial class OnnxGraphWriter
{
    /// <summary>The names of the node's results, or null after reporting that it cannot be exported.</summary>
    private string[]? Lower(Node n, string[] x)
    {
        var a = n.Attributes;
        var t0 = n.Inputs.Length > 0 ? n.Inputs[0].Type : n.Output.Type;
        switch (n.Op.Name)
        {
            // ---------------------------------------------------------- sources
            case "constant": return ConstantOp(a);
            case "full": return One(FullOp(a));
            case "arange": return One(ArangeOp(a));
            case "randn": return Unsupported(OnnxExporter.Unsupported["randn"]);

            // ---------------------------------------------------------- elementwise
            case "exp": return One(Emit1("Exp", x[0]));
            case "log": return One(Emit1("Log", x[0]));
            case "sqrt": return One(Emit1("Sqrt", x[0]));
            case "rsqrt": return One(Emit1("Reciprocal", Emit1("Sqrt", x[0])));
            case "tanh": return One(Emit1("Tanh", x[0]));
            case "sigmoid": return One(Emit1("Sigmoid", x[0]));
            case "erf": return One(Emit1("Erf", x[0]));
            case "sin": return One(Emit1("Sin", x[0]));
            case "cos": return One(Emit1("Cos", x[0]));
            case "abs": return One(Emit1("Abs", x[0]));
            case "neg": return One(Emit1("Neg", x[0]));
            case "not": return One(Emit1("Not", x[0]));
            case "relu":
                return One(t0.DType.IsFloat() ? Emit1("Relu", x[0]) : Emit1("Max", x[0], Scalar(t0.DType, 0)));
            case "silu": return One(Emit1("Mul", x[0], Emit1("Sigmoid", x[0])));
            case "gelu": return One(Gelu(x[0], t0.DType, a.TryGet("approximate", out var mode) && mode is string s && s == "tanh"));
            case "cast":
                {
                    var to = a.GetDType("dtype");
                    return One(to == t0.DType ? x[0] : Emit1("Cast", new[] { x[0] }, Int("to", OnnxTypes.ElementType(to))));
                }
            case "clamp": return One(Clamp(x[0], t0.DType, a));

            // ---------------------------------------------------------- broadcast binary and ternary
            case "add": return One(Emit1("Add", x[0], x[1]));
            case "sub": return One(Emit1("Sub", x[0], x[1]));
            case "mul": return One(Emit1("Mul", x[0], x[1]));
            case "div": return One(Emit1("Div", x[0], x[1]));
            case "pow": return One(Emit1("Pow", x[0], x[1]));
            case "maximum": return One(Emit1("Max", x[0], x[1]));
            case "minimum": return One(Emit1("Min", x[0], x[1]));
            case "mod": return One(FloorMod(x[0], x[1], t0.DType));
            case "eq": return One(Emit1("Equal", x[0], x[1]));
            case "ne": return One(Emit1("Not", Emit1("Equal", x[0], x[1])));
            case "lt": return One(Compare("Less", x, t0.DType));
            case "le": return One(Compare("LessOrEqual", x, t0.DType));
            case "gt": return One(Compare("Greater", x, t0.DType));
            case "ge": return One(Compare("GreaterOrEqual", x, t0.DType));
            case "and": return One(Emit1("And", x[0], x[1]));
            case "or": return One(Emit1("Or", x[0], x[1]));
            case "where": return One(Emit1("Where", x[0], x[1], x[2]));

            // ---------------------------------------------------------- reductions
            case "sum":
                {
                    var axes = a.GetInts("axes");
                    if (axes.IsEmpty) return One(x[0]);
                    return One(Emit1("ReduceSum", new[] { x[0], I64s(axes.ToArray()) }, Int("keepdims", a.GetBool("keepdim") ? 1 : 0)));
                }
            case "mean": return One(Reduce("ReduceMean", x[0], a));
            case "max": return One(Reduce("ReduceMax", x[0], a));
            case "min": return One(Reduce("ReduceMin", x[0], a));
            case "logsumexp": return One(Reduce("ReduceLogSumExp", x[0], a));
            case "argmax":
                return One(Emit1("ArgMax", new[] { x[0] }, Int("axis", a.GetInt("axis")), Int("keepdims", a.GetBool("keepdim") ? 1 : 0), Int("select_last_index", 0)));
            case "softmax": return One(Emit1("Softmax", new[] { x[0] }, Int("axis", a.GetInt("axis"))));
            case "log_softmax": return One(Emit1("LogSoftmax", new[] { x[0] }, Int("axis", a.GetInt("axis"))));
            case "cumsum":
                return One(Emit1("CumSum", new[] { x[0], ScalarI64(a.GetInt("axis")) }, Int("exclusive", a.GetBool("exclusive") ? 1 : 0), Int("reverse", 0)));

            // ---------------------------------------------------------- shape
            case "reshape": return One(Emit1("Reshape", new[] { x[0], ShapeTensor(a.GetDims("shape")) }, Int("allowzero", 1)));
            case "transpose": return One(Emit1("Transpose", new[] { x[0] }, Ints("perm", a.GetInts("perm"))));
            case "expand": return One(Emit1("Expand", x[0], ShapeTensor(a.GetDims("shape"))));
            case "concat": return One(x.Length == 1 ? x[0] : Emit1("Concat", x, Int("axis", a.GetInt("axis"))));
            case "stack":
                {
                    long axis = a.GetInt("axis");
                    if (axis < 0) axis += t0.Rank + 1;
                    var lifted = x.Select(v => Emit1("Unsqueeze", v, I64s(axis))).ToArray();
                    return One(lifted.Length == 1 ? lifted[0] : Emit1("Concat", lifted, Int("axis", axis)));
                }
            case "split":
                {
                    var sizes = a.GetDims("sizes");
                    if (sizes.Length == 1) return One(x[0]);
                    return Emit("Split", new[] { x[0], ShapeTensor(sizes) }, sizes.Length, Int("axis", a.GetInt("axis")));
                }
            case "squeeze":
                {
                    var axes = a.GetInts("axes");
                    return One(axes.IsEmpty ? x[0] : Emit1("Squeeze", x[0], I64s(axes.ToArray())));
                }
            case "unsqueeze":
                {
                    var axes = a.GetInts("axes");
                    return One(axes.IsEmpty ? x[0] : Emit1("Unsqueeze", x[0], I64s(axes.ToArray())));
                }
            case "slice":
                {
                    var axes = a.GetInts("axes");
                    if (axes.IsEmpty) return One(x[0]);
                    return One(Emit1("Slice", x[0], ShapeTensor(a.GetDims("starts")), ShapeTensor(a.GetDims("stops")), I64s(axes.ToArray()),
                        I64s(a.GetInts("steps").ToArray())));
                }

            // ---------------------------------------------------------- indexing
            case "index_select":
                return One(Emit1("Gather", new[] { x[0], Index(x[1], n.Inputs[1].Type.DType) }, Int("axis", a.GetInt("axis"))));
            case "gather":
                return One(Emit1("GatherElements", new[] { x[0], Index(x[1], n.Inputs[1].Type.DType) }, Int("axis", a.GetInt("axis"))));
            case "scatter_add":
                {
                    // Rows added into zeros in index order: ScatterND's add reduction with one index per row.
                    var zeros = Fill(t0.DType, ShapeTensor(n.Output.Type.Shape.Dims), 0);
                    var rows = Emit1("Unsqueeze", Index(x[1], n.Inputs[1].Type.DType, int64: true), I64s(1));
                    return One(Emit1("ScatterND", new[] { zeros, rows, x[0] }, Text("reduction", "add")));
                }
            case "one_hot":
                {
                    // ids[..., None] == arange(depth), then the dtype: any dtype, and no OneHot type combinations.
                    var ids = Index(x[0], t0.DType, int64: true);
                    var range = Emit1("Range", ScalarI64(0), DimScalar(a.GetDim("depth")), ScalarI64(1));
                    var hits = Emit1("Equal", Emit1("Unsqueeze", ids, I64s(-1)), range);
                    var dtype = a.GetDType("dtype");
                    return One(dtype == DType.Bool ? hits : Emit1("Cast", new[] { hits }, Int("to", OnnxTypes.ElementType(dtype))));
                }
            case "topk":
                // TopK breaks ties by the lower index, as the reference kernel does.
                return Emit("TopK", new[] { x[0], I64s(a.GetInt("k")) }, 2, Int("axis", a.GetInt("axis")), Int("largest", 1), Int("sorted", 1));

            // ---------------------------------------------------------- network
            case "matmul": return One(Emit1("MatMul", x[0], x[1]));
            case "grouped_matmul":
                {
                    // Each row's weight gathered, then a batched [R, 1, K] @ [R, K, N].
                    var w = Emit1("Gather", new[] { x[1], Index(x[2], n.Inputs[2].Type.DType) }, Int("axis", 0));
                    var rows = Emit1("Unsqueeze", x[0], I64s(1));
                    return One(Emit1("Squeeze", Emit1("MatMul", rows, w), I64s(1)));
                }
            case "layer_norm":
                return One(Emit1("LayerNormalization", new[] { x[0], x[1], x[2] },
                    Int("axis", -n.Inputs[1].Type.Rank), Float("epsilon", a.GetFloat("eps", 1e-5)), Int("stash_type", 1)));
            case "rms_norm": return One(RmsNorm(x[0], x[1], t0.DType, n.Inputs[1].Type.Rank, a.GetFloat("eps", 1e-6)));
            case "attention": return One(Attention(n, x));
        }
        return Unsupported($"the ONNX exporter has no rule for '{n.Op.Name}'");
    }

    private static string[] One(string name) => new[] { name };

    // ------------------------------------------------------------------ sources

    private string[]? ConstantOp(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        var shape = a.GetDims("shape").Select(d => d.ConstantValue).ToArray();
        if (shape.Any(d => d is null)) return Unsupported("a constant needs a concrete shape");
        var dims = shape.Select(d => d!.Value).ToArray();
        long count = dims.Aggregate(1L, (p, d) => p * d);
        a.TryGet("values", out var v);
        byte[] data = v switch
        {
            null => OnnxTypes.Encode(dtype, new[] { 0.0 }),
            ImmutableArray<long> ls when !dtype.IsFloat() => OnnxTypes.EncodeInt64(dtype, ls.ToArray()),
            ImmutableArray<long> ls => OnnxTypes.Encode(dtype, ls.Select(l => (double)l).ToArray()),
            ImmutableArray<double> ds => OnnxTypes.Encode(dtype, ds.ToArray()),
            double d => OnnxTypes.Encode(dtype, new[] { d }),
            long l => OnnxTypes.EncodeInt64(dtype, new[] { l }),
            _ => Array.Empty<byte>(),
        };
        long given = data.Length / dtype.ByteSize();
        if (given == count) return One(Constant(dtype, dims, data));
        if (given == 1) return One(Fill(dtype, I64s(dims), data));
        return Unsupported($"{given} values cannot fill {dtype.Name()}[{string.Join(", ", dims)}]");
    }

    /// <summary>A tensor of the shape (an int64 [rank] tensor) filled with one value, given as its raw bytes.</summary>
    private string Fill(DType dtype, string shape, byte[] value)
    {
        // ConstantOfShape (opset 9 to 19) has no bfloat16: fill in f32 and convert.
        if (dtype == DType.BF16)
        {
            var wide = OnnxTypes.Encode(DType.F32, OnnxTypes.Decode(DType.BF16, value));
            return Emit1("Cast", new[] { Fill(DType.F32, shape, wide) }, Int("to", OnnxTypes.ElementType(dtype)));
        }
        return Emit1("ConstantOfShape", new[] { shape }, TensorAttribute("value", OneValue(dtype, value)));
    }

    private string Fill(DType dtype, string shape, double value) => Fill(dtype, shape, OnnxTypes.Encode(dtype, new[] { value }));

    private string FullOp(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        var shape = ShapeTensor(a.GetDims("shape"));
        a.TryGet("value", out var v);
        switch (v)
        {
            case double d:
                return Fill(dtype, shape, d);
            case bool b:
                return Fill(dtype, shape, OnnxTypes.EncodeInt64(dtype, new[] { b ? 1L : 0L }));
            case long l:
                return Fill(dtype, shape, OnnxTypes.EncodeInt64(dtype, new[] { l }));
            case Dim dim when dim.TryGetConstant(out long c):
                return Fill(dtype, shape, OnnxTypes.EncodeInt64(dtype, new[] { c }));
            case Dim dim:
                {
                    // A size known at run time only (B * T): computed, converted, broadcast to the shape.
                    var value = Emit1("Squeeze", DimTensor(dim), I64s(0));
                    if (dtype != DType.I64) value = Emit1("Cast", new[] { value }, Int("to", OnnxTypes.ElementType(dtype)));
                    return Emit1("Expand", value, shape);
                }
            default:
                return Fill(dtype, shape, 0);
        }
    }

    private string ArangeOp(Attributes a)
    {
        // In int64 and then converted, as the reference kernel computes start + i * step exactly and rounds once.
        var dtype = a.GetDType("dtype");
        var range = Emit1("Range", DimScalar(a.GetDim("start")), DimScalar(a.GetDim("stop")), ScalarI64(a.GetInt("step", 1)));
        return dtype == DType.I64 ? range : Emit1("Cast", new[] { range }, Int("to", OnnxTypes.ElementType(dtype)));
    }

    // ------------------------------------------------------------------ elementwise

    private string Gelu(string x, DType dtype, bool tanh)
    {
        var half = Emit1("Mul", x, Scalar(dtype, 0.5));
        string inner;
        if (tanh)
        {
            var cube = Emit1("Mul", x, Emit1("Mul", x, x));
            var poly = Emit1("Add", x, Emit1("Mul", cube, Scalar(dtype, 0.044715)));
            inner = Emit1("Tanh", Emit1("Mul", poly, Scalar(dtype, Math.Sqrt(2.0 / Math.PI))));
        }
        else inner = Emit1("Erf", Emit1("Mul", x, Scalar(dtype, 1.0 / Math.Sqrt(2.0))));
        return Emit1("Mul", half, Emit1("Add", inner, Scalar(dtype, 1.0)));
    }

    private string Clamp(string x, DType dtype, Attributes a)
    {
        bool hasMin = a.TryGet("min", out var mn), hasMax = a.TryGet("max", out var mx);
        string min = "", max = "";
        if (dtype.IsFloat())
        {
            if (hasMin) min = Scalar(dtype, ToDouble(mn));
            if (hasMax) max = Scalar(dtype, ToDouble(mx));
        }
        else
        {
            // Integers: ceil(min) and floor(max), within the dtype's range.
            var (lo, hi) = dtype switch
            {
                DType.I8 => ((double)sbyte.MinValue, (double)sbyte.MaxValue),
                DType.I32 => (int.MinValue, int.MaxValue),
                _ => (-9.2233720368547758e18, 9.2233720368547758e18),
            };
            if (hasMin) min = Scalar(dtype, Math.Min(Math.Max(Math.Ceiling(ToDouble(mn)), lo), hi));
            if (hasMax) max = Scalar(dtype, Math.Max(Math.Min(Math.Floor(ToDouble(mx)), hi), lo));
        }
        if (!hasMin && !hasMax) return x;
        return hasMax ? Emit1("Clip", x, min, max) : Emit1("Clip", x, min);
    }

    private static double ToDouble(object v) => v is long l ? l : (double)v;

    /// <summary>
    /// Python's % (the result has the divisor's sign). Mod with fmod = 0 is that for integers; floats
    /// need fmod = 1, which truncates, and a nonzero remainder whose sign differs from the divisor's
    /// then moves by one divisor.
    /// </summary>
    private string FloorMod(string x, string y, DType dtype)
    {
        if (!dtype.IsFloat()) return Emit1("Mod", new[] { x, y }, Int("fmod", 0));
        var r = Emit1("Mod", new[] { x, y }, Int("fmod", 1));
        var zero = Scalar(dtype, 0);
        var signsDiffer = Emit1("Xor", Emit1("Less", r, zero), Emit1("Less", y, zero));
        var adjust = Emit1("And", Emit1("Not", Emit1("Equal", r, zero)), signsDiffer);
        return Emit1("Where", adjust, Emit1("Add", r, y), r);
    }

    /// <summary>Less and friends take no bool tensors: compare bools as int32 0 and 1.</summary>
    private string Compare(string op, string[] x, DType dtype)
    {
        if (dtype != DType.Bool) return Emit1(op, x[0], x[1]);
        var to = Int("to", OnnxTypes.ElementType(DType.I32));
        return Emit1(op, Emit1("Cast", new[] { x[0] }, to), Emit1("Cast", new[] { x[1] }, to));
    }

    /// <summary>Reductions whose axes are an attribute in opset 17; an empty list reduces nothing.</summary>
    private string Reduce(string op, string x, Attributes a)
    {
        var axes = a.GetInts("axes");
        if (axes.IsEmpty) return x;
        return Emit1(op, new[] { x }, Ints("axes", axes), Int("keepdims", a.GetBool("keepdim") ? 1 : 0));
    }

    /// <summary>An index tensor as Gather takes it (int32 or int64), or int64 when asked.</summary>
    private string Index(string index, DType dtype, bool int64 = false)
    {
        if (dtype == DType.I64 || (dtype == DType.I32 && !int64)) return index;
        return Emit1("Cast", new[] { index }, Int("to", OnnxTypes.ElementType(DType.I64)));
    }

    // ------------------------------------------------------------------ network

    /// <summary>x / sqrt(mean(x², last axes) + eps) · w; opset 17 has no RMSNormalization.</summary>
    private string RmsNorm(string x, string w, DType dtype, int rank, double eps)
    {
        var axes = Enumerable.Range(0, rank).Select(i => (long)(i - rank)).ToArray();
        var meanSquare = Emit1("ReduceMean", new[] { Emit1("Mul", x, x) }, Ints("axes", axes), Int("keepdims", 1));
        var inverse = Emit1("Reciprocal", Emit1("Sqrt", Emit1("Add", meanSquare, Scalar(dtype, eps))));
        return Emit1("Mul", Emit1("Mul", x, inverse), w);
    }

    /// <summary>
    /// Scaled dot-product attention from MatMul and Softmax. Grouped-query keys and values are repeated
    /// so that query head h reads kv head h / (H / Hkv); causal masks key j &gt; query i (top-left); a bool
    /// mask selects, a float mask adds; with a mask, a row whose every key is masked gives zeros (as
    /// the reference kernel), not Softmax's NaN.
    /// </summary>
    private string Attention(Node n, string[] x)
    {
        var dtype = n.Inputs[0].Type.DType;
        string q = x[0], k = x[1], v = x[2];
        if (!DimEquality.Same(n.Inputs[0].Type.Shape[1], n.Inputs[1].Type.Shape[1]))
        {
            var group = Emit1("Div", AxisSize(q, 1), AxisSize(k, 1));
            k = RepeatHeads(k, q, group);
            v = RepeatHeads(v, q, group);
        }
        var scores = Emit1("MatMul", q, Emit1("Transpose", new[] { k }, Ints("perm", new long[] { 0, 1, 3, 2 })));
        string scale;
        if (n.Attributes.TryGet("scale", out var s)) scale = Scalar(dtype, ToDouble(s));
        else if (n.Inputs[0].Type.Shape[3].TryGetConstant(out long dh)) scale = Scalar(dtype, 1.0 / Math.Sqrt(dh));
        else scale = Emit1("Reciprocal", Emit1("Sqrt", Emit1("Cast", new[] { AxisSize(q, 3) }, Int("to", OnnxTypes.ElementType(dtype)))));
        scores = Emit1("Mul", scores, scale);

        string? allowed = null;
        bool masked = x.Length > 3;
        if (masked)
        {
            if (n.Inputs[3].Type.DType == DType.Bool) allowed = x[3];
            else scores = Emit1("Add", scores, x[3]);
        }
        if (n.Attributes.GetBool("causal"))
        {
            var rows = Emit1("Range", ScalarI64(0), Emit1("Squeeze", AxisSize(q, 2), I64s(0)), ScalarI64(1));
            var cols = Emit1("Range", ScalarI64(0), Emit1("Squeeze", AxisSize(k, 2), I64s(0)), ScalarI64(1));
            var causal = Emit1("LessOrEqual", Emit1("Unsqueeze", cols, I64s(0)), Emit1("Unsqueeze", rows, I64s(1)));
            allowed = allowed == null ? causal : Emit1("And", allowed, causal);
        }
        if (allowed != null) scores = Emit1("Where", allowed, scores, Scalar(dtype, double.NegativeInfinity));
        var p = Emit1("Softmax", new[] { scores }, Int("axis", -1));
        if (masked)
        {
            var best = Emit1("ReduceMax", new[] { scores }, Ints("axes", new long[] { -1 }), Int("keepdims", 1));
            var live = Emit1("Not", Emit1("IsInf", new[] { best }, Int("detect_positive", 0), Int("detect_negative", 1)));
            p = Emit1("Where", live, p, Scalar(dtype, 0));
        }
        return Emit1("MatMul", p, v);
    }

    /// <summary>[B, Hkv, T, d] to [B, Hkv · g, T, d], each kv head repeated g times in place (repeat_interleave).</summary>
    private string RepeatHeads(string t, string q, string group)
    {
        var lifted = Emit1("Unsqueeze", t, I64s(2));
        var expanded = Emit1("Expand", lifted, Emit1("Concat", new[] { AxisSize(t, 0), AxisSize(t, 1), group, AxisSize(t, 2), AxisSize(t, 3) }, Int("axis", 0)));
        return Emit1("Reshape", new[] { expanded, Emit1("Concat", new[] { AxisSize(t, 0), AxisSize(q, 1), AxisSize(t, 2), AxisSize(t, 3) }, Int("axis", 0)) },
            Int("allowzero", 1));
    }
}
