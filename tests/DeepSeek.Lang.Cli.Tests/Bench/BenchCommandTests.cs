using System.Text.Json;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Bench;

/// <summary>
/// `dskc bench` on tiny models: the output's shape, the agreement of the engines, the errors. Timings are
/// never asserted (only that they are positive): the machine is shared.
/// </summary>
public sealed class BenchCommandTests : IDisposable
{
    private const string Source = """
        module Block(d: int, h: int) {
          up = Linear(d, h)
          down = Linear(h, d)
          norm = LayerNorm(d)
          forward(x: f32[B, T, d]) -> f32[B, T, d] {
            return norm(x + down(gelu(up(x))))
          }
        }

        module Noisy(d: int) {
          forward(x: f32[N, d]) -> f32[N, d] {
            return x * 2.0 + randn([N, d], seed: 7)
          }
        }

        model Tiny = Block(d: 16, h: 32)
        model Noise = Noisy(d: 3)
        """;

    private static readonly string[] JsonKeys =
    {
        "model", "dims", "iters", "eager_ms", "compiled_ms", "onnxruntime_ms", "compile_ms",
        "speedup_vs_eager", "speedup_vs_onnxruntime", "max_rel_error",
    };

    private readonly TempFolder _temp = new();

    private readonly string _dsk;

    public BenchCommandTests()
    {
        _dsk = _temp.Write("models.dsk", Source);
    }

    public void Dispose() => _temp.Dispose();

    private CliResult Bench(params string[] args) => CliRunner.Run(["bench", _dsk, .. args]);

    private static double Number(JsonElement e, string name) => e.GetProperty(name).GetDouble();

