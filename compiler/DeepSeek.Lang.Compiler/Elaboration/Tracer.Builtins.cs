using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using P = DeepSeek.Lang.Compiler.Elaboration.BuiltinParameter;

namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>The names of the built-in functions (language.md §5) and tensor methods.</summary>
internal static class Builtins
{
    public static bool Contains(string name) => Tracer.BuiltinTable.ContainsKey(name);

    public static bool TryGet(string name, out Builtin builtin) => Tracer.BuiltinTable.TryGetValue(name, out builtin!);

    public static bool IsMethod(string name) => Tracer.MethodTable.ContainsKey(name);

    public static bool TryGetMethod(string name, out Builtin builtin) => Tracer.MethodTable.TryGetValue(name, out builtin!);

    public static IEnumerable<string> Names => Tracer.BuiltinTable.Keys;

    public static IEnumerable<string> MethodNames => Tracer.MethodTable.Keys;
}

// The built-in functions: each binds its arguments by name or position and emits IR ops.
internal sealed partial class Tracer
{
    private static readonly Val None = NoneVal.Instance;
    private static readonly Val MinusOne = new IntVal(Dim.Const(-1));
    private static readonly Val Zero = new IntVal(Dim.Zero);
    private static readonly Val False = BoolVal.False;
    private static readonly Val True = BoolVal.True;
    private static readonly Val F32 = new DTypeVal(DType.F32);

    internal static readonly Dictionary<string, Builtin> BuiltinTable = CreateBuiltins();

    /// <summary>Methods: every built-in whose first parameter is a tensor, and aliases such as view and size.</summary>
    internal static readonly Dictionary<string, Builtin> MethodTable = CreateMethods();

