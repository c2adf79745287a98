using System.Diagnostics;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>
/// examples/GeneratorDemo uses the generator as a user's project does (an analyzer in the real compiler,
/// with its dependencies beside it). This project references it, so it is built first; the test runs it.
/// </summary>
public class DemoTests
{
    [Fact]
    public async Task The_demo_creates_the_generated_model_and_runs_forward()
    {
        var dll = Path.Combine(TestPaths.RepoRoot, "examples", "GeneratorDemo", "bin", TestPaths.Configuration, "net10.0", "GeneratorDemo.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var start = new ProcessStartInfo(string.IsNullOrEmpty(host) ? "dotnet" : host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        using var process = Process.Start(start)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
        await process.WaitForExitAsync(timeout.Token);
        var stdout = await stdoutTask;
        var stderr = await stderrTask;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{stdout}\n{stderr}");
        Assert.Contains("TinyMoEClassifier: 4,403 parameters in 19 tensors", stdout, StringComparison.Ordinal);
        Assert.Contains("Forward(x: f32[2, 5, 16]) -> f32[2, 5, 3]", stdout, StringComparison.Ordinal);
    }
}
