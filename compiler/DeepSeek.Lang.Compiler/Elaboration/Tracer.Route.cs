using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

// route(...) and balance_loss(...): mixture-of-experts routing turned into a static graph.
internal sealed partial class Tracer
{
    /// <summary>
    /// route(x [N, d], logits [N, E], experts, top_k, capacity, score, normalize, scale, bias).
    /// Token i goes to the top_k experts with the largest scores s = score(logits) (+ bias, which
    /// only steers the choice); its output is the sum of w[i, e] * experts[e](x[i]) with w the
    /// chosen scores, renormalised when <c>normalize</c>, times <c>scale</c>. In capacity mode each
    /// expert takes at most C = ceil(capacity * top_k * N / E) tokens, first choices of all tokens
    /// before second choices, in token order (GShard/Switch); capacity 0 drops nothing.
    /// </summary>
    private Val Route(BuiltinArgs a)
    {
        var at = At(a.Call);
        var x = a.Tensor("x");
        var logits = a.Tensor("logits");
        var experts = (ModuleArrayVal)a["experts"];
        var topK = a.Int("top_k");
        var score = a.String("score");
        var capacity = a.Float("capacity");

        if (x.Type.Rank != 2)
            return Error(DiagnosticDescriptors.RankMismatch, a.SpanOf("x"), $"route takes tokens as rows: x must be [N, d], got {x.Type}; reshape first (x.reshape(B * T, d))");
        if (logits.Type.Rank != 2 || !DimEquality.Same(logits.Type.Shape[0], x.Type.Shape[0]))
            return Error(DiagnosticDescriptors.ShapeMismatch, a.SpanOf("logits"), $"route's logits must be [N, E] with N = {x.Type.Shape[0]} (the rows of x), got {logits.Type}");
        if (!DimEquality.Same(logits.Type.Shape[1], experts.Count))
            return Error(DiagnosticDescriptors.ShapeMismatch, a.SpanOf("logits"), $"route's logits have {logits.Type.Shape[1]} columns but there are {experts.Count} experts");
        if (!logits.Type.DType.IsFloat() || logits.Type.DType != x.Type.DType)
            return Error(DiagnosticDescriptors.DTypeMismatch, a.SpanOf("logits"), $"route's logits {logits.Type} must have the dtype of x {x.Type}");
        if (score is not (null or "softmax" or "sigmoid"))
            return Error(DiagnosticDescriptors.InvalidArgumentValue, a.SpanOf("score"), $"route's score must be \"softmax\" or \"sigmoid\", got \"{score}\"");
        if (capacity is { } c && c < 0)
            return Error(DiagnosticDescriptors.InvalidArgumentValue, a.SpanOf("capacity"), $"route's capacity must be positive, or 0 for dropless routing; got {c}");
        if (!topK.IsConstant || topK.ConstantValue < 1 || (experts.Count.IsConstant && topK.ConstantValue > experts.Count.ConstantValue))
        {
            if (_generic && !topK.IsConstant) return CheckExpertsGenerically(experts, x, a);
            return Error(DiagnosticDescriptors.InvalidArgumentValue, a.SpanOf("top_k"), $"route's top_k must be between 1 and the number of experts ({experts.Count}), got {topK}");
        }
        if (!a.IsNone("bias"))
        {
            var bias = a.Tensor("bias");
            if (bias.Type.Rank != 1 || !DimEquality.Same(bias.Type.Shape[0], experts.Count) || bias.Type.DType != logits.Type.DType)
                return Error(DiagnosticDescriptors.ShapeMismatch, a.SpanOf("bias"), $"route's bias must be {logits.Type.DType.Name()}[{experts.Count}] (one per expert), got {bias.Type}");
        }
        if (experts.IsSymbolic || _generic) return CheckExpertsGenerically(experts, x, a);

        int k = (int)topK.ConstantValue!.Value;
        var lowering = new RouteLowering(this, at, x.Value, logits.Value, experts, k, score ?? "softmax", a.Bool("normalize"),
            a.Float("scale") ?? 1.0, a.IsNone("bias") ? null : a.Tensor("bias").Value, capacity ?? 1.25, a.Call);
        return lowering.Lower();
    }

    /// <summary>With a symbolic expert count (generic checking), one representative expert is checked on [N, d].</summary>
    private Val CheckExpertsGenerically(ModuleArrayVal experts, TensorVal x, BuiltinArgs a)
    {
        if (experts.Items.Length == 0) return x;
        return CallExpertOn(experts.Items[0], x, a.Call) is { } y ? y : ErrorVal.Instance;
    }

