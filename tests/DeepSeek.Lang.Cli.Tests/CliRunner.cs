namespace DeepSeek.Lang.Cli.Tests;

/// <summary>What one run of dskc printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>Runs dskc in-process, as <c>Program</c> does, with string writers for its output.</summary>
public static class CliRunner
{
    public static CliResult Run(params string[] args) => Run(errorIsTerminal: false, args);

    public static CliResult Run(bool errorIsTerminal, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var error = new StringWriter { NewLine = "\n" };
        int exit = Cli.Run(args, new CliConsole(output, error, errorIsTerminal: errorIsTerminal));
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}

/// <summary>
/// Tests that run dskc with relative paths change the process's current folder, so they run one at
/// a time in this collection, apart from the tests that run in parallel (which use absolute paths).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkingDirectoryCollection
{
    public const string Name = "current folder";
}

/// <summary>Makes a folder the current folder until disposed.</summary>
public sealed class CurrentFolder : IDisposable
{
    private static readonly object Gate = new();
    private readonly string _previous;

    public CurrentFolder(string folder)
    {
        Monitor.Enter(Gate);
        _previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
    }

    public void Dispose()
    {
        Environment.CurrentDirectory = _previous;
        Monitor.Exit(Gate);
    }
}
