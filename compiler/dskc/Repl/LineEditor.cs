using System.Text;

namespace DeepSeek.Lang.Cli.Repl;

internal enum ReadStatus
{
    /// <summary>Enter was pressed: <see cref="ReadResult.Text"/> is the line.</summary>
    Line,

    /// <summary>Ctrl+C: the line was given up.</summary>
    Cancelled,

    /// <summary>Ctrl+D on an empty line.</summary>
    EndOfInput,
}

internal readonly record struct ReadResult(ReadStatus Status, string Text);

/// <summary>What Tab can put in place of the text from <see cref="Start"/> to the cursor.</summary>
internal sealed record Completion(int Start, IReadOnlyList<string> Candidates)
{
    public static readonly Completion None = new(0, Array.Empty<string>());
}

/// <summary>
/// Reads one line with editing, as readline does for the Python REPL: Left/Right (Ctrl+B/F), Home/End
/// (Ctrl+A/E), Ctrl+Left/Right by words, Backspace/Delete, Ctrl+K/U/W to cut, Up/Down (Ctrl+P/N)
/// through the history, Tab to complete (the common part of the candidates, and the candidates listed
/// when they differ beyond it), Ctrl+L to clear the screen, Ctrl+C to give up the line, Ctrl+D on an
/// empty line to end the input. A line wider than the terminal scrolls sideways.
/// </summary>
internal sealed class LineEditor
{
    /// <summary>Candidates listed at most under the line.</summary>
    public const int MaxListed = 120;

    private readonly ITerminal _terminal;
    private readonly ReplHistory _history;
    private readonly Func<string, int, Completion> _complete;
    private readonly StringBuilder _line = new();
    private string _prompt = "";
    private int _cursor;
    private int _scroll;

    public LineEditor(ITerminal terminal, ReplHistory history, Func<string, int, Completion> complete)
    {
        _terminal = terminal;
        _history = history;
        _complete = complete;
    }

    public ReadResult ReadLine(string prompt)
    {
        _prompt = prompt;
        _line.Clear();
        _cursor = 0;
        _scroll = 0;
        int historyIndex = _history.Entries.Count;
        string draft = "";
        Render();
        while (true)
        {
            var key = _terminal.ReadKey();
            bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            bool alt = (key.Modifiers & ConsoleModifiers.Alt) != 0;
            char c = key.KeyChar;

            if (key.Key == ConsoleKey.Enter || c is '\r' or '\n')
            {
                _cursor = _line.Length;
                Render();
                _terminal.Write("\r\n");
                return new ReadResult(ReadStatus.Line, _line.ToString());
            }
            if (c == '\x03' || (control && key.Key == ConsoleKey.C))
            {
                _cursor = _line.Length;
                Render();
                _terminal.Write("^C\r\n");
                return new ReadResult(ReadStatus.Cancelled, "");
            }
            if (c == '\x04' || (control && key.Key == ConsoleKey.D))
            {
                if (_line.Length == 0)
                {
                    _terminal.Write("\r\n");
                    return new ReadResult(ReadStatus.EndOfInput, "");
                }
                if (_cursor < _line.Length) _line.Remove(_cursor, 1);
            }
            else if (key.Key == ConsoleKey.Tab || c == '\t') Complete();
            else if (key.Key == ConsoleKey.Backspace || c is '\b' or '\x7f')
            {
                if (_cursor > 0) _line.Remove(--_cursor, 1);
            }
            else if (key.Key == ConsoleKey.Delete)
            {
                if (_cursor < _line.Length) _line.Remove(_cursor, 1);
            }
            else if ((key.Key == ConsoleKey.LeftArrow && (control || alt)) || (alt && key.Key == ConsoleKey.B)) _cursor = WordLeft();
            else if ((key.Key == ConsoleKey.RightArrow && (control || alt)) || (alt && key.Key == ConsoleKey.F)) _cursor = WordRight();
            else if (key.Key == ConsoleKey.LeftArrow || c == '\x02') _cursor = Math.Max(0, _cursor - 1);
            else if (key.Key == ConsoleKey.RightArrow || c == '\x06') _cursor = Math.Min(_line.Length, _cursor + 1);
            else if (key.Key == ConsoleKey.Home || c == '\x01') _cursor = 0;
            else if (key.Key == ConsoleKey.End || c == '\x05') _cursor = _line.Length;
            else if (c == '\x0b') _line.Remove(_cursor, _line.Length - _cursor);
            else if (c == '\x15')
            {
                _line.Remove(0, _cursor);
                _cursor = 0;
            }
            else if (c == '\x17')
            {
                int start = WordLeft();
                _line.Remove(start, _cursor - start);
                _cursor = start;
            }
            else if (c == '\x0c') _terminal.Write("\x1b[2J\x1b[H");
            else if (key.Key == ConsoleKey.UpArrow || c == '\x10')
            {
                if (historyIndex > 0)
                {
                    if (historyIndex == _history.Entries.Count) draft = _line.ToString();
                    Set(_history.Entries[--historyIndex]);
                }
            }
            else if (key.Key == ConsoleKey.DownArrow || c == '\x0e')
            {
                if (historyIndex < _history.Entries.Count)
                {
                    historyIndex++;
                    Set(historyIndex == _history.Entries.Count ? draft : _history.Entries[historyIndex]);
                }
            }
            else if (c != '\0' && !char.IsControl(c))
            {
                _line.Insert(_cursor++, c);
            }
            Render();
        }
    }

