using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

/// <summary>The compiler's API for REPLs: chained submissions, complete submissions, submission models.</summary>
public sealed class SubmissionTests
{
    private static SyntaxTree Tree(string text, string path) => SyntaxTree.Parse(text, path);

    private static Compilation Empty() => Compilation.Create(SourceLoader.LoadText("/mem/empty.dsk", "", new MemoryFileSystem()));

    [Theory]
    [InlineData("let x = 1", true)]
    [InlineData("", true)]
    [InlineData("let x = f(1,", false)]
    [InlineData("let x = f(1,\n  2)", true)]
    [InlineData("module M(d: int) {", false)]
    [InlineData("module M(d: int) {\n  forward(x: f32[N, d]) {\n    return x\n  }\n}", true)]
    [InlineData("let s = x[1:", false)]
    [InlineData("let s = \"(\" // (", true)]
    [InlineData("/* a comment that goes on", false)]
    [InlineData("/* a comment */ let x = 1", true)]
    [InlineData("let x = 1)", true)]
    public void A_submission_is_complete_when_its_brackets_and_comments_are_closed(string text, bool complete) =>
        Assert.Equal(complete, SyntaxFacts.IsCompleteSubmission(text));

    [Fact]
    public void Tokenize_names_the_kind_of_each_token_and_skips_blanks()
    {
        var tokens = SyntaxFacts.Tokenize("let x = f(2.5, \"s\") // c\n");
        Assert.Equal(
            ["Keyword let", "Identifier x", "Punctuation =", "Identifier f", "Punctuation (", "Number 2.5", "Punctuation ,", "String \"s\"", "Punctuation )", "Comment // c", "LineBreak \n"],
            tokens.Select(t => $"{t.Kind} {t.Text}"));
        Assert.Equal(4, tokens[1].Span.Start);
    }

    [Fact]
    public void A_later_submission_replaces_a_declaration_of_the_same_name()
    {
        var first = Empty().ContinueWith(Tree("const d = 4\nmodule M(n: int) {\n  forward(x: f32[N, n]) -> f32[N, n] {\n    return x\n  }\n}\nmodel A = M(d)\n", "<repl:1>"));
        Assert.Empty(first.Diagnostics);
        var second = first.ContinueWith(Tree("const d = 8\nmodel A = M(d)\n", "<repl:2>"));
        Assert.Empty(second.Diagnostics);
        var model = Assert.Single(second.Models);
        Assert.Equal("<repl:2>", model.Source.Path);
        Assert.Equal("f32[N, 8]", second.GetModel(model).Graph!.Inputs[0].Value.Type.ToString());
        // The first compilation is not changed.
        Assert.Equal("f32[N, 4]", first.GetModel(first.Models.Single()).Graph!.Inputs[0].Value.Type.ToString());
        Assert.Same(first, second.Previous);
    }

    [Fact]
    public void Within_one_submission_a_duplicate_is_still_an_error()
    {
        var c = Empty().ContinueWith(Tree("const d = 4\nconst d = 5\n", "<repl:1>"));
        Assert.Contains(c.Diagnostics, d => d.Code == "DSK1002");
    }

    [Fact]
    public void A_compilation_made_by_Create_stays_strict()
    {
        var c = Compile.Source("const d = 4\nconst d = 5\n");
        Assert.Contains(c.Diagnostics, d => d.Code == "DSK1002");
    }

    [Fact]
    public void A_module_can_replace_a_constant_of_an_earlier_submission()
    {
        var c = Empty().ContinueWith(Tree("const Block = 1\n", "<repl:1>"))
            .ContinueWith(Tree("module Block(d: int) {\n  forward(x: f32[N, d]) -> f32[N, d] {\n    return x\n  }\n}\n", "<repl:2>"));
        Assert.Empty(c.Diagnostics);
        Assert.False(c.Symbols.Consts.ContainsKey("Block"));
        Assert.True(c.Symbols.Modules.ContainsKey("Block"));
    }

    [Fact]
    public void A_submission_model_may_return_compile_time_values_and_tensors()
    {
        const string text = """
            module S() {
              forward(x: f32[2, 3]) {
                let n = x.shape[1] * 2
                return (n, x.shape, x + 1, "s")
              }
            }
            model Submission = S()
            """;
        var c = Empty().ContinueWith(Tree(text, "<repl:1>"));
        var result = c.ElaborateSubmission(c.Models.Single());
        Assert.Empty(result.Diagnostics);
        var tuple = Assert.IsType<TupleVal>(result.Result);
        Assert.Equal("int 6", tuple.Items[0].Describe());
        Assert.Equal("tuple of 2", tuple.Items[1].Describe());
        Assert.Equal("tensor f32[2, 3]", tuple.Items[2].Describe());
        Assert.Equal(["output0"], result.Graph!.Outputs.Select(o => o.Name));
        // As a model, the same forward is an error.
        Assert.Contains(c.GetModel(c.Models.Single()).Diagnostics, d => d.Code == "DSK2014");
    }
}
