using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSeek.Lang.Bench;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

// Parse throughput of the front end (SyntaxTree.Parse: scan, parse, build the AST).
//   dotnet run -c Release --project bench/ParseBench -- [--lines N] [--runs N] [--file F] [--save F] [--json]
// cold: the first parse in a fresh process (JIT included); warm: the median of --runs parses after
// three warm-up parses in this process.

var options = Options.Parse(args);
if (options.Error != null)
{
    Console.Error.WriteLine($"ParseBench: {options.Error}");
    Console.Error.WriteLine("usage: ParseBench [--lines N] [--runs N] [--file F] [--save F] [--json]");
    return 2;
}

if (options.ColdChild != null)
{
    // The child process of a cold measurement: time the very first parse and print milliseconds.
    var childText = new SourceText(options.ColdChild, File.ReadAllText(options.ColdChild));
    var clock = Stopwatch.StartNew();
    SyntaxTree.Parse(childText);
    Console.WriteLine(clock.Elapsed.TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture));
    return 0;
}

string path;
string? temporary = null;
if (options.File != null)
{
    path = options.File;
}
else
{
    path = options.Save ?? (temporary = Path.Combine(Path.GetTempPath(), $"parsebench-{Environment.ProcessId}.dsk"));
    File.WriteAllText(path, new ModelGenerator(seed: 1).Generate(options.Lines));
}

try
{
    var source = new SourceText(path, File.ReadAllText(path));
    int lines = source.LineCount - (source.Text.EndsWith('\n') ? 1 : 0);
    var check = SyntaxTree.Parse(source);
    if (check.HasErrors)
    {
        Console.Error.WriteLine($"ParseBench: {path} has syntax errors; the first: {check.Diagnostics[0]}");
        return 1;
    }

    double coldMs = MeasureCold(path);
    for (int i = 0; i < 3; i++) SyntaxTree.Parse(source);
    var times = new List<double>();
    var process = Process.GetCurrentProcess();
    var cpu0 = process.TotalProcessorTime;
    var pause0 = GC.GetTotalPauseDuration();
    long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
    for (int i = 0; i < options.Runs; i++)
    {
        var clock = Stopwatch.StartNew();
        SyntaxTree.Parse(source);
        times.Add(clock.Elapsed.TotalMilliseconds);
    }
    process.Refresh();
    double cpuMs = (process.TotalProcessorTime - cpu0).TotalMilliseconds / options.Runs;
    double gcPauseMs = (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / options.Runs;
    double allocatedMb = (GC.GetTotalAllocatedBytes(precise: true) - allocated0) / 1e6 / options.Runs;
    times.Sort();
    double warmMs = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;

    double PerSecond(double ms) => Math.Round(lines / (ms / 1000.0));
    if (options.Json)
    {
        var result = new
        {
            file = options.File ?? "generated (seed 1)",
            lines,
            bytes = new FileInfo(path).Length,
            cold = new { milliseconds = Math.Round(coldMs, 1), linesPerSecond = PerSecond(coldMs) },
            warm = new
            {
                milliseconds = Math.Round(warmMs, 1), linesPerSecond = PerSecond(warmMs), runs = options.Runs, minMilliseconds = Math.Round(times[0], 1),
                cpuMilliseconds = Math.Round(cpuMs, 1), linesPerCpuSecond = PerSecond(cpuMs),
                gcPauseMilliseconds = Math.Round(gcPauseMs, 1), allocatedMegabytes = Math.Round(allocatedMb, 1),
            },
            runtime = Environment.Version.ToString(),
            processors = Environment.ProcessorCount,
        };
        Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
    }
    else
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Format(c, "file: {0:N0} lines, {1:N0} bytes ({2})", lines, new FileInfo(path).Length, options.File ?? "generated, seed 1"));
        Console.WriteLine(string.Format(c, "cold: {0,8:N1} ms  {1,10:N0} lines/s   first parse in a new process", coldMs, PerSecond(coldMs)));
        Console.WriteLine(string.Format(c, "warm: {0,8:N1} ms  {1,10:N0} lines/s   median of {2} parses after 3 warm-up parses (fastest {3:N1} ms)",
            warmMs, PerSecond(warmMs), options.Runs, times[0]));
        Console.WriteLine(string.Format(c, "      a parse: {0:N1} ms of CPU ({1:N0} lines per CPU second, all threads), {2:N0} MB allocated, {3:N1} ms of GC pauses",
            cpuMs, PerSecond(cpuMs), allocatedMb, gcPauseMs));
    }
    return 0;
}
finally
{
    if (temporary != null) File.Delete(temporary);
}

static double MeasureCold(string path)
{
    // Run this program again with --cold-child, the same way it was started (apphost or dotnet ParseBench.dll).
    var self = Environment.ProcessPath!;
    var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(ModelGenerator).Assembly.Location);
    start.ArgumentList.Add("--cold-child");
    start.ArgumentList.Add(path);
    using var child = Process.Start(start)!;
    var output = child.StandardOutput.ReadToEnd();
    child.WaitForExit();
    if (child.ExitCode != 0) throw new InvalidOperationException($"the cold run failed with exit code {child.ExitCode}");
    return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
}

internal sealed record Options(int Lines, int Runs, string? File, string? Save, bool Json, string? ColdChild, string? Error)
{
    public static Options Parse(string[] args)
    {
        int lines = 100_000, runs = 10;
        string? file = null, save = null, coldChild = null;
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--lines" when int.TryParse(Next(), out var n) && n > 0: lines = n; break;
                case "--runs" when int.TryParse(Next(), out var n) && n > 0: runs = n; break;
                case "--file": file = Next(); break;
                case "--save": save = Next(); break;
                case "--json": json = true; break;
                case "--cold-child": coldChild = Next(); break;
                default: return new Options(0, 0, null, null, false, null, $"unknown or incomplete option '{args[i]}'");
            }
        }
        return new Options(lines, runs, file, save, json, coldChild, null);
    }
}
