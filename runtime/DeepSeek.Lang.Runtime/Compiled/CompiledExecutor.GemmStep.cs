using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Kernels.Cpu;

namespace DeepSeek.Lang.Runtime.Compiled;

public sealed unsafe partial class CompiledExecutor
{
    /// <summary>
    /// A GEMM group on <see cref="Gemm"/>: transposes of the last two axes in the group become
    /// transposed operands, batch axes become batch strides (0 for an operand shared by the batch), and
    /// the epilogue chain (bias, activation, residual) runs on each block of C while it is in cache. A
    /// weight B is packed once, when the plan is built.
    /// </summary>
    private sealed class GemmStep : Step
    {
        public override string Kind => "gemm";

        private readonly int _a, _b, _c, _bias = -1, _residual = -1;
        private readonly bool _transA, _transB;
        private readonly int _batch, _m, _n, _k, _lda, _ldb;
        private readonly long _strideA, _strideB, _strideC, _biasBatchStride, _residualBatchStride;
        private readonly Activation _activation;
        private PackedMatrix? _packedB;
        private PackedMatrix[]? _packedItems;
        private readonly CapacityTail? _dispatch;

        private GemmStep(KernelGroup group, Dictionary<Value, int> slots, Shape a, Shape b, Value aSource, Value bSource,
            bool transA, bool transB, Value? bias, Value? residual, Activation activation, Value output, CapacityTail? dispatch) : base(group)
        {
            (_transA, _transB) = (transA, transB);
            (_a, _b, _c) = (slots[aSource], slots[bSource], slots[output]);
            var outShape = output.Type.Shape.ToConcrete();
            var aShape = a.ToConcrete();
            var bShape = b.ToConcrete();
            _m = checked((int)aShape[^2]);
            _k = checked((int)aShape[^1]);
            _n = checked((int)bShape[^1]);
            long batch = 1;
            for (int i = 0; i < outShape.Length - 2; i++) batch *= outShape[i];
            bool aBatched = aShape.Length > 2 && aShape[..^2].Aggregate(1L, (p, d) => p * d) > 1;
            bool bBatched = bShape.Length > 2 && bShape[..^2].Aggregate(1L, (p, d) => p * d) > 1;
            _strideA = aBatched ? (long)_m * _k : 0;
            _strideB = bBatched ? (long)_k * _n : 0;
            _strideC = (long)_m * _n;
            _lda = transA ? _m : _k;
            _ldb = transB ? _k : _n;
            if (bias != null)
            {
                _bias = slots[bias];
                // [..., 1, N] with the output's batch axes: one bias row a batch item (experts' biases).
                _biasBatchStride = bias.Type.Shape.ToConcrete()[..^1].Aggregate(1L, (p, d) => p * d) > 1 ? _n : 0;
            }
            if (residual != null)
            {
                _residual = slots[residual];
                _residualBatchStride = _strideC;
            }
            _activation = activation;

            // Rows of a batch that shares B are rows of one taller product.
            if (batch > 1 && !bBatched && aBatched && !transA && _biasBatchStride == 0)
            {
                _m = checked((int)(batch * _m));
                batch = 1;
                _strideA = _strideC = _residualBatchStride = 0;
            }
            _batch = checked((int)batch);
            // Rows past a tail are skipped only where each item is a product of its own (not folded,
            // A not transposed) and no residual makes the tail rows differ.
            _tails = _batch > 1 && _strideA != 0 && !transA && residual == null;
            _dispatch = _tails ? dispatch : null;
        }

        private readonly bool _tails;

