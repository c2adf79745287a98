using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Compiler.Tests.Semantics;

/// <summary>Correct programs give no diagnostics: every prelude layer at several sizes, and every example.</summary>
public class CorrectProgramsTests
{
    public static readonly TheoryData<string> PreludeInstances = new()
    {
        "Linear(16, 8)", "Linear(7, 3, bias: false)",
        "Embedding(100, 16)", "LayerNorm(16)", "RMSNorm(24, eps: 1e-5)", "Dropout(0.1)",
        "FeedForward(16, 64)", "FeedForward(8, 12, activation: \"silu\", bias: false)",
        "SwiGLU(16, 40)", "RotaryEmbedding(8)", "RotaryEmbedding(16, base: 500000.0)",
        "MultiheadAttention(32, 4)", "MultiheadAttention(48, 6, kv_heads: 2, causal: true, rotary: true)",
        "MultiheadAttention(64, 8, head_dim: 16, bias: false)",
        "TransformerBlock(32, 4, 64)", "TransformerBlock(32, 8, 96, kv_heads: 2, norm: \"rms\", activation: \"swiglu\", rotary: true)",
        "MoE(16, 32, 4)", "MoE(16, 24, 8, top_k: 3, shared: 2, score: \"sigmoid\", selection_bias: true, scale: 2.5, capacity: 0)",
        "CrossModalAttention(24, 40)", "CrossModalAttention(24, 40, d: 64, heads: 4)",
        "GraphConv(12, 16)", "GraphConv(5, 3, bias: false)", "SAGEConv(12, 16)", "GATConv(12, 8, heads: 2)", "GATConv(4, 4)",
    };

    [Theory]
    [MemberData(nameof(PreludeInstances))]
    public void Every_prelude_layer_checks_clean_at_several_sizes(string instance)
    {
        var diagnostics = Compile.Diagnostics($"model Layer = {instance}\n");
        Assert.Empty(diagnostics);
        var graph = Compile.Graph($"model Layer = {instance}\n");
        Assert.Empty(DeepSeek.Lang.Compiler.IR.IrVerifier.Verify(graph));
    }

    [Fact]
    public void Every_example_checks_clean()
    {
        foreach (var path in Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples"), "*.dsk"))
        {
            var compilation = Compilation.Create(DeepSeek.Lang.Compiler.Imports.SourceLoader.Load(new[] { path }));
            Assert.True(compilation.Diagnostics.IsEmpty, path + ":\n" + string.Join("\n", compilation.Diagnostics));
        }
    }
}
