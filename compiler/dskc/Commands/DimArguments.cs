using System.Globalization;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Runtime;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>
/// <c>--dim NAME=VALUE</c>, parsed the same way by every command: VALUE a positive integer, a name given
/// twice only with the same value, and (when the model is known) a name the model has.
/// </summary>
internal static class DimArguments
{
    /// <summary>
    /// Parses the pairs in order; the first bad one is a <see cref="RuntimeError"/> naming it. With
    /// <paramref name="model"/>, a name that is not one of its symbolic dims is an error listing them;
    /// without it (compile, which may compile several models) the caller checks names per model.
    /// </summary>
    public static Dictionary<string, long> Parse(IEnumerable<string> raw, Graph? model = null)
    {
        var modelDims = model?.SymbolicDims.OrderBy(d => d, StringComparer.Ordinal).ToList();
        var dims = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in raw)
        {
            var (name, value) = SplitPair(text, "--dim", "NAME=VALUE");
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size) || size <= 0)
                throw new RuntimeError($"--dim {text}: the size must be a positive integer");
            if (modelDims != null && !modelDims.Contains(name))
                throw new RuntimeError($"--dim {text}: model {model!.Name} has no dimension '{name}'; " +
                    (modelDims.Count == 0 ? "it has no symbolic dimensions" : "its dimensions are " + string.Join(", ", modelDims)));
            if (dims.TryGetValue(name, out var old) && old != size) throw new RuntimeError($"--dim {name} is given twice, as {old} and {size}");
            dims[name] = size;
        }
        return dims;
    }

    /// <summary>Splits <c>NAME=VALUE</c> (also used for <c>--input NAME=PATH</c>); both sides must be non-empty.</summary>
    public static (string Name, string Value) SplitPair(string text, string option, string form)
    {
        int eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == text.Length - 1) throw new RuntimeError($"{option} {text}: expected {form}");
        return (text[..eq].Trim(), text[(eq + 1)..].Trim());
    }
}
