using System.Text;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Diagnostics;

/// <summary>
/// Prints diagnostics in the form MSBuild and IDEs parse (<c>path(line,col): error DSKnnnn: message</c>),
/// optionally followed by the source line and a caret underline.
/// </summary>
public static class DiagnosticFormatter
{
    public static string FormatHeadline(Diagnostic diagnostic)
    {
        var severity = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        return $"{FormatLocation(diagnostic.Location)}: {severity} {diagnostic.Code}: {diagnostic.Message}";
    }

    public static string FormatLocation(Location location)
    {
        var p = location.Start;
        return $"{location.Source.Path}({p.Line},{p.Column})";
    }

    /// <summary>The headline, notes, and (when <paramref name="excerpts"/>) the source line with carets.</summary>
    public static string Format(Diagnostic diagnostic, bool excerpts)
    {
        var sb = new StringBuilder();
        sb.Append(FormatHeadline(diagnostic)).Append('\n');
        if (excerpts) AppendExcerpt(sb, diagnostic.Location);
        foreach (var note in diagnostic.Notes)
        {
            var kind = note.IsHint ? "hint" : "note";
            if (note.Location is { } at)
            {
                sb.Append(FormatLocation(at)).Append(": ").Append(kind).Append(": ").Append(note.Message).Append('\n');
                if (excerpts) AppendExcerpt(sb, at);
            }
            else
            {
                sb.Append("    ").Append(kind).Append(": ").Append(note.Message).Append('\n');
            }
        }
        return sb.ToString();
    }

    public static string FormatAll(IEnumerable<Diagnostic> diagnostics, bool excerpts)
    {
        var sb = new StringBuilder();
        foreach (var d in diagnostics) sb.Append(Format(d, excerpts));
        return sb.ToString();
    }

    /// <summary>Lines longer than this are shown as a window of this many characters around the caret.</summary>
    public const int MaxExcerptWidth = 120;

    private static void AppendExcerpt(StringBuilder sb, Location location)
    {
        var source = location.Source;
        if (source.Length == 0) return;
        var start = source.GetLinePosition(location.Span.Start);
        var lineText = source.GetLineText(start.Line);
        int column = start.Column - 1;
        int lineEnd = source.GetLineStart(start.Line) + lineText.Length;
        int width = Math.Max(1, Math.Min(location.Span.End, lineEnd) - location.Span.Start);

        // A very long line (generated or minified code) shows only the part around the caret.
        int from = 0, to = lineText.Length;
        if (lineText.Length > MaxExcerptWidth)
        {
            from = Math.Max(0, Math.Min(column - MaxExcerptWidth / 3, lineText.Length - MaxExcerptWidth));
            to = from + MaxExcerptWidth;
        }
        var prefix = from > 0 ? "..." : "";
        var suffix = to < lineText.Length ? "..." : "";
        // Tabs would shift the caret; show them as single spaces in both lines.
        sb.Append("    ").Append(prefix).Append(Sanitize(lineText.Substring(from, to - from))).Append(suffix).Append('\n');
        int caretColumn = prefix.Length + column - from;
        int caretWidth = Math.Max(1, Math.Min(width, to - column));
        sb.Append("    ").Append(' ', Math.Max(0, caretColumn)).Append('^', caretWidth).Append('\n');
    }

    private static string Sanitize(string line)
    {
        var chars = line.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] == '\t' || char.IsControl(chars[i])) chars[i] = ' ';
        return new string(chars);
    }
}