    private static Dictionary<string, Builtin> CreateBuiltins()
    {
        var table = new Dictionary<string, Builtin>(StringComparer.Ordinal);
        void Add(string name, Func<Tracer, BuiltinArgs, Val> invoke, params P[] parameters) =>
            table[name] = new Builtin(name, parameters.ToImmutableArray(), invoke);
        // The parameter named shape or axes collects the remaining positional arguments.
        void AddVar(string name, Func<Tracer, BuiltinArgs, Val> invoke, params P[] parameters) =>
            table[name] = new Builtin(name, parameters.ToImmutableArray(), invoke,
                restIndex: Array.FindIndex(parameters, p => p.Name is "shape" or "axes"));

        // Elementwise math; on numbers they compute at compile time.
        void Math1(string name, Op op, Func<double, double> f) =>
            Add(name, (t, a) => t.Elementwise(op, a, f), new P("x", ArgKind.Number));
        Math1("exp", Ops.Exp, Math.Exp);
        Math1("log", Ops.Log, Math.Log);
        Math1("sqrt", Ops.Sqrt, Math.Sqrt);
        Math1("rsqrt", Ops.Rsqrt, x => 1 / Math.Sqrt(x));
        Math1("tanh", Ops.Tanh, Math.Tanh);
        Math1("sigmoid", Ops.Sigmoid, x => 1 / (1 + Math.Exp(-x)));
        Math1("relu", Ops.Relu, x => Math.Max(0, x));
        Math1("silu", Ops.Silu, x => x / (1 + Math.Exp(-x)));
        Math1("erf", Ops.Erf, Erf);
        Math1("abs", Ops.Abs, Math.Abs);
        Math1("sin", Ops.Sin, Math.Sin);
        Math1("cos", Ops.Cos, Math.Cos);
        Add("gelu", (t, a) => t.Gelu(a), new P("x", ArgKind.Tensor), new P("approximate", ArgKind.String, new StringVal("none")));
        Add("cast", (t, a) => t.Emit(Ops.Cast, a.Call, Attributes.Of(("dtype", a.DType("dtype"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("dtype", ArgKind.DType));
        Add("float", (t, a) => t.ToFloat(a), new P("x", ArgKind.Any));
        Add("int", (t, a) => t.ToInt(a), new P("x", ArgKind.Any));

        Add("maximum", (t, a) => t.BinaryBuiltin(Ops.Maximum, a), new P("a", ArgKind.Number), new P("b", ArgKind.Number));
        Add("minimum", (t, a) => t.BinaryBuiltin(Ops.Minimum, a), new P("a", ArgKind.Number), new P("b", ArgKind.Number));
        Add("pow", (t, a) => t.BinaryBuiltin(Ops.Pow, a), new P("a", ArgKind.Number), new P("b", ArgKind.Number));
        Add("where", (t, a) => t.Where(a), new P("condition", ArgKind.Tensor), new P("a", ArgKind.Number), new P("b", ArgKind.Number));
        Add("clamp", (t, a) => t.Clamp(a), new P("x", ArgKind.Tensor), new P("min", ArgKind.OptionalFloat, None), new P("max", ArgKind.OptionalFloat, None));

        // Reductions and normalisations along axes.
        void Reduction(string name, Op op) => Add(name, (t, a) => t.Reduce(op, a),
            new P("x", ArgKind.Number), new P("axis", ArgKind.OptionalInts, None), new P("keepdim", ArgKind.Bool, False));
        Reduction("sum", Ops.Sum);
        Reduction("mean", Ops.Mean);
        Reduction("max", Ops.Max);
        Reduction("min", Ops.Min);
        Reduction("logsumexp", Ops.LogSumExp);
        Add("argmax", (t, a) => t.Emit(Ops.ArgMax, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis")), ("keepdim", a.Bool("keepdim"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int, MinusOne), new P("keepdim", ArgKind.Bool, False));
        Add("softmax", (t, a) => t.Emit(Ops.Softmax, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int, MinusOne));
        Add("log_softmax", (t, a) => t.Emit(Ops.LogSoftmax, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int, MinusOne));
        Add("cumsum", (t, a) => t.Emit(Ops.CumSum, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int));

        // Shapes.
        AddVar("reshape", (t, a) => t.Reshape(a), new P("x", ArgKind.Tensor), new P("shape", ArgKind.Ints));
        Add("transpose", (t, a) => t.SwapAxes(a), new P("x", ArgKind.Tensor), new P("axis0", ArgKind.Int, new IntVal(Dim.Const(-2))), new P("axis1", ArgKind.Int, MinusOne));
        AddVar("permute", (t, a) => t.Permute(a), new P("x", ArgKind.Tensor), new P("axes", ArgKind.Ints));
        AddVar("expand", (t, a) => t.ExpandTo(a), new P("x", ArgKind.Tensor), new P("shape", ArgKind.Ints));
        Add("concat", (t, a) => t.Emit(Ops.Concat, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensors("tensors").Select(x => x.Value).ToArray()),
            new P("tensors", ArgKind.Tensors), new P("axis", ArgKind.Int, Zero));
        Add("stack", (t, a) => t.Emit(Ops.Stack, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensors("tensors").Select(x => x.Value).ToArray()),
            new P("tensors", ArgKind.Tensors), new P("axis", ArgKind.Int, Zero));
        Add("split", (t, a) => t.SplitTensor(a), new P("x", ArgKind.Tensor), new P("sizes", ArgKind.Ints), new P("axis", ArgKind.Int, Zero));
        Add("squeeze", (t, a) => t.Squeeze(a), new P("x", ArgKind.Tensor), new P("axis", ArgKind.OptionalInts, None));
        Add("unsqueeze", (t, a) => t.Emit(Ops.Unsqueeze, a.Call, Attributes.Of(("axes", ImmutableArray.Create(t.ConstInt(a, "axis")))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int));
        Add("flatten", (t, a) => t.Flatten(a), new P("x", ArgKind.Tensor), new P("start", ArgKind.Int, Zero), new P("end", ArgKind.Int, MinusOne));

        // Creation.
        AddVar("zeros", (t, a) => t.Fill(a, 0), new P("shape", ArgKind.Ints), new P("dtype", ArgKind.DType, F32));
        AddVar("ones", (t, a) => t.Fill(a, 1), new P("shape", ArgKind.Ints), new P("dtype", ArgKind.DType, F32));
        AddVar("full", (t, a) => t.Fill(a, a.Float("value") ?? 0), new P("shape", ArgKind.Ints), new P("value", ArgKind.Float), new P("dtype", ArgKind.DType, F32));
        AddVar("randn", (t, a) => t.Randn(a), new P("shape", ArgKind.Ints), new P("dtype", ArgKind.DType, F32), new P("seed", ArgKind.Int, Zero));
        Add("arange", (t, a) => t.Arange(a), new P("start", ArgKind.Int), new P("stop", ArgKind.Any, None), new P("step", ArgKind.Int, new IntVal(Dim.One)),
            new P("dtype", ArgKind.DType, new DTypeVal(DType.I64)));

        // Indexing.
        Add("index_select", (t, a) => t.Emit(Ops.IndexSelect, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value, a.Tensor("index").Value),
            new P("x", ArgKind.Tensor), new P("index", ArgKind.Tensor), new P("axis", ArgKind.Int, Zero));
        Add("gather", (t, a) => t.Emit(Ops.Gather, a.Call, Attributes.Of(("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value, a.Tensor("index").Value),
            new P("x", ArgKind.Tensor), new P("index", ArgKind.Tensor), new P("axis", ArgKind.Int));
        Add("scatter_add", (t, a) => t.Emit(Ops.ScatterAdd, a.Call, Attributes.Of(("size", a.Int("size"))), a.Tensor("src").Value, a.Tensor("index").Value),
            new P("src", ArgKind.Tensor), new P("index", ArgKind.Tensor), new P("size", ArgKind.Int));
        Add("embedding", (t, a) => t.Embedding(a), new P("weight", ArgKind.Tensor), new P("ids", ArgKind.Tensor));
        Add("one_hot", (t, a) => t.Emit(Ops.OneHot, a.Call, Attributes.Of(("depth", a.Int("n")), ("dtype", a.DType("dtype"))), a.Tensor("ids").Value),
            new P("ids", ArgKind.Tensor), new P("n", ArgKind.Int), new P("dtype", ArgKind.DType, F32));
        Add("topk", (t, a) => t.Emit(Ops.TopK, a.Call, Attributes.Of(("k", t.ConstInt(a, "k")), ("axis", t.ConstInt(a, "axis"))), a.Tensor("x").Value),
            new P("x", ArgKind.Tensor), new P("k", ArgKind.Int), new P("axis", ArgKind.Int, MinusOne));

        // Network.
        Add("matmul", (t, a) => t.Emit(Ops.MatMul, a.Call, Attributes.Empty, a.Tensor("a").Value, a.Tensor("b").Value),
            new P("a", ArgKind.Tensor), new P("b", ArgKind.Tensor));
        Add("layer_norm", (t, a) => t.Emit(Ops.LayerNorm, a.Call, Attributes.Of(("eps", a.Float("eps") ?? 1e-5)), a.Tensor("x").Value, a.Tensor("weight").Value, a.Tensor("bias").Value),
            new P("x", ArgKind.Tensor), new P("weight", ArgKind.Tensor), new P("bias", ArgKind.Tensor), new P("eps", ArgKind.Float, new FloatVal(1e-5)));
        Add("rms_norm", (t, a) => t.Emit(Ops.RmsNorm, a.Call, Attributes.Of(("eps", a.Float("eps") ?? 1e-6)), a.Tensor("x").Value, a.Tensor("weight").Value),
            new P("x", ArgKind.Tensor), new P("weight", ArgKind.Tensor), new P("eps", ArgKind.Float, new FloatVal(1e-6)));
        Add("dropout", (t, a) => t.Dropout(a), new P("x", ArgKind.Tensor), new P("p", ArgKind.Float, new FloatVal(0)));
        Add("attention", (t, a) => t.Attention(a), new P("q", ArgKind.Tensor), new P("k", ArgKind.Tensor), new P("v", ArgKind.Tensor),
            new P("causal", ArgKind.Bool, False), new P("mask", ArgKind.OptionalTensor, None), new P("scale", ArgKind.OptionalFloat, None));

        // Mixture of experts.
        Add("route", (t, a) => t.Route(a), new P("x", ArgKind.Tensor), new P("logits", ArgKind.Tensor), new P("experts", ArgKind.Modules),
            new P("top_k", ArgKind.Int), new P("capacity", ArgKind.Float, new FloatVal(1.25)), new P("score", ArgKind.String, new StringVal("softmax")),
            new P("normalize", ArgKind.Bool, True), new P("scale", ArgKind.Float, new FloatVal(1.0)), new P("bias", ArgKind.OptionalTensor, None));
        Add("balance_loss", (t, a) => t.BalanceLoss(a), new P("logits", ArgKind.Tensor), new P("top_k", ArgKind.Int));
        return table;
    }

    private static Dictionary<string, Builtin> CreateMethods()
    {
        var methods = new Dictionary<string, Builtin>(StringComparer.Ordinal);
        foreach (var b in BuiltinTable.Values)
            if (b.Parameters.Length > 0 && b.Parameters[0].Kind is ArgKind.Tensor or ArgKind.Number) methods[b.Name] = b;
        methods["view"] = BuiltinTable["reshape"];
        methods["to"] = BuiltinTable["cast"];
        methods["size"] = new Builtin("size", ImmutableArray.Create(new P("x", ArgKind.Tensor), new P("axis", ArgKind.Int)), (t, a) => t.SizeOf(a));
        methods["contiguous"] = new Builtin("contiguous", ImmutableArray.Create(new P("x", ArgKind.Tensor)), (_, a) => a.Tensor("x"));
        return methods;
    }

    // ------------------------------------------------------------------ helpers used by built-ins

    /// <summary>An int argument that must be a compile-time constant (an axis, k).</summary>
    private long ConstInt(BuiltinArgs a, string name)
    {
        var d = a.Int(name);
        if (d.IsConstant) return d.ConstantValue!.Value;
        if (!_generic)
            Report(DiagnosticDescriptors.InvalidArgumentValue, At(a.SpanOf(name)), $"'{name}' of {a.Builtin.Name} must be a constant, not {d}");
        return 0;
    }

    private Val Elementwise(Op op, BuiltinArgs a, Func<double, double> compileTime)
    {
        var x = a["x"];
        if (x is TensorVal t) return Emit(op, a.Call, Attributes.Empty, t.Value);
        if (ToDouble(x) is { } v) return new FloatVal(compileTime(v));
        if (x is FloatVal or IntVal) return FloatVal.Unknown;
        return Error(DiagnosticDescriptors.ArgumentTypeMismatch, a.SpanOf("x"), $"{op.Name} needs a tensor or a number, got {x.Describe()}");
    }

    private Val Gelu(BuiltinArgs a)
    {
        var mode = a.String("approximate") ?? "none";
        if (mode is not ("none" or "tanh"))
            return Error(DiagnosticDescriptors.InvalidArgumentValue, a.SpanOf("approximate"), $"gelu approximate must be \"none\" or \"tanh\", got \"{mode}\"");
        return Emit(Ops.Gelu, a.Call, mode == "none" ? Attributes.Empty : Attributes.Of(("approximate", mode)), a.Tensor("x").Value);
    }

    private Val ToFloat(BuiltinArgs a) => a["x"] switch
    {
        IntVal { Value: var d } => d.IsConstant ? new FloatVal(d.ConstantValue!.Value) : FloatVal.Unknown,
        FloatVal f => f,
        TensorVal t => Emit(Ops.Cast, a.Call, Attributes.Of(("dtype", DType.F32)), t.Value),
        var v => Error(DiagnosticDescriptors.ArgumentTypeMismatch, a.SpanOf("x"), $"float() needs a number, got {v.Describe()}"),
    };

    private Val ToInt(BuiltinArgs a) => a["x"] switch
    {
        IntVal i => i,
        FloatVal { Value: { } f } => new IntVal(Dim.Const((long)Math.Floor(f))),
        // A float known only when the module's parameters are (generic checking): some int, named after the call.
        FloatVal => new IntVal(Dim.Var(SyntaxPrinter.Print(a.Call))),
        TensorVal t => Emit(Ops.Cast, a.Call, Attributes.Of(("dtype", DType.I64)), t.Value),
        var v => Error(DiagnosticDescriptors.ArgumentTypeMismatch, a.SpanOf("x"), $"int() needs a number, got {v.Describe()}"),
    };

    private Val BinaryBuiltin(Op op, BuiltinArgs a)
    {
        var (l, r) = (a["a"], a["b"]);
        if (l is not TensorVal && r is not TensorVal)
        {
            if (ToDouble(l) is { } x && ToDouble(r) is { } y)
            {
                var v = op == Ops.Maximum ? Math.Max(x, y) : op == Ops.Minimum ? Math.Min(x, y) : Math.Pow(x, y);
                return l is IntVal && r is IntVal && op != Ops.Pow ? new IntVal(Dim.Const((long)v)) : new FloatVal(v);
            }
            // maximum or minimum of symbolic ints (generic checking) is some int, named after the call.
            if (l is IntVal && r is IntVal && op != Ops.Pow) return new IntVal(Dim.Var(SyntaxPrinter.Print(a.Call)));
            return FloatVal.Unknown;
        }
        var lt = AsTensor(l, r, a.Call);
        var rt = AsTensor(r, l, a.Call);
        return lt == null || rt == null ? ErrorVal.Instance : Emit(op, a.Call, Attributes.Empty, lt, rt);
    }

    private Val Where(BuiltinArgs a)
    {
        var cond = a.Tensor("condition");
        var (l, r) = (a["a"], a["b"]);
        var other = l is TensorVal ? l : r;
        var lt = AsTensor(l, other, a.Call);
        var rt = AsTensor(r, other, a.Call);
        return lt == null || rt == null ? ErrorVal.Instance : Emit(Ops.Where, a.Call, Attributes.Empty, cond.Value, lt, rt);
    }

    private Val Clamp(BuiltinArgs a)
    {
        var attrs = Attributes.Empty;
        if (a.Float("min") is { } lo) attrs = attrs.With("min", lo);
        if (a.Float("max") is { } hi) attrs = attrs.With("max", hi);
        return Emit(Ops.Clamp, a.Call, attrs, a.Tensor("x").Value);
    }

    private Val Reduce(Op op, BuiltinArgs a)
    {
        var x = a["x"];
        if (x is not TensorVal t)
            return Error(DiagnosticDescriptors.ArgumentTypeMismatch, a.SpanOf("x"), $"{op.Name} reduces a tensor; got {x.Describe()}");
        var axes = a.IsNone("axis")
            ? Enumerable.Range(0, t.Type.Rank).Select(i => (long)i).ToImmutableArray()
            : a.Ints("axis").Select(d => d.ConstantValue ?? 0).ToImmutableArray();
        return Emit(op, a.Call, Attributes.Of(("axes", axes), ("keepdim", a.Bool("keepdim"))), t.Value);
    }

    private Val Reshape(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var dims = a.Ints("shape");
        int inferred = -1;
        var known = Dim.One;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i].IsConstant && dims[i].ConstantValue == -1)
            {
                if (inferred >= 0) return Error(DiagnosticDescriptors.ReshapeMismatch, a.Call, $"cannot reshape {x.Type} to [{string.Join(", ", dims)}]: only one dimension may be -1");
                inferred = i;
            }
            else known *= dims[i];
        }
        if (inferred >= 0)
        {
            var total = x.Type.Shape.ElementCount;
            var q = Dim.DivideExact(total, known);
            if (q.Kind != DivisionKind.Exact)
                return Error(DiagnosticDescriptors.ReshapeMismatch, a.Call,
                    $"cannot reshape {x.Type} to [{string.Join(", ", dims)}]: {total} elements do not divide into rows of {known}");
            dims = dims.SetItem(inferred, q.Quotient!);
        }
        foreach (var d in dims)
            if (d.IsConstant && d.ConstantValue <= 0)
                return Error(DiagnosticDescriptors.NonPositiveDimension, a.Call, $"cannot reshape {x.Type} to [{string.Join(", ", dims)}]: sizes must be positive");
        return Emit(Ops.Reshape, a.Call, Attributes.Of(("shape", dims)), x.Value);
    }

    private Val SwapAxes(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        int rank = x.Type.Rank;
        long i = ConstInt(a, "axis0"), j = ConstInt(a, "axis1");
        long ni = i < 0 ? i + rank : i, nj = j < 0 ? j + rank : j;
        if (ni < 0 || ni >= rank || nj < 0 || nj >= rank)
            return Error(DiagnosticDescriptors.AxisOutOfRange, a.Call, $"transpose({i}, {j}) is out of range for {x.Type} (rank {rank})");
        var perm = Enumerable.Range(0, rank).Select(k => (long)k).ToArray();
        (perm[ni], perm[nj]) = (perm[nj], perm[ni]);
        return Emit(Ops.Transpose, a.Call, Attributes.Of(("perm", perm.ToImmutableArray())), x.Value);
    }

    private Val Permute(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var perm = a.Ints("axes").Select(d => d.ConstantValue is { } v && v < 0 ? v + x.Type.Rank : d.ConstantValue ?? -1).ToImmutableArray();
        return Emit(Ops.Transpose, a.Call, Attributes.Of(("perm", perm)), x.Value);
    }

    private Val ExpandTo(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var dims = a.Ints("shape");
        // -1 keeps the input's size, as in PyTorch.
        int offset = dims.Length - x.Type.Rank;
        var resolved = dims.Select((d, i) => d.IsConstant && d.ConstantValue == -1 && i - offset >= 0 ? x.Type.Shape[i - offset] : d).ToImmutableArray();
        return Emit(Ops.Expand, a.Call, Attributes.Of(("shape", resolved)), x.Value);
    }

    private Val SplitTensor(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var axis = Ops.NormalizeAxis("split", x.Type, ConstInt(a, "axis"), out var error);
        if (axis < 0) return Error(error.Error!, a.Call, error.Message!);
        var sizes = a.Ints("sizes");
        if (a["sizes"] is IntVal)
        {
            // split(x, chunk) cuts equal chunks of that size.
            var q = Dim.DivideExact(x.Type.Shape[axis], sizes[0]);
            if (q.Kind != DivisionKind.Exact || q.Quotient!.ConstantValue is not { } n)
                return Error(DiagnosticDescriptors.ShapeMismatch, a.Call, $"cannot split dimension {axis} of {x.Type} into chunks of {sizes[0]}");
            sizes = Enumerable.Repeat(sizes[0], (int)n).ToImmutableArray();
        }
        return Emit(Ops.Split, a.Call, Attributes.Of(("axis", (long)axis), ("sizes", sizes)), x.Value) switch
        {
            TensorVal single => new TupleVal(ImmutableArray.Create<Val>(single)),
            var v => v,
        };
    }

    private Val Squeeze(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var axes = a.IsNone("axis")
            ? Enumerable.Range(0, x.Type.Rank).Where(i => x.Type.Shape[i].IsConstant && x.Type.Shape[i].ConstantValue == 1).Select(i => (long)i).ToImmutableArray()
            : a.Ints("axis").Select(d => d.ConstantValue ?? 0).ToImmutableArray();
        return Emit(Ops.Squeeze, a.Call, Attributes.Of(("axes", axes)), x.Value);
    }

    private Val Flatten(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        int rank = x.Type.Rank;
        long s = ConstInt(a, "start"), e = ConstInt(a, "end");
        if (s < 0) s += rank;
        if (e < 0) e += rank;
        if (rank == 0) return Emit(Ops.Reshape, a.Call, Attributes.Of(("shape", ImmutableArray.Create(Dim.One))), x.Value);
        if (s < 0 || e >= rank || s > e) return Error(DiagnosticDescriptors.AxisOutOfRange, a.Call, $"flatten({s}, {e}) is out of range for {x.Type}");
        var dims = new List<Dim>();
        var merged = Dim.One;
        for (int i = 0; i < rank; i++)
        {
            if (i < s || i > e) dims.Add(x.Type.Shape[i]);
            else
            {
                merged *= x.Type.Shape[i];
                if (i == e) dims.Add(merged);
            }
        }
        return Emit(Ops.Reshape, a.Call, Attributes.Of(("shape", dims.ToImmutableArray())), x.Value);
    }

    private Val Fill(BuiltinArgs a, double value)
    {
        var shape = a.Ints("shape");
        foreach (var d in shape)
            if (d.IsConstant && d.ConstantValue <= 0)
                return Error(DiagnosticDescriptors.NonPositiveDimension, a.Call, $"{a.Builtin.Name}: size {d} is not positive");
        return Emit(Ops.Full, a.Call, Attributes.Of(("dtype", a.DType("dtype")), ("shape", shape), ("value", value)));
    }

    private Val Randn(BuiltinArgs a) =>
        Emit(Ops.Randn, a.Call, Attributes.Of(("dtype", a.DType("dtype")), ("shape", a.Ints("shape")), ("seed", ConstInt(a, "seed"))));

    private Val Arange(BuiltinArgs a)
    {
        // arange(n) counts 0..n-1; arange(start, stop[, step]).
        var first = a.Int("start");
        Dim start = Dim.Zero, stop = first;
        if (a["stop"] is IntVal s)
        {
            start = first;
            stop = s.Value;
        }
        else if (a["stop"] is not NoneVal)
            return Error(DiagnosticDescriptors.ArgumentTypeMismatch, a.SpanOf("stop"), $"arange's stop must be an int, got {a["stop"].Describe()}");
        return Emit(Ops.Arange, a.Call, Attributes.Of(("dtype", a.DType("dtype")), ("start", start), ("stop", stop), ("step", ConstInt(a, "step"))));
    }

    private Val Embedding(BuiltinArgs a)
    {
        var ids = a.Tensor("ids");
        if (!ids.Type.DType.IsInteger())
            return Error(DiagnosticDescriptors.IndexNotInteger, a.SpanOf("ids"), $"embedding ids must be an integer tensor, got {ids.Type}");
        return Emit(Ops.IndexSelect, a.Call, Attributes.Of(("axis", 0L)), a.Tensor("weight").Value, ids.Value);
    }

    private Val Dropout(BuiltinArgs a)
    {
        var p = a.Float("p");
        if (p is { } v && (v < 0 || v >= 1))
            return Error(DiagnosticDescriptors.InvalidArgumentValue, a.SpanOf("p"), $"dropout probability must be in [0, 1), got {v}");
        return a.Tensor("x"); // identity outside training
    }

    private Val Attention(BuiltinArgs a)
    {
        var attrs = Attributes.Of(("causal", a.Bool("causal")));
        if (a.Float("scale") is { } s) attrs = attrs.With("scale", s);
        var inputs = new List<Value> { a.Tensor("q").Value, a.Tensor("k").Value, a.Tensor("v").Value };
        if (!a.IsNone("mask")) inputs.Add(a.Tensor("mask").Value);
        return Emit(Ops.Attention, a.Call, attrs, inputs.ToArray());
    }

    private Val SizeOf(BuiltinArgs a)
    {
        var x = a.Tensor("x");
        var axis = Ops.NormalizeAxis("size", x.Type, ConstInt(a, "axis"), out var error);
        return axis < 0 ? Error(error.Error!, a.Call, error.Message!) : new IntVal(x.Type.Shape[axis]);
    }

    private static double Erf(double x)
    {
        // Abramowitz and Stegun 7.1.26 is too coarse for constants; use a series / continued fraction.
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
                   t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
