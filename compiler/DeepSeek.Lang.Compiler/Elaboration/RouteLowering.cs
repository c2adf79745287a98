using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

internal sealed partial class Tracer
{
    /// <summary>
    /// The static graph of one route call. Assignments (token i, choice j) are laid out
    /// choice-major, a = j * N + i, so that counting them in order serves all first choices before
    /// any second choice. A running count per expert gives each assignment its place in its
    /// expert's buffer; in capacity mode places at or beyond C go to a spare zero row, which is how
    /// a token over capacity gets nothing from that expert.
    /// </summary>
    private sealed class RouteLowering
    {
        private readonly Tracer _t;
        private readonly OpSequence _b;
        private readonly Value _x;
        private readonly Value _logits;
        private readonly ModuleArrayVal _experts;
        private readonly int _k;
        private readonly string _score;
        private readonly bool _normalize;
        private readonly double _scale;
        private readonly Value? _bias;
        private readonly double _capacity;
        private readonly CallExpression _call;
        private readonly DType _dtype;
        private readonly Dim _n;
        private readonly Dim _d;
        private readonly int _e;
        private int _group = -1;

        public RouteLowering(Tracer tracer, Location at, Value x, Value logits, ModuleArrayVal experts, int k, string score, bool normalize,
            double scale, Value? bias, double capacity, CallExpression call)
        {
            _t = tracer;
            _b = new OpSequence(tracer, at);
            _x = x;
            _logits = logits;
            _experts = experts;
            _k = k;
            _score = score;
            _normalize = normalize;
            _scale = scale;
            _bias = bias;
            _capacity = capacity;
            _call = call;
            _dtype = x.Type.DType;
            _n = x.Type.Shape[0];
            _d = x.Type.Shape[1];
            _e = experts.Items.Length;
        }

        public Val Lower()
        {
            // Scores, the choice, and the combine weights.
            var scores = _b.Op(_score == "sigmoid" ? Ops.Sigmoid : Ops.Softmax, _score == "sigmoid" ? Attributes.Empty : Attributes.Of(("axis", -1L)), _logits);
            var selection = _bias != null ? _b.Op(Ops.Add, Attributes.Empty, scores, _bias) : scores;
            var chosen = _b.Op(Ops.TopK, Attributes.Of(("k", (long)_k), ("axis", -1L)), selection, 1);         // [N, k]
            var weights = _b.Op(Ops.Gather, Attributes.Of(("axis", 1L)), scores, chosen);                     // [N, k]
            if (_normalize)
            {
                var total = _b.Op(Ops.Sum, Attributes.Of(("axes", ImmutableArray.Create(1L)), ("keepdim", true)), weights);
                weights = _b.Op(Ops.Div, Attributes.Empty, weights, total);
            }
            if (_scale != 1.0) weights = _b.Op(Ops.Mul, Attributes.Empty, weights, _b.Scalar(_scale, _dtype));

            // Choice-major assignments and each one's place among its expert's assignments.
            var kn = Dim.Const(_k) * _n;
            var expertOf = ChoiceMajor(chosen);                                                                // [kN] i64
            var weightOf = ChoiceMajor(weights);                                                               // [kN]
            var hits = _b.Op(Ops.OneHot, Attributes.Of(("depth", Dim.Const(_e)), ("dtype", DType.I64)), expertOf); // [kN, E]
            var running = _b.Op(Ops.CumSum, Attributes.Of(("axis", 0L)), hits);
            var before = _b.Op(Ops.Sub, Attributes.Empty, running, hits);
            var place = _b.Op(Ops.Sum, OpSequence.Axes(1), _b.Op(Ops.Mul, Attributes.Empty, before, hits));    // [kN]
            var tokenOf = _b.Op(Ops.Mod, Attributes.Empty,
                _b.Op(Ops.Arange, Attributes.Of(("dtype", DType.I64), ("start", Dim.Zero), ("stop", kn), ("step", 1L))),
                _b.DimScalar(_n, DType.I64));
            var rows = _b.Op(Ops.IndexSelect, Attributes.Of(("axis", 0L)), _x, tokenOf);                        // [kN, d]

            // The experts' nodes belong to this routing group, so reports can tell padding from useful work.
            var executedRows = _capacity == 0 ? Dim.Const(_e) * kn : Dim.Const(_e) * Capacity();
            _group = _t._graph.RoutingGroupCount;
            _t._graph.AddRouting(new RoutingGroup(_k, _e, executedRows, kn, _t.RoutedWeightNames(_experts)));
            Value perAssignment = _capacity == 0
                ? Dropless(expertOf, hits, place, rows, kn)
                : WithCapacity(expertOf, place, rows);
            if (_b.Failed) return ErrorVal.Instance;

            // Combine: weight each assignment's output and add the k choices of every token.
            var column = _b.Op(Ops.Unsqueeze, Attributes.Of(("axes", ImmutableArray.Create(1L))), weightOf);
            var weighted = _b.Op(Ops.Mul, Attributes.Empty, perAssignment, column);
            var byChoice = _b.Op(Ops.Reshape, Attributes.Of(("shape", ImmutableArray.Create(Dim.Const(_k), _n, _d))), weighted);
            var output = _b.Op(Ops.Sum, OpSequence.Axes(0), byChoice);
            return _b.Failed ? ErrorVal.Instance : new TensorVal(output);
        }