    internal ImmutableArray<string> RoutedWeightNames(ModuleArrayVal experts) =>
        experts.Items.SelectMany(i => _graph.WeightNames(i.FirstWeight, i.WeightEnd)).ToImmutableArray();

    /// <summary>
    /// balance_loss(logits [N, E], top_k): the Switch loss E * sum_e f_e * P_e, with f_e the fraction of
    /// tokens whose top-k includes e and P_e the mean softmax score (as Hugging Face computes it for Mixtral).
    /// </summary>
    private Val BalanceLoss(BuiltinArgs a)
    {
        var logits = a.Tensor("logits");
        if (logits.Type.Rank != 2 || !logits.Type.DType.IsFloat())
            return Error(DiagnosticDescriptors.ShapeMismatch, a.SpanOf("logits"), $"balance_loss takes float logits [N, E], got {logits.Type}");
        long k = ConstInt(a, "top_k");
        var n = logits.Type.Shape[0];
        var e = logits.Type.Shape[1];
        var b = new OpSequence(this, At(a.Call));
        var probs = b.Op(Ops.Softmax, Attributes.Of(("axis", -1L)), logits.Value);
        var chosen = b.Op(Ops.TopK, Attributes.Of(("k", k), ("axis", -1L)), probs, 1);
        var hits = b.Op(Ops.OneHot, Attributes.Of(("depth", e), ("dtype", logits.Type.DType)), chosen); // [N, k, E]
        var perToken = b.Op(Ops.Sum, Attributes.Of(("axes", ImmutableArray.Create(1L)), ("keepdim", false)), hits); // [N, E]
        var f = b.Op(Ops.Mean, Attributes.Of(("axes", ImmutableArray.Create(0L)), ("keepdim", false)), perToken);
        var p = b.Op(Ops.Mean, Attributes.Of(("axes", ImmutableArray.Create(0L)), ("keepdim", false)), probs);
        var fp = b.Op(Ops.Mul, Attributes.Empty, f, p);
        var total = b.Op(Ops.Sum, Attributes.Of(("axes", ImmutableArray.Create(0L)), ("keepdim", false)), fp);
        var loss = b.Op(Ops.Mul, Attributes.Empty, total, DimScalar(e, logits.Type.DType, At(a.Call)));
        _ = n;
        return b.Failed ? ErrorVal.Instance : new TensorVal(loss);
    }

    /// <summary>
    /// Emits a chain of internal ops at one location. The ops are typed as usual; a failure is a
    /// compiler bug, reported once as DSK9999, after which the chain yields placeholders.
    /// </summary>
    internal sealed class OpSequence
    {
        private readonly Tracer _tracer;
        private readonly Location _at;
        private Value? _placeholder;

        public OpSequence(Tracer tracer, Location at)
        {
            _tracer = tracer;
            _at = at;
        }

        public bool Failed { get; private set; }

        public Location Location => _at;

        public Value Op(Op op, Attributes attributes, params Value[] inputs) => Outputs(op, attributes, inputs)[0];

        public Value Op(Op op, Attributes attributes, Value input, int output) => Outputs(op, attributes, input)[output];

        /// <summary>All outputs of an op (split, topk).</summary>
        public ImmutableArray<Value> Outputs(Op op, Attributes attributes, params Value[] inputs)
        {
            if (!Failed)
            {
                var typing = op.Type(inputs.Select(i => i.Type).ToArray(), attributes);
                if (typing.Ok) return _tracer._graph.AddTyped(op, inputs.ToImmutableArray(), attributes, typing.Outputs, _at).Outputs;
                Failed = true;
                _tracer.Report(DiagnosticDescriptors.InternalError, _at, $"lowering {op.Name} failed: {typing.Message}");
                _placeholder = inputs.Length > 0 ? inputs[0] : _tracer._graph.NewValue(TensorType.Scalar(DType.F32));
            }
            return ImmutableArray.CreateRange(Enumerable.Repeat(_placeholder!, Math.Max(1, op.OutputCount)));
        }

        public Value Scalar(double value, DType dtype) => _tracer.Scalar(value, dtype, _at);

        public Value DimScalar(Dim value, DType dtype) => _tracer.DimScalar(value, dtype, _at);

        public static Attributes Axes(params long[] axes) => Attributes.Of(("axes", axes.ToImmutableArray()), ("keepdim", false));
    }
}
