using System.Text;
using DeepSeek.Lang.Cli.Repl;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Cli.Tests.Repl;

/// <summary>A terminal that plays keys from a script and records what is written.</summary>
internal sealed class ScriptedTerminal : ITerminal
{
    private readonly Queue<ConsoleKeyInfo> _keys = new();
    private readonly StringBuilder _written = new();

    public int Width { get; set; } = 80;

    public string Written => _written.ToString();

    public ScriptedTerminal Type(string text)
    {
        foreach (char c in text) _keys.Enqueue(new ConsoleKeyInfo(c, ConsoleKey.NoName, false, false, false));
        return this;
    }

    public ScriptedTerminal Press(ConsoleKey key, char c = '\0', bool control = false, bool alt = false)
    {
        _keys.Enqueue(new ConsoleKeyInfo(c, key, false, alt, control));
        return this;
    }

    public ScriptedTerminal Enter() => Press(ConsoleKey.Enter, '\r');

    public ScriptedTerminal Control(char letter) =>
        Press(Enum.Parse<ConsoleKey>(letter.ToString().ToUpperInvariant()), (char)(char.ToUpperInvariant(letter) - 'A' + 1), control: true);

    public ConsoleKeyInfo ReadKey() => _keys.Count > 0 ? _keys.Dequeue() : throw new InvalidOperationException("the script has no more keys");

    public void Write(string text) => _written.Append(text);
}

/// <summary>The line editor, completion, history and tensor previews, without a real terminal.</summary>
public sealed class ReplTerminalTests : IDisposable
{
    private readonly string _historyFile = Path.Combine(Path.GetTempPath(), "dsk-repl-history-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => File.Delete(_historyFile);

    private static Completion NoCompletion(string line, int cursor) => Completion.None;

    private static string Read(ScriptedTerminal terminal, ReplHistory? history = null, Func<string, int, Completion>? complete = null)
    {
        var result = new LineEditor(terminal, history ?? new ReplHistory(null), complete ?? NoCompletion).ReadLine("dsk> ");
        Assert.Equal(ReadStatus.Line, result.Status);
        return result.Text;
    }

    [Fact]
    public void Editing_keys_move_insert_and_delete()
    {
        var t = new ScriptedTerminal().Type("let y = 1").Press(ConsoleKey.LeftArrow).Type("x + ")
            .Press(ConsoleKey.Home).Press(ConsoleKey.Delete).Type("L").Press(ConsoleKey.End).Type("05").Press(ConsoleKey.Backspace, '\b').Enter();
        Assert.Equal("Let y = x + 10", Read(t));
    }

    [Fact]
    public void Control_keys_cut_and_move_by_words()
    {
        var t = new ScriptedTerminal().Type("let a = alpha + beta").Control('w').Type("gamma").Control('a')
            .Press(ConsoleKey.RightArrow, control: true).Control('k').Type(" b = 2").Enter();
        Assert.Equal("let b = 2", Read(t));
        var u = new ScriptedTerminal().Type("garbage").Control('u').Type("ok").Enter();
        Assert.Equal("ok", Read(u));
    }

    [Fact]
    public void Ctrl_C_gives_up_the_line_and_Ctrl_D_on_an_empty_line_ends_the_input()
    {
        var terminal = new ScriptedTerminal().Type("let half").Control('c').Control('d');
        var editor = new LineEditor(terminal, new ReplHistory(null), NoCompletion);
        Assert.Equal(ReadStatus.Cancelled, editor.ReadLine("dsk> ").Status);
        Assert.Contains("let half\x1b[K^C\r\n", terminal.Written);
        Assert.Equal(ReadStatus.EndOfInput, editor.ReadLine("dsk> ").Status);
    }

    [Fact]
    public void Up_and_down_walk_the_history_and_keep_the_draft()
    {
        var history = new ReplHistory(null);
        history.Add("let a = 1");
        history.Add("let b = 2");
        var t = new ScriptedTerminal().Type("dra").Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow)
            .Press(ConsoleKey.DownArrow).Press(ConsoleKey.DownArrow).Press(ConsoleKey.DownArrow).Type("ft").Enter();
        Assert.Equal("draft", Read(t, history));
        var u = new ScriptedTerminal().Press(ConsoleKey.UpArrow).Press(ConsoleKey.UpArrow).Enter();
        Assert.Equal("let a = 1", Read(u, history));
    }

