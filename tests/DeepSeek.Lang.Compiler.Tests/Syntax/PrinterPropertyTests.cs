using CsCheck;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

/// <summary>
/// Properties of the printer over generated expressions (CsCheck): whatever mix of operators,
/// prefixes, postfixes, parentheses and tuples an expression has, the printed text parses back to
/// the same tree, and printing that tree again gives the same text. This is what keeps the
/// printer's "parentheses only where precedence needs them" honest.
/// </summary>
public sealed class PrinterPropertyTests
{
    private static readonly Gen<string> Atom = Gen.OneOfConst("x", "y", "d", "0", "2", "0.5", "1e-5", "1_000", "true", "None", "\"s\"");

    private static readonly Gen<string> BinaryOperator = Gen.OneOfConst("+", "-", "*", "/", "%", "@", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or");

    // Operands are written fully parenthesised, so every tree shape is as likely as any other
    // ((a ** b) ** c as often as a ** (b ** c)); the printer must then decide which parentheses stay.
    private static Gen<string> Expression(int depth)
    {
        if (depth == 0) return Atom;
        var inner = Expression(depth - 1);
        return Gen.Frequency(
            (2, Atom),
            (6, Gen.Select(inner, BinaryOperator, inner, (a, op, b) => $"({a}) {op} ({b})")),
            (2, Gen.Select(Gen.OneOfConst("-", "+", "not "), inner, (op, a) => $"{op}({a})")),
            (1, Gen.Select(inner, inner, (a, b) => $"({a}, {b})")),
            (1, inner.Select(a => $"({a},)")),
            (1, Gen.Select(inner, inner, (a, b) => $"[{a}, {b}]")),
            (2, Gen.Select(inner, inner, (f, a) => $"({f})({a}, k: {a})")),
            (2, Gen.Select(inner, inner, (a, i) => $"({a})[{i}, :, 1:{i}:2, ..., None]")),
            (2, inner.Select(a => $"({a}).T.reshape(B * T, d)")));
    }

    [Fact]
    public void Printed_expressions_parse_back_to_the_same_tree()
    {
        Expression(4).Sample(text =>
        {
            var tree = SyntaxTree.Parse($"const c = {text}\n");
            if (tree.HasErrors) return true; // e.g. 'not' after a binary operator is not an operand; the parser says so
            var printed = SyntaxPrinter.Print(tree.Root);
            var reparsed = SyntaxTree.Parse(printed);
            return !reparsed.HasErrors
                   && SyntaxDump.Dump(reparsed.Root) == SyntaxDump.Dump(tree.Root)
                   && SyntaxPrinter.Print(reparsed.Root) == printed;
        }, iter: 2000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void The_generator_makes_mostly_valid_expressions()
    {
        // Guards the property above from passing vacuously.
        int valid = 0, total = 0;
        Expression(4).Sample(text =>
        {
            Interlocked.Increment(ref total);
            if (!SyntaxTree.Parse($"const c = {text}\n").HasErrors) Interlocked.Increment(ref valid);
        }, iter: 500, seed: "0N0XIzNsQ0O2", threads: 1);
        Assert.True(valid * 2 > total, $"only {valid} of {total} generated expressions parse");
    }
}
