using Antlr4.Runtime;
using Antlr4.Runtime.Misc;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// ANTLR's recovery (single-token insertion and deletion, then resynchronisation) with messages in a
/// user's words: "expected ')', found end of line" rather than raw token sets. At most one error is
/// kept per line, since a second one on the same line is almost always a cascade of the first.
/// </summary>
internal sealed class SyntaxErrorStrategy : DefaultErrorStrategy
{
    public const int MaxErrors = 50;

    private readonly SourceText _source;
    private readonly DiagnosticBag _diagnostics;
    private int _lastErrorLine = -1;
    private int _count;

    private readonly HashSet<int> _linesWithScannerErrors = new();

    public SyntaxErrorStrategy(SourceText source, DiagnosticBag diagnostics)
    {
        _source = source;
        _diagnostics = diagnostics;
        // A bad character or an unterminated string already explains what goes wrong on its line.
        foreach (var d in diagnostics)
            if (d.IsError) _linesWithScannerErrors.Add(d.Location.Start.Line);
    }

    protected override void ReportNoViableAlternative(Parser recognizer, NoViableAltException e) =>
        Report(recognizer, e.OffendingToken, recognizer.GetExpectedTokens());

    protected override void ReportInputMismatch(Parser recognizer, InputMismatchException e) =>
        Report(recognizer, e.OffendingToken, e.GetExpectedTokens());

    protected override void ReportFailedPredicate(Parser recognizer, FailedPredicateException e) =>
        Report(recognizer, e.OffendingToken, recognizer.GetExpectedTokens());

    protected override void ReportUnwantedToken(Parser recognizer)
    {
        if (InErrorRecoveryMode(recognizer)) return;
        BeginErrorCondition(recognizer);
        Report(recognizer, recognizer.CurrentToken, GetExpectedTokens(recognizer));
    }

    protected override void ReportMissingToken(Parser recognizer)
    {
        if (InErrorRecoveryMode(recognizer)) return;
        BeginErrorCondition(recognizer);
        Report(recognizer, recognizer.CurrentToken, GetExpectedTokens(recognizer));
    }

    private void Report(Parser recognizer, IToken found, IntervalSet expected)
    {
        var span = TokenScanner.SpanOf(found);
        var location = new Location(_source, span);
        int line = location.Start.Line;
        if (line == _lastErrorLine || _count > MaxErrors || _linesWithScannerErrors.Contains(line)) return;
        _lastErrorLine = line;
        _count++;
        if (_count > MaxErrors)
        {
            _diagnostics.Report(DiagnosticDescriptors.InvalidSyntax, location, $"too many syntax errors ({MaxErrors}); stopping here");
            return;
        }
        // Where ')' or ']' may close a list after an element, a ',' may go on with it: ANTLR's set
        // at the closing bracket no longer has the ',' of the list rule that just ended.
        if ((expected.Contains(DskLexer.RPAREN) || expected.Contains(DskLexer.RBRACK)) &&
            ((ITokenStream)recognizer.InputStream).LT(-1)?.Type is not (null or DskLexer.LPAREN or DskLexer.LBRACK or DskLexer.COMMA))
        {
            expected = new IntervalSet(expected);
            expected.Add(DskLexer.COMMA);
        }
        _diagnostics.Report(DiagnosticDescriptors.UnexpectedToken, location,
            SyntaxWords.DescribeExpected(expected, recognizer.Context), SyntaxWords.DescribeFound(found, _source));
    }

