using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Passes;
using DeepSeek.Lang.Compiler.Planning;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Analysis;

/// <summary>
/// The numbers a user asks of a model (<c>dskc compile --emit report</c>): parameters in total and
/// active per token, forward FLOPs (a multiply-add counts 2), weight bytes, op count, and the
/// dimensions the numbers were computed at (unbound dimensions default to 1 and are listed).
/// </summary>
public sealed class ModelReport
{
    private ModelReport()
    {
    }

    public string Model { get; private init; } = "";

    public long TotalParameters { get; private init; }

    /// <summary>What one token uses: everything outside routed experts plus top_k / E of the routed experts' parameters.</summary>
    public long ActiveParameters { get; private init; }

    /// <summary>FLOPs of the work tokens need: routed experts counted for their top_k tokens, not for padding.</summary>
    public long ForwardFlops { get; private init; }

    /// <summary>FLOPs the static graph executes, capacity padding included.</summary>
    public long ExecutedFlops { get; private init; }

    public long Tokens { get; private init; }

    public long FlopsPerToken => Tokens == 0 ? 0 : (long)Math.Round((double)ForwardFlops / Tokens);

    public long WeightsBytes { get; private init; }

    public int Ops { get; private init; }

    /// <summary>Kernels with one kernel per op (reshapes excluded, they copy nothing).</summary>
    public int UnfusedKernels { get; private init; }

    /// <summary>Kernels after fusion.</summary>
    public int FusedKernels { get; private init; }

    /// <summary>The activation arena the memory planner lays out: the peak of intermediate memory.</summary>
    public long PeakActivationBytes { get; private init; }

    /// <summary>All intermediates with a buffer each, never reused.</summary>
    public long UnplannedActivationBytes { get; private init; }

    public ImmutableSortedDictionary<string, long> Dims { get; private init; } = ImmutableSortedDictionary<string, long>.Empty;

    /// <summary>Dims no value was given for, counted as 1.</summary>
    public ImmutableArray<string> DefaultedDims { get; private init; } = ImmutableArray<string>.Empty;

    /// <summary>
    /// Builds the report of an (optimised) graph. Dims not in <paramref name="dims"/> are bound to 1
    /// for the FLOP count.
    /// </summary>
    public static ModelReport Create(string model, Graph graph, IReadOnlyDictionary<string, long> dims)
    {
        var all = graph.SymbolicDims.Concat(dims.Keys).Distinct().OrderBy(d => d, StringComparer.Ordinal).ToList();
        var bound = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var defaulted = ImmutableArray.CreateBuilder<string>();
        foreach (var name in all)
        {
            if (dims.TryGetValue(name, out var v)) bound[name] = v;
            else
            {
                bound[name] = 1;
                defaulted.Add(name);
            }
        }
        var concrete = new Specialization(bound).Run(graph);

        long total = 0, bytes = 0;
        foreach (var w in concrete.Weights)
        {
            long n = SizeOf(w);
            bytes += n * w.Value.Type.DType.ByteSize();
            if (w.Kind == WeightKind.Param) total += n;
        }
        decimal inactive = 0;
        var weights = new WeightFinder(concrete.Weights);
        foreach (var group in concrete.Routing)
        {
            long routed = 0;
            foreach (var name in group.WeightNames) routed += weights.Find(name) is { } w ? SizeOf(w) : 0;
            inactive += routed * (decimal)(group.ExpertCount - group.TopK) / group.ExpertCount;
        }

        decimal executed = 0, useful = 0;
        foreach (var node in concrete.Nodes)
        {
            decimal flops = node.Op.Flops(node).ConstantValue ?? 0;
            executed += flops;
            if (node.RoutingGroup >= 0)
            {
                var g = concrete.Routing[node.RoutingGroup];
                decimal rows = g.ExecutedRows.ConstantValue ?? 1;
                flops = rows == 0 ? 0 : flops * (g.UsefulRows.ConstantValue ?? 0) / rows;
            }
            useful += flops;
        }

        var fusion = FusionPlanner.Plan(concrete);
        var memory = MemoryPlan.Create(fusion);

        long tokens = 1;
        if (concrete.Outputs.Length > 0)
        {
            var shape = concrete.Outputs[0].Value.Type.Shape;
            for (int i = 0; i < shape.Rank - 1; i++) tokens *= shape[i].ConstantValue ?? 1;
        }

        return new ModelReport
        {
            Model = model,
            TotalParameters = total,
            ActiveParameters = total - (long)Math.Round(inactive),
            ForwardFlops = (long)Math.Round(useful),
            ExecutedFlops = (long)Math.Round(executed),
            Tokens = tokens,
            WeightsBytes = bytes,
            Ops = graph.Nodes.Length,
            UnfusedKernels = fusion.UnfusedKernels,
            FusedKernels = fusion.FusedKernels,
            PeakActivationBytes = memory.ArenaBytes,
            UnplannedActivationBytes = memory.UnplannedBytes,
            Dims = bound.ToImmutableSortedDictionary(StringComparer.Ordinal),
            DefaultedDims = defaulted.ToImmutable(),
        };
    }

