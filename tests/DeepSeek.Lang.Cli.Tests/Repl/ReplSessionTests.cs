using System.Text.RegularExpressions;
using DeepSeek.Lang.Cli.Repl;

namespace DeepSeek.Lang.Cli.Tests.Repl;

/// <summary>`dskc repl` with plain input: exit codes, options, cancellation, and what golden files cannot pin (timings).</summary>
[Collection(WorkingDirectoryCollection.Name)]
public sealed class ReplSessionTests
{
    private static (int ExitCode, string Transcript) Session(string input, params string[] arguments) => ReplGoldenTests.Session(input, arguments);

    [Fact]
    public void The_session_exits_0_at_the_end_of_the_input_even_after_errors()
    {
        var (exit, transcript) = Session("let x = nope\nlet y = 1 +\n:nothing\nlet z = 2\n");
        Assert.Equal(0, exit);
        Assert.Contains("error DSK1001: unknown name 'nope'", transcript);
        Assert.Contains("error DSK0001", transcript);
        Assert.Contains("error: unknown command ':nothing'", transcript);
        Assert.EndsWith("dsk> let z = 2\nz: int = 2\n", transcript);
    }

    [Fact]
    public void Quit_ends_the_session_before_the_rest_of_the_input()
    {
        var (exit, transcript) = Session("let a = 1\n:quit\nlet b = 2\n");
        Assert.Equal(0, exit);
        Assert.EndsWith("dsk> :quit\n", transcript);
        Assert.DoesNotContain("b: int", transcript);
    }

    [Fact]
    public void No_echo_prints_only_the_results()
    {
        var (_, transcript) = Session("let a = 1\n\nlet b = (a,\n  a + 1)\n", "--no-echo");
        Assert.Equal("a: int = 1\nb: (int, int) = (1, 2)\n", transcript);
    }

    [Fact]
    public void Files_on_the_command_line_are_loaded_first_and_dims_set()
    {
        var (exit, transcript) = Session(":dims\n:type Fraud\n", "examples/fraud_gcn.dsk", "--dim", "N=5", "--no-echo");
        Assert.Equal(0, exit);
        Assert.StartsWith("loaded examples/fraud_gcn.dsk\n", transcript);
        Assert.Contains("dims N=5\nmodel Fraud = FraudDetector()\n", transcript);
    }

    [Fact]
    public void A_bad_dim_option_is_a_usage_error()
    {
        var (exit, transcript) = Session("", "--dim", "B=zero");
        Assert.Equal(2, exit);
        Assert.StartsWith("dskc: error: --dim B=zero", transcript);
    }

    [Fact]
    public void The_seed_sets_weights_and_random_draws()
    {
        const string input = "randn(2)\nlet l = Linear(2, 1)\nl(ones(1, 2))\n";
        var (_, first) = Session(input, "--no-echo");
        var (_, again) = Session(input, "--no-echo");
        var (_, other) = Session(input, "--no-echo", "--seed", "3");
        Assert.Equal(first, again);
        var lines = first.Split('\n');
        var otherLines = other.Split('\n');
        Assert.NotEqual(lines[0], otherLines[0]);
        Assert.NotEqual(lines[^2], otherLines[^2]);
    }

