using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

public class SyntaxPrinterTests
{
    private static string Format(string text)
    {
        var tree = SyntaxTree.Parse(text);
        Assert.False(tree.HasErrors, string.Join("\n", tree.Diagnostics));
        return SyntaxPrinter.Print(tree.Root);
    }

    [Fact]
    public void A_short_module_header_stays_on_one_line()
    {
        const string text = "module Block(d: int, heads: int = 8) {\n  param w: f32[d] = ones\n}\n";
        Assert.Equal(text, Format(text));
    }

    [Fact]
    public void A_module_header_over_the_width_puts_one_parameter_on_each_line()
    {
        var parameters = string.Join(", ", Enumerable.Range(0, 12).Select(i => $"parameter_{i}: int"));
        var formatted = Format($"module Wide({parameters}, eps: float = 1e-5) {{\n  param w: f32[parameter_0] = ones\n}}\n");
        var expected = "module Wide(\n"
            + string.Concat(Enumerable.Range(0, 12).Select(i => $"  parameter_{i}: int,\n"))
            + "  eps: float = 1e-5,\n"
            + ") {\n"
            + "  param w: f32[parameter_0] = ones\n"
            + "}\n";
        Assert.Equal(expected, formatted);
        Assert.Equal(formatted, Format(formatted));
        Assert.All(formatted.Split('\n'), line => Assert.True(line.Length <= SyntaxPrinter.MaxWidth, line));
    }
}
