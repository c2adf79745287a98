using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Lang.Generator;

/// <summary>
/// Turns .dsk names and texts into C# that means exactly them: identifiers (keywords escaped with @),
/// string literals (Roslyn's own escaper) and XML documentation text (escaped, on one line).
/// </summary>
internal static class Names
{
    /// <summary>The members every generated class declares: a model with one of these names gets the class name <c>NameModel</c>.</summary>
    public static readonly IReadOnlyCollection<string> MemberNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "Create", "Load", "Forward", "ParameterCount", "ParameterNames", "Weights", "Runner", "Dispose", "Definition",
    };

    /// <summary>
    /// A C# identifier for a .dsk name: the name itself, with @ before a C# keyword (reserved or contextual).
    /// Names that are not identifiers (they cannot come from a .dsk file) have every other character replaced by '_'.
    /// </summary>
    public static string Identifier(string name)
    {
        var sb = new StringBuilder(name.Length + 1);
        foreach (char c in name) sb.Append(IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        if (sb.Length == 0 || char.IsDigit(sb[0])) sb.Insert(0, '_');
        var text = sb.ToString();
        if (SyntaxFacts.GetKeywordKind(text) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(text) != SyntaxKind.None)
            return "@" + text;
        return text;
    }

    /// <summary>The C# name of the class generated for a model.</summary>
    public static string ClassName(string modelName)
    {
        var id = Identifier(modelName);
        return MemberNames.Contains(id) ? id + "Model" : id;
    }

    /// <summary>The name to use for a type in a hint name or a message (no @).</summary>
    public static string Plain(string identifier) => identifier.StartsWith("@", StringComparison.Ordinal) ? identifier.Substring(1) : identifier;

    /// <summary>A dotted namespace with each part checked and keywords escaped; null when it is not a namespace.</summary>
    public static string? Namespace(string text)
    {
        if (text.Length == 0) return "";
        var parts = text.Split('.');
        var result = new List<string>();
        foreach (var raw in parts)
        {
            var part = raw.Trim();
            if (part.StartsWith("@", StringComparison.Ordinal)) part = part.Substring(1);
            if (part.Length == 0 || !SyntaxFacts.IsValidIdentifier(part)) return null;
            if (part == "global") return null;
            result.Add(SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(part) != SyntaxKind.None ? "@" + part : part);
        }
        return string.Join(".", result);
    }

    /// <summary>A C# string literal whose value is exactly <paramref name="value"/> (every character that needs it escaped).</summary>
    public static string Literal(string value) => SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>Text for an XML doc comment: escaped, with every line break and control character made a space, shortened to <paramref name="max"/>.</summary>
    public static string Xml(string text, int max = 300)
    {
        var sb = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '\u2028' || c == '\u2029' || c == '\u0085' || char.IsSurrogate(c))
            {
                if (!space && sb.Length > 0) sb.Append(' ');
                space = true;
                continue;
            }
            space = false;
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                default: sb.Append(c); break;
            }
        }
        var result = sb.ToString().TrimEnd();
        if (result.Length > max)
        {
            int cut = max;
            int amp = result.LastIndexOf('&', cut - 1);
            if (amp >= 0 && result.IndexOf(';', amp) >= cut) cut = amp;
            result = result.Substring(0, cut) + "…";
        }
        return result;
    }

    /// <summary>A file name part for AddSource: letters, digits, '.' and '_' only.</summary>
    public static string HintPart(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text) sb.Append(IsAsciiLetterOrDigit(c) || c == '.' || c == '_' ? c : '_');
        return sb.ToString();
    }

    /// <summary>A short stable hash (FNV-1a) for hint names.</summary>
    public static string Hash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return (h & 0xFFFFFFFFFFUL).ToString("x10", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsAsciiLetterOrDigit(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
