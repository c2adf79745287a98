using System.Text.Json;
using DeepSeek.Lang.Cli;
using DskcCli = DeepSeek.Lang.Cli.Cli;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary><c>dskc run</c> through <see cref="DskcCli.Run"/>, in process.</summary>
public sealed class RunCommandTests : IDisposable
{
    private const string Source = """
        module FraudDetector(features: int = 4, hidden: int = 8) {
          gcn        = GraphConv(features, hidden)
          classifier = Linear(hidden, 2)

          forward(x: f32[N, features], edges: i64[2, E]) -> f32[N, 2] {
            return classifier(relu(gcn(x, edges)))
          }
        }

        module Lm(vocab: int, d: int) {
          emb = Embedding(vocab, d)
          head = Linear(d, vocab)
          forward(ids: i64[B, T]) -> (f32[B, T, vocab], f32[B, T]) {
            let logits = head(emb(ids))
            return (logits, logits.max(axis: -1))
          }
        }

        model Fraud = FraudDetector()
        model Tiny = Lm(vocab: 11, d: 4)
        """;

    private readonly string _dir = TempDir("cli");

    private string Dsk => Path.Combine(_dir, "models.dsk");

    public RunCommandTests()
    {
        File.WriteAllText(Dsk, Source);
    }

    public void Dispose()
    {
        Directory.Delete(_dir, true);
    }

