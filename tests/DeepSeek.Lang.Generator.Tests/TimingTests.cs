using System.Diagnostics;
using Xunit.Abstractions;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>How long the generator takes on the example models (printed, never asserted).</summary>
public class TimingTests
{
    private readonly ITestOutputHelper _output;

    public TimingTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Generator_time_per_example_is_printed()
    {
        var examples = Path.Combine(TestPaths.RepoRoot, "examples");
        var properties = GeneratorHarness.DefaultProperties();
        properties["MSBuildProjectDirectory"] = examples;
        // Warm up (JIT) on a small model.
        GeneratorHarness.Generate(new[] { ($"{examples}/warm.dsk", "model W = Linear(2, 2)\n") }, properties: properties);
        foreach (var file in Directory.GetFiles(examples, "*.dsk").OrderBy(f => f, StringComparer.Ordinal))
        {
            var watch = Stopwatch.StartNew();
            var run = GeneratorHarness.Generate(new[] { (file, File.ReadAllText(file)) }, properties: properties);
            watch.Stop();
            var timing = run.Driver.GetTimingInfo();
            _output.WriteLine($"{Path.GetFileName(file)}: generator {timing.ElapsedTime.TotalMilliseconds:0} ms (wall {watch.ElapsedMilliseconds} ms), {run.HintNames.Count()} classes");
            Assert.NotEmpty(run.HintNames);
        }
    }
}
