using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Tests.IR;

public class GraphBuilderTests
{
    [Fact]
    public void Weight_names_under_a_module_are_its_own_in_order()
    {
        var b = new GraphBuilder("g");
        var t = TensorType.Scalar(DType.F32);
        foreach (var name in new[] { "blocks.1.w", "blocks.10.w", "blocks.1.attn.q.weight", "blocks.1x.w", "head.weight" })
            b.AddWeight(name, WeightKind.Param, t, Initializer.Zeros);
        Assert.Equal(new[] { "blocks.1.w", "blocks.1.attn.q.weight" }, b.WeightNamesUnder("blocks.1"));
        Assert.Equal(new[] { "blocks.1.attn.q.weight" }, b.WeightNamesUnder("blocks.1.attn"));
        Assert.Equal(4, b.WeightNamesUnder("blocks").Count());
        Assert.Empty(b.WeightNamesUnder("blocks.2"));
        Assert.Empty(b.WeightNamesUnder("head.weight"));
        Assert.Empty(b.WeightNamesUnder(""));
    }
}