    private static (int Exit, string Out, string Err) Dskc(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = DskcCli.Run(args, new CliConsole(output, error));
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public void PrintsAStableReadableSummary()
    {
        var (exit, output, error) = Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=6", "--dim", "E=10");
        Assert.Equal("", error);
        Assert.Equal(0, exit);
        var lines = output.Split('\n');
        Assert.Equal("model Fraud (engine compiled, seed 0)", lines[0]);
        Assert.Equal("dims    E=10, N=6", lines[1]);
        Assert.Equal("inputs", lines[2]);
        Assert.Equal("  x      f32[6, 4]   random N(0, 1)", lines[3]);
        Assert.Equal("  edges  i64[2, 10]  random integers in [0, 6)", lines[4]);
        Assert.StartsWith("weights 4 tensors, 58 values, initialised with seed 0", lines[5]);
        Assert.Equal("output  f32[6, 2]", lines[6]);
        Assert.Matches(@"^  mean   -?[0-9.e-]+$", lines[7]);
        Assert.StartsWith("  std    ", lines[8]);
        Assert.StartsWith("  min    ", lines[9]);
        Assert.StartsWith("  max    ", lines[10]);
        Assert.Matches(@"^  first  \[(-?[0-9.e-]+, ){8}…\]$", lines[11]);
        // Same seed, same output; another seed, another output.
        Assert.Equal(output, Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=6", "--dim", "E=10").Out);
        Assert.NotEqual(output, Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=6", "--dim", "E=10", "--seed", "1").Out);
    }

    [Fact]
    public void JsonOutput()
    {
        var (exit, output, _) = Dskc("run", Dsk, "--model", "Tiny", "--dim", "B=2", "--dim", "T=3", "--json");
        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.Equal("Tiny", root.GetProperty("model").GetString());
        Assert.Equal(2, root.GetProperty("dims").GetProperty("B").GetInt64());
        var outputs = root.GetProperty("outputs");
        Assert.Equal(2, outputs.GetArrayLength());
        Assert.Equal("output0", outputs[0].GetProperty("name").GetString());
        Assert.Equal(new long[] { 2, 3, 11 }, outputs[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("output1", outputs[1].GetProperty("name").GetString());
        Assert.Equal(6, outputs[1].GetProperty("first").GetArrayLength());
        Assert.True(outputs[0].GetProperty("std").GetDouble() > 0);
    }

    [Fact]
    public void SavedFilesReadBackAndReproduceTheRun()
    {
        var save = Path.Combine(_dir, "saved");
        var first = Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=9", "--dim", "E=30", "--seed", "3", "--save", save);
        Assert.Equal(0, first.Exit);
        Assert.Contains("saved inputs, outputs and weights to " + save, first.Out);
        using var x = Npy.Read(Path.Combine(save, "x.npy"));
        using var edges = Npy.Read(Path.Combine(save, "edges.npy"));
        using var output = Npy.Read(Path.Combine(save, "output.npy"));
        Assert.Equal(new long[] { 9, 4 }, x.Shape.ToArray());
        Assert.Equal(new long[] { 9, 2 }, output.Shape.ToArray());
        var ids = edges.ToArray<long>();
        Assert.All(ids, v => Assert.InRange(v, 0, 8));          // edge indices below the node count
        Assert.True(ids.Distinct().Count() > 3);
        using var weights = WeightSet.Load(Path.Combine(save, "weights.safetensors"));
        Assert.Equal(new[] { "gcn.weight", "gcn.bias", "classifier.weight", "classifier.bias" }, weights.Names);

        // Running again from the saved inputs and weights, with another seed, gives the same output.
        var again = Path.Combine(_dir, "again");
        var second = Dskc("run", Dsk, "--model", "Fraud", "--seed", "99", "--input", "x=" + Path.Combine(save, "x.npy"),
            "--input", "edges=" + Path.Combine(save, "edges.npy"), "--weights", Path.Combine(save, "weights.safetensors"), "--save", again);
        Assert.Equal("", second.Err);
        Assert.Equal(0, second.Exit);
        Assert.Contains("x      f32[9, 4]   from " + Path.Combine(save, "x.npy"), second.Out);
        using var output2 = Npy.Read(Path.Combine(again, "output.npy"));
        Assert.True(output.AsBytes().SequenceEqual(output2.AsBytes()));
    }

    [Fact]
    public void TupleOutputsAreSavedOneFileEach()
    {
        var save = Path.Combine(_dir, "tuple");
        var (exit, output, _) = Dskc("run", Dsk, "--model", "Tiny", "--dim", "B=1", "--dim", "T=4", "--save", save);
        Assert.Equal(0, exit);
        Assert.Contains("output0  f32[1, 4, 11]", output);
        Assert.Contains("output1  f32[1, 4]", output);
        using var ids = Npy.Read(Path.Combine(save, "ids.npy"));
        Assert.All(ids.ToArray<long>(), v => Assert.InRange(v, 0, 10));   // token ids below the vocabulary
        Assert.True(File.Exists(Path.Combine(save, "output0.npy")));
        Assert.True(File.Exists(Path.Combine(save, "output1.npy")));
        Assert.False(File.Exists(Path.Combine(save, "output.npy")));
    }

    [Fact]
    public void WrongInputShapeIsOneClearLine()
    {
        var path = Path.Combine(_dir, "x.npy");
        using (var x = Tensor.Zeros(DType.F32, 5, 3)) Npy.Write(path, x);
        var (exit, output, error) = Dskc("run", Dsk, "--model", "Fraud", "--dim", "E=4", "--input", "x=" + path);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("dskc: error: input 'x': expected f32[5, 4], got f32[5, 3]: dimension 1 should be 4\n", error.Replace("\r", ""));

        using (var x = Tensor.Zeros(DType.F64, 5, 4)) Npy.Write(path, x);
        error = Dskc("run", Dsk, "--model", "Fraud", "--dim", "E=4", "--input", "x=" + path).Err;
        Assert.StartsWith("dskc: error: input 'x': expected f32[N, 4], got f64[5, 4]: the dtype should be f32", error);

        using (var x = Tensor.Zeros(DType.F32, 5, 4)) Npy.Write(path, x);
        error = Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=6", "--dim", "E=4", "--input", "x=" + path).Err;
        Assert.StartsWith("dskc: error: input 'x': expected f32[6, 4], got f32[5, 4]", error);
        Assert.Contains("N = 6 (--dim)", error);
    }

    [Theory]
    [InlineData(new[] { "--dim", "N=5" }, "dimension E of model Fraud is not bound; give it with --dim E=VALUE")]
    [InlineData(new string[0], "dimensions E, N of model Fraud are not bound; give them with --dim E=VALUE --dim N=VALUE")]
    [InlineData(new[] { "--dim", "N=0", "--dim", "E=2" }, "--dim N=0: the size must be a positive integer")]
    [InlineData(new[] { "--dim", "N=x", "--dim", "E=2" }, "--dim N=x: the size must be a positive integer")]
    [InlineData(new[] { "--dim", "N", "--dim", "E=2" }, "--dim N: expected NAME=VALUE")]
    [InlineData(new[] { "--dim", "Q=3" }, "--dim Q=3: model Fraud has no dimension 'Q'; its dimensions are E, N")]
    [InlineData(new[] { "--dim", "N=3", "--dim", "N=4" }, "--dim N is given twice, as 3 and 4")]
    [InlineData(new[] { "--dim", "N=3", "--dim", "E=3", "--input", "y=a.npy" }, "--input y=a.npy: model Fraud has no input 'y'; its inputs are x, edges")]
    [InlineData(new[] { "--dim", "N=3", "--dim", "E=3", "--input", "x=/nonexistent/a.npy" }, "cannot read '/nonexistent/a.npy'")]
    [InlineData(new[] { "--dim", "N=3", "--dim", "E=3", "--weights", "/nonexistent/w.safetensors" }, "cannot read '/nonexistent/w.safetensors'")]
    public void BadArgumentsAreErrorsWithExitCode1(string[] args, string message)
    {
        var (exit, output, error) = Dskc(new[] { "run", Dsk, "--model", "Fraud" }.Concat(args).ToArray());
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("dskc: error: " + message, error);
        Assert.DoesNotContain("   at ", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void ModelSelection()
    {
        var (exit, _, error) = Dskc("run", Dsk, "--dim", "N=3");
        Assert.Equal(1, exit);
        Assert.Contains("say which model to run with --model NAME", error);
        Assert.Contains("its models are Fraud, Tiny", error);
        (exit, _, error) = Dskc("run", Dsk, "--model", "Nope");
        Assert.Equal(1, exit);
        Assert.Contains("has no model 'Nope'; its models are Fraud, Tiny", error);
    }

    [Fact]
    public void CompileErrorsPrintDiagnosticsAndExit1()
    {
        var bad = Path.Combine(_dir, "bad.dsk");
        File.WriteAllText(bad, """
            module Bad(d: int) {
              forward(x: f32[N, d]) -> f32[N, d] {
                return x + x.reshape(d, N)
              }
            }
            model M = Bad(d: 3)
            """);
        var (exit, output, error) = Dskc("run", bad, "--model", "M", "--dim", "N=2");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Contains("error DSK2", error);
    }

    [Fact]
    public void UsageErrorsExit2()
    {
        Assert.Equal(2, Dskc("run", Dsk, "--model", "Fraud", "--engine", "turbo").Exit);
        Assert.Equal(2, Dskc("run", Dsk, "--bogus").Exit);
        Assert.Equal(2, Dskc("run").Exit);
        Assert.Equal(2, Dskc("run", Path.Combine(_dir, "missing.dsk")).Exit);
    }

    [Fact]
    public void WeightsThatDoNotFitNameTheTensor()
    {
        var path = Path.Combine(_dir, "w.safetensors");
        using (var w = new WeightSet())
        {
            w.Add("gcn.weight", Tensor.Zeros(DType.F32, 8, 5));
            w.Save(path);
        }
        var (exit, _, error) = Dskc("run", Dsk, "--model", "Fraud", "--dim", "N=3", "--dim", "E=3", "--weights", path);
        Assert.Equal(1, exit);
        Assert.Contains("'gcn.weight' is f32[8, 5], expected f32[8, 4]", error);
        Assert.Contains("'classifier.bias' is missing", error);
    }
}
