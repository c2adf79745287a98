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

    private static void AppendExcerpt(StringBuilder sb, Location location)
    {
        var source = location.Source;
        if (source.Length == 0) return;
        var start = source.GetLinePosition(location.Span.Start);
        var lineText = source.GetLineText(start.Line);
        // Tabs would shift the caret; show them as single spaces in both lines.
        var shown = Sanitize(lineText);
        sb.Append("    ").Append(shown).Append('\n');
        int lineEnd = source.GetLineStart(start.Line) + lineText.Length;
        int width = Math.Max(1, Math.Min(location.Span.End, lineEnd) - location.Span.Start);
        sb.Append("    ").Append(' ', Math.Max(0, start.Column - 1)).Append('^', width).Append('\n');
    }

    private static string Sanitize(string line)
    {
        var chars = line.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] == '\t' || char.IsControl(chars[i])) chars[i] = ' ';
        return new string(chars);
    }
}