        /// <summary>The step for a GEMM group, or null when its shape is one this step does not take (the library runs it then).</summary>
        public static GemmStep? TryCreate(KernelGroup g, Dictionary<Value, int> slots, CapacityTail? dispatch = null)
        {
            var mm = g.Anchor;
            if (g.Outputs.Length != 1 || mm.Output.Type.DType != DType.F32) return null;
            if (mm.Inputs.Any(i => i.Type.Rank < 2 || i.Type.DType != DType.F32)) return null;
            var produced = new Dictionary<Value, Node>();
            foreach (var n in g.Nodes)
                foreach (var o in n.Outputs) produced[o] = n;

            (Value Source, bool Transposed) Operand(Value v)
            {
                if (produced.TryGetValue(v, out var t) && t.Op == Ops.Transpose) return (t.Inputs[0], true);
                return (v, false);
            }

            var (aSource, transA) = Operand(mm.Inputs[0]);
            var (bSource, transB) = Operand(mm.Inputs[1]);
            if (produced.ContainsKey(aSource) || produced.ContainsKey(bSource)) return null;

            // Batch axes: each operand either has all of the output's batch (a stride of one matrix) or none of it (stride 0).
            var outShape = mm.Output.Type.Shape;
            int batchRank = outShape.Rank - 2;
            foreach (var operand in mm.Inputs)
            {
                var s = operand.Type.Shape;
                bool none = true, all = s.Rank - 2 == batchRank;
                for (int i = 0; i < s.Rank - 2; i++)
                    if (!(s[i].IsConstant && s[i].ConstantValue == 1)) none = false;
                for (int i = 0; all && i < batchRank; i++)
                    if (!s[i].Equals(outShape[i])) all = false;
                if (!none && !all) return null;
            }

            // The epilogue, in the order FusionRules allows: + bias, activation, + residual.
            Value current = mm.Output;
            Value? bias = null, residual = null;
            var activation = Activation.None;
            foreach (var n in g.Nodes)
            {
                if (n == mm || n.Op == Ops.Transpose) continue;
                if (n.Op == Ops.Full || !n.Inputs.Contains(current)) return null;
                if (n.Inputs.Length == 1)
                {
                    activation = n.Op.Name switch
                    {
                        "relu" => Activation.Relu,
                        "gelu" => Activation.GeluErf,
                        "silu" => Activation.Silu,
                        "sigmoid" => Activation.Sigmoid,
                        "tanh" => Activation.Tanh,
                        _ => (Activation)(-1),
                    };
                    if ((int)activation < 0) return null;
                }
                else if (n.Op == Ops.Add)
                {
                    var other = n.Inputs[0] == current ? n.Inputs[1] : n.Inputs[0];
                    if (produced.ContainsKey(other) || other.Type.DType != DType.F32) return null;
                    if (other.Type.Shape.Equals(outShape))
                    {
                        if (residual != null) return null;
                        residual = other;
                    }
                    else if (bias == null && residual == null && activation == Activation.None && IsBias(other.Type.Shape, outShape))
                    {
                        bias = other;
                    }
                    else return null;
                }
                else return null;
                current = n.Output;
            }
            if (g.Outputs[0] != current) return null;
            return new GemmStep(g, slots, mm.Inputs[0].Type.Shape, mm.Inputs[1].Type.Shape, aSource, bSource, transA, transB,
                bias, residual, activation, current, dispatch);
        }

        /// <summary>
        /// [N] or [1, …, 1, N]: one value per output column, shared by the batch; or [batch…, 1, N] with
        /// the output's batch axes: one bias row a batch item.
        /// </summary>
        private static bool IsBias(Shape s, Shape outShape)
        {
            int r = outShape.Rank;
            if (s.Rank == 0 || s.Rank > r || !s[s.Rank - 1].Equals(outShape[r - 1])) return false;
            bool shared = true;
            for (int i = 0; i < s.Rank - 1; i++)
                if (!(s[i].IsConstant && s[i].ConstantValue == 1)) shared = false;
            if (shared) return true;
            if (s.Rank != r || !(s[r - 2].IsConstant && s[r - 2].ConstantValue == 1)) return false;
            for (int i = 0; i < r - 2; i++)
                if (!s[i].Equals(outShape[i])) return false;
            return true;
        }

        public override void Prepare(IReadOnlyDictionary<int, IntPtr> constants)
        {
            // A weight is packed once instead of on every call: one shared by the batch, or one a batch
            // item (stacked experts).
            if (!constants.TryGetValue(_b, out var b)) return;
            if (_strideB == 0) _packedB = Gemm.PackB(_k, _n, (float*)b, _ldb, _transB);
            else
            {
                _packedItems = new PackedMatrix[_batch];
                for (int i = 0; i < _batch; i++) _packedItems[i] = Gemm.PackB(_k, _n, (float*)b + i * _strideB, _ldb, _transB);
            }
        }

        public override void Release()
        {
            _packedB?.Dispose();
            _packedB = null;
            if (_packedItems != null)
                foreach (var p in _packedItems) p.Dispose();
            _packedItems = null;
        }

