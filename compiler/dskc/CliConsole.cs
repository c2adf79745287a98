namespace DeepSeek.Lang.Cli;

/// <summary>Where a command writes, and whether a person is reading: tests pass string writers.</summary>
public sealed class CliConsole
{
    public CliConsole(TextWriter output, TextWriter error, bool errorIsTerminal = false, bool outputIsTerminal = false, TextReader? input = null,
        bool inputIsTerminal = false)
    {
        Out = output;
        Error = error;
        ErrorIsTerminal = errorIsTerminal;
        OutputIsTerminal = outputIsTerminal;
        In = input ?? TextReader.Null;
        InputIsTerminal = inputIsTerminal;
    }

    public static CliConsole System => new(Console.Out, Console.Error, !Console.IsErrorRedirected, !Console.IsOutputRedirected, Console.In,
        !Console.IsInputRedirected);

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public TextReader In { get; }

    public bool ErrorIsTerminal { get; }

    public bool OutputIsTerminal { get; }

    /// <summary>True when a person types the input (the REPL then edits lines rather than reading them plainly).</summary>
    public bool InputIsTerminal { get; }
}

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The input has errors (diagnostics were printed), or a check found a difference.</summary>
    public const int Errors = 1;

    /// <summary>The command line was wrong or a file could not be read.</summary>
    public const int Usage = 2;
}