    private void Set(string text)
    {
        _line.Clear().Append(text);
        _cursor = _line.Length;
    }

    private static bool IsWord(char c) => char.IsLetterOrDigit(c) || c == '_';

    private int WordLeft()
    {
        int i = _cursor;
        while (i > 0 && !IsWord(_line[i - 1])) i--;
        while (i > 0 && IsWord(_line[i - 1])) i--;
        return i;
    }

    private int WordRight()
    {
        int i = _cursor;
        while (i < _line.Length && !IsWord(_line[i])) i++;
        while (i < _line.Length && IsWord(_line[i])) i++;
        return i;
    }

    private void Complete()
    {
        var text = _line.ToString();
        var completion = _complete(text, _cursor);
        var candidates = completion.Candidates;
        if (candidates.Count == 0) return;
        int start = Math.Clamp(completion.Start, 0, _cursor);
        var typed = text[start.._cursor];
        var common = candidates.Count == 1 ? candidates[0] : CommonPrefix(candidates);
        if (common.Length > typed.Length && common.StartsWith(typed, StringComparison.Ordinal))
        {
            _line.Remove(start, _cursor - start).Insert(start, common);
            _cursor = start + common.Length;
            return;
        }
        if (candidates.Count > 1) List(candidates);
    }

    private static string CommonPrefix(IReadOnlyList<string> words)
    {
        var prefix = words[0];
        foreach (var w in words.Skip(1))
        {
            int n = 0;
            while (n < prefix.Length && n < w.Length && prefix[n] == w[n]) n++;
            prefix = prefix[..n];
        }
        return prefix;
    }

    /// <summary>Shows the candidates in columns under the line, then the line again.</summary>
    private void List(IReadOnlyList<string> candidates)
    {
        var shown = candidates.Take(MaxListed).ToList();
        int width = shown.Max(s => s.Length) + 2;
        int columns = Math.Max(1, (_terminal.Width - 1) / width);
        var sb = new StringBuilder("\r\n");
        for (int i = 0; i < shown.Count; i++)
        {
            sb.Append(i % columns == columns - 1 || i == shown.Count - 1 ? shown[i] : shown[i].PadRight(width));
            if (i % columns == columns - 1 || i == shown.Count - 1) sb.Append("\r\n");
        }
        if (candidates.Count > shown.Count) sb.Append($"… and {candidates.Count - shown.Count} more\r\n");
        _terminal.Write(sb.ToString());
    }

    /// <summary>Draws the prompt and the part of the line around the cursor, and puts the cursor in place.</summary>
    private void Render()
    {
        int room = Math.Max(10, _terminal.Width - _prompt.Length - 1);
        if (_cursor < _scroll) _scroll = _cursor;
        if (_cursor > _scroll + room) _scroll = _cursor - room;
        _scroll = Math.Max(0, Math.Min(_scroll, _line.Length));
        var visible = _line.ToString(_scroll, Math.Min(room, _line.Length - _scroll));
        var sb = new StringBuilder("\r").Append(_prompt).Append(visible).Append("\x1b[K");
        int back = visible.Length - (_cursor - _scroll);
        if (back > 0) sb.Append("\x1b[").Append(back).Append('D');
        _terminal.Write(sb.ToString());
    }
}
