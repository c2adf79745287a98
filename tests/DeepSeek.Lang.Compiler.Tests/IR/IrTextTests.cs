using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Tests.IR;

public class IrTextTests
{
    private const string Moe = """
        module Expert(d: int, hidden: int) {
          up = Linear(d, hidden)
          down = Linear(hidden, d)
          forward(x: f32[N, d]) -> f32[N, d] {
            return down(gelu(up(x)))
          }
        }
        module SparseMoE(d: int, hidden: int, experts: int = 4, top_k: int = 2, capacity: float = 1.25) {
          gate = Linear(d, experts, bias: false)
          expert = Expert(d, hidden)[experts]
          forward(x: f32[B, T, d]) -> f32[B, T, d] {
            let h = x.reshape(B * T, d)
            return route(h, gate(h), expert, top_k: top_k, capacity: capacity).reshape(B, T, d)
          }
        }
        model Capacity = SparseMoE(d: 16, hidden: 32)
        model Dropless = SparseMoE(d: 16, hidden: 32, capacity: 0)
        """;

    [Theory]
    [InlineData("Capacity")]
    [InlineData("Dropless")]
    public void Printing_then_parsing_gives_the_same_text(string model)
    {
        var graph = Compile.Graph(Moe, model);
        var text = IrPrinter.Print(graph);
        var again = IrParser.Parse(text);
        Assert.Equal(text, IrPrinter.Print(again));
        Assert.Empty(IrVerifier.Verify(again));
    }

    [Fact]
    public void Capacity_routing_dispatches_into_a_fixed_expert_by_capacity_buffer()
    {
        var text = IrPrinter.Print(Compile.Graph(Moe, "Capacity"));
        // C = ceil(1.25 * 2 * N / 4) with N = B * T, written exactly.
        Assert.Contains("{shape=<4, (5 * B * T + 7) / 8, 16>} : f32[4, (5 * B * T + 7) / 8, 16]", text);
        Assert.Contains("stack(%expert.0.up.weight, %expert.1.up.weight, %expert.2.up.weight, %expert.3.up.weight) {axis=0} : f32[4, 32, 16] routed(0)", text);
        Assert.Contains("routing(top_k=2, experts=4, rows=<4 * ((5 * B * T + 7) / 8)>, useful=<2 * B * T>)", text);
    }

    [Fact]
    public void Dropless_routing_sorts_rows_by_expert_and_uses_grouped_products()
    {
        var graph = Compile.Graph(Moe, "Dropless");
        Assert.Equal(2, graph.Nodes.Count(n => n.Op == Ops.GroupedMatMul));
        var product = graph.Nodes.First(n => n.Op == Ops.GroupedMatMul);
        Assert.Equal("f32[2 * B * T, 32]", product.Output.Type.ToString());
        Assert.DoesNotContain(graph.Nodes, n => n.Op == Ops.Split);
    }

    [Fact]
    public void Parser_rejects_a_type_that_disagrees_with_the_op_rule()
    {
        var text = "graph G(x: f32[4, 8]) {\n  %0 = transpose(%x) {perm=[1, 0]} : f32[4, 8]\n  output output = %0\n}\n";
        var e = Assert.Throws<IrParseException>(() => IrParser.Parse(text));
        Assert.Contains("transpose gives f32[8, 4], but the text says f32[4, 8]", e.Message);
    }

    [Fact]
    public void Parser_reads_every_attribute_kind()
    {
        var text = "graph G(x: f32[B, 6]) {\n" +
                   "  %0 = reshape(%x) {shape=<2 * B, 3>} : f32[2 * B, 3]\n" +
                   "  %1 = full() {dtype=f32, shape=<>, value=<B>} : f32[]\n" +
                   "  %2 = clamp(%0) {max=1.5, min=-1.0} : f32[2 * B, 3]\n" +
                   "  %3 = slice(%2) {axes=[1], starts=<1,>, steps=[2], stops=<3,>} : f32[2 * B, 1]\n" +
                   "  output output = %3\n}\n";
        var g = IrParser.Parse(text);
        Assert.Equal(text, IrPrinter.Print(g));
        Assert.Equal(Dim.Var("B"), g.Nodes[1].Attributes.GetDim("value"));
        Assert.Equal(-1.0, g.Nodes[2].Attributes.GetFloat("min"));
    }

    [Fact]
    public void Verifier_reports_use_before_definition()
    {
        var b = new GraphBuilder("G");
        var x = b.AddInput("x", new TensorType(DType.F32, Shape.Of(2)));
        var orphan = b.NewValue(x.Type);
        b.AddTyped(Ops.Add, new[] { x, orphan }.ToImmutableArray(), Attributes.Empty, new[] { x.Type });
        var problems = IrVerifier.Verify(b.ToGraph());
        Assert.Contains(problems, p => p.Contains("before it is defined"));
    }
}