        /// <summary>[N, k] → [k * N], first choices of all tokens first.</summary>
        private Value ChoiceMajor(Value perToken)
        {
            var t = _b.Op(Ops.Transpose, Attributes.Of(("perm", ImmutableArray.Create(1L, 0L))), perToken);
            return _b.Op(Ops.Reshape, Attributes.Of(("shape", ImmutableArray.Create(Dim.Const(_k) * _n))), t);
        }

        /// <summary>C = ceil(capacity * k * N / E), exactly, with N symbolic: capacity is read as a fraction p / q.</summary>
        private Dim Capacity()
        {
            long q = 1;
            while (q < 1_000_000 && Math.Abs(_capacity * q - Math.Round(_capacity * q)) > 1e-9) q *= 10;
            long numerator = (long)Math.Round(_capacity * q) * _k;
            long denominator = q * _e;
            long g = Gcd(numerator, denominator);
            numerator /= g;
            denominator /= g;
            return Dim.FloorDiv(Dim.Const(numerator) * _n + Dim.Const(denominator - 1), Dim.Const(denominator));
        }

        private static long Gcd(long a, long b)
        {
            while (b != 0) (a, b) = (b, a % b);
            return Math.Abs(a);
        }

        private Value WithCapacity(Value expertOf, Value place, Value rows)
        {
            var c = Capacity();
            var slots = Dim.Const(_e) * c;
            var kept = _b.Op(Ops.Lt, Attributes.Empty, place, _b.DimScalar(c, DType.I64));
            var slot = _b.Op(Ops.Add, Attributes.Empty, _b.Op(Ops.Mul, Attributes.Empty, expertOf, _b.DimScalar(c, DType.I64)), place);
            slot = _b.Op(Ops.Where, Attributes.Empty, kept, slot, _b.DimScalar(slots, DType.I64));            // dropped → spare row
            var buffer = _b.Op(Ops.ScatterAdd, Attributes.Of(("size", slots + Dim.One)), rows, slot);         // [E*C + 1, d]
            var used = _b.Op(Ops.Slice, Attributes.Of(("axes", ImmutableArray.Create(0L)), ("starts", ImmutableArray.Create(Dim.Zero)),
                ("stops", ImmutableArray.Create(slots)), ("steps", ImmutableArray.Create(1L))), buffer);
            var outputs = RunExpertsBatched(used, c) ?? RunExperts(used, c);
            if (outputs == null) return rows;
            var spare = _b.Op(Ops.Full, Attributes.Of(("dtype", _dtype), ("shape", ImmutableArray.Create(Dim.One, _d)), ("value", 0.0)));
            var all = _b.Op(Ops.Concat, Attributes.Of(("axis", 0L)), outputs.Append(spare).ToArray());      // [E*C + 1, d]
            return _b.Op(Ops.IndexSelect, Attributes.Of(("axis", 0L)), all, slot);                            // [kN, d]
        }

        /// <summary>
        /// Dropless: assignments sorted by expert (a counting sort), then each expert's rows computed.
        /// Every expert runs over the sorted rows and a row keeps its own expert's result.
        /// </summary>
        private Value Dropless(Value expertOf, Value hits, Value place, Value rows, Dim kn)
        {
            var counts = _b.Op(Ops.Sum, OpSequence.Axes(0), hits);                                             // [E]
            var offsets = _b.Op(Ops.Sub, Attributes.Empty, _b.Op(Ops.CumSum, Attributes.Of(("axis", 0L)), counts), counts);
            var sortedPlace = _b.Op(Ops.Add, Attributes.Empty, _b.Op(Ops.IndexSelect, Attributes.Of(("axis", 0L)), offsets, expertOf), place);
            var sortedRows = _b.Op(Ops.ScatterAdd, Attributes.Of(("size", kn)), rows, sortedPlace);          // [kN, d]
            var groupOf = _b.Op(Ops.ScatterAdd, Attributes.Of(("size", kn)), expertOf, sortedPlace);         // [kN]
            if (_b.Failed) return rows;
            if (Batched(new TensorVal(sortedRows), groupOf) is { } grouped)
            {
                // The grouped product computes each sorted row once.
                _t._graph.ReplaceRouting(_group, _t._graph.RoutingAt(_group) with { ExecutedRows = kn });
                return _b.Op(Ops.IndexSelect, Attributes.Of(("axis", 0L)), grouped, sortedPlace);
            }
            // Experts the batching rules cannot express: every expert over every sorted row, each row keeping its own.
            Value? result = null;
            for (int e = 0; e < _e && !_b.Failed; e++)
            {
                var y = CallExpert(e, sortedRows);
                if (y == null) return rows;
                var mine = _b.Op(Ops.Unsqueeze, Attributes.Of(("axes", ImmutableArray.Create(1L))),
                    _b.Op(Ops.Eq, Attributes.Empty, groupOf, _b.Scalar(e, DType.I64)));
                var zero = _b.Scalar(0, _dtype);
                var part = _b.Op(Ops.Where, Attributes.Empty, mine, y, zero);
                result = result == null ? part : _b.Op(Ops.Add, Attributes.Empty, result, part);
            }
            return _b.Op(Ops.IndexSelect, Attributes.Of(("axis", 0L)), result ?? rows, sortedPlace);
        }

