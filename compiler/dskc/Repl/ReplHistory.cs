namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// The lines typed at the prompt, kept across sessions in a file, one line each, newest last:
/// <c>$DSK_REPL_HISTORY</c> when set (empty: no file), else <c>$XDG_CONFIG_HOME/deepseek-lang/repl_history</c>,
/// else <c>~/.config/deepseek-lang/repl_history</c>. Each line is appended as it is entered; the file is
/// cut back to the newest <see cref="MaxEntries"/> lines when it is read. A file that cannot be read or
/// written is ignored: history is a convenience, not a reason to fail.
/// </summary>
internal sealed class ReplHistory
{
    public const int MaxEntries = 1000;

    public const string PathVariable = "DSK_REPL_HISTORY";

    private readonly List<string> _entries = new();

    public ReplHistory(string? path)
    {
        Path = string.IsNullOrEmpty(path) ? null : path;
        if (Path == null) return;
        try
        {
            if (!File.Exists(Path)) return;
            var lines = File.ReadAllLines(Path).Where(l => l.Trim().Length > 0).ToList();
            _entries.AddRange(lines.Skip(Math.Max(0, lines.Count - MaxEntries)));
            if (lines.Count > 2 * MaxEntries) File.WriteAllLines(Path, _entries);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The history file, or null when there is none.</summary>
    public string? Path { get; }

    public IReadOnlyList<string> Entries => _entries;

    public static string? DefaultPath()
    {
        var overridden = Environment.GetEnvironmentVariable(PathVariable);
        if (overridden != null) return overridden;
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrEmpty(config))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) return null;
            config = System.IO.Path.Combine(home, ".config");
        }
        return System.IO.Path.Combine(config, "deepseek-lang", "repl_history");
    }

    /// <summary>Remembers a line (not a blank one, nor the one just before it again).</summary>
    public void Add(string line)
    {
        if (line.Trim().Length == 0 || (_entries.Count > 0 && _entries[^1] == line)) return;
        _entries.Add(line);
        if (_entries.Count > MaxEntries) _entries.RemoveAt(0);
        if (Path == null) return;
        try
        {
            var folder = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            File.AppendAllText(Path, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