    private static long SizeOf(Weight w) => w.Value.Type.Shape.ElementCount.ConstantValue ?? 0;

    /// <summary>
    /// Weights by name (names are unique in a graph). Routing groups name their experts' weights in
    /// the order the graph lists them, so a cursor that walks the list finds them with one pass over
    /// it in all, without hashing tens of thousands of names; a name met out of order falls back to
    /// an index, built when the walking has cost two passes.
    /// </summary>
    private sealed class WeightFinder
    {
        private readonly ImmutableArray<Weight> _weights;
        private int _cursor;
        private long _budget;
        private Dictionary<string, Weight>? _index;

        public WeightFinder(ImmutableArray<Weight> weights)
        {
            _weights = weights;
            _budget = 2L * weights.Length + 16;
        }

        public Weight? Find(string name)
        {
            int n = _weights.Length;
            if (_index == null && n > 0)
            {
                for (int k = 0; k < n && _budget > 0; k++, _budget--)
                {
                    int i = _cursor + k < n ? _cursor + k : _cursor + k - n;
                    if (string.Equals(_weights[i].Name, name, StringComparison.Ordinal))
                    {
                        _cursor = i + 1 < n ? i + 1 : 0;
                        return _weights[i];
                    }
                }
                if (_budget > 0) return null; // walked the whole list
                _index = new Dictionary<string, Weight>(n, StringComparer.Ordinal);
                foreach (var w in _weights) _index[w.Name] = w;
            }
            return _index != null && _index.TryGetValue(name, out var found) ? found : null;
        }
    }

    public string ToJson()
    {
        var w = new JsonWriter();
        Write(w);
        return w.ToString();
    }

    public void Write(JsonWriter w, string? name = null)
    {
        w.BeginObject(name);
        w.Value("model", Model);
        w.BeginObject("parameters").Value("total", TotalParameters).Value("active", ActiveParameters).EndObject();
        w.BeginObject("flops").Value("forward", ForwardFlops).Value("per_token", FlopsPerToken).Value("executed", ExecutedFlops).EndObject();
        w.BeginObject("memory").Value("weights_bytes", WeightsBytes).Value("peak_activation_bytes", PeakActivationBytes)
            .Value("unplanned_activation_bytes", UnplannedActivationBytes).EndObject();
        w.BeginObject("kernels").Value("unfused", UnfusedKernels).Value("fused", FusedKernels).EndObject();
        w.Value("ops", Ops);
        w.Value("tokens", Tokens);
        w.BeginObject("dims");
        foreach (var kv in Dims) w.Value(kv.Key, kv.Value);
        w.EndObject();
        w.BeginArray("defaulted_dims");
        foreach (var d in DefaultedDims) w.Value(null, d);
        w.EndArray();
        w.EndObject();
    }
}
