namespace DeepSeek.Lang.Compiler.Text;

/// <summary>
/// The text of one source file and the path it is shown under in diagnostics. Immutable; line starts
/// are computed once so that positions map to lines in O(log lines).
/// </summary>
public sealed class SourceText
{
    private readonly int[] _lineStarts;

    public SourceText(string path, string text)
    {
        Path = path;
        Text = text;
        _lineStarts = ComputeLineStarts(text);
    }

    /// <summary>The path as the user gave it (or a synthetic name such as &lt;prelude&gt;).</summary>
    public string Path { get; }

    public string Text { get; }

    public int Length => Text.Length;

    public int LineCount => _lineStarts.Length;

    public string this[TextSpan span] => Text.Substring(span.Start, Math.Min(span.Length, Text.Length - span.Start));

    /// <summary>The 1-based line and column of a character position (column counts UTF-16 code units).</summary>
    public LinePosition GetLinePosition(int position)
    {
        position = Math.Max(0, Math.Min(position, Text.Length));
        int line = Array.BinarySearch(_lineStarts, position);
        if (line < 0) line = ~line - 1;
        return new LinePosition(line + 1, position - _lineStarts[line] + 1);
    }

    /// <summary>The text of a 1-based line without its line break.</summary>
    public string GetLineText(int line)
    {
        int start = _lineStarts[line - 1];
        int end = line < _lineStarts.Length ? _lineStarts[line] : Text.Length;
        while (end > start && (Text[end - 1] == '\n' || Text[end - 1] == '\r')) end--;
        return Text.Substring(start, end - start);
    }

    public int GetLineStart(int line) => _lineStarts[line - 1];

    private static int[] ComputeLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n') i++;
                starts.Add(i + 1);
            }
            else if (c == '\n')
            {
                starts.Add(i + 1);
            }
        }
        return starts.ToArray();
    }

    public override string ToString() => Path;
}

/// <summary>A span in a particular source text.</summary>
public readonly record struct Location(SourceText Source, TextSpan Span)
{
    public LinePosition Start => Source.GetLinePosition(Span.Start);

    public override string ToString() => $"{Source.Path}{Start}";
}
