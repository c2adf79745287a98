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

/// <summary>What a compiled plan is made of, for reports and tests.</summary>
public sealed record CompiledPlanSummary(int UnfusedKernels, int FusedKernels, int GeneratedKernels, int LibraryCalls, long ArenaBytes, long UnplannedBytes);

/// <summary>
/// The static plan of one graph with all dims bound: kernel groups from fusion, generated kernels
/// compiled once (and cached on disk), an arena laid out by the memory planner, and a list of steps
/// that run in order. Built once per bound-dims signature and reused for every run.
/// </summary>
public sealed unsafe class CompiledExecutor : IDisposable
{
    private readonly Graph _graph;
    private readonly WeightSet _weights;
    private readonly ImmutableArray<Step> _steps;
    private readonly Dictionary<Value, int> _slots = new();
    private readonly int _slotCount;
    private readonly ImmutableArray<(int Slot, Value Value)> _outputSlots;
    private readonly ImmutableArray<(int Slot, GraphInput Input)> _inputSlots;
    private readonly Dictionary<int, int> _lastUse = new();
    private readonly HashSet<int> _freshOutputs = new();
    private IntPtr _arena;

    private CompiledExecutor(Graph graph, WeightSet weights, FusionPlan fusion, MemoryPlan memory, string source, ImmutableArray<Step> steps,
        Dictionary<Value, int> slots)
    {
        _graph = graph;
        _weights = weights;
        Fusion = fusion;
        Memory = memory;
        Source = source;
        _steps = steps;
        _slots = slots;
        _slotCount = slots.Count == 0 ? 0 : slots.Values.Max() + 1;
        _outputSlots = graph.Outputs.Select(o => (slots[o.Value], o.Value)).ToImmutableArray();
        _inputSlots = graph.Inputs.Select(i => (slots[i.Value], i)).ToImmutableArray();
        _arena = memory.ArenaBytes > 0 ? Device.Cpu.Allocate(memory.ArenaBytes, "the compiled plan's activation arena") : IntPtr.Zero;
    }

    public FusionPlan Fusion { get; }

    public MemoryPlan Memory { get; }

    /// <summary>The generated C# of this plan's kernels.</summary>
    public string Source { get; }

    public CompiledPlanSummary Summary => new(Fusion.UnfusedKernels, Fusion.FusedKernels,
        _steps.Count(s => s is GeneratedStep), _steps.Count(s => s is LibraryStep), Memory.ArenaBytes, Memory.UnplannedBytes);

    /// <summary>Builds the plan for a graph whose dims are all bound (see <c>Specialization</c>).</summary>
    public static CompiledExecutor Build(Graph graph, WeightSet weights, bool fuse = true)
    {
        foreach (var i in graph.Inputs)
            if (!i.Value.Type.Shape.IsConcrete)
                throw new RuntimeError($"the compiled engine needs every dimension bound; input {i.Name} is {i.Value.Type}");
        weights.CheckAgainst(graph);

        var fusion = FusionPlanner.Plan(graph, fuse);
        var memory = MemoryPlan.Create(fusion, g => g.Kind is GroupKind.Pointwise or GroupKind.Reduction or GroupKind.Gemm);

        // One slot (a pointer) per value; aliases share their source's slot.
        var slots = new Dictionary<Value, int>();
        int next = 0;
        foreach (var i in graph.Inputs) slots[i.Value] = next++;
        foreach (var w in graph.Weights) slots[w.Value] = next++;
        foreach (var g in fusion.Groups)
            foreach (var n in g.Nodes)
                foreach (var o in n.Outputs)
                    slots[o] = g.Kind == GroupKind.Alias ? -1 : next++;
        foreach (var g in fusion.Groups.Where(g => g.Kind == GroupKind.Alias))
            slots[g.Anchor.Output] = slots[g.Anchor.Inputs[0]];

        var lowered = new List<(KernelGroup Group, LoweredKernel Kernel)>();
        foreach (var g in fusion.Groups)
            if (KernelLowering.CanLower(g) && g.Outputs.Length > 0)
                lowered.Add((g, KernelLowering.Lower(fusion, g, "k" + g.Id)));
        var source = CSharpKernelPrinter.PrintModule("Kernels", lowered.Select(l => l.Kernel.Kernel), graph.Name);
        Type? kernels = lowered.Count > 0 ? KernelCompiler.Load(source).GetType("DeepSeek.Lang.Generated.Kernels", throwOnError: true) : null;

        var steps = ImmutableArray.CreateBuilder<Step>();
        var loweredByGroup = lowered.ToDictionary(l => l.Group, l => l.Kernel);
        foreach (var g in fusion.Groups)
        {
            switch (g.Kind)
            {
                case GroupKind.Alias:
                case GroupKind.Constant:
                    break;
                case GroupKind.Pointwise or GroupKind.Reduction when loweredByGroup.TryGetValue(g, out var k):
                    {
                        var method = kernels!.GetMethod(k.Kernel.Name, BindingFlags.Public | BindingFlags.Static)!;
                        var pointer = (delegate*<nint*, long*, void>)method.MethodHandle.GetFunctionPointer();
                        if (k.Kernel.Dims.Length > 0) throw new RuntimeError($"dimension {k.Kernel.Dims[0]} is not bound");
                        steps.Add(new GeneratedStep(g, pointer, k.Bindings.Select(v => slots[v]).ToArray(), Array.Empty<long>()));
                        break;
                    }
                default:
                    steps.Add(new LibraryStep(g, slots));
                    break;
            }
        }
        return new CompiledExecutor(graph, weights, fusion, memory, source, steps.ToImmutable(), slots);
    }

