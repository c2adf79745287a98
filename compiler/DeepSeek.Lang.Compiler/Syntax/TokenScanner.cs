using Antlr4.Runtime;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// Lexes a whole file and prepares the token list the parser reads:
/// newlines inside parentheses or brackets are hidden (they do not end a statement there);
/// a zero-width NEWLINE (see <see cref="IsVirtual"/>) goes before each '}' and before the end of the
/// file that no separator precedes, so that the grammar can require a separator after every element
/// of a list;
/// bad characters, unterminated strings and comments become diagnostics;
/// and nesting of brackets and blocks deeper than <see cref="MaxNesting"/> is reported so that the
/// recursive parser (and every recursive stage after it) never sees it.
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
        // Brackets still open. A '{' or '}', a keyword that only starts a statement, or `name =` at
        // the start of a line cannot stand inside brackets, so it closes whatever is still open and
        // the line break before it counts again: one missing ')' does not swallow the lines after it.
        int depth = 0;
        int blockDepth = 0;
        int lastVisibleType = -1;
        CommonToken? lastNewline = null;
        CommonToken? newlineBeforeLineStartName = null;
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
            bool startsLine = token.Line != lastLine;

            switch (type)
            {
                case DskLexer.UNTERMINATED_STRING:
                    diagnostics.Report(DiagnosticDescriptors.UnterminatedString, new Location(source, SpanOf(token)));
                    token.Type = type = DskLexer.STRING;
                    break;
                case DskLexer.UNTERMINATED_COMMENT:
                    diagnostics.Report(DiagnosticDescriptors.UnterminatedComment, new Location(source, new TextSpan(token.StartIndex, 2)));
                    break;
                case DskLexer.LPAREN:
                case DskLexer.LBRACK:
                    depth++;
                    CheckNesting(token);
                    break;
                case DskLexer.RPAREN:
                case DskLexer.RBRACK:
                    if (depth > 0) depth--;
                    break;
                case DskLexer.LBRACE:
                    CloseBrackets(startsLine ? lastNewline : null);
                    blockDepth++;
                    CheckNesting(token);
                    break;
                case DskLexer.RBRACE:
                    CloseBrackets(startsLine ? lastNewline : null);
                    if (blockDepth > 0) blockDepth--;
                    AddVirtualNewline(token);
                    break;
                case TokenConstants.EOF:
                    AddVirtualNewline(token);
                    break;
                case DskLexer.NEWLINE:
                    if (depth > 0) token.Channel = Lexer.Hidden;
                    lastNewline = token;
                    break;
                case DskLexer.ASSIGN:
                    // '=' never stands inside brackets (named arguments take ':'): `name =` opening a
                    // line is the next statement or member.
                    if (depth > 0 && lastVisibleType == DskLexer.IDENT && newlineBeforeLineStartName != null)
                        CloseBrackets(newlineBeforeLineStartName, lineBreakIsLast: false);
                    break;
                default:
                    if (depth > 0 && startsLine && StartsStatement(type)) CloseBrackets(lastNewline);
                    break;
            }

            if (token.Channel == Lexer.DefaultTokenChannel && token.Type != TokenConstants.EOF)
            {
                newlineBeforeLineStartName = type == DskLexer.IDENT && startsLine ? lastNewline : null;
                lastVisibleType = type;
                if (type != DskLexer.NEWLINE) lastLine = token.Line;
            }
            tokens.Add(token);
            if (type == TokenConstants.EOF) break;
        }
        return new Result(tokens, tooDeep);

        // Forgets the brackets left open; the line break before the token that showed it ends the line again.
        void CloseBrackets(CommonToken? lineBreak, bool lineBreakIsLast = true)
        {
            if (depth == 0) return;
            depth = 0;
            if (lineBreak != null && lineBreak.Channel != Lexer.DefaultTokenChannel)
            {
                lineBreak.Channel = Lexer.DefaultTokenChannel;
                if (lineBreakIsLast) lastVisibleType = DskLexer.NEWLINE;
            }
        }

        void CheckNesting(IToken token)
        {
            int nesting = depth + blockDepth;
            if (nesting > MaxNesting && !tooDeep)
            {
                tooDeep = true;
                diagnostics.Report(DiagnosticDescriptors.NestingTooDeep, new Location(source, SpanOf(token)), nesting, MaxNesting);
            }
        }

        // The '}' or end of file ends the element before it as a line break would.
        void AddVirtualNewline(IToken before)
        {
            if (lastVisibleType is -1 or DskLexer.NEWLINE or DskLexer.SEMI or DskLexer.LBRACE) return;
            // The token source matters: ANTLR's recovery conjures missing tokens through it.
            var newline = new CommonToken(Tuple.Create(before.TokenSource, before.InputStream), DskLexer.NEWLINE,
                Lexer.DefaultTokenChannel, before.StartIndex, before.StartIndex - 1)
            {
                Line = before.Line,
                Column = before.Column,
                Text = "",
            };
            tokens.Add(newline);
            lastVisibleType = DskLexer.NEWLINE;
        }
    }

    /// <summary>True for the zero-width NEWLINE the scanner puts before '}' and the end of the file.</summary>
    public static bool IsVirtual(IToken token) => token.Type == DskLexer.NEWLINE && token.StopIndex < token.StartIndex;

    public static TextSpan SpanOf(IToken token) =>
        token.Type == TokenConstants.EOF
            ? new TextSpan(Math.Max(0, token.StartIndex), 0)
            : TextSpan.FromBounds(token.StartIndex, token.StopIndex + 1);

    /// <summary>Keywords that can only begin a statement, member or item, never appear inside brackets.</summary>
    private static bool StartsStatement(int type) => type switch
    {
        DskLexer.LET or DskLexer.RETURN or DskLexer.ASSERT or DskLexer.FOR or DskLexer.IF or DskLexer.PARAM or DskLexer.BUFFER
            or DskLexer.FORWARD or DskLexer.MODULE or DskLexer.MODEL or DskLexer.PLAN or DskLexer.IMPORT
            or DskLexer.CONST => true,
        _ => false,
    };

    private static string Describe(char c) =>
        c < 0x20 || c == 0x7F || char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD'
            ? $"U+{(int)c:X4}"
            : $"'{c}'";
}
