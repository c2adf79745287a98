using System.Collections.Immutable;
using System.Reflection;
using DeepSeek.Lang.Compiler.CodeGen.CSharp;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.KernelIR;
using DeepSeek.Lang.Compiler.Planning;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Kernels.Reference;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Compiled;

public sealed unsafe partial class CompiledExecutor
{
    // ------------------------------------------------------------------ steps

    /// <summary>Pointers to every value's data during one run, and the tensors library kernels made.</summary>
    private sealed class ExecutionState : IDisposable
    {
        public ExecutionState(int slots)
        {
            Pointers = new IntPtr[slots];
            Owned = new Tensor?[slots];
        }

        public IntPtr[] Pointers { get; }

        public Tensor?[] Owned { get; }

        /// <summary>
        /// For a batched [items, rows, n] value: per item, how many leading rows differ; rows from there
        /// on are all equal to the first of them (see <see cref="CapacityTail"/>). Null: nothing known.
        /// </summary>
        public int[]?[]? LeadingRows { get; set; }

        public void Dispose()
        {
            foreach (var t in Owned) t?.Dispose();
        }
    }

    private abstract class Step
    {
        protected Step(KernelGroup group)
        {
            Group = group;
        }

        public KernelGroup Group { get; }

        /// <summary>How the step runs, for profiles: generated, gemm, attention, fast or library.</summary>
        public abstract string Kind { get; }

        public abstract void Run(ExecutionState state);

        /// <summary>
        /// Once, when the plan is built: <paramref name="constants"/> holds the data of every value that
        /// stays the same from run to run (weights, and weight-only groups' results), by slot.
        /// </summary>
        public virtual void Prepare(IReadOnlyDictionary<int, IntPtr> constants)
        {
        }

        /// <summary>Releases what <see cref="Prepare"/> made.</summary>
        public virtual void Release()
        {
        }
    }

    /// <summary>A generated kernel: buffer pointers gathered from slots, then one call.</summary>
    private sealed class GeneratedStep : Step
    {
        public override string Kind => "generated";

        private readonly delegate*<nint*, long*, void> _kernel;
        private readonly int[] _slots;
        private readonly long[] _dims;

        public GeneratedStep(KernelGroup group, delegate*<nint*, long*, void> kernel, int[] slots, long[] dims) : base(group)
        {
            _kernel = kernel;
            _slots = slots;
            _dims = dims;
        }

        public override void Run(ExecutionState state)
        {
            nint* buffers = stackalloc nint[_slots.Length];
            for (int i = 0; i < _slots.Length; i++) buffers[i] = state.Pointers[_slots[i]];
            fixed (long* dims = _dims) _kernel(buffers, dims);
        }
    }

    /// <summary>
    /// Attention as one kernel (see <see cref="Kernels.Cpu.AttentionKernel"/>); transposes fused into the
    /// group become strides of its operands or of its result.
    /// </summary>
    private sealed class AttentionStep : Step
    {
        public override string Kind => "attention";

        private readonly int _q, _k, _v, _o, _mask;
        private readonly long[] _qs, _ks, _vs, _os, _ms;
        private readonly int _b, _h, _hkv, _tq, _tk, _dh, _dv;
        private readonly float _scale;
        private readonly bool _causal, _boolMask;

        public AttentionStep(KernelGroup group, Dictionary<Value, int> slots) : base(group)
        {
            var a = group.Anchor;
            var (q, qs) = Operand(group, a.Inputs[0]);
            var (k, ks) = Operand(group, a.Inputs[1]);
            var (v, vs) = Operand(group, a.Inputs[2]);
            (_q, _qs) = (slots[q], qs);
            (_k, _ks) = (slots[k], ks);
            (_v, _vs) = (slots[v], vs);
            var qt = a.Inputs[0].Type.Shape.ToConcrete();
            var kt = a.Inputs[1].Type.Shape.ToConcrete();
            var vt = a.Inputs[2].Type.Shape.ToConcrete();
            (_b, _h, _tq, _dh) = ((int)qt[0], (int)qt[1], (int)qt[2], (int)qt[3]);
            (_hkv, _tk, _dv) = ((int)kt[1], (int)kt[2], (int)vt[3]);
            _scale = (float)a.Attributes.GetFloat("scale", 1.0 / Math.Sqrt(_dh));
            _causal = a.Attributes.GetBool("causal");

            // The result: written in place, or through the strides of a transpose that follows it.
            var output = group.Outputs[0];
            _o = slots[output];
            var outStrides = Contiguous(output.Type.Shape.ToConcrete());
            if (output != a.Output)
            {
                var perm = group.Nodes.First(n => n.Op == Ops.Transpose && n.Inputs[0] == a.Output).Attributes.GetInts("perm");
                var strides = new long[4];
                for (int axis = 0; axis < 4; axis++) strides[perm[axis]] = outStrides[axis];
                outStrides = strides;
            }
            _os = outStrides;

            _mask = -1;
            _ms = Array.Empty<long>();
            if (a.Inputs.Length == 4)
            {
                var m = a.Inputs[3];
                _mask = slots[m];
                _boolMask = m.Type.DType == DType.Bool;
                var ms = m.Type.Shape.ToConcrete();
                var cs = Contiguous(ms);
                _ms = new long[4];
                for (int axis = 0; axis < 4; axis++)
                {
                    int at = axis - (4 - ms.Length);
                    _ms[axis] = at < 0 || ms[at] == 1 ? 0 : cs[at];
                }
            }
        }

