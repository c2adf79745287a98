using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Tracing all experts of a route at once (JAX's vmap, restricted to what expert MLPs need).
internal sealed partial class Tracer
{
    /// <summary>Thrown when an expert uses an op with no batching rule; route then traces experts one by one.</summary>
    private sealed class NotBatchableException : Exception
    {
        public NotBatchableException(string op) : base(op)
        {
        }
    }

    /// <summary>
    /// The experts of one route call traced once for all: each expert weight is read as the stack
    /// of that weight over all experts (a leading axis of size E that the program does not see),
    /// and every op on such per-expert values gets a batching rule. In capacity mode the tokens
    /// are per-expert too ([E, C, d]); in dropless mode they are rows sorted by expert with a
    /// group id each, and a product of rows with a per-expert weight becomes a grouped product.
    /// </summary>
    private sealed class ExpertBatch
    {
        private readonly Tracer _t;
        private readonly ModuleArrayVal _experts;
        private readonly Location _at;
        private readonly Dictionary<Value, TensorType> _perExpert = new();
        private readonly Dictionary<Value, int> _weightOffsets = new();
        private readonly Dictionary<int, TensorVal> _stacked = new();

        public ExpertBatch(Tracer tracer, ModuleArrayVal experts, Value? groups, Location at)
        {
            _t = tracer;
            _experts = experts;
            Groups = groups;
            _at = at;
            var first = experts.Items[0];
            for (int i = first.FirstWeight; i < first.WeightEnd; i++)
                _weightOffsets[_t._graph.WeightAt(i).Value] = i - first.FirstWeight;
        }

        /// <summary>Dropless: the expert of each token row; null in capacity mode.</summary>
        public Value? Groups { get; }

        private Dim ExpertCount => Dim.Const(_experts.Items.Length);

        public bool IsPerExpert(Value v) => _perExpert.ContainsKey(v);

        public TensorVal Wrap(Value physical, TensorType perExpert)
        {
            _perExpert[physical] = perExpert;
            return new TensorVal(physical, perExpert);
        }

        /// <summary>A weight of the first expert read in the batched trace: the stack of that weight over all experts.</summary>
        public TensorVal? Stacked(Value weight)
        {
            if (!_weightOffsets.TryGetValue(weight, out int offset)) return null;
            if (_stacked.TryGetValue(offset, out var cached)) return cached;
            var values = new Value[_experts.Items.Length];
            for (int e = 0; e < values.Length; e++)
            {
                var expert = _experts.Items[e];
                if (expert.WeightEnd - expert.FirstWeight != _weightOffsets.Count) throw new NotBatchableException("experts with different weights");
                values[e] = _t._graph.WeightAt(expert.FirstWeight + offset).Value;
                if (!values[e].Type.Equals(weight.Type)) throw new NotBatchableException("experts with different weight shapes");
            }
            var stacked = Physical(Ops.Stack, Attributes.Of(("axis", 0L)), values)[0];
            return _stacked[offset] = Wrap(stacked, weight.Type);
        }

        /// <summary>
        /// Emits an op with at least one per-expert input; <paramref name="typed"/> are the per-expert
        /// output types the program sees. Returns the results as the program sees them.
        /// </summary>
        public ImmutableArray<Val> Emit(Op op, Attributes attributes, Value[] inputs, ImmutableArray<TensorType> typed)
        {
            var logical = inputs.Select(TypeOf).ToArray();
            var rows = Groups != null ? inputs.FirstOrDefault(v => !IsPerExpert(v) && v.Type.Rank >= 1 && v.Type.Shape[0].Equals(Groups.Type.Shape[0])) : null;
            if (rows != null) return EmitOnRows(op, attributes, inputs, logical, typed);

            int rank = typed[0].Rank;
            switch (op.Category)
            {
                case OpCategory.Elementwise:
                    return Results(Physical(op, attributes, inputs), typed);
                case OpCategory.Broadcast:
                    return Results(Physical(op, attributes, inputs.Select((v, i) => Align(v, logical[i].Rank, rank)).ToArray()), typed);
            }
            switch (op.Name)
            {
                case "sum":
                case "mean":
                case "max":
                case "min":
                case "logsumexp":
                    return Results(Physical(op, ShiftAxes(attributes, "axes", logical[0].Rank), inputs), typed);
                case "softmax":
                case "log_softmax":
                case "cumsum":
                case "argmax":
                case "topk":
                case "split":
                    return Results(Physical(op, ShiftAxis(attributes, "axis", logical[0].Rank), inputs), typed);
                case "index_select":
                    if (IsPerExpert(inputs[1])) break;
                    return Results(Physical(op, ShiftAxis(attributes, "axis", logical[0].Rank), inputs), typed);
                case "reshape":
                case "expand":
                    return Results(Physical(op, attributes.With("shape", attributes.GetDims("shape").Insert(0, ExpertCount)), inputs), typed);
                case "transpose":
                    return Results(Physical(op, attributes.With("perm", new[] { 0L }.Concat(attributes.GetInts("perm").Select(p => p + 1)).ToImmutableArray()), inputs), typed);
                case "squeeze":
                    return Results(Physical(op, ShiftAxes(attributes, "axes", logical[0].Rank), inputs), typed);
                case "unsqueeze":
                    return Results(Physical(op, ShiftAxes(attributes, "axes", rank), inputs), typed);
                case "slice":
                    return Results(Physical(op, attributes.With("axes", attributes.GetInts("axes").Select(a => a + 1).ToImmutableArray()), inputs), typed);
                case "concat":
                case "stack":
                    {
                        var all = inputs.Select((v, i) => IsPerExpert(v) ? v : Broadcast(v, logical[i])).ToArray();
                        int axisRank = op.Name == "stack" ? logical[0].Rank + 1 : logical[0].Rank;
                        return Results(Physical(op, ShiftAxis(attributes, "axis", axisRank), all), typed);
                    }
                case "matmul":
                    {
                        if (logical[0].Rank < 2 || logical[1].Rank < 2) break;
                        int r = Math.Max(logical[0].Rank, logical[1].Rank);
                        return Results(Physical(op, attributes, Align(inputs[0], logical[0].Rank, r), Align(inputs[1], logical[1].Rank, r)), typed);
                    }
                case "layer_norm":
                case "rms_norm":
                    if (inputs.Skip(1).Any(IsPerExpert)) return Normalize(op, attributes, inputs, logical);
                    return Results(Physical(op, attributes, inputs), typed);
            }
            throw new NotBatchableException(op.Name);
        }

        /// <summary>Dropless: per-expert values meet token rows; each row takes its own expert's slice.</summary>
        private ImmutableArray<Val> EmitOnRows(Op op, Attributes attributes, Value[] inputs, TensorType[] logical, ImmutableArray<TensorType> typed)
        {
            if (op == Ops.MatMul && !IsPerExpert(inputs[0]) && IsPerExpert(inputs[1]) && logical[0].Rank == 2 && logical[1].Rank == 2)
                return Results(Physical(Ops.GroupedMatMul, Attributes.Empty, inputs[0], inputs[1], Groups!), typed);
            if (op.Category == OpCategory.Broadcast)
            {
                int rank = typed[0].Rank;
                var aligned = inputs.Select((v, i) => IsPerExpert(v) ? RowsOf(v, logical[i].Rank, rank) : v).ToArray();
                return Results(Physical(op, attributes, aligned), typed);
            }
            if (op == Ops.LayerNorm || op == Ops.RmsNorm) return Normalize(op, attributes, inputs, logical);
            throw new NotBatchableException(op.Name);
        }

        /// <summary>layer_norm / rms_norm with per-expert weights: normalise, then scale and shift elementwise.</summary>
        private ImmutableArray<Val> Normalize(Op op, Attributes attributes, Value[] inputs, TensorType[] logical)
        {
            var x = inputs[0];
            var weightType = logical[1];
            var unit = _t._graph.AddTyped(Ops.Full, ImmutableArray<Value>.Empty,
                Attributes.Of(("dtype", weightType.DType), ("shape", weightType.Shape.Dims), ("value", 1.0)), new[] { weightType }, _at).Output;
            var plain = new List<Value> { x, unit };
            if (op == Ops.LayerNorm)
                plain.Add(_t._graph.AddTyped(Ops.Full, ImmutableArray<Value>.Empty,
                    Attributes.Of(("dtype", weightType.DType), ("shape", weightType.Shape.Dims), ("value", 0.0)), new[] { weightType }, _at).Output);
            var normalised = Single(_t.EmitAt(op, _at, attributes, plain.ToArray()));
            var scaled = Single(_t.EmitAt(Ops.Mul, _at, Attributes.Empty, normalised.Value, inputs[1]));
            if (op == Ops.RmsNorm) return ImmutableArray.Create<Val>(scaled);
            return ImmutableArray.Create(_t.EmitAt(Ops.Add, _at, Attributes.Empty, scaled.Value, inputs[2]));
        }

        private static TensorVal Single(Val v) => v as TensorVal ?? throw new NotBatchableException("normalisation");

        /// <summary>The type the program sees: one expert's tensor for per-expert values.</summary>
        public TensorType TypeOf(Value v) => _perExpert.TryGetValue(v, out var t) ? t : v.Type;

        /// <summary>A per-expert value of rank <paramref name="rank"/> made ready to broadcast against rank <paramref name="target"/>.</summary>
        private Value Align(Value v, int rank, int target)
        {
            if (!IsPerExpert(v) || rank >= target) return v;
            var axes = Enumerable.Range(1, target - rank).Select(a => (long)a).ToImmutableArray();
            return Physical(Ops.Unsqueeze, Attributes.Of(("axes", axes)), v)[0];
        }

        /// <summary>A value shared by all experts, repeated for each (concat and stack need every input per-expert).</summary>
        private Value Broadcast(Value v, TensorType type)
        {
            var lifted = Physical(Ops.Unsqueeze, Attributes.Of(("axes", ImmutableArray.Create(0L))), v)[0];
            return Physical(Ops.Expand, Attributes.Of(("shape", type.Shape.Dims.Insert(0, ExpertCount))), lifted)[0];
        }

        /// <summary>Each token row's slice of a per-expert value: [R, 1…, *shape] to broadcast against rows of rank <paramref name="target"/>.</summary>
        private Value RowsOf(Value v, int rank, int target)
        {
            var picked = Physical(Ops.IndexSelect, Attributes.Of(("axis", 0L)), v, Groups!)[0];
            if (rank + 1 >= target) return picked;
            var axes = Enumerable.Range(1, target - rank - 1).Select(a => (long)a).ToImmutableArray();
            return Physical(Ops.Unsqueeze, Attributes.Of(("axes", axes)), picked)[0];
        }

        private static Attributes ShiftAxes(Attributes a, string name, int rank) =>
            a.With(name, a.GetInts(name).Select(x => (x < 0 ? x + rank : x) + 1).ToImmutableArray());

        private static Attributes ShiftAxis(Attributes a, string name, int rank)
        {
            long axis = a.GetInt(name);
            return a.With(name, (axis < 0 ? axis + rank : axis) + 1);
        }

        private ImmutableArray<Val> Results(ImmutableArray<Value> physical, ImmutableArray<TensorType> typed)
        {
            var results = ImmutableArray.CreateBuilder<Val>(physical.Length);
            for (int i = 0; i < physical.Length; i++)
            {
                bool perExpert = physical[i].Type.Rank == typed[i].Rank + 1;
                results.Add(perExpert ? Wrap(physical[i], typed[i]) : new TensorVal(physical[i]));
            }
            return results.MoveToImmutable();
        }

        /// <summary>Adds a physical op; a batching rule that does not type is a gap in the rules, so route falls back.</summary>
        private ImmutableArray<Value> Physical(Op op, Attributes attributes, params Value[] inputs)
        {
            var typing = op.Type(inputs.Select(i => i.Type).ToArray(), attributes);
            if (!typing.Ok) throw new NotBatchableException($"{op.Name}: {typing.Message}");
            return _t._graph.AddTyped(op, inputs.ToImmutableArray(), attributes, typing.Outputs, _at).Outputs;
        }
    }
}
