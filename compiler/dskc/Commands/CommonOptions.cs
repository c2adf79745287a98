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

    public static Option<string[]> Dims() => new("--dim")
    {
        Description = "Bind a symbolic dimension: --dim B=2 --dim T=16 (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> Model() => new("--model")
    {
        Description = "The model to use (default: every model in the file).",
    };

    /// <summary>Parses NAME=VALUE pairs; the error names the bad pair.</summary>
    public static bool TryParseDims(IEnumerable<string> raw, out Dictionary<string, long> dims, out string error)
    {
        dims = new Dictionary<string, long>(StringComparer.Ordinal);
        error = "";
        foreach (var item in raw)
        {
            int eq = item.IndexOf('=');
            var name = eq > 0 ? item.Substring(0, eq).Trim() : "";
            var text = eq > 0 ? item.Substring(eq + 1).Trim() : "";
            if (name.Length == 0 || !long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                error = $"--dim {item}: expected NAME=VALUE with an integer value, such as --dim B=2";
                return false;
            }
            if (value <= 0)
            {
                error = $"--dim {item}: sizes must be positive";
                return false;
            }
            if (dims.ContainsKey(name))
            {
                error = $"--dim {name} is given twice";
                return false;
            }
            dims[name] = value;
        }
        return true;
    }
}