        /// <summary>The buffer an operand is read from, and its strides: a transpose in the group is a permutation of strides.</summary>
        private static (Value Buffer, long[] Strides) Operand(KernelGroup group, Value operand)
        {
            var transpose = group.Nodes.FirstOrDefault(n => n.Op == Ops.Transpose && n.Output == operand);
            if (transpose == null) return (operand, Contiguous(operand.Type.Shape.ToConcrete()));
            var source = transpose.Inputs[0];
            var baseStrides = Contiguous(source.Type.Shape.ToConcrete());
            var perm = transpose.Attributes.GetInts("perm");
            return (source, perm.Select(p => baseStrides[(int)p]).ToArray());
        }

        private static long[] Contiguous(long[] shape)
        {
            var strides = new long[shape.Length];
            long s = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                strides[i] = s;
                s *= shape[i];
            }
            return strides;
        }

        public override void Run(ExecutionState state)
        {
            var q = new Kernels.Cpu.AttentionOperand((float*)state.Pointers[_q], _qs[0], _qs[1], _qs[2]);
            var k = new Kernels.Cpu.AttentionOperand((float*)state.Pointers[_k], _ks[0], _ks[1], _ks[2]);
            var v = new Kernels.Cpu.AttentionOperand((float*)state.Pointers[_v], _vs[0], _vs[1], _vs[2]);
            var o = new Kernels.Cpu.AttentionOperand((float*)state.Pointers[_o], _os[0], _os[1], _os[2]);
            var mask = _mask < 0 ? default : new Kernels.Cpu.AttentionMask((void*)state.Pointers[_mask], _boolMask, _ms[0], _ms[1], _ms[2], _ms[3]);
            Kernels.Cpu.AttentionKernel.Run(q, k, v, o, mask, _b, _h, _hkv, _tq, _tk, _dh, _dv, _scale, _causal);
        }
    }

    /// <summary>Single library ops with a fast kernel that writes into the planned buffer.</summary>
    private sealed class FastStep : Step
    {
        public override string Kind => "fast";

        private readonly Node _node;
        private readonly int[] _inputs;
        private readonly int[] _outputs;

        public FastStep(KernelGroup group, Dictionary<Value, int> slots) : base(group)
        {
            _node = group.Anchor;
            _inputs = _node.Inputs.Select(v => slots[v]).ToArray();
            _outputs = _node.Outputs.Select(v => slots[v]).ToArray();
        }

        public static bool Handles(KernelGroup g)
        {
            // A reduction the generated kernels do not take (integers) is a library op here too.
            if (g.Kind is not (GroupKind.Library or GroupKind.Reduction) || g.Nodes.Count != 1) return false;
            var n = g.Anchor;
            return n.Op.Name switch
            {
                "index_select" => n.Inputs[1].Type.DType == DType.I64,
                "scatter_add" => n.Inputs[0].Type.DType == DType.F32 && n.Inputs[1].Type.DType == DType.I64,
                "topk" => n.Inputs[0].Type.DType == DType.F32 && (n.Attributes.GetInt("axis") == -1 || n.Attributes.GetInt("axis") == n.Inputs[0].Type.Rank - 1),
                "cumsum" => n.Inputs[0].Type.DType == DType.I64 && n.Inputs[0].Type.Rank == 2 && n.Attributes.GetInt("axis") == 0,
                "sum" or "mean" => (n.Inputs[0].Type.DType == DType.F32 || n.Inputs[0].Type.DType == DType.I64 && n.Op.Name == "sum") && MiddleAxes(n) != null,
                "split" => true,
                _ => false,
            };
        }

        /// <summary>The reduced axes of a sum or mean when they are one contiguous block, first and last (normalised).</summary>
        private static (int Lo, int Hi)? MiddleAxes(Node n)
        {
            int rank = n.Inputs[0].Type.Rank;
            var axes = n.Attributes.GetInts("axes").Select(a => (int)(a < 0 ? a + rank : a)).Distinct().OrderBy(a => a).ToList();
            if (axes.Count == 0 || axes[^1] - axes[0] != axes.Count - 1) return null;
            return (axes[0], axes[^1]);
        }

        public override void Run(ExecutionState state)
        {
            // An output no one reads (topk's values, say) is not planned: give it scratch space.
            Tensor?[]? scratch = null;
            for (int i = 0; i < _outputs.Length; i++)
            {
                if (state.Pointers[_outputs[i]] != IntPtr.Zero) continue;
                scratch ??= new Tensor?[_outputs.Length];
                var t = _node.Outputs[i].Type;
                scratch[i] = Tensor.Zeros(t.DType, t.Shape.ToConcrete());
            }
            try
            {
                Compute(state, scratch);
            }
            finally
            {
                if (scratch != null)
                    foreach (var t in scratch) t?.Dispose();
            }
        }

        private void Compute(ExecutionState state, Tensor?[]? scratch)
        {
            var n = _node;
            var x = n.Inputs[0].Type;
            var shape = x.Shape.ToConcrete();
            nint In(int i) => state.Pointers[_inputs[i]];
            nint Out(int i) => scratch?[i] is { } t ? t.Data : state.Pointers[_outputs[i]];
            switch (n.Op.Name)
            {
                case "index_select":
                    {
                        int axis = (int)(n.Attributes.GetInt("axis") is var a && a < 0 ? a + x.Rank : a);
                        long outer = 1, inner = 1;
                        for (int i = 0; i < axis; i++) outer *= shape[i];
                        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
                        long count = n.Inputs[1].Type.Shape.ToConcrete().Aggregate(1L, (p, d) => p * d);
                        Kernels.Cpu.IndexKernels.IndexSelect((byte*)In(0), outer, shape[axis], inner, x.DType.ByteSize(), (long*)In(1), count, (byte*)Out(0));
                        break;
                    }
                case "scatter_add":
                    {
                        long width = shape.Skip(1).Aggregate(1L, (p, d) => p * d);
                        long size = n.Outputs[0].Type.Shape.ToConcrete()[0];
                        Kernels.Cpu.IndexKernels.ScatterAddF32((float*)In(0), shape[0], width, (long*)In(1), size, (float*)Out(0));
                        break;
                    }
                case "topk":
                    {
                        int last = shape[^1] is var w ? (int)w : 0;
                        long rows = shape.Take(shape.Length - 1).Aggregate(1L, (p, d) => p * d);
                        Kernels.Cpu.IndexKernels.TopKF32((float*)In(0), rows, last, (int)n.Attributes.GetInt("k"), (float*)Out(0), (long*)Out(1));
                        break;
                    }
                case "cumsum":
                    Kernels.Cpu.IndexKernels.CumSumRowsI64((long*)In(0), shape[0], shape[1], (long*)Out(0));
                    break;
                case "split":
                    {
                        int axis = (int)(n.Attributes.GetInt("axis") is var a && a < 0 ? a + x.Rank : a);
                        long outer = 1, inner = 1;
                        for (int i = 0; i < axis; i++) outer *= shape[i];
                        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
                        var sizes = n.Outputs.Select(o => o.Type.Shape.ToConcrete()[axis]).ToArray();
                        var outputs = Enumerable.Range(0, n.Outputs.Length).Select(i => Out(i)).ToArray();
                        Kernels.Cpu.IndexKernels.Split((byte*)In(0), outer, shape[axis], inner, x.DType.ByteSize(), sizes, outputs);
                        break;
                    }
                case "sum" when x.DType == DType.I64:
                    {
                        var (lo, hi) = MiddleAxes(n)!.Value;
                        long outer = 1, reduce = 1, inner = 1;
                        for (int i = 0; i < shape.Length; i++)
                        {
                            if (i < lo) outer *= shape[i];
                            else if (i <= hi) reduce *= shape[i];
                            else inner *= shape[i];
                        }
                        Kernels.Cpu.IndexKernels.SumMiddleI64((long*)In(0), outer, reduce, inner, (long*)Out(0));
                        break;
                    }
                case "sum":
                case "mean":
                    {
                        var (lo, hi) = MiddleAxes(n)!.Value;
                        long outer = 1, reduce = 1, inner = 1;
                        for (int i = 0; i < shape.Length; i++)
                        {
                            if (i < lo) outer *= shape[i];
                            else if (i <= hi) reduce *= shape[i];
                            else inner *= shape[i];
                        }
                        Kernels.Cpu.IndexKernels.SumMiddleF32((float*)In(0), outer, reduce, inner, (float*)Out(0), n.Op.Name == "mean");
                        break;
                    }
            }
        }
    }

    /// <summary>
    /// Message passing fused by <c>FusionRules</c>: scatter_add of rows that an index_select gathers
    /// and a per-row scale multiplies, in one pass over the edges (<see cref="Kernels.Cpu.IndexKernels.GatherScaleScatterF32"/>).
    /// </summary>
    private sealed class GatherScatterStep : Step
    {
        public override string Kind => "fast";

        private readonly int _x, _gather = -1, _scale = -1, _scatter, _output;
        private readonly long _xRows, _width, _rows, _size;

        public GatherScatterStep(KernelGroup group, Dictionary<Value, int> slots) : base(group)
        {
            var scatter = group.Anchor;
            var mul = group.Nodes.FirstOrDefault(n => n.Op == Ops.Mul);
            var gather = group.Nodes.FirstOrDefault(n => n.Op == Ops.IndexSelect);
            var rows = scatter.Inputs[0];
            if (mul != null)
            {
                int r = mul.Inputs[0].Type.Shape.Equals(mul.Output.Type.Shape) ? 0 : 1;
                rows = mul.Inputs[r];
                _scale = slots[mul.Inputs[1 - r]];
            }
            var x = rows;
            if (gather != null)
            {
                x = gather.Inputs[0];
                _gather = slots[gather.Inputs[1]];
            }
            _x = slots[x];
            _scatter = slots[scatter.Inputs[1]];
            _output = slots[scatter.Output];
            var xShape = x.Type.Shape.ToConcrete();
            (_xRows, _width) = (xShape[0], xShape[1]);
            _rows = scatter.Inputs[0].Type.Shape.ToConcrete()[0];
            _size = scatter.Output.Type.Shape.ToConcrete()[0];
        }

        public static bool Handles(KernelGroup g) =>
            g.Kind == GroupKind.Library && g.Anchor.Op == Ops.ScatterAdd && g.Nodes.Count > 1 &&
            g.Anchor.Inputs[0].Type.DType == DType.F32 && g.Anchor.Inputs[0].Type.Rank == 2 && g.Anchor.Inputs[1].Type.DType == DType.I64 &&
            g.Nodes.All(n => n.Op == Ops.ScatterAdd || n.Op == Ops.Mul || n.Op == Ops.IndexSelect);

        public override void Run(ExecutionState state) =>
            Kernels.Cpu.IndexKernels.GatherScaleScatterF32(
                (float*)state.Pointers[_x], _xRows, _width,
                _gather < 0 ? null : (long*)state.Pointers[_gather],
                _scale < 0 ? null : (float*)state.Pointers[_scale],
                _rows, (long*)state.Pointers[_scatter], _size, (float*)state.Pointers[_output]);
    }

    /// <summary>
    /// Ops without a generated kernel run through the reference kernels on views of their inputs;
    /// results go to the planned buffer when there is one, else they are kept as owned tensors.
    /// </summary>
    private sealed class LibraryStep : Step
    {
        public override string Kind => "library";

        private readonly Dictionary<Value, int> _slots;

        public LibraryStep(KernelGroup group, Dictionary<Value, int> slots) : base(group)
        {
            _slots = slots;
        }

        public override void Run(ExecutionState state)
        {
            var values = new Dictionary<Value, Tensor>();
            var views = new List<Tensor>();
            Tensor Input(Value v)
            {
                if (values.TryGetValue(v, out var t)) return t;
                var view = Tensor.View(v.Type.DType, v.Type.Shape.ToConcrete(), state.Pointers[_slots[v]]);
                views.Add(view);
                values[v] = view;
                return view;
            }
            try
            {
                foreach (var node in Group.Nodes)
                {
                    var inputs = node.Inputs.Select(Input).ToArray();
                    var outputs = ReferenceKernels.Run(node.Op, inputs, node.Attributes);
                    for (int i = 0; i < outputs.Length; i++) values[node.Outputs[i]] = outputs[i];
                }
                foreach (var v in Group.Outputs)
                {
                    var t = values[v];
                    int slot = _slots[v];
                    if (state.Pointers[slot] != IntPtr.Zero)
                    {
                        Buffer.MemoryCopy((void*)t.Data, (void*)state.Pointers[slot], t.ByteCount, t.ByteCount);
                    }
                    else
                    {
                        state.Owned[slot] = t;
                        state.Pointers[slot] = t.Data;
                        values.Remove(v);
                    }
                }
            }
            finally
            {
                foreach (var kv in values)
                    if (!views.Contains(kv.Value)) kv.Value.Dispose();
                foreach (var view in views) view.Dispose();
            }
        }
    }
}