    [Fact]
    public void Profile_lists_the_compiled_engines_kernel_groups()
    {
        var json = Bench("--model", "Tiny", "--dim", "B=2", "--dim", "T=3", "--iters", "2", "--engines", "compiled", "--profile", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Out);
        var groups = doc.RootElement.GetProperty("profile").EnumerateArray().ToList();
        Assert.NotEmpty(groups);
        Assert.Contains(groups, g => g.GetProperty("kind").GetString() == "gemm" && g.GetProperty("ops").GetString()!.Contains("matmul", StringComparison.Ordinal));
        Assert.All(groups, g => Assert.True(g.GetProperty("ms").GetDouble() >= 0));

        var text = Bench("--model", "Tiny", "--dim", "B=2", "--dim", "T=3", "--iters", "2", "--engines", "compiled", "--profile");
        Assert.Contains("compiled engine, by kernel group (2 profiled runs)", text.Out, StringComparison.Ordinal);
        Assert.Contains("slowest steps", text.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_every_key_positive_times_and_the_engines_agree()
    {
        var result = Bench("--model", "Tiny", "--dim", "B=2", "--dim", "T=3", "--iters", "2", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        using var doc = JsonDocument.Parse(result.Out);   // exactly one JSON value: Parse rejects anything after it
        var root = doc.RootElement;
        foreach (var key in JsonKeys) Assert.True(root.TryGetProperty(key, out _), $"missing key {key}");
        Assert.Equal("Tiny", root.GetProperty("model").GetString());
        Assert.Equal(2, root.GetProperty("dims").GetProperty("B").GetInt64());
        Assert.Equal(3, root.GetProperty("dims").GetProperty("T").GetInt64());
        Assert.Equal(2, root.GetProperty("iters").GetInt32());
        foreach (var key in new[] { "eager_ms", "compiled_ms", "onnxruntime_ms", "compile_ms", "speedup_vs_eager", "speedup_vs_onnxruntime" })
            Assert.True(Number(root, key) > 0, key);
        var errors = root.GetProperty("max_rel_error");
        Assert.InRange(Number(errors, "compiled"), 0, 1e-4);
        Assert.InRange(Number(errors, "onnxruntime"), 0, 1e-4);
        Assert.Equal("eager", root.GetProperty("reference").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("onnxruntime_skipped").ValueKind);
    }

    [Fact]
    public void Text_output_is_a_table_with_a_row_per_engine()
    {
        var result = Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=2", "--iters", "2");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.Split('\n');
        Assert.Equal("model Tiny, dims B=1, T=2, seed 0, " + Threads(Environment.ProcessorCount), lines[0]);
        Assert.Matches(@"^engine\s+runs\s+median ms\s+min ms\s+vs compiled\s+max rel\. error$", lines[1]);
        Assert.Matches(@"^eager\s+2\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+x\s+reference$", lines[2]);
        Assert.Matches(@"^compiled\s+2\s+[0-9.]+\s+[0-9.]+\s+1\.00x\s+[0-9.]+e[-+][0-9]+$", lines[3]);
        Assert.Matches(@"^onnxruntime\s+2\s+[0-9.]+\s+[0-9.]+\s+[0-9.]+x\s+[0-9.]+e[-+][0-9]+$", lines[4]);
        Assert.StartsWith("compiled: plan and kernels built in ", lines[5]);
        Assert.StartsWith("onnxruntime: session created in ", lines[6]);
        // Columns line up: every row of the table is as long as the header or shorter only by trailing blanks.
        Assert.All(lines[2..5], l => Assert.Equal(lines[1].Length, l.Length));
    }

    private static string Threads(int n) => n == 1 ? "1 thread" : $"{n} threads";

    [Fact]
    public void Engines_not_asked_for_are_null()
    {
        var result = Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=2", "--iters", "1", "--engines", "compiled", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Out);
        var root = doc.RootElement;
        Assert.True(Number(root, "compiled_ms") > 0);
        Assert.True(Number(root, "compile_ms") > 0);
        foreach (var key in new[] { "eager_ms", "onnxruntime_ms", "speedup_vs_eager", "speedup_vs_onnxruntime", "reference" })
            Assert.Equal(JsonValueKind.Null, root.GetProperty(key).ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("max_rel_error").GetProperty("compiled").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("max_rel_error").GetProperty("onnxruntime").ValueKind);
    }

    [Fact]
    public void Without_eager_onnxruntime_is_compared_with_the_compiled_engine()
    {
        var result = Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=2", "--iters", "1", "--engines", "onnxruntime,compiled", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var doc = JsonDocument.Parse(result.Out);
        var root = doc.RootElement;
        Assert.Equal("compiled", root.GetProperty("reference").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("eager_ms").ValueKind);
        Assert.InRange(Number(root.GetProperty("max_rel_error"), "onnxruntime"), 0, 1e-4);
    }

    [Fact]
    public void Eager_runs_at_most_three_times_unless_told()
    {
        using (var doc = JsonDocument.Parse(Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=2", "--iters", "5", "--engines", "eager,compiled", "--json").Out))
        {
            Assert.Equal(3, doc.RootElement.GetProperty("runs").GetProperty("eager").GetInt32());
            Assert.Equal(5, doc.RootElement.GetProperty("runs").GetProperty("compiled").GetInt32());
        }
        using (var doc = JsonDocument.Parse(Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=2", "--iters", "2", "--eager-iters", "4", "--engines", "eager", "--json").Out))
            Assert.Equal(4, doc.RootElement.GetProperty("runs").GetProperty("eager").GetInt32());
    }

    [Fact]
    public void An_export_failure_skips_onnxruntime_and_says_why()
    {
        var json = Bench("--model", "Noise", "--dim", "N=4", "--iters", "1", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var doc = JsonDocument.Parse(json.Out);
        var root = doc.RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("onnxruntime_ms").ValueKind);
        Assert.Contains("DSK4101", root.GetProperty("onnxruntime_skipped").GetString());
        Assert.True(Number(root, "compiled_ms") > 0);
        Assert.True(Number(root, "eager_ms") > 0);

        var text = Bench("--model", "Noise", "--dim", "N=4", "--iters", "1");
        Assert.Equal(0, text.ExitCode);
        Assert.Matches(@"(?m)^onnxruntime\s+-\s+-\s+-\s+-\s+skipped$", text.Out);
        Assert.Contains("onnxruntime skipped: the ONNX export failed: error DSK4101: cannot export randn", text.Out);
    }

    [Theory]
    [InlineData(new[] { "--model", "Nope" }, "dskc: error: ", "has no model 'Nope'; its models are Tiny, Noise")]
    [InlineData(new[] { "--dim", "B=1" }, "dskc: error: ", "say which model to run with --model NAME")]
    [InlineData(new[] { "--model", "Tiny", "--dim", "B=0", "--dim", "T=1" }, "dskc: error: ", "--dim B=0: the size must be a positive integer")]
    [InlineData(new[] { "--model", "Tiny", "--dim", "Q=1" }, "dskc: error: ", "--dim Q=1: model Tiny has no dimension 'Q'; its dimensions are B, T")]
    [InlineData(new[] { "--model", "Tiny", "--dim", "B=1" }, "dskc: error: ", "dimension T of model Tiny is not bound; give it with --dim T=VALUE")]
    public void Bad_models_and_dims_are_one_error_line_and_exit_1(string[] args, string prefix, string message)
    {
        var result = Bench(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith(prefix, result.Error);
        Assert.Contains(message, result.Error);
        Assert.Single(result.ErrorLines);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("--iters", "0")]
    [InlineData("--warmup", "-1")]
    [InlineData("--threads", "0")]
    [InlineData("--engines", "gpu")]
    [InlineData("--engines", ",")]
    public void Bad_bench_options_are_usage_errors(string option, string value)
    {
        var result = Bench("--model", "Tiny", "--dim", "B=1", "--dim", "T=1", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("dskc: error: ", result.Error);
        Assert.Equal("", result.Out);
    }
}
