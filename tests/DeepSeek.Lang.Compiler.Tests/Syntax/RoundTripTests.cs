using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

/// <summary>
/// Parse → print → parse gives the same AST (comments included) for every .dsk file in the
/// repository that parses without errors, and printing is idempotent.
/// </summary>
public sealed class RoundTripTests
{
    public static TheoryData<string> Corpus() => new(RepoPaths.DskFiles(RepoPaths.Root).Select(RepoPaths.Relative));

    [Fact]
    public void The_corpus_holds_the_examples_and_the_golden_inputs()
    {
        var corpus = RepoPaths.DskFiles(RepoPaths.Root).Select(RepoPaths.Relative).ToList();
        Assert.Contains("examples/cross_modal_attention.dsk", corpus);
        Assert.Contains("examples/sparse_moe.dsk", corpus);
        Assert.Contains("examples/fraud_gcn.dsk", corpus);
        Assert.Contains("tests/DeepSeek.Lang.Cli.Tests/Golden/fmt/messy.dsk", corpus);
        Assert.Contains("tests/DeepSeek.Lang.Cli.Tests/Golden/diagnostics/lib/layers.dsk", corpus);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Printing_keeps_the_tree_and_is_idempotent(string file)
    {
        var tree = SyntaxTree.Parse(File.ReadAllText(RepoPaths.Combine(file)), file);
        if (tree.HasErrors)
        {
            // Golden inputs with mistakes in them; the examples must parse.
            Assert.False(file.StartsWith("examples/", StringComparison.Ordinal), string.Join("\n", tree.Diagnostics));
            return;
        }

        var printed = SyntaxPrinter.Print(tree.Root);
        var reparsed = SyntaxTree.Parse(printed, file);
        Assert.True(reparsed.Diagnostics.IsEmpty, $"the printed text does not parse:\n{string.Join("\n", reparsed.Diagnostics)}\n{printed}");
        Assert.Equal(SyntaxDump.Dump(tree.Root), SyntaxDump.Dump(reparsed.Root));
        Assert.Equal(printed, SyntaxPrinter.Print(reparsed.Root));
    }

    [Theory]
    [InlineData("examples/cross_modal_attention.dsk")]
    [InlineData("examples/sparse_moe.dsk")]
    [InlineData("examples/fraud_gcn.dsk")]
    [InlineData("tests/DeepSeek.Lang.Cli.Tests/Golden/fmt/messy.formatted.dsk")]
    public void Canonical_files_print_as_they_are(string file)
    {
        var text = File.ReadAllText(RepoPaths.Combine(file));
        Assert.Equal(text, SyntaxPrinter.Print(SyntaxTree.Parse(text, file).Root));
    }

    [Fact]
    public void The_examples_define_the_seed_families_with_concrete_models()
    {
        var models = new Dictionary<string, string>();
        foreach (var file in RepoPaths.DskFiles("examples"))
        {
            foreach (var model in SyntaxTree.Parse(File.ReadAllText(file), file).Root.Items.OfType<ModelDeclaration>())
                models[model.Name.Text] = SyntaxPrinter.Print(model.Value);
        }
        Assert.Equal("CrossModalAttention(text_dim: 768, vision_dim: 1024)", models["CrossModal"]);
        Assert.Equal("SparseMoE(d: 512, hidden: 1024, experts: 8, top_k: 2)", models["SparseMoE8"]);
        Assert.Equal("FraudDetector()", models["Fraud"]);
    }
}