        public override void Run(ExecutionState state)
        {
            bool packed = _packedB != null || _packedItems != null;
            var options = new GemmOptions { TransposeA = _transA, TransposeB = !packed && _transB, MaxThreads = KernelParallel.Threads };
            var epilogue = new Epilogue
            {
                Bias = _bias < 0 ? null : (float*)state.Pointers[_bias],
                BiasKind = _bias < 0 ? BiasKind.None : BiasKind.PerColumn,
                BiasBatchStride = _biasBatchStride,
                Residual = _residual < 0 ? null : (float*)state.Pointers[_residual],
                ResidualStride = _residual < 0 ? 0 : _n,
                ResidualBatchStride = _residualBatchStride,
                Activation = _activation,
            };
            var a = (float*)state.Pointers[_a];
            var c = (float*)state.Pointers[_c];
            // The leading rows of each item, when the rows after them are known to repeat one row.
            var leading = _dispatch?.LeadingRows(state) ?? (_tails ? state.LeadingRows?[_a] : null);
            if (leading != null)
            {
                RunLeadingRows(state, options, epilogue, a, c, leading);
                (state.LeadingRows ??= new int[]?[state.Pointers.Length])[_c] = leading;
            }
            else if (_packedB != null)
                Gemm.SgemmBatched(options, _batch, _m, a, _lda, _strideA, _packedB, c, _n, _strideC, epilogue);
            else if (_packedItems != null)
            {
                // One product a batch item, each on all threads, with that item's bias row and residual.
                for (int i = 0; i < _batch; i++)
                {
                    var item = epilogue with
                    {
                        Bias = epilogue.Bias == null ? null : epilogue.Bias + i * _biasBatchStride,
                        Residual = epilogue.Residual == null ? null : epilogue.Residual + i * _residualBatchStride,
                        BiasBatchStride = 0,
                        ResidualBatchStride = 0,
                    };
                    Gemm.Sgemm(options, _m, a + i * _strideA, _lda, _packedItems[i], c + i * _strideC, _n, item);
                }
            }
            else
                Gemm.SgemmBatched(options, _batch, _m, _n, _k, a, _lda, _strideA, (float*)state.Pointers[_b], _ldb, _strideB, c, _n, _strideC, epilogue);
        }

        /// <summary>
        /// Each item's product on its leading rows only; the rest of its rows equal the first of them, so
        /// their result is that row's, computed once (a one-row product) and copied. A capacity-mode expert
        /// batch fills each expert's first rows and leaves the rest zero: this skips the empty slots.
        /// </summary>
        private void RunLeadingRows(ExecutionState state, GemmOptions options, Epilogue epilogue, float* a, float* c, int[] leading)
        {
            var b = (float*)state.Pointers[_b];
            for (int i = 0; i < _batch; i++)
            {
                var item = epilogue with
                {
                    Bias = epilogue.Bias == null ? null : epilogue.Bias + i * _biasBatchStride,
                    BiasBatchStride = 0,
                };
                int rows = Math.Min(_m, leading[i] + 1); // the leading rows and the first repeated one
                var ai = a + i * _strideA;
                var ci = c + i * _strideC;
                if (_packedItems != null) Gemm.Sgemm(options, rows, ai, _lda, _packedItems[i], ci, _n, item);
                else if (_packedB != null) Gemm.Sgemm(options, rows, ai, _lda, _packedB, ci, _n, item);
                else Gemm.Sgemm(options, rows, _n, _k, ai, _lda, b + i * _strideB, _ldb, ci, _n, item);
                long bytes = (long)_n * sizeof(float);
                for (int r = rows; r < _m; r++) Buffer.MemoryCopy(ci + (long)(rows - 1) * _n, ci + (long)r * _n, bytes, bytes);
            }
        }
    }

    /// <summary>
    /// The capacity-mode dispatch of <c>route</c>: token rows scattered into zeros at slots
    /// <c>expert · capacity + position</c> (one more row for dropped tokens, sliced off), viewed as
    /// [experts, capacity, d]. Each expert's rows past its last filled slot are zero; the index tells, at
    /// run time, how many lead. Found by the shape of the graph, so any scatter into zeros viewed this way
    /// qualifies, and the index must still be alive when the product runs.
    /// </summary>
    private sealed class CapacityTail
    {
        private readonly int _index;
        private readonly long _count, _slots;
        private readonly int _items, _capacity;

        private CapacityTail(int index, long count, long slots, int items, int capacity)
        {
            (_index, _count, _slots, _items, _capacity) = (index, count, slots, items, capacity);
        }

        /// <summary>Per item, one past its last filled row (0 for an empty item).</summary>
        public int[] LeadingRows(ExecutionState state)
        {
            var index = (long*)state.Pointers[_index];
            var leading = new int[_items];
            for (long p = 0; p < _count; p++)
            {
                long slot = index[p];
                if ((ulong)slot >= (ulong)_slots) continue;
                int item = (int)(slot / _capacity), row = (int)(slot % _capacity) + 1;
                if (row > leading[item]) leading[item] = row;
            }
            return leading;
        }

