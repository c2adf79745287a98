using Antlr4.Runtime;

namespace DeepSeek.Lang.Compiler.Syntax.Generated;

/// <summary>
/// Bounds the parser's recursion. The scanner bounds brackets and blocks, but prefix operators and
/// the right-associative <c>**</c> nest without brackets: a million unary minuses would recurse a
/// million rule calls deep and overflow any stack. Past <see cref="MaxRuleDepth"/> nested rule calls
/// the parse stops with <see cref="ParserTooDeepException"/>, which SyntaxTree reports as DSK0011.
/// </summary>
public partial class DskParser
{
    /// <summary>Far above what 200 levels of brackets and blocks need (a few rule calls each), far below a stack's limit.</summary>
    internal const int MaxRuleDepth = 5_000;

    private int _ruleDepth;

    public override void EnterRule(ParserRuleContext localctx, int state, int ruleIndex)
    {
        Deeper();
        base.EnterRule(localctx, state, ruleIndex);
    }

    public override void ExitRule()
    {
        _ruleDepth--;
        base.ExitRule();
    }

    public override void EnterRecursionRule(ParserRuleContext localctx, int state, int ruleIndex, int precedence)
    {
        Deeper();
        base.EnterRecursionRule(localctx, state, ruleIndex, precedence);
    }

    public override void UnrollRecursionContexts(ParserRuleContext _parentctx)
    {
        _ruleDepth--;
        base.UnrollRecursionContexts(_parentctx);
    }

    public override void Reset()
    {
        base.Reset();
        _ruleDepth = 0;
    }

    private void Deeper()
    {
        if (++_ruleDepth > MaxRuleDepth) throw new ParserTooDeepException(CurrentToken);
    }
}

/// <summary>Thrown past the parser's recursion bound; not a RecognitionException, so no rule recovers from it.</summary>
internal sealed class ParserTooDeepException : Exception
{
    public ParserTooDeepException(IToken at)
        : base("the parser's recursion bound was reached")
    {
        At = at;
    }

    public IToken At { get; }
}