        private Value? CallExpert(int e, Value rows)
        {
            var previous = _t._graph.CurrentRoutingGroup;
            _t._graph.CurrentRoutingGroup = _group;
            var y = _t.CallExpertOn(_experts.Items[e], new TensorVal(rows), _call);
            _t._graph.CurrentRoutingGroup = previous;
            return y?.Value;
        }

        /// <summary>Capacity mode, all experts at once: the buffer as [E, C, d], one per-expert tensor.</summary>
        private List<Value>? RunExpertsBatched(Value buffer, Dim c)
        {
            var grid = _b.Op(Ops.Reshape, Attributes.Of(("shape", ImmutableArray.Create(Dim.Const(_e), c, _d))), buffer);
            var perExpert = new TensorType(_dtype, c, _d);
            var y = Batched(null, null, grid, perExpert);
            if (y == null) return null;
            return new List<Value> { _b.Op(Ops.Reshape, Attributes.Of(("shape", ImmutableArray.Create(Dim.Const(_e) * c, _d))), y) };
        }

        /// <summary>
        /// Traces the first expert once for all experts (see <see cref="ExpertBatch"/>); null when an
        /// op has no batching rule, in which case nothing of the attempt is used.
        /// </summary>
        private Value? Batched(TensorVal? rows, Value? groups, Value? grid = null, TensorType? perExpert = null)
        {
            if (_e == 0 || _b.Failed) return null;
            var previousGroup = _t._graph.CurrentRoutingGroup;
            var previousBatch = _t._batch;
            var batch = new ExpertBatch(_t, _experts, groups, _b.Location);
            var input = rows ?? batch.Wrap(grid!, perExpert!);
            _t._batch = batch;
            _t._graph.CurrentRoutingGroup = _group;
            try
            {
                var y = _t.CallExpertOn(_experts.Items[0], input, _call);
                if (y == null) return null;
                bool expected = rows == null ? y.IsPerExpert : !y.IsPerExpert;
                return expected ? y.Value : null;
            }
            catch (NotBatchableException)
            {
                return null;
            }
            finally
            {
                _t._batch = previousBatch;
                _t._graph.CurrentRoutingGroup = previousGroup;
            }
        }

        /// <summary>Each expert on its C rows of the buffer.</summary>
        private List<Value>? RunExperts(Value buffer, Dim c)
        {
            var pieces = _b.Outputs(Ops.Split, Attributes.Of(("axis", 0L), ("sizes", Enumerable.Repeat(c, _e).ToImmutableArray())), buffer);
            if (_b.Failed) return null;
            var outputs = new List<Value>();
            for (int e = 0; e < _e; e++)
            {
                var y = CallExpert(e, pieces[e]);
                if (y == null) return null;
                outputs.Add(y);
            }
            return outputs;
        }
    }

    /// <summary>Calls an expert on rows and checks it maps [rows, d] to the same shape; null after reporting.</summary>
    private TensorVal? CallExpertOn(ModuleInstance expert, TensorVal input, CallExpression call)
    {
        var argument = call.Arguments.Length > 2 ? call.Arguments[2] : call.Arguments[0];
        var y = CallModule(expert, ImmutableArray.Create<Val>(input), ImmutableArray<(Identifier, Val)>.Empty, ImmutableArray.Create(argument), call);
        if (y is ErrorVal) return null;
        if (y is TensorVal t && DimEquality.Same(t.Type, input.Type)) return t;
        var got = y is TensorVal yt ? yt.Type : null;
        var message = got != null && got.Rank == 2 && input.Type.Rank == 2 && got.DType == input.Type.DType && DimEquality.Same(got.Shape[0], input.Type.Shape[0])
            ? $"experts must map [rows, {input.Type.Shape[1]}] to [rows, {input.Type.Shape[1]}], but {expert.Path} ({expert.Module.Name}) returns [rows, {got.Shape[1]}]"
            : $"experts must map their tokens {input.Type} to the same shape, but {expert.Path} ({expert.Module.Name}) returns {got?.ToString() ?? y.Describe()}";
        Report(DeepSeek.Lang.Compiler.Diagnostics.DiagnosticDescriptors.ShapeMismatch, At(argument), message);
        return null;
    }
}
