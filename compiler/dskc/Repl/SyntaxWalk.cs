using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>What the REPL needs to know about a statement before it compiles it.</summary>
internal static class SyntaxWalk
{
    /// <summary>Every expression in a statement, nested ones included, outermost first.</summary>
    public static IEnumerable<ExpressionSyntax> Expressions(StatementSyntax statement)
    {
        var roots = statement switch
        {
            LetStatement l => new[] { l.Value },
            AssignStatement a => new[] { a.Value },
            ExpressionStatement e => new[] { e.Expression },
            ReturnStatement r => new[] { r.Value },
            AssertStatement a => a.Message != null ? new[] { a.Condition, a.Message } : new[] { a.Condition },
            ForStatement f => f.RangeEnd != null ? new[] { f.Source, f.RangeEnd } : new[] { f.Source },
            IfStatement i => new[] { i.Condition },
            _ => Array.Empty<ExpressionSyntax>(),
        };
        foreach (var root in roots)
            foreach (var e in Expressions(root)) yield return e;
        foreach (var inner in Blocks(statement).SelectMany(b => b.Statements))
            foreach (var e in Expressions(inner)) yield return e;
    }

    public static IEnumerable<ExpressionSyntax> Expressions(ExpressionSyntax expression)
    {
        yield return expression;
        IEnumerable<ExpressionSyntax> children = expression switch
        {
            UnaryExpression u => new[] { u.Operand },
            BinaryExpression b => new[] { b.Left, b.Right },
            CallExpression c => new[] { c.Callee }.Concat(c.Arguments.Select(a => a.Value)),
            MemberExpression m => new[] { m.Target },
            IndexExpression i => new[] { i.Target }.Concat(i.Items.SelectMany(IndexParts)),
            TupleExpression t => t.Elements,
            ListExpression l => l.Elements,
            _ => Array.Empty<ExpressionSyntax>(),
        };
        foreach (var child in children)
            foreach (var e in Expressions(child)) yield return e;
    }

    private static IEnumerable<ExpressionSyntax> IndexParts(IndexItemSyntax item) => item switch
    {
        ExpressionIndex e => new[] { e.Expression },
        SliceIndex s => new[] { s.Start, s.Stop, s.Step }.Where(x => x != null).Select(x => x!),
        _ => Array.Empty<ExpressionSyntax>(),
    };

    /// <summary>The blocks directly inside a statement (a loop's body, an if's branches).</summary>
    public static IEnumerable<BlockSyntax> Blocks(StatementSyntax statement)
    {
        switch (statement)
        {
            case ForStatement f:
                yield return f.Body;
                break;
            case IfStatement i:
                for (var branch = i; branch != null; branch = branch.ElseIf)
                {
                    yield return branch.Then;
                    if (branch.Else != null) yield return branch.Else;
                }
                break;
        }
    }

    /// <summary>Names re-bound with <c>x = ...</c> anywhere in a statement.</summary>
    public static IEnumerable<string> AssignedNames(StatementSyntax statement)
    {
        if (statement is AssignStatement a)
            foreach (var t in a.Targets) yield return t.Text;
        foreach (var inner in Blocks(statement).SelectMany(b => b.Statements))
            foreach (var name in AssignedNames(inner)) yield return name;
    }
}
