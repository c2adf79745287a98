using System.Collections.Immutable;
using CsCheck;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Compiled;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Tests.Compiled;

/// <summary>Random graphs of elementwise, broadcast and reduction ops give the same result fused, unfused and eager.</summary>
public class FusionPropertyTests
{
    private const int Rows = 6;
    private const int Cols = 20;

    /// <summary>A program: each step picks an op and operands among the values made so far.</summary>
    private sealed record Step(int Op, int A, int B);

    private static readonly string[] Unary = { "tanh", "sigmoid", "relu", "neg", "abs" };
    private static readonly string[] Binary = { "add", "sub", "mul", "maximum", "minimum" };

    [Fact]
    public void Fused_and_unfused_and_eager_agree_on_random_graphs()
    {
        var program = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 100], Gen.Int[0, 100], (op, a, b) => new Step(op, a, b)).Array[2, 14];
        program.Sample(steps =>
        {
            var graph = Build(steps);
            var x = TestUtil.RandomF32(1, "x", Rows, Cols);
            var y = TestUtil.RandomF32(2, "y", Cols);
            var z = TestUtil.RandomF32(3, "z", Rows, 1);
            var inputs = new Dictionary<string, Tensor> { ["x"] = x, ["y"] = y, ["z"] = z };
            using var weights = WeightSet.Initialize(graph, 0);
            using var expected = new EagerInterpreter(graph).Run(inputs, weights);
            foreach (bool fuse in new[] { true, false })
            {
                using var executor = CompiledExecutor.Build(graph, weights, fuse);
                using var actual = executor.Run(inputs);
                var error = TestUtil.RelativeError(actual.Output.ToDoubleArray(), expected.Output.ToDoubleArray());
                if (!(error <= 1e-5)) throw new Exception($"fuse={fuse}: relative error {error:E2}\n{IrPrinter.Print(graph)}");
            }
            foreach (var t in inputs.Values) t.Dispose();
        }, iter: 60, seed: "0N0XIzNsQ0O2");
    }

    /// <summary>
    /// Ops 0–4 unary, 5–7 binary with NumPy broadcasting among [R, C], [C] and [R, 1] values, 8 a
    /// keepdim reduction (sum, mean or max) over rows or the whole tensor, 9 a softmax over rows. Magnitudes stay modest.
    /// </summary>
    private static Graph Build(Step[] steps)
    {
        var b = new GraphBuilder("random");
        var values = new List<Value>
        {
            b.AddInput("x", new TensorType(DType.F32, Shape.Of(Rows, Cols))),
            b.AddInput("y", new TensorType(DType.F32, Shape.Of(Cols))),
            b.AddInput("z", new TensorType(DType.F32, Shape.Of(Rows, 1))),
        };
        foreach (var s in steps)
        {
            var a = values[s.A % values.Count];
            Value result;
            if (s.Op <= 4)
            {
                result = b.Apply(Ops.Find(Unary[s.Op])!, a);
            }
            else if (s.Op <= 7)
            {
                var other = values[s.B % values.Count];
                result = b.Apply(Ops.Find(Binary[(s.Op - 5 + s.B) % Binary.Length])!, a, other);
                result = b.Apply(Ops.Tanh, result);
            }
            else if (s.Op == 8 && a.Type.Rank == 2)
            {
                var op = new[] { Ops.Sum, Ops.Mean, Ops.Max }[s.B % 3];
                var axes = s.B % 6 < 3 ? ImmutableArray.Create(1L) : ImmutableArray.Create(0L, 1L); // a row, or the whole tensor
                result = b.Apply(op, Attributes.Of(("axes", axes), ("keepdim", true)), a);
                if (op == Ops.Sum) result = b.Apply(Ops.Tanh, result);
            }
            else
            {
                result = b.Apply(Ops.Softmax, Attributes.Of(("axis", -1L)), a);
            }
            values.Add(result);
        }
        // The output mixes the last value with x so that it has the full [R, C] shape.
        var last = values[values.Count - 1];
        b.AddOutput("output", b.Apply(Ops.Add, values[0], last));
        return b.ToGraph();
    }
}
