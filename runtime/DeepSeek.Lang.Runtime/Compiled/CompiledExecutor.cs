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
public sealed unsafe partial class CompiledExecutor : IDisposable
{
    private readonly Graph _graph;
    private readonly WeightSet _weights;
    private readonly ImmutableArray<Step> _steps;
    private readonly ImmutableArray<int[]> _freeAfter;
    private readonly Dictionary<Value, int> _slots;
    private readonly int _slotCount;
    private readonly Dictionary<int, Tensor> _persistent;
    private IntPtr _arena;

    private CompiledExecutor(Graph graph, WeightSet weights, FusionPlan fusion, MemoryPlan memory, string source, ImmutableArray<Step> steps,
        Dictionary<Value, int> slots, Dictionary<int, Tensor> persistent, int constantSteps)
    {
        _graph = graph;
        _weights = weights;
        Fusion = fusion;
        Memory = memory;
        Source = source;
        _steps = steps;
        _slots = slots;
        _slotCount = slots.Count == 0 ? 0 : slots.Values.Max() + 1;
        _persistent = persistent;
        ConstantSteps = constantSteps;
        _freeAfter = LastUses(steps, slots, graph);
        _arena = memory.ArenaBytes > 0 ? Device.Cpu.Allocate(memory.ArenaBytes, "the compiled plan's activation arena") : IntPtr.Zero;
    }

    public FusionPlan Fusion { get; }

    public MemoryPlan Memory { get; }

    /// <summary>The generated C# of this plan's kernels.</summary>
    public string Source { get; }

    /// <summary>Kernel groups that depend only on weights: computed once, when the plan is built.</summary>
    public int ConstantSteps { get; }

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
        var constant = ConstantGroups(fusion);
        var memory = MemoryPlan.Create(fusion, g => !constant.Contains(g) && WritesPlannedBuffer(g));

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

        // The same kernels dskc compile --emit csharp writes.
        var module = KernelModule.Create(fusion);
        var source = module.Source;
        Type? kernels = module.Kernels.Length > 0 ? KernelCompiler.Load(source).GetType("DeepSeek.Lang.Generated." + KernelModule.ClassName, throwOnError: true) : null;