    /// <summary>
    /// In the loops of the list rules (file, module body, block, plan body) a token that can neither
    /// start an element nor end the list is reported and skipped up to the next separator, element or
    /// closing brace, and the loop goes on: ANTLR's default gives up on the whole list when this
    /// happens at the loop's entry, losing every error after it.
    /// </summary>
    public override void Sync(Parser recognizer)
    {
        int rule = recognizer.Context.RuleIndex;
        if (rule is not (DskParser.RULE_file or DskParser.RULE_memberList or DskParser.RULE_stmtList or DskParser.RULE_planEntries))
        {
            base.Sync(recognizer);
            return;
        }
        if (InErrorRecoveryMode(recognizer)) return;
        int la = ((ITokenStream)recognizer.InputStream).LA(1);
        if (recognizer.Atn.NextTokens(recognizer.Atn.states[recognizer.State]).Contains(la)) return;
        var expecting = recognizer.GetExpectedTokens();
        if (expecting.Contains(la)) return;
        ReportUnwantedToken(recognizer);
        ConsumeUntil(recognizer, expecting.Or(GetErrorRecoverySet(recognizer)));
    }

    /// <summary>
    /// Skips tokens up to one of <paramref name="set"/>, as ANTLR does, except that a '{' skipped on
    /// the way is skipped with everything up to its matching '}': recovery never stops inside a body
    /// it did not parse. So a typo in a module's header costs one error, not one for each line of the
    /// module's body.
    /// </summary>
    protected override void ConsumeUntil(Parser recognizer, IntervalSet set)
    {
        var tokens = (ITokenStream)recognizer.InputStream;
        int depth = 0;
        while (true)
        {
            int type = tokens.LA(1);
            if (type == TokenConstants.EOF) return;
            if (depth == 0 && set.Contains(type)) return;
            if (type == DskLexer.LBRACE) depth++;
            else if (type == DskLexer.RBRACE && depth > 0) depth--;
            recognizer.Consume();
        }
    }
}

/// <summary>Token sets and tokens in a user's words.</summary>
internal static class SyntaxWords
{
    private static readonly int[] ExpressionStarts =
    {
        DskLexer.IDENT, DskLexer.INT, DskLexer.FLOAT, DskLexer.STRING, DskLexer.LPAREN, DskLexer.LBRACK,
        DskLexer.MINUS, DskLexer.PLUS, DskLexer.NOT, DskLexer.TRUE, DskLexer.FALSE, DskLexer.NONE,
    };

    private static readonly int[] StatementKeywords = { DskLexer.LET, DskLexer.FOR, DskLexer.IF, DskLexer.ASSERT, DskLexer.RETURN };

    private static readonly int[] MemberKeywords = { DskLexer.PARAM, DskLexer.BUFFER, DskLexer.FORWARD, DskLexer.CONST };

    private static readonly int[] ItemKeywords = { DskLexer.IMPORT, DskLexer.CONST, DskLexer.MODULE, DskLexer.MODEL, DskLexer.PLAN };

    public static string DescribeExpected(IntervalSet expected, RuleContext? context)
    {
        var types = new HashSet<int>(expected.ToArray());
        var words = new List<string>();

        // Whole categories first, so "a statement" stands for a dozen token kinds.
        if (ContainsAll(types, StatementKeywords))
        {
            RemoveAll(types, StatementKeywords);
            RemoveAll(types, ExpressionStarts);
            words.Add("a statement");
        }
        if (ContainsAll(types, ItemKeywords))
        {
            RemoveAll(types, ItemKeywords);
            words.Add("a declaration (import, const, module, model or plan)");
        }
        if (ContainsAll(types, MemberKeywords))
        {
            RemoveAll(types, MemberKeywords);
            types.Remove(DskLexer.IDENT);
            types.Remove(DskLexer.IF);
            words.Add("a module member (sub-module, param, buffer, const or forward)");
        }
        if (types.Contains(DskLexer.INT) && types.Contains(DskLexer.IDENT) && types.Contains(DskLexer.LPAREN))
        {
            RemoveAll(types, ExpressionStarts);
            words.Add("an expression");
        }
        // A separator and the end of a block say the same thing to a user: this statement is over.
        bool endOfStatement = types.Remove(DskLexer.NEWLINE) | types.Remove(DskLexer.SEMI);
        if (words.Count > 0)
        {
            // "expected a statement or '}'" says it all; blank lines and the end of the file go without saying.
            types.Remove(TokenConstants.EOF);
        }
        else if (endOfStatement)
        {
            words.Add("end of line");
        }

        // Operators that could continue an expression are noise in "expected" lists.
        foreach (var op in new[]
                 {
                     DskLexer.PLUS, DskLexer.MINUS, DskLexer.STAR, DskLexer.SLASH, DskLexer.PERCENT, DskLexer.AT,
                     DskLexer.POW, DskLexer.EQ, DskLexer.NE, DskLexer.LT, DskLexer.LE, DskLexer.GT, DskLexer.GE,
                     DskLexer.AND, DskLexer.OR, DskLexer.DOT, DskLexer.LBRACK, DskLexer.LPAREN,
                 })
        {
            if (words.Count + types.Count > 1) types.Remove(op);
        }

        // Names and punctuation first, then opening and closing brackets: "',' or ')'", "':' or '{'".
        foreach (var t in types.OrderBy(BracketRank).ThenBy(t => t)) words.Add(DescribeType(t));
        if (words.Count == 0) return "something else";
        if (words.Count > 5) return ContextWord(context);
        if (words.Count == 1) return words[0];
        return string.Join(", ", words.Take(words.Count - 1)) + " or " + words[words.Count - 1];
    }

