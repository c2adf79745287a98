using Antlr4.Runtime;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// Lexes a whole file and prepares the token list the parser reads:
/// newlines inside parentheses or brackets are hidden (they do not end a statement there);
/// bad characters, unterminated strings and comments become diagnostics;
/// and bracket nesting deeper than <see cref="MaxNesting"/> is reported so that the recursive
/// parser never sees it.
/// </summary>
internal static class TokenScanner
{
    public const int MaxNesting = 200;

    public sealed class Result
    {
        public Result(List<IToken> tokens, bool tooDeep)
        {
            Tokens = tokens;
            TooDeep = tooDeep;
        }

        public List<IToken> Tokens { get; }

        public bool TooDeep { get; }
    }

    public static Result Scan(SourceText source, DiagnosticBag diagnostics)
    {
        var lexer = new DskLexer(new AntlrInputStream(source.Text));
        lexer.RemoveErrorListeners();
        var tokens = new List<IToken>();
        // Open brackets in order; a '{' or '}' or a statement keyword at the start of a line
        // cannot be inside brackets, so it closes whatever is still open (this keeps one missing
        // ')' from swallowing the rest of the file).
        int depth = 0;
        CommonToken? lastNewline = null;
        int lastLine = 0;
        bool tooDeep = false;
        int badStart = -1, badEnd = -1;

        void FlushBadCharacters()
        {
            if (badStart < 0) return;
            var span = TextSpan.FromBounds(badStart, badEnd);
            var text = source[span];
            diagnostics.Report(DiagnosticDescriptors.UnexpectedCharacter, new Location(source, span),
                text.Length == 1 ? Describe(text[0]) : $"sequence {Describe(text[0])}… ({text.Length} characters)");
            badStart = badEnd = -1;
        }

        while (true)
        {
            var token = (CommonToken)lexer.NextToken();
            int type = token.Type;
            if (type == DskLexer.BAD_CHARACTER)
            {
                if (badStart < 0) badStart = token.StartIndex;
                badEnd = token.StopIndex + 1;
                continue;
            }
            FlushBadCharacters();

            switch (type)
            {
                case DskLexer.UNTERMINATED_STRING:
                    diagnostics.Report(DiagnosticDescriptors.UnterminatedString, new Location(source, SpanOf(token)));
                    token.Type = DskLexer.STRING;
                    break;
                case DskLexer.UNTERMINATED_COMMENT:
                    diagnostics.Report(DiagnosticDescriptors.UnterminatedComment, new Location(source, new TextSpan(token.StartIndex, 2)));
                    break;
                case DskLexer.LPAREN:
                case DskLexer.LBRACK:
                    depth++;
                    if (depth > MaxNesting && !tooDeep)
                    {
                        tooDeep = true;
                        diagnostics.Report(DiagnosticDescriptors.NestingTooDeep, new Location(source, SpanOf(token)), depth, MaxNesting);
                    }
                    break;
                case DskLexer.RPAREN:
                case DskLexer.RBRACK:
                    if (depth > 0) depth--;
                    break;
                case DskLexer.LBRACE:
                case DskLexer.RBRACE:
                    depth = 0;
                    break;
                case DskLexer.NEWLINE:
                    if (depth > 0) token.Channel = Lexer.Hidden;
                    lastNewline = token;
                    break;
                default:
                    if (depth > 0 && token.Line != lastLine && StartsStatement(type))
                    {
                        depth = 0;
                        if (lastNewline != null) lastNewline.Channel = Lexer.DefaultTokenChannel;
                    }
                    break;
            }

            if (token.Channel == Lexer.DefaultTokenChannel && type != DskLexer.NEWLINE) lastLine = token.Line;
            tokens.Add(token);
            if (type == TokenConstants.EOF) break;
        }
        return new Result(tokens, tooDeep);
    }

    public static TextSpan SpanOf(IToken token) =>
        token.Type == TokenConstants.EOF
            ? new TextSpan(Math.Max(0, token.StartIndex), 0)
            : TextSpan.FromBounds(token.StartIndex, token.StopIndex + 1);

    /// <summary>Keywords that can only begin a statement, member or item, never appear inside brackets.</summary>
    private static bool StartsStatement(int type) => type switch
    {
        DskLexer.LET or DskLexer.RETURN or DskLexer.ASSERT or DskLexer.FOR or DskLexer.PARAM or DskLexer.BUFFER
            or DskLexer.FORWARD or DskLexer.MODULE or DskLexer.MODEL or DskLexer.PLAN or DskLexer.IMPORT
            or DskLexer.CONST => true,
        _ => false,
    };

    private static string Describe(char c) =>
        c < 0x20 || c == 0x7F || char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD'
            ? $"U+{(int)c:X4}"
            : $"'{c}'";
}
