using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Fusion;

namespace DeepSeek.Lang.Runtime.Compiled;

/// <summary>One kernel group's share of the run time over the profiled runs.</summary>
public sealed record StepTiming(int Group, string Kind, string Ops, TimeSpan Total, int Calls);

/// <summary>
/// Where a compiled plan's time goes, kernel group by kernel group, summed over the runs it was
/// passed to (<see cref="CompiledExecutor.Run(IReadOnlyDictionary{string, Tensors.Tensor}, ExecutionProfile?)"/>).
/// </summary>
public sealed class ExecutionProfile
{
    private readonly Dictionary<KernelGroup, (string Kind, TimeSpan Total, int Calls)> _steps = new();

    /// <summary>How many runs were profiled (the number of times the first step was timed).</summary>
    public int Runs => _steps.Count == 0 ? 0 : _steps.Values.Max(s => s.Calls);

    internal void Add(KernelGroup group, string kind, TimeSpan elapsed)
    {
        _steps.TryGetValue(group, out var s);
        _steps[group] = (kind, s.Total + elapsed, s.Calls + 1);
    }

    /// <summary>Every step, slowest first.</summary>
    public IReadOnlyList<StepTiming> Steps =>
        _steps.Select(kv => new StepTiming(kv.Key.Id, kv.Value.Kind, string.Join(" ", kv.Key.Nodes.Select(n => n.Op.Name)), kv.Value.Total, kv.Value.Calls))
              .OrderByDescending(s => s.Total).ToList();

    /// <summary>Time per run by step kind (generated, gemm, attention, fast, library), slowest first.</summary>
    public IReadOnlyList<(string Kind, double MsPerRun, int Steps)> ByKind()
    {
        int runs = Math.Max(1, Runs);
        return _steps.Values.GroupBy(s => s.Kind)
            .Select(g => (g.Key, g.Sum(s => s.Total.TotalMilliseconds) / runs, g.Count()))
            .OrderByDescending(k => k.Item2).ToList();
    }

    /// <summary>A table of the slowest steps, milliseconds per run, for people.</summary>
    public string Format(int top = 15)
    {
        int runs = Math.Max(1, Runs);
        double total = _steps.Values.Sum(s => s.Total.TotalMilliseconds) / runs;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{total:F2} ms a run in {_steps.Count} steps\n");
        foreach (var (kind, ms, steps) in ByKind())
            sb.Append(CultureInfo.InvariantCulture, $"  {kind,-10} {ms,9:F2} ms  {100 * ms / Math.Max(total, 1e-9),5:F1}%  ({steps} steps)\n");
        sb.Append("slowest steps\n");
        foreach (var s in Steps.Take(top))
        {
            double ms = s.Total.TotalMilliseconds / runs;
            var ops = s.Ops.Length > 70 ? s.Ops[..67] + "..." : s.Ops;
            sb.Append(CultureInfo.InvariantCulture, $"  #{s.Group,-5} {s.Kind,-10} {ms,9:F3} ms  {100 * ms / Math.Max(total, 1e-9),5:F1}%  {ops}\n");
        }
        return sb.ToString();
    }
}