    public static string DescribeFound(IToken token, SourceText source)
    {
        switch (token.Type)
        {
            case TokenConstants.EOF: return "end of file";
            case DskLexer.NEWLINE when TokenScanner.IsVirtual(token):
                // The scanner's zero-width separator stands right before a '}' or the end of the file.
                return token.StartIndex >= 0 && token.StartIndex < source.Length ? $"'{source.Text[token.StartIndex]}'" : "end of file";
            case DskLexer.NEWLINE: return "end of line";
            case DskLexer.IDENT: return $"'{token.Text}'";
            case DskLexer.INT:
            case DskLexer.FLOAT: return $"number {token.Text}";
            case DskLexer.STRING: return "a string";
        }
        var text = token.Text ?? "";
        return IsKeyword(token.Type) ? $"keyword '{text}'" : $"'{text}'";
    }

    private static int BracketRank(int type) => type switch
    {
        DskLexer.LPAREN or DskLexer.LBRACK or DskLexer.LBRACE => 1,
        DskLexer.RPAREN or DskLexer.RBRACK or DskLexer.RBRACE => 2,
        _ => 0,
    };

    private static string DescribeType(int type) => type switch
    {
        TokenConstants.EOF => "end of file",
        DskLexer.IDENT => "a name",
        DskLexer.INT => "an integer",
        DskLexer.FLOAT => "a number",
        DskLexer.STRING => "a string",
        DskLexer.NEWLINE => "end of line",
        _ => DskLexer.DefaultVocabulary.GetLiteralName(type) ?? DskLexer.DefaultVocabulary.GetDisplayName(type),
    };

    private static string ContextWord(RuleContext? context)
    {
        for (var c = context; c != null; c = c.Parent)
        {
            switch (c.RuleIndex)
            {
                case DskParser.RULE_expr: return "an expression";
                case DskParser.RULE_typeRef:
                case DskParser.RULE_dim: return "a type";
                case DskParser.RULE_stmtList: return "a statement";
                case DskParser.RULE_memberList: return "a module member";
                case DskParser.RULE_planEntries: return "a plan entry (key: value or key { ... })";
                case DskParser.RULE_file: return "a declaration (import, const, module, model or plan)";
            }
        }
        return "something else";
    }

    private static bool IsKeyword(int type) => type >= DskLexer.IMPORT && type <= DskLexer.NONE;

    private static bool ContainsAll(HashSet<int> set, int[] items) => items.All(set.Contains);

    private static void RemoveAll(HashSet<int> set, int[] items)
    {
        foreach (var i in items) set.Remove(i);
    }
}
