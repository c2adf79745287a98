using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Lang.Generator;

/// <summary>Reads [DskModel("...")] classes into <see cref="EmbeddedRequest"/>s (plain data: no symbols or syntax kept).</summary>
internal static class EmbeddedModels
{
    public const string AttributeName = "DeepSeek.Lang.Runtime.DskModelAttribute";

    public static bool IsCandidate(SyntaxNode node, CancellationToken _) => node is ClassDeclarationSyntax;

    /// <summary>Never throws, except to cancel: a failure is carried to the compile step, which reports DSK9999.</summary>
    public static EmbeddedRequest Read(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        try
        {
            return ReadCore(context, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var node = context.TargetNode;
            var location = ToInfo(node.SyntaxTree.FilePath ?? "", node.SyntaxTree.GetText(ct), node.Span);
            var name = node is ClassDeclarationSyntax c ? c.Identifier.Text : "?";
            return new EmbeddedRequest(name, "", node.SyntaxTree.FilePath ?? "", null, null, null, location, null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static EmbeddedRequest ReadCore(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var declaration = (ClassDeclarationSyntax)context.TargetNode;
        var symbol = (INamedTypeSymbol)context.TargetSymbol;
        var tree = declaration.SyntaxTree;
        var path = tree.FilePath ?? "";
        var text = tree.GetText(ct);
        var classLocation = ToInfo(path, text, declaration.Identifier.Span);
        var attribute = context.Attributes[0];

        string? source = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string : null;
        string? modelName = null;
        foreach (var named in attribute.NamedArguments)
            if (named.Key == "Model") modelName = named.Value.Value as string;

        string? problem = null;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword)) problem = "it must be declared partial";
        else if (symbol.ContainingType != null) problem = "it must not be nested in another type";
        else if (symbol.IsStatic) problem = "it must not be static";
        else if (symbol.IsGenericType) problem = "it must not be generic";
        else if (source == null) problem = "the source must be a constant string";

        var ns = symbol.ContainingNamespace is { IsGlobalNamespace: false } n
            ? n.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "")
            : "";

        PositionMap? map = null;
        if (source != null)
        {
            var argument = (attribute.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax)?.ArgumentList?.Arguments
                .FirstOrDefault(a => a.NameEquals == null && a.NameColon == null);
            var lineStarts = text.Lines.Select(l => l.Start).ToEquatableArray();
            int[]? positions = null;
            if (argument?.Expression is LiteralExpressionSyntax literal)
                positions = LiteralMap.Build(literal.Token, source);
            bool exact = positions != null;
            if (positions == null)
            {
                int at = argument?.Expression.SpanStart ?? declaration.Identifier.SpanStart;
                positions = Enumerable.Repeat(at, source.Length + 1).ToArray();
            }
            map = new PositionMap(path, positions.ToEquatableArray(), lineStarts, exact);
        }

        return new EmbeddedRequest(declaration.Identifier.Text, ns, path, source, modelName, problem, classLocation, map);
    }

    public static LocationInfo ToInfo(string path, Microsoft.CodeAnalysis.Text.SourceText text, Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        var lines = text.Lines.GetLinePositionSpan(span);
        return new LocationInfo(path, span.Start, span.Length, lines.Start.Line, lines.Start.Character, lines.End.Line, lines.End.Character);
    }
}

/// <summary>
/// Maps each character of a C# string literal's value to where it is written: exact for regular
/// (<c>"…"</c> with escapes), verbatim (<c>@"…"</c>) and raw (<c>"""…"""</c>, one line or several, with
/// their indentation removed) literals. The result is checked against the compiler's value; when they
/// differ the caller falls back to the literal's start.
/// </summary>
internal static class LiteralMap
{
    /// <summary>Positions (absolute in the C# text) of each value character and of the value's end; null when not mapped.</summary>
    public static int[]? Build(SyntaxToken token, string value)
    {
        var text = token.Text;
        int start = token.SpanStart;
        var sb = new StringBuilder(value.Length);
        var map = new List<int>(value.Length + 1);
        bool ok = token.Kind() switch
        {
            SyntaxKind.StringLiteralToken when text.StartsWith("@", StringComparison.Ordinal) => Verbatim(text, start, sb, map),
            SyntaxKind.StringLiteralToken => Regular(text, start, sb, map),
            SyntaxKind.SingleLineRawStringLiteralToken => SingleLineRaw(text, start, sb, map),
            SyntaxKind.MultiLineRawStringLiteralToken => MultiLineRaw(text, start, sb, map),
            _ => false,
        };
        if (!ok || sb.ToString() != value || map.Count != value.Length + 1) return null;
        return map.ToArray();
    }

