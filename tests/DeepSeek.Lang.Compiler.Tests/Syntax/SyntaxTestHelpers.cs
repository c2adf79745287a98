using System.Text;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

internal static class SyntaxTestHelpers
{
    /// <summary>Parses text that must have no diagnostics at all.</summary>
    public static CompilationUnit ParseClean(string text)
    {
        var tree = SyntaxTree.Parse(text, "test.dsk");
        Assert.True(tree.Diagnostics.IsEmpty, "unexpected diagnostics:\n" + string.Join("\n", tree.Diagnostics));
        return tree.Root;
    }

    /// <summary>The statements of the forward of a module whose body is <paramref name="body"/>.</summary>
    public static IReadOnlyList<StatementSyntax> Statements(string body)
    {
        var unit = ParseClean($"module M(d: int) {{\n  forward(x: f32[N, d]) -> f32[N, d] {{\n{body}\n  }}\n}}\n");
        var module = Assert.IsType<ModuleDeclaration>(Assert.Single(unit.Items));
        return Assert.IsType<ForwardDeclaration>(Assert.Single(module.Body.Members)).Body.Statements;
    }

    /// <summary>The expression of <c>const x = text</c>.</summary>
    public static ExpressionSyntax Expression(string text) =>
        Assert.IsType<ConstDeclaration>(Assert.Single(ParseClean($"const x = {text}\n").Items)).Value;

    /// <summary>An expression in prefix form with every operator explicit: <c>-x ** 2</c> is <c>(neg (** x 2))</c>.</summary>
    public static string Sexpr(ExpressionSyntax e) => e switch
    {
        NameExpression n => n.Name.Text,
        IntegerLiteral i => i.Text,
        FloatLiteral f => f.Text,
        StringLiteral s => s.Text,
        BoolLiteral b => b.Value ? "true" : "false",
        NoneLiteral => "None",
        UnaryExpression u => $"({u.Operator switch { UnaryOperator.Negate => "neg", UnaryOperator.Plus => "pos", _ => "not" }} {Sexpr(u.Operand)})",
        BinaryExpression b => $"({SyntaxPrinter.OperatorText(b.Operator)} {Sexpr(b.Left)} {Sexpr(b.Right)})",
        CallExpression c => $"(call {Sexpr(c.Callee)}{string.Concat(c.Arguments.Select(a => " " + (a.Name is { } n ? n.Text + ":" : "") + Sexpr(a.Value)))})",
        MemberExpression m => $"(. {Sexpr(m.Target)} {m.Member.Text})",
        IndexExpression ix => $"(index {Sexpr(ix.Target)}{string.Concat(ix.Items.Select(i => " " + Item(i)))})",
        TupleExpression t => $"(tuple{string.Concat(t.Elements.Select(x => " " + Sexpr(x)))})",
        ListExpression l => $"(list{string.Concat(l.Elements.Select(x => " " + Sexpr(x)))})",
        ErrorExpression => "<error>",
        _ => e.GetType().Name,
    };

    private static string Item(IndexItemSyntax item) => item switch
    {
        EllipsisIndex => "...",
        ExpressionIndex e => Sexpr(e.Expression),
        SliceIndex s => $"(slice {Part(s.Start)} {Part(s.Stop)} {Part(s.Step)})",
        _ => "?",
    };

    private static string Part(ExpressionSyntax? e) => e == null ? "_" : Sexpr(e);

    /// <summary>The comments of a trivia as text lines, leading then trailing.</summary>
    public static string Comments(Trivia trivia)
    {
        var sb = new StringBuilder();
        foreach (var c in trivia.Leading) sb.Append("leading ").Append(c.Text).Append('\n');
        if (trivia.Trailing != null) sb.Append("trailing ").Append(trivia.Trailing.Text).Append('\n');
        return sb.ToString();
    }
}
