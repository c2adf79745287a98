using System.CommandLine;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>Options that several commands share, defined once.</summary>
internal static class CommonOptions
{
    public static Argument<string[]> Files(string description = "The .dsk files to read.") => new("files")
    {
        Description = description,
        Arity = ArgumentArity.OneOrMore,
    };

    public static Option<bool> Excerpts() => new("--excerpts")
    {
        Description = "Show the source line and a caret under each diagnostic (the default when stderr is a terminal).",
    };

    public static Option<string> Format() => new Option<string>("--format")
    {
        Description = "How to print diagnostics: text (default) or json (a JSON array on stdout).",
        DefaultValueFactory = _ => "text",
    }.AcceptOnlyFromAmong("text", "json");

    public static Option<string?> Root() => new("--root")
    {
        Description = "The folder imports may not leave (default: the folder of the first file).",
    };

    /// <summary><c>--dim NAME=VALUE</c>; every command parses the values with <see cref="DimArguments.Parse"/>.</summary>
    public static Option<string[]> Dims() => new("--dim", "-d")
    {
        Description = "Bind a symbolic dimension, NAME=VALUE with a positive VALUE: --dim B=2 --dim T=16 (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Model() => new("--model")
    {
        Description = "The model to use (default: every model in the file).",
    };
}