        var loweredByGroup = module.Kernels.ToDictionary(k => k.Group, k => k.Lowered);
        var producers = new Dictionary<Value, Node>();
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs) producers[o] = n;
        var constantSteps = new List<Step>();
        var steps = ImmutableArray.CreateBuilder<Step>();
        foreach (var g in fusion.Groups)
        {
            Step? step = g.Kind switch
            {
                GroupKind.Alias or GroupKind.Constant => null,
                GroupKind.Gemm when GemmStep.TryCreate(g, slots, CapacityTail.Find(g, fusion, slots, producers)) is { } gemm => gemm,
                GroupKind.Pointwise or GroupKind.Reduction when loweredByGroup.TryGetValue(g, out var k) => Generated(kernels!, g, k, slots),
                GroupKind.Library when IsAttention(g) => new AttentionStep(g, slots),
                _ when FastStep.Handles(g) => new FastStep(g, slots),
                GroupKind.Library when GatherScatterStep.Handles(g) => new GatherScatterStep(g, slots),
                GroupKind.Library when GroupedGemmStep.Handles(g) => new GroupedGemmStep(g, slots),
                _ => new LibraryStep(g, slots),
            };
            if (step == null) continue;
            if (constant.Contains(g)) constantSteps.Add(step);
            else steps.Add(step);
        }

        // Weight-only work (stacking expert weights, transposing them) runs now, once.
        var persistent = new Dictionary<int, Tensor>();
        if (constantSteps.Count > 0)
        {
            var state = new ExecutionState(next);
            foreach (var w in graph.Weights) state.Pointers[slots[w.Value]] = weights[w.Name].Data;
            foreach (var g in constant)
                foreach (var v in g.Outputs)
                    if (WritesPlannedBuffer(g))
                    {
                        var t = Tensor.Zeros(v.Type.DType, v.Type.Shape.ToConcrete());
                        state.Pointers[slots[v]] = t.Data;
                        persistent[slots[v]] = t;
                    }
            foreach (var step in constantSteps) step.Run(state);
            foreach (var g in constant)
                foreach (var v in g.Outputs)
                    if (state.Owned[slots[v]] is { } owned)
                    {
                        persistent[slots[v]] = owned;
                        state.Owned[slots[v]] = null;
                    }
            state.Dispose();
        }
        // Steps may prepare work on constant operands now (GEMMs pack weight matrices once).
        var constants = new Dictionary<int, IntPtr>();
        foreach (var w in graph.Weights) constants[slots[w.Value]] = weights[w.Name].Data;
        foreach (var kv in persistent) constants[kv.Key] = kv.Value.Data;
        foreach (var step in steps) step.Prepare(constants);
        return new CompiledExecutor(graph, weights, fusion, memory, source, steps.ToImmutable(), slots, persistent, constantSteps.Count);
    }

    private static Step Generated(Type kernels, KernelGroup g, LoweredKernel k, Dictionary<Value, int> slots)
    {
        var method = kernels.GetMethod(k.Kernel.Name, BindingFlags.Public | BindingFlags.Static)!;
        var pointer = (delegate*<nint*, long*, void>)method.MethodHandle.GetFunctionPointer();
        if (k.Kernel.Dims.Length > 0) throw new RuntimeError($"dimension {k.Kernel.Dims[0]} is not bound");
        return new GeneratedStep(g, pointer, k.Bindings.Select(v => slots[v]).ToArray(), Array.Empty<long>());
    }

    /// <summary>Groups whose inputs are all weights or other such groups' outputs.</summary>
    private static HashSet<KernelGroup> ConstantGroups(FusionPlan fusion)
    {
        var staticValues = new HashSet<Value>(fusion.Graph.Weights.Select(w => w.Value));
        var result = new HashSet<KernelGroup>();
        foreach (var g in fusion.Groups)
        {
            if (g.Kind == GroupKind.Constant) continue;
            bool fromWeights = g.Inputs.Length > 0 && g.Inputs.All(staticValues.Contains) && g.Nodes.All(n => n.Op != Ops.Randn);
            if (!fromWeights) continue;
            if (g.Kind != GroupKind.Alias) result.Add(g);
            foreach (var n in g.Nodes)
                foreach (var o in n.Outputs) staticValues.Add(o);
        }
        return result;
    }

    /// <summary>Kernels that write into a buffer given to them (the others allocate their results).</summary>
    private static bool WritesPlannedBuffer(KernelGroup g) =>
        g.Kind is GroupKind.Pointwise or GroupKind.Reduction or GroupKind.Gemm || IsAttention(g) || FastStep.Handles(g) || GatherScatterStep.Handles(g) || GroupedGemmStep.Handles(g);

    private static bool IsAttention(KernelGroup g) => g.Kind == GroupKind.Library && g.Anchor.Op == Ops.Attention && g.Anchor.Inputs[0].Type.DType == DType.F32;

    /// <summary>For each step, the owned (library-made) results no later step or output needs.</summary>
    private static ImmutableArray<int[]> LastUses(ImmutableArray<Step> steps, Dictionary<Value, int> slots, Graph graph)
    {
        var last = new Dictionary<int, int>();
        for (int i = 0; i < steps.Length; i++)
            foreach (var v in steps[i].Group.Inputs.Concat(steps[i].Group.Outputs))
                if (slots.TryGetValue(v, out var s) && s >= 0) last[s] = i;
        var keep = new HashSet<int>(graph.Outputs.Select(o => slots[o.Value]));
        var result = new List<int>[steps.Length];
        for (int i = 0; i < steps.Length; i++) result[i] = new List<int>();
        foreach (var kv in last)
            if (!keep.Contains(kv.Key)) result[kv.Value].Add(kv.Key);
        return result.Select(l => l.ToArray()).ToImmutableArray();
    }

    /// <summary>Runs the plan on named inputs (types must match the graph's exactly).</summary>
    public RunResult Run(IReadOnlyDictionary<string, Tensor> inputs) => Run(inputs, null);

    /// <summary>Runs the plan and adds the time each step takes to <paramref name="profile"/> (when given).</summary>
    public RunResult Run(IReadOnlyDictionary<string, Tensor> inputs, ExecutionProfile? profile)
    {
        var state = new ExecutionState(_slotCount);
        foreach (var input in _graph.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var t))
                throw new RuntimeError($"missing input '{input.Name}' ({input.Value.Type})");
            var type = input.Value.Type;
            if (t.DType != type.DType || !t.Shape.SequenceEqual(type.Shape.ToConcrete()))
                throw new RuntimeError($"input '{input.Name}': expected {type}, got {t.TypeText()}");
            state.Pointers[_slots[input.Value]] = t.Data;
        }
        foreach (var w in _graph.Weights) state.Pointers[_slots[w.Value]] = _weights[w.Name].Data;
        foreach (var kv in _persistent) state.Pointers[kv.Key] = kv.Value.Data;
        foreach (var kv in Memory.Offsets)
            if (_slots.TryGetValue(kv.Key, out var s) && s >= 0) state.Pointers[s] = _arena + (nint)kv.Value;

        // Outputs (and the values outputs alias) written by kernels get buffers the caller will own.
        foreach (var o in _graph.Outputs)
        {
            int slot = _slots[o.Value];
            if (state.Pointers[slot] != IntPtr.Zero || !WrittenByKernel(slot)) continue;
            var t = Tensor.Zeros(o.Value.Type.DType, o.Value.Type.Shape.ToConcrete());
            state.Owned[slot] = t;
            state.Pointers[slot] = t.Data;
        }

        var results = new List<NamedTensor>();
        try
        {
            for (int i = 0; i < _steps.Length; i++)
            {
                long start = profile != null ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                _steps[i].Run(state);
                if (profile != null) profile.Add(_steps[i].Group, _steps[i].Kind, System.Diagnostics.Stopwatch.GetElapsedTime(start));
                foreach (var slot in _freeAfter[i])
                {
                    if (state.Owned[slot] is not { } t) continue;
                    t.Dispose();
                    state.Owned[slot] = null;
                    state.Pointers[slot] = IntPtr.Zero;
                }
            }
            foreach (var o in _graph.Outputs)
            {
                int slot = _slots[o.Value];
                var shape = o.Value.Type.Shape.ToConcrete();
                Tensor t;
                if (state.Owned[slot] is { } owned && owned.Shape.SequenceEqual(shape) && !results.Any(r => ReferenceEquals(r.Tensor, owned)))
                {
                    t = owned;
                    state.Owned[slot] = null;
                }
                else
                {
                    // An output that is an input, a weight, a constant or a reshaped view of another output: copy it.
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

    /// <summary>Whether a kernel that writes into a given buffer produces this slot (an output may be a reshape of its result: they share the slot).</summary>
    private bool WrittenByKernel(int slot) =>
        Fusion.Groups.Any(g => WritesPlannedBuffer(g) && g.Outputs.Any(v => _slots.TryGetValue(v, out var s) && s == slot));

    public void Dispose()
    {
        var p = Interlocked.Exchange(ref _arena, IntPtr.Zero);
        if (p != IntPtr.Zero) Device.Cpu.Free(p);
        foreach (var t in _persistent.Values) t.Dispose();
        _persistent.Clear();
        foreach (var step in _steps) step.Release();
    }
}