    [Fact]
    public void History_persists_in_its_file_without_blanks_or_repeats()
    {
        var history = new ReplHistory(_historyFile);
        history.Add("let a = 1");
        history.Add("let a = 1");
        history.Add("   ");
        history.Add(":type a");
        Assert.Equal(["let a = 1", ":type a"], new ReplHistory(_historyFile).Entries);
        Assert.Equal("let a = 1\n:type a\n", File.ReadAllText(_historyFile));
    }

    [Fact]
    public void The_history_file_comes_from_DSK_REPL_HISTORY_or_the_config_folder()
    {
        var saved = (Environment.GetEnvironmentVariable(ReplHistory.PathVariable), Environment.GetEnvironmentVariable("XDG_CONFIG_HOME"));
        try
        {
            Environment.SetEnvironmentVariable(ReplHistory.PathVariable, "/tmp/h");
            Assert.Equal("/tmp/h", ReplHistory.DefaultPath());
            Environment.SetEnvironmentVariable(ReplHistory.PathVariable, null);
            Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", "/tmp/config");
            Assert.Equal("/tmp/config/deepseek-lang/repl_history", ReplHistory.DefaultPath());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ReplHistory.PathVariable, saved.Item1);
            Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", saved.Item2);
        }
    }

    [Fact]
    public void Tab_completes_a_single_candidate_and_lists_several()
    {
        Completion Complete(string line, int cursor)
        {
            int start = line.LastIndexOf(' ', Math.Max(0, cursor - 1)) + 1;
            var word = line[start..cursor];
            return new Completion(start, new[] { "LayerNorm", "Linear", "MultiheadAttention" }.Where(c => c.StartsWith(word, StringComparison.Ordinal)).ToList());
        }
        var t = new ScriptedTerminal().Type("let m = Mu").Press(ConsoleKey.Tab, '\t').Type("(8, 2)").Enter();
        Assert.Equal("let m = MultiheadAttention(8, 2)", Read(t, complete: Complete));
        var u = new ScriptedTerminal().Type("L").Press(ConsoleKey.Tab, '\t').Type("i").Press(ConsoleKey.Tab, '\t').Enter();
        Assert.Equal("Linear", Read(u, complete: Complete));
        Assert.Contains("\r\nLayerNorm  Linear\r\n", u.Written);
    }

    [Fact]
    public void A_line_wider_than_the_terminal_scrolls()
    {
        var t = new ScriptedTerminal { Width = 20 }.Type(new string('a', 30) + "b").Enter();
        Assert.Equal(new string('a', 30) + "b", Read(t));
        Assert.EndsWith("dsk> " + new string('a', 13) + "b\x1b[K\r\n", t.Written);
    }

    // ------------------------------------------------------------------ completion in a session

    private static ReplSession Session(params string[] submissions)
    {
        var session = new ReplSession(TextWriter.Null, TextWriter.Null, new ReplOptions());
        foreach (var s in submissions) session.Submit(s);
        return session;
    }

    private static IReadOnlyList<string> Candidates(ReplSession session, string line) => ReplCompleter.Complete(session, line, line.Length).Candidates;

    [Fact]
    public void Completion_offers_prelude_layers_variables_builtins_and_keywords()
    {
        using var session = Session("let xs = randn(2)", "const layers = 2");
        Assert.Equal(["MultiheadAttention"], Candidates(session, "let a = Multih"));
        Assert.Equal(["LayerNorm", "Linear"], Candidates(session, "L"));
        Assert.Contains("xs", Candidates(session, "x"));
        Assert.Contains("layers", Candidates(session, "la"));
        Assert.Contains("layer_norm", Candidates(session, "la"));
        Assert.Equal(["relu"], Candidates(session, "rel"));
        Assert.Contains("let", Candidates(session, "le"));
        Assert.Equal(8, ReplCompleter.Complete(session, "let a = Multih", 14).Start);
    }

    [Fact]
    public void Completion_after_a_dot_offers_methods_or_members()
    {
        using var session = Session("let x = randn(2, 3)", "let attn = MultiheadAttention(8, 2)");
        Assert.Equal(["reshape"], Candidates(session, "x.resh"));
        Assert.Contains("shape", Candidates(session, "x.sh"));
        Assert.Equal(["q_proj"], Candidates(session, "attn.q_"));
        Assert.Contains("heads", Candidates(session, "attn.h"));
    }

    [Fact]
    public void Completion_of_commands_and_their_arguments()
    {
        using var session = Session("let l = Linear(2, 2)");
        Assert.Equal([":params"], Candidates(session, ":pa"));
        Assert.Equal([":report", ":reset"], Candidates(session, ":re"));
        Assert.Equal(["l"], Candidates(session, ":params "));
        using (new CurrentFolder(DeepSeek.Lang.Tests.RepoPaths.Root))
        {
            Assert.Equal(["examples/"], Candidates(session, ":load exa"));
            Assert.Equal(["examples/fraud_gcn.dsk"], Candidates(session, ":load examples/fr"));
        }
    }

    // ------------------------------------------------------------------ previews

    [Fact]
    public void Previews_read_as_NumPy_prints_arrays()
    {
        using var floats = Tensor.FromArray(new float[] { 1.5f, -2.25f, 0.125f, 3f, 4f, -5f }, 2, 3);
        Assert.Equal("[[ 1.5000, -2.2500,  0.1250],\n [ 3.0000,  4.0000, -5.0000]]", TensorPreview.Format(floats));
        using var whole = Tensor.FromArray(new float[] { 1, 2, -3 }, 3);
        Assert.Equal("[ 1.,  2., -3.]", TensorPreview.Format(whole));
        using var small = Tensor.FromArray(new double[] { 1e-5, -2e-6 }, 2);
        Assert.Equal("[ 1.0000e-05, -2.0000e-06]", TensorPreview.Format(small));
        using var ints = Tensor.FromArray(new long[] { 1, 20, 300 }, 3);
        Assert.Equal("[  1,  20, 300]", TensorPreview.Format(ints));
        using var flags = Tensor.FromArray(new bool[] { true, false }, 2);
        Assert.Equal("[ true, false]", TensorPreview.Format(flags));
        using var scalar = Tensor.Scalar(2.5f);
        Assert.Equal("2.5000", TensorPreview.Format(scalar));
        using var special = Tensor.FromArray(new float[] { float.NaN, float.PositiveInfinity, 1 }, 3);
        Assert.Equal("[nan, inf,  1.]", TensorPreview.Format(special));
    }

    [Fact]
    public void Previews_of_three_axes_separate_the_matrices()
    {
        using var t = Tensor.FromArray(Enumerable.Range(0, 8).Select(i => (long)i).ToArray(), 2, 2, 2);
        Assert.Equal("[[[0, 1],\n  [2, 3]],\n\n [[4, 5],\n  [6, 7]]]", TensorPreview.Format(t));
    }

    [Fact]
    public void Large_tensors_are_cut_and_long_rows_wrapped()
    {
        using var big = Tensor.FromArray(Enumerable.Range(0, 1000).Select(i => (long)i).ToArray(), 1000);
        Assert.Equal("[  0,   1,   2, ..., 997, 998, 999]", TensorPreview.Format(big));
        using var row = Tensor.FromArray(Enumerable.Range(0, 40).Select(i => (long)i).ToArray(), 40);
        var lines = TensorPreview.Format(row).Split('\n');
        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.True(l.Length <= TensorPreview.LineWidth, l));
        Assert.StartsWith(" ", lines[1]);
    }
}
