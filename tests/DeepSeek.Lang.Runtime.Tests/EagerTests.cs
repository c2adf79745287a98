using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

public class EagerTests
{
    private static RunResult Run(Graph graph, params (string Name, Tensor Value)[] inputs)
    {
        using var weights = WeightSet.Initialize(graph, 0);
        return new EagerInterpreter(graph).Run(inputs.ToDictionary(i => i.Name, i => i.Value), weights);
    }

    [Fact]
    public void RunsAGraphWrittenInIrText()
    {
        var graph = IrParser.Parse("""
            graph G(x: f32[B, 3], y: f32[3]) {
              %0 = add(%x, %y) : f32[B, 3]
              %1 = sum(%0) {axes=[1], keepdim=false} : f32[B]
              %2 = full() {dtype=f32, shape=<B,>, value=<B * 2>} : f32[B]
              %3 = mul(%1, %2) : f32[B]
              output output = %3
            }
            """);
        using var x = F32(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var y = F32(new float[] { 1, 1, 1 });
        using var r = Run(graph, ("x", x), ("y", y));
        Assert.Equal(2, r.Dims["B"]);
        Assert.Equal(new float[] { 9 * 4, 18 * 4 }, r.Output.ToArray<float>());
    }

    [Fact]
    public void SolvesADimWrittenAsAnExpression()
    {
        var graph = IrParser.Parse("""
            graph G(y: f32[T + 1]) {
              %0 = arange() {dtype=i64, start=<0>, stop=<T>, step=1} : i64[T]
              output output = %0
            }
            """);
        using var y = F32(new float[] { 0, 0, 0, 0 });
        using var r = Run(graph, ("y", y));
        Assert.Equal(3, r.Dims["T"]);
        Assert.Equal(new long[] { 0, 1, 2 }, r.Output.ToArray<long>());
    }

    [Fact]
    public void ChecksExpressionDimsAfterPlainNames()
    {
        // y's T + 1 comes first but is checked once x has bound T.
        var graph = IrParser.Parse("""
            graph G(y: f32[T + 1], x: f32[T]) {
              %0 = sum(%y) {axes=[0], keepdim=false} : f32[]
              output output = %0
            }
            """);
        using var x = F32(new float[] { 0, 0, 0 });
        using var good = F32(new float[] { 1, 2, 3, 4 });
        using var r = Run(graph, ("y", good), ("x", x));
        Assert.Equal(10f, r.Output.ToArray<float>()[0]);
        using var bad = F32(new float[] { 1, 2, 3 });
        var e = Assert.Throws<RuntimeError>(() => Run(graph, ("y", bad), ("x", x)));
        Assert.Contains("input 'y': expected f32[4], got f32[3]", e.Message);
    }

    [Fact]
    public void WrongInputsAreClearErrors()
    {
        var graph = IrParser.Parse("""
            graph G(x: f32[B, T, 512], m: f32[B, T]) {
              %0 = sum(%x) {axes=[2], keepdim=false} : f32[B, T]
              %1 = add(%0, %m) : f32[B, T]
              output output = %1
            }
            """);
        using var x = Tensor.Zeros(DType.F32, 2, 16, 512);
        using var wrong = Tensor.Zeros(DType.F32, 2, 16, 256);
        using var m = Tensor.Zeros(DType.F32, 2, 16);
        using var m3 = Tensor.Zeros(DType.F32, 3, 16);
        using var mi = Tensor.Zeros(DType.I64, 2, 16);
        using var rank = Tensor.Zeros(DType.F32, 2, 16, 1);

        var e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", wrong), ("m", m)));
        Assert.StartsWith("input 'x': expected f32[2, 16, 512], got f32[2, 16, 256]", e.Message);
        e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", x), ("m", m3)));
        Assert.StartsWith("input 'm': expected f32[2, 16], got f32[3, 16]", e.Message);
        Assert.Contains("B = 2 (input 'x')", e.Message);
        e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", x), ("m", mi)));
        Assert.StartsWith("input 'm': expected f32[2, 16], got i64[2, 16]", e.Message);
        e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", x), ("m", rank)));
        Assert.StartsWith("input 'm': expected f32[2, 16], got f32[2, 16, 1]", e.Message);
        e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", x)));
        Assert.StartsWith("missing input 'm' (f32[B, T])", e.Message);
        e = Assert.Throws<RuntimeError>(() => Run(graph, ("x", x), ("m", m), ("z", m)));
        Assert.Contains("no input 'z'", e.Message);
        using var weights = new WeightSet();
        e = Assert.Throws<RuntimeError>(() => new EagerInterpreter(graph).Run(new Dictionary<string, Tensor> { ["x"] = x, ["m"] = m }, weights,
            new Dictionary<string, long> { ["B"] = 3 }));
        Assert.StartsWith("input 'x': expected f32[3, T, 512], got f32[2, 16, 512]", e.Message);
    }

    [Fact]
    public void WeightsAreCheckedAgainstTheGraph()
    {
        var graph = Compile("model L = Linear(3, 2)", "L");
        using var x = Tensor.Zeros(DType.F32, 4, 3);
        using var weights = new WeightSet();
        weights.Add("weight", Tensor.Zeros(DType.F32, 2, 4));
        var e = Assert.Throws<RuntimeError>(() => new EagerInterpreter(graph).Run(new Dictionary<string, Tensor> { ["x"] = x }, weights));
        Assert.Contains("'weight' is f32[2, 4], expected f32[2, 3]", e.Message);
        Assert.Contains("'bias' is missing", e.Message);
    }

    [Fact]
    public void OutputsAreTheCallersOwnEvenForAnIdentityModel()
    {
        var graph = IrParser.Parse("""
            graph G(x: f32[2]) {
              output output0 = %x
              output output1 = %x
            }
            """);
        using var x = F32(new float[] { 1, 2 });
        var r = Run(graph, ("x", x));
        Assert.NotSame(x, r.Outputs[0].Tensor);
        Assert.NotSame(r.Outputs[0].Tensor, r.Outputs[1].Tensor);
        r.Dispose();
        Assert.False(x.IsDisposed);
        Assert.Equal(new float[] { 1, 2 }, x.ToArray<float>());
    }

    [Fact]
    public void RunsAModuleFromDsk()
    {
        var graph = Compile("""
            module Mlp(d: int, h: int) {
              up = Linear(d, h)
              down = Linear(h, d)
              forward(x: f32[B, d]) -> f32[B, d] {
                return down(relu(up(x))) + x
              }
            }
            model M = Mlp(d: 3, h: 5)
            """, "M");
        using var weights = WeightSet.Initialize(graph, 42);
        using var x = RandomF32(0, "x", 4, 3);
        using var r = new EagerInterpreter(graph).Run(new Dictionary<string, Tensor> { ["x"] = x }, weights);
        var xs = x.ToDoubleArray();
        var w1 = weights["up.weight"].ToDoubleArray();
        var b1 = weights["up.bias"].ToDoubleArray();
        var w2 = weights["down.weight"].ToDoubleArray();
        var b2 = weights["down.bias"].ToDoubleArray();
        var expected = new double[12];
        for (int i = 0; i < 4; i++)
        {
            var h = new double[5];
            for (int o = 0; o < 5; o++)
            {
                h[o] = b1[o];
                for (int q = 0; q < 3; q++) h[o] += xs[i * 3 + q] * w1[o * 3 + q];
                h[o] = Math.Max(0, h[o]);
            }
            for (int o = 0; o < 3; o++)
            {
                double y = b2[o] + xs[i * 3 + o];
                for (int q = 0; q < 5; q++) y += h[q] * w2[o * 5 + q];
                expected[i * 3 + o] = y;
            }
        }
        Assert.True(RelativeError(r.Output.ToDoubleArray(), expected) <= 1e-6);
    }

    [Theory]
    [InlineData("x[1]", new long[] { 4 }, new float[] { 4, 5, 6, 7 })]
    [InlineData("x[-1]", new long[] { 4 }, new float[] { 8, 9, 10, 11 })]
    [InlineData("x[:, 1:3]", new long[] { 3, 2 }, new float[] { 1, 2, 5, 6, 9, 10 })]
    [InlineData("x[:, -2:]", new long[] { 3, 2 }, new float[] { 2, 3, 6, 7, 10, 11 })]
    [InlineData("x[1:-1]", new long[] { 1, 4 }, new float[] { 4, 5, 6, 7 })]
    [InlineData("x[:, ::2]", new long[] { 3, 2 }, new float[] { 0, 2, 4, 6, 8, 10 })]
    [InlineData("x[..., None][:, 0]", new long[] { 3, 1 }, new float[] { 0, 4, 8 })]
    [InlineData("x.T[0]", new long[] { 3 }, new float[] { 0, 4, 8 })]
    [InlineData("x[None, 2, -1:]", new long[] { 1, 1 }, new float[] { 11 })]
    public void IndexingFollowsNumPy(string expression, long[] shape, float[] values)
    {
        var graph = Compile($$"""
            module S() {
              forward(x: f32[3, 4]) -> f32[*R] {
                return {{expression}}
              }
            }
            model M = S()
            """, "M");
        using var x = F32(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4);
        using var r = Run(graph, ("x", x));
        Assert.Equal(shape, r.Output.Shape);
        Assert.Equal(values, r.Output.ToArray<float>());
    }

    [Fact]
    public void IndexErrorsNameTheOpAndTheSourceLocation()
    {
        var graph = Compile("model E = Embedding(5, 2)", "E");
        using var ids = I64(new long[] { 1, 7 });
        var e = Assert.Throws<RuntimeError>(() => Run(graph, ("ids", ids)));
        Assert.Contains("index_select: index 7", e.Message);
        Assert.Contains("nn.dsk(", e.Message);
    }

    [Fact]
    public void PreludeModelsRun()
    {
        var graph = Compile("""
            module Tiny(vocab: int, d: int) {
              emb = Embedding(vocab, d)
              block = TransformerBlock(d, 4, 2 * d, kv_heads: 2, rotary: true, norm: "rms", activation: "swiglu")
              moe = MoE(d, d, 4, top_k: 2, shared: 1, score: "sigmoid", selection_bias: true, capacity: 0.0)
              cross = CrossModalAttention(d, 6, d: 8, heads: 2)
              gat = GATConv(d, 4, heads: 2)
              sage = SAGEConv(d, 8)
              forward(ids: i64[B, T], vision: f32[B, P, 6], edges: i64[2, E]) -> (f32[B, P, 8], f32[B * T, 8], f32[B * T, 8]) {
                let h = moe(block(emb(ids)))
                let flat = h.reshape(B * T, d)
                return (cross(h, vision), gat(flat, edges), sage(flat, edges))
              }
            }
            model M = Tiny(vocab: 20, d: 8)
            """, "M");
        using var ids = RandomInts(0, "ids", 20, 2, 5);
        using var vision = RandomF32(0, "vision", 2, 3, 6);
        using var edges = RandomInts(0, "edges", 10, 2, 17);
        using var r = Run(graph, ("ids", ids), ("vision", vision), ("edges", edges));
        Assert.Equal(new[] { "output0", "output1", "output2" }, r.Outputs.Select(o => o.Name));
        Assert.Equal(new long[] { 2, 3, 8 }, r.Outputs[0].Tensor.Shape);
        Assert.Equal(new long[] { 10, 8 }, r.Outputs[1].Tensor.Shape);
        foreach (var o in r.Outputs) Assert.All(o.Tensor.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
    }
}