    [Fact]
    public void An_instance_keeps_its_weights_between_statements()
    {
        var (_, transcript) = Session("let l = Linear(3, 2)\nlet x = ones(1, 3)\nl(x)\nl(x)\n", "--no-echo");
        var results = transcript.Split('\n').Where(line => line.StartsWith("f32[1, 2]", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, results.Count);
        Assert.Equal(results[0], results[1]);
    }

    [Fact]
    public void An_unclosed_brace_at_the_end_of_the_input_is_reported()
    {
        var (exit, transcript) = Session("module M(d: int) {\n  forward(x: f32[N, d]) {\n");
        Assert.Equal(0, exit);
        Assert.Contains("...>   forward(x: f32[N, d]) {\n<repl:1>", transcript);
        Assert.Contains("error DSK0001", transcript);
    }

    [Fact]
    public void Two_empty_lines_end_an_unfinished_input()
    {
        var (_, transcript) = Session("let a = (1,\n\n\nlet b = 2\n");
        Assert.Contains("error DSK0001", transcript);
        Assert.Contains("dsk> let b = 2\nb: int = 2\n", transcript);
    }

    [Fact]
    public void A_declaration_hides_a_variable_of_the_same_name()
    {
        var (_, transcript) = Session("let k = 3\nconst k = 4\nk\n", "--no-echo");
        Assert.Equal("k: int = 3\nk: int = 4\nint = 4\n", transcript);
    }

    [Fact]
    public void Calling_a_model_uses_the_weights_dskc_run_gives_it()
    {
        using var temp = new DeepSeek.Lang.Tests.TempFolder();
        var path = temp.Write("w.dsk", "module W(d: int) {\n  a = Linear(d, 3)\n  forward(x: f32[N, d]) -> f32[3, d] { return a.weight }\n}\nmodel MW = W(4)\n");
        var run = CliRunner.Run("run", path, "--dim", "N=1", "--engine", "eager", "--json", "--seed", "5");
        Assert.Equal(0, run.ExitCode);
        var first = System.Text.Json.JsonDocument.Parse(run.Out).RootElement.GetProperty("outputs")[0].GetProperty("first")
            .EnumerateArray().Take(4).Select(v => v.GetDouble().ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture).PadLeft(7));
        var (_, transcript) = Session($":load {path}\nMW(ones(1, 4))\n", "--no-echo", "--seed", "5");
        Assert.Contains("[[" + string.Join(", ", first) + "],\n", transcript);
    }

    [Fact]
    public void An_unknown_upper_case_name_is_taken_for_a_dim_without_a_size()
    {
        var (_, transcript) = Session("let n = 1\nzeros([B, 2])\n:dims B=3\nzeros([B, 2]).shape\n", "--no-echo");
        Assert.Contains("error DSK1001: unknown name 'B'; to use B as a size, give it one with :dims B=...", transcript);
        Assert.EndsWith("dims B=3\n(int, int) = (3, 2)\n", transcript);
    }

    [Fact]
    public void What_would_not_fit_in_memory_is_refused_before_it_is_made()
    {
        var (_, transcript) = Session("let l = Linear(1000000, 1000000)\nlet r = randn(1000000, 1000000)\nlet ok = 1\n", "--no-echo");
        Assert.Matches(new Regex(@"^error: the weights of Linear\(in_features: 1000000, out_features: 1000000, bias: true\) would take 3\.6 TiB of memory; the REPL makes at most [0-9.]+ [KMGT]iB at once \(half of this machine's memory\)\n" +
            @"error: this statement would take 3\.6 TiB of memory; .*\nok: int = 1\n$"), transcript);
    }

    [Fact]
    public void A_cancelled_statement_prints_cancelled_and_the_session_goes_on()
    {
        var output = new StringWriter { NewLine = "\n" };
        using var session = new ReplSession(output, output, new ReplOptions());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.True(session.Submit("let x = randn(3)", cancelled.Token));
        Assert.True(session.Submit("let y = 1"));
        Assert.Equal("cancelled\ny: int = 1\n", output.ToString());
        Assert.False(session.TryGetVariable("x", out _));
    }

    [Fact]
    public void Bench_times_both_engines_at_the_dims()
    {
        var (exit, transcript) = Session("let l = Linear(4, 2)\n:bench l\n:dims S=3\n:bench l\n", "--no-echo");
        Assert.Equal(0, exit);
        Assert.Contains("error: :bench runs l at the :dims; set S first, as in :dims S=4", transcript);
        Assert.Matches(new Regex(@"l  dims S=3  \(median of \d+ runs\)\n  compiled +[0-9.]+ m?s   \(plan built in [0-9.]+ m?s\)\n  eager +[0-9.]+ m?s\n  compiled is [0-9.]+x (faster|slower) than eager\n"), transcript);
    }

    [Theory]
    [InlineData("let x = 1", "let x = 1")]
    [InlineData(":help", ":help")]
    [InlineData("", null)]
    public void A_complete_first_line_is_submitted_at_once(string line, string? submitted) =>
        Assert.Equal(submitted, new PendingInput().Add(line));

    [Fact]
    public void An_open_bracket_waits_for_more_lines()
    {
        var pending = new PendingInput();
        Assert.Null(pending.Add("let x = f(1,"));
        Assert.False(pending.IsEmpty);
        Assert.Null(pending.Add(":not a command here"));
        Assert.Equal("let x = f(1,\n:not a command here\n  2)", pending.Add("  2)"));
        Assert.True(pending.IsEmpty);
    }
}
