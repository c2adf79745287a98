namespace DeepSeek.Lang.Cli.Commands.Bench;

/// <summary>
/// One status line on stderr, rewritten in place with <c>\r</c> while the bench runs, and erased at the
/// end. Only when stderr is a terminal: redirected output (a file, CI, the tests) gets nothing, so it
/// stays deterministic.
/// </summary>
internal sealed class BenchProgress : IDisposable
{
    private readonly CliConsole _console;
    private int _width;

    public BenchProgress(CliConsole console)
    {
        _console = console;
    }

    public void Show(string status)
    {
        if (!_console.ErrorIsTerminal) return;
        var line = "dskc bench: " + status;
        _console.Error.Write("\r" + line.PadRight(_width));
        _console.Error.Flush();
        _width = Math.Max(_width, line.Length);
    }

    /// <summary>Erases the line, so that what is printed next starts at the left margin.</summary>
    public void Dispose()
    {
        if (_width == 0) return;
        _console.Error.Write("\r" + new string(' ', _width) + "\r");
        _console.Error.Flush();
        _width = 0;
    }
}
