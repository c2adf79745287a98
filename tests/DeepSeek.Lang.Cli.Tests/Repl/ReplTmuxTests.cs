using System.Diagnostics;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Repl;

/// <summary>A fact that is skipped, saying why, where tmux is not installed.</summary>
public sealed class TmuxFactAttribute : FactAttribute
{
    public TmuxFactAttribute()
    {
        if (!Tmux.Available) Skip = "tmux is not installed: this test drives the interactive REPL in a tmux pane (apt-get install tmux)";
    }
}

/// <summary>A private tmux server (its own socket) with one pane running a command.</summary>
internal sealed class Tmux : IDisposable
{
    private readonly string _socket = "dsk-test-" + Guid.NewGuid().ToString("N")[..12];

    public static bool Available { get; } = Find() != null;

    private static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "tmux")).FirstOrDefault(File.Exists);

    private readonly int _panePid;

    public Tmux(string command, string folder)
    {
        Run("new-session", "-d", "-s", "repl", "-x", "120", "-y", "50", "-c", folder, command);
        int.TryParse(Run("display-message", "-p", "-t", "repl", "#{pane_pid}").Trim(), out _panePid);
    }

    public void Keys(params string[] keys) => Run(["send-keys", "-t", "repl", .. keys]);

    /// <summary>Types text literally (no key names).</summary>
    public void Type(string text) => Run("send-keys", "-t", "repl", "-l", text);

    public string Screen() => Run("capture-pane", "-t", "repl", "-p");

    /// <summary>Waits until the screen satisfies <paramref name="done"/>; fails with the screen after the timeout.</summary>
    public string WaitFor(Func<string, bool> done, string what, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        string screen = "";
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            screen = Screen();
            if (done(screen)) return screen;
            Thread.Sleep(100);
        }
        Assert.Fail($"timed out waiting for {what}; the screen:\n{screen}");
        return screen;
    }

    public string WaitFor(string text, int seconds = 60) => WaitFor(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'", seconds);

    /// <summary>The line the cursor is on, as the pane shows it.</summary>
    public string LastLine(string screen) => screen.TrimEnd('\n', ' ').Split('\n')[^1].TrimEnd();

    public bool IsRunning()
    {
        try
        {
            Run("has-session", "-t", "repl");
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private string Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', arguments)}: {error}");
        return output;
    }

    /// <summary>Ends the server and, should it outlive that, the command it ran.</summary>
    public void Dispose()
    {
        try
        {
            Run("kill-server");
        }
        catch (InvalidOperationException)
        {
        }
        if (_panePid <= 0) return;
        try
        {
            using var process = Process.GetProcessById(_panePid);
            if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
        catch (InvalidOperationException)
        {
        }
    }
}

/// <summary>
/// The interactive REPL in a real terminal: the built dskc runs in a tmux pane, keys are sent with
/// send-keys and the screen read with capture-pane. Checks history (Up recalls a line, also in a new
/// session, from the history file), tab completion of a prelude layer, the list of candidates, Ctrl+C
/// and Ctrl+D.
/// </summary>
public sealed class ReplTmuxTests : IDisposable
{
    private readonly string _history = Path.Combine(Path.GetTempPath(), "dsk-repl-history-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_history);

    private Tmux Start()
    {
        var dskc = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "dskc.exe" : "dskc");
        Assert.True(File.Exists(dskc), $"the built dskc is not next to the tests: {dskc}");
        var tmux = new Tmux($"env DSK_REPL_HISTORY='{_history}' '{dskc}' repl", RepoPaths.Root);
        try
        {
            // capture-pane drops trailing blanks: an empty prompt shows as "dsk>".
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk>", "the first prompt");
            return tmux;
        }
        catch
        {
            tmux.Dispose();
            throw;
        }
    }

    [TmuxFact]
    public void History_and_completion_work_in_a_terminal()
    {
        using (var tmux = Start())
        {
            tmux.Type("let x = randn(2, 3)");
            tmux.Keys("Enter");
            tmux.WaitFor("x: f32[2, 3]");

            // A prelude layer completes from its first letters.
            tmux.Type("let attn = Multih");
            tmux.Keys("Tab");
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk> let attn = MultiheadAttention", "the completed name");
            tmux.Type("(8, 2)");
            tmux.Keys("Enter");
            tmux.WaitFor("attn: module MultiheadAttention(d: 8, heads: 2");

            // Ambiguous: the candidates are listed under the line.
            tmux.Type("L");
            tmux.Keys("Tab");
            tmux.WaitFor("LayerNorm  Linear");
            tmux.Keys("C-c");
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk>", "a fresh prompt after Ctrl+C");

            // Up recalls the lines typed, newest first.
            tmux.Keys("Up");
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk> let attn = MultiheadAttention(8, 2)", "the last line again");
            tmux.Keys("Up");
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk> let x = randn(2, 3)", "the line before");
            tmux.Keys("C-u");
            tmux.Type("x.shape");
            tmux.Keys("Enter");
            tmux.WaitFor("(int, int) = (2, 3)");

            // Ctrl+D on an empty line ends the session.
            tmux.Keys("C-d");
            var clock = Stopwatch.StartNew();
            while (tmux.IsRunning() && clock.Elapsed.TotalSeconds < 30) Thread.Sleep(100);
            Assert.False(tmux.IsRunning(), "dskc repl did not end on Ctrl+D");
        }

        Assert.Equal(["let x = randn(2, 3)", "let attn = MultiheadAttention(8, 2)", "x.shape"], File.ReadAllLines(_history));

        // A new session recalls the history of the last one.
        using (var tmux = Start())
        {
            tmux.Keys("Up");
            tmux.WaitFor(s => tmux.LastLine(s) == "dsk> x.shape", "the history of the previous session");
            tmux.Keys("C-c");
            tmux.Type(":quit");
            tmux.Keys("Enter");
            var clock = Stopwatch.StartNew();
            while (tmux.IsRunning() && clock.Elapsed.TotalSeconds < 30) Thread.Sleep(100);
            Assert.False(tmux.IsRunning(), "dskc repl did not end on :quit");
        }
    }
}