    /// <summary>Runs the plan on named inputs (types must match the graph's exactly).</summary>
    public RunResult Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var state = new ExecutionState(_slotCount);
        foreach (var (slot, input) in _inputSlots)
        {
            if (!inputs.TryGetValue(input.Name, out var t))
                throw new RuntimeError($"missing input '{input.Name}' ({input.Value.Type})");
            var type = input.Value.Type;
            if (t.DType != type.DType || !t.Shape.SequenceEqual(type.Shape.ToConcrete()))
                throw new RuntimeError($"input '{input.Name}': expected {type}, got {t.TypeText()}");
            state.Pointers[slot] = t.Data;
        }
        foreach (var w in _graph.Weights) state.Pointers[_slots[w.Value]] = _weights[w.Name].Data;
        foreach (var kv in Memory.Offsets)
            if (_slots.TryGetValue(kv.Key, out var s) && s >= 0) state.Pointers[s] = _arena + (nint)kv.Value;

        // Outputs (and values that outputs alias) get buffers the caller will own.
        var results = new List<NamedTensor>();
        foreach (var o in _graph.Outputs)
        {
            int slot = _slots[o.Value];
            if (state.Pointers[slot] != IntPtr.Zero || state.Owned[slot] != null) continue;
            if (ProducedByLibrary(o.Value)) continue;
            var t = Tensor.Zeros(o.Value.Type.DType, o.Value.Type.Shape.ToConcrete());
            state.Owned[slot] = t;
            state.Pointers[slot] = t.Data;
        }

        try
        {
            foreach (var step in _steps) step.Run(state);
            foreach (var o in _graph.Outputs)
            {
                int slot = _slots[o.Value];
                var owned = state.Owned[slot];
                var shape = o.Value.Type.Shape.ToConcrete();
                Tensor t;
                if (owned != null && owned.Shape.SequenceEqual(shape))
                {
                    t = owned;
                    state.Owned[slot] = null;
                }
                else
                {
                    // An output that is an input, a weight, or a reshaped view: copy it out.
                    t = Tensor.Zeros(o.Value.Type.DType, shape);
                    Buffer.MemoryCopy((void*)state.Pointers[slot], (void*)t.Data, t.ByteCount, t.ByteCount);
                }
                results.Add(new NamedTensor(o.Name, t));
            }
        }
        finally
        {
            state.Dispose();
        }
        return new RunResult(results, new Dictionary<string, long>());
    }

    private bool ProducedByLibrary(Value v) =>
        Fusion.Groups.FirstOrDefault(g => g.Outputs.Contains(v)) is { } g && !(g.Kind is GroupKind.Pointwise or GroupKind.Reduction or GroupKind.Gemm);

    public void Dispose()
    {
        var p = Interlocked.Exchange(ref _arena, IntPtr.Zero);
        if (p != IntPtr.Zero) Device.Cpu.Free(p);
    }

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

        public abstract void Run(ExecutionState state);
    }

    /// <summary>A generated kernel: buffer pointers gathered from slots, then one call.</summary>
    private sealed class GeneratedStep : Step
    {
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
    /// Ops without a generated kernel run through the reference kernels on views of their inputs;
    /// results go to the planned buffer when there is one, else they are kept as owned tensors.
    /// </summary>
    private sealed class LibraryStep : Step
    {
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