    private static bool Regular(string text, int start, StringBuilder sb, List<int> map)
    {
        if (text.Length < 2 || text[0] != '"' || text[text.Length - 1] != '"') return false;
        int end = text.Length - 1;
        int i = 1;
        while (i < end)
        {
            int at = start + i;
            char c = text[i];
            if (c != '\\')
            {
                Add(sb, map, c, at);
                i++;
                continue;
            }
            if (i + 1 >= end) return false;
            char e = text[i + 1];
            switch (e)
            {
                case 'u':
                    if (!Hex(text, i + 2, 4, end, out var u)) return false;
                    Add(sb, map, (char)u, at);
                    i += 6;
                    break;
                case 'U':
                    if (!Hex(text, i + 2, 8, end, out var cp) || cp > 0x10FFFF) return false;
                    foreach (char ch in char.ConvertFromUtf32(cp)) Add(sb, map, ch, at);
                    i += 10;
                    break;
                case 'x':
                    int n = 0;
                    int x = 0;
                    while (n < 4 && i + 2 + n < end && Uri.IsHexDigit(text[i + 2 + n]))
                    {
                        x = x * 16 + Convert.ToInt32(text[i + 2 + n].ToString(), 16);
                        n++;
                    }
                    if (n == 0) return false;
                    Add(sb, map, (char)x, at);
                    i += 2 + n;
                    break;
                default:
                    char? simple = e switch
                    {
                        '\'' => '\'',
                        '"' => '"',
                        '\\' => '\\',
                        '0' => '\0',
                        'a' => '\a',
                        'b' => '\b',
                        'e' => '\u001b',
                        'f' => '\f',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'v' => '\v',
                        _ => null,
                    };
                    if (simple == null) return false;
                    Add(sb, map, simple.Value, at);
                    i += 2;
                    break;
            }
        }
        map.Add(start + end);
        return true;
    }

    private static bool Hex(string text, int from, int count, int end, out int value)
    {
        value = 0;
        if (from + count > end) return false;
        return int.TryParse(text.Substring(from, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static bool Verbatim(string text, int start, StringBuilder sb, List<int> map)
    {
        if (text.Length < 3 || text[1] != '"' || text[text.Length - 1] != '"') return false;
        int end = text.Length - 1;
        int i = 2;
        while (i < end)
        {
            Add(sb, map, text[i], start + i);
            i += text[i] == '"' ? 2 : 1;
        }
        map.Add(start + end);
        return true;
    }

    private static bool SingleLineRaw(string text, int start, StringBuilder sb, List<int> map)
    {
        int q = Quotes(text);
        if (q < 3 || text.Length < 2 * q) return false;
        for (int i = q; i < text.Length - q; i++) Add(sb, map, text[i], start + i);
        map.Add(start + text.Length - q);
        return true;
    }

    private static bool MultiLineRaw(string text, int start, StringBuilder sb, List<int> map)
    {
        int q = Quotes(text);
        if (q < 3) return false;
        // The rest of the opening line is whitespace; content begins after its line break.
        int i = q;
        while (i < text.Length && !IsNewLine(text[i])) i++;
        i = SkipNewLine(text, i);
        int closingQuotes = text.Length - q;
        int closingLineStart = closingQuotes;
        while (closingLineStart > 0 && !IsNewLine(text[closingLineStart - 1])) closingLineStart--;
        var indentation = text.Substring(closingLineStart, closingQuotes - closingLineStart);
        if (indentation.Any(c => !SyntaxFacts.IsWhitespace(c))) return false;

        // Lines from i up to the line break before the closing line.
        var lines = new List<(int Start, int ContentEnd, int BreakEnd)>();
        int p = i;
        while (p < closingLineStart)
        {
            int contentEnd = p;
            while (contentEnd < text.Length && !IsNewLine(text[contentEnd])) contentEnd++;
            int breakEnd = SkipNewLine(text, contentEnd);
            lines.Add((p, contentEnd, breakEnd));
            p = breakEnd;
        }
        for (int k = 0; k < lines.Count; k++)
        {
            var (s, ce, be) = lines[k];
            bool blank = true;
            for (int j = s; j < ce; j++)
                if (!SyntaxFacts.IsWhitespace(text[j])) blank = false;
            if (!blank)
            {
                if (ce - s < indentation.Length || string.CompareOrdinal(text, s, indentation, 0, indentation.Length) != 0) return false;
                for (int j = s + indentation.Length; j < ce; j++) Add(sb, map, text[j], start + j);
            }
            if (k < lines.Count - 1)
                for (int j = ce; j < be; j++) Add(sb, map, text[j], start + j);
        }
        int endPosition = lines.Count > 0 ? lines[lines.Count - 1].ContentEnd : i;
        map.Add(start + endPosition);
        return true;
    }

    private static int Quotes(string text)
    {
        int q = 0;
        while (q < text.Length && text[q] == '"') q++;
        return q;
    }

    private static bool IsNewLine(char c) => SyntaxFacts.IsNewLine(c);

    private static int SkipNewLine(string text, int i)
    {
        if (i >= text.Length) return i;
        if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n') return i + 2;
        return IsNewLine(text[i]) ? i + 1 : i;
    }

    private static void Add(StringBuilder sb, List<int> map, char c, int at)
    {
        sb.Append(c);
        map.Add(at);
    }
}