        public static CapacityTail? Find(KernelGroup gemm, FusionPlan fusion, Dictionary<Value, int> slots, Dictionary<Value, Node> producer)
        {
            var mm = gemm.Anchor;
            var a = mm.Inputs[0];
            if (a.Type.Rank != 3 || gemm.Nodes.Any(n => n.Op == Ops.Transpose && n.Output == a)) return null;
            // [items, capacity, d] = reshape(slice(scatter_add(rows, index, size: slots + 1), 0:slots)).
            if (!producer.TryGetValue(a, out var reshape) || reshape.Op != Ops.Reshape) return null;
            if (!producer.TryGetValue(reshape.Inputs[0], out var slice) || slice.Op != Ops.Slice) return null;
            if (!producer.TryGetValue(slice.Inputs[0], out var scatter) || scatter.Op != Ops.ScatterAdd) return null;
            var shape = a.Type.Shape.ToConcrete();
            var sliced = slice.Output.Type.Shape.ToConcrete();
            var scattered = scatter.Output.Type.Shape.ToConcrete();
            if (sliced.Length != 2 || scattered.Length != 2 || sliced[1] != scattered[1] || sliced[0] != shape[0] * shape[1]) return null;
            var axes = slice.Attributes.GetInts("axes");
            var starts = slice.Attributes.GetDims("starts");
            var steps = slice.Attributes.GetInts("steps");
            if (axes.Length != 1 || axes[0] != 0 || !(starts[0].IsConstant && starts[0].ConstantValue == 0) || steps[0] != 1) return null;

            // The index must not be overwritten before the product reads it: a later group must still read it.
            var index = scatter.Inputs[1];
            if (index.Type.DType != DType.I64) return null;
            int at = fusion.Groups.IndexOf(gemm);
            if (!fusion.Groups.Skip(at + 1).Any(g => g.Inputs.Contains(index)) && !fusion.Graph.Outputs.Any(o => o.Value == index)) return null;
            return new CapacityTail(slots[index], index.Type.Shape.ToConcrete()[0], sliced[0], checked((int)shape[0]), checked((int)shape[1]));
        }
    }
}

public sealed unsafe partial class CompiledExecutor
{
    /// <summary>
    /// grouped_matmul(x [R, K], w [G, K, N], group [R]), the dropless MoE product: each run of rows with
    /// the same group is one product with that group's matrix. The dropless lowering sorts rows by
    /// expert, so there is one run an expert; any order is still right, in more, shorter runs. A
    /// constant w (stacked expert weights) is packed once, a group at a time.
    /// </summary>
    private sealed class GroupedGemmStep : Step
    {
        public override string Kind => "gemm";

        private readonly int _x, _w, _group, _out;
        private readonly int _rows, _k, _n, _groups;
        private readonly bool _wideIndex;
        private PackedMatrix[]? _packed;

        public GroupedGemmStep(KernelGroup group, Dictionary<Value, int> slots) : base(group)
        {
            var n = group.Anchor;
            (_x, _w, _group, _out) = (slots[n.Inputs[0]], slots[n.Inputs[1]], slots[n.Inputs[2]], slots[n.Output]);
            var w = n.Inputs[1].Type.Shape.ToConcrete();
            (_groups, _k, _n) = (checked((int)w[0]), checked((int)w[1]), checked((int)w[2]));
            _rows = checked((int)n.Inputs[0].Type.Shape.ToConcrete()[0]);
            _wideIndex = n.Inputs[2].Type.DType == DType.I64;
        }

        public static bool Handles(KernelGroup g) =>
            g.Kind == GroupKind.Library && g.Nodes.Count == 1 && g.Anchor.Op == Ops.GroupedMatMul &&
            g.Anchor.Inputs[0].Type.DType == DType.F32 && g.Anchor.Inputs[2].Type.DType is DType.I64 or DType.I32;

        public override void Prepare(IReadOnlyDictionary<int, IntPtr> constants)
        {
            if (!constants.TryGetValue(_w, out var w)) return;
            _packed = new PackedMatrix[_groups];
            for (int g = 0; g < _groups; g++) _packed[g] = Gemm.PackB(_k, _n, (float*)w + (long)g * _k * _n, _n);
        }

        public override void Release()
        {
            if (_packed != null)
                foreach (var p in _packed) p.Dispose();
            _packed = null;
        }

        public override void Run(ExecutionState state)
        {
            var x = (float*)state.Pointers[_x];
            var w = (float*)state.Pointers[_w];
            var c = (float*)state.Pointers[_out];
            var index = (void*)state.Pointers[_group];
            long Group(int r) => _wideIndex ? ((long*)index)[r] : ((int*)index)[r];
            var options = new GemmOptions { MaxThreads = KernelParallel.Threads };
            for (int start = 0; start < _rows;)
            {
                long g = Group(start);
                if ((ulong)g >= (ulong)_groups)
                    throw new RuntimeError($"grouped_matmul: group {g} of row {start} is out of range for {_groups} groups");
                int end = start + 1;
                while (end < _rows && Group(end) == g) end++;
                var a = x + (long)start * _k;
                var rowsOut = c + (long)start * _n;
                if (_packed != null) Gemm.Sgemm(options, end - start, a, _k, _packed[g], rowsOut, _n);
                else Gemm.Sgemm(options, end - start, _n, _k, a, _k, w + g * _k * _n, _n, rowsOut, _n);
                start = end;
            }
        }
    }
}
