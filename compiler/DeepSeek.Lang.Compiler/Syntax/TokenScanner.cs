using Antlr4.Runtime;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// The token source the parser reads: the lexer's tokens, prepared as the grammar expects them.
/// <list type="bullet">
/// <item>Only tokens the parser reads come out: comments go to <see cref="Comments"/>, and line breaks
/// inside parentheses or brackets are dropped (they do not end a statement there).</item>
/// <item>A zero-width NEWLINE (see <see cref="IsVirtual"/>) comes before each '}' and before the end of
/// the file that no separator precedes, so that the grammar can require a separator after every
/// element of a list.</item>
/// <item>Bad characters, unterminated strings and comments become diagnostics.</item>
/// <item>Brackets and blocks nested deeper than <see cref="MaxNesting"/> are reported and the tokens
/// end there (<see cref="TooDeep"/>), so that the recursive parser, and every recursive stage after
/// it, never sees such nesting.</item>
/// </list>
/// It streams: a token is decided at most two tokens after it was lexed, so that the parser's
/// fast path need not keep the tokens of a whole file alive.
/// </summary>
internal sealed class TokenScanner : ITokenSource
{
    public const int MaxNesting = 200;

    /// <summary>Runs of bad characters reported at most; binary input would give thousands.</summary>
    public const int MaxBadCharacterReports = 50;

    private readonly SourceText _source;
    private readonly DiagnosticBag _diagnostics;
    private readonly DskLexer _lexer;
    private readonly Queue<IToken> _ready = new();

    // Brackets still open. A '{' or '}', a keyword that only starts a statement, or `name =` opening
    // a line cannot stand inside brackets, so it closes whatever is still open and the line break
    // before it counts again: one missing ')' does not swallow the lines after it.
    private int _depth;
    private int _blockDepth;
    private int _lastVisibleType = -1;
    private int _lastLine;
    private IToken? _heldNewline;   // a line break inside brackets, until the next line shows whether it counts
    private IToken? _heldName;      // the name that opens the line after _heldNewline, until we see whether '=' follows
    private int _badStart = -1;
    private int _badEnd = -1;
    private int _badRuns;
    private bool _done;

    public TokenScanner(SourceText source, DiagnosticBag diagnostics)
    {
        _source = source;
        _diagnostics = diagnostics;
        _lexer = new DskLexer(new AntlrInputStream(source.Text));
        _lexer.RemoveErrorListeners();
    }

    /// <summary>The comments seen so far, in order.</summary>
    public List<IToken> Comments { get; } = new();

    /// <summary>True once nesting deeper than <see cref="MaxNesting"/> was reported; the tokens ended there.</summary>
    public bool TooDeep { get; private set; }

    /// <summary>Scans a whole file (tests and tools; the parser pulls tokens through <see cref="NextToken"/>).</summary>
    public static List<IToken> ScanAll(SourceText source, DiagnosticBag diagnostics)
    {
        var scanner = new TokenScanner(source, diagnostics);
        var tokens = new List<IToken>();
        IToken token;
        do
        {
            token = scanner.NextToken();
            tokens.Add(token);
        }
        while (token.Type != TokenConstants.EOF);
        return tokens;
    }

    public IToken NextToken()
    {
        while (_ready.Count == 0) Advance();
        return _ready.Dequeue();
    }

    private void Advance()
    {
        if (_done)
        {
            _ready.Enqueue(_lexer.TokenFactory.Create(Tuple.Create((ITokenSource)_lexer, (ICharStream)_lexer.InputStream),
                TokenConstants.EOF, null, TokenConstants.DefaultChannel, _source.Length, _source.Length - 1, _lexer.Line, _lexer.Column));
            return;
        }

        var token = (CommonToken)_lexer.NextToken();
        int type = token.Type;
        if (type == DskLexer.BAD_CHARACTER)
        {
            if (_badStart < 0) _badStart = token.StartIndex;
            _badEnd = token.StopIndex + 1;
            return;
        }
        FlushBadCharacters();

        switch (type)
        {
            case DskLexer.LINE_COMMENT:
            case DskLexer.BLOCK_COMMENT:
                Comments.Add(token);
                return;
            case DskLexer.UNTERMINATED_COMMENT:
                _diagnostics.Report(DiagnosticDescriptors.UnterminatedComment, new Location(_source, new TextSpan(token.StartIndex, 2)));
                Comments.Add(token);
                return;
            case DskLexer.UNTERMINATED_STRING:
                _diagnostics.Report(DiagnosticDescriptors.UnterminatedString, new Location(_source, SpanOf(token)));
                token.Type = DskLexer.STRING;
                break;
        }

        // Decide what was held: the line break inside brackets, and the name opening the next line.
        if (_heldName != null)
        {
            var name = _heldName;
            _heldName = null;
            if (type == DskLexer.ASSIGN)
            {
                // `name =` never stands inside brackets (named arguments take ':'): it is the next statement.
                _depth = 0;
                EmitHeldNewline();
            }
            _heldNewline = null;
            Emit(name);
        }
        else if (_heldNewline != null && type != DskLexer.NEWLINE)
        {
            if (type is DskLexer.LBRACE or DskLexer.RBRACE or TokenConstants.EOF || StartsStatement(type))
            {
                EmitHeldNewline();
            }
            else if (type == DskLexer.IDENT && _depth > 0)
            {
                _heldName = token;
                return;
            }
            _heldNewline = null;
        }

        bool startsLine = token.Line != _lastLine;
        switch (type)
        {
            case DskLexer.NEWLINE:
                if (_depth > 0)
                {
                    _heldNewline = token;
                    return;
                }
                break;
            case DskLexer.LPAREN:
            case DskLexer.LBRACK:
                _depth++;
                if (!CheckNesting(token)) return;
                break;
            case DskLexer.RPAREN:
            case DskLexer.RBRACK:
                if (_depth > 0) _depth--;
                break;
            case DskLexer.LBRACE:
                _depth = 0;
                _blockDepth++;
                if (!CheckNesting(token)) return;
                break;
            case DskLexer.RBRACE:
                _depth = 0;
                if (_blockDepth > 0) _blockDepth--;
                AddVirtualNewline(token);
                break;
            case TokenConstants.EOF:
                _heldNewline = null;
                AddVirtualNewline(token);
                _done = true;
                break;
            default:
                if (_depth > 0 && startsLine && StartsStatement(type)) _depth = 0;
                break;
        }
        Emit(token);
    }

    private void Emit(IToken token)
    {
        _ready.Enqueue(token);
        _lastVisibleType = token.Type;
        if (token.Type != DskLexer.NEWLINE) _lastLine = token.Line;
    }

    private void EmitHeldNewline()
    {
        if (_heldNewline == null) return;
        _ready.Enqueue(_heldNewline);
        _lastVisibleType = DskLexer.NEWLINE;
        _heldNewline = null;
    }

    private void FlushBadCharacters()
    {
        if (_badStart < 0) return;
        var span = TextSpan.FromBounds(_badStart, _badEnd);
        _badStart = _badEnd = -1;
        if (++_badRuns > MaxBadCharacterReports)
        {
            if (_badRuns == MaxBadCharacterReports + 1)
                _diagnostics.Report(DiagnosticDescriptors.InvalidSyntax, new Location(_source, span),
                    $"too many unexpected characters ({MaxBadCharacterReports}); the rest are not reported (is this a .dsk file?)");
            return;
        }
        var text = _source[span];
        _diagnostics.Report(DiagnosticDescriptors.UnexpectedCharacter, new Location(_source, span),
            text.Length == 1 ? Describe(text[0]) : $"{Describe(text[0])} (and {text.Length - 1} more after it)");
    }

    /// <summary>False when the nesting is too deep: then the tokens end here.</summary>
    private bool CheckNesting(IToken token)
    {
        int nesting = _depth + _blockDepth;
        if (nesting <= MaxNesting) return true;
        TooDeep = true;
        _diagnostics.Report(DiagnosticDescriptors.NestingTooDeep, new Location(_source, SpanOf(token)), nesting, MaxNesting);
        _done = true;
        return false;
    }

    // The '}' or end of file ends the element before it as a line break would.
    private void AddVirtualNewline(IToken before)
    {
        if (_lastVisibleType is -1 or DskLexer.NEWLINE or DskLexer.SEMI or DskLexer.LBRACE) return;
        // The token source matters: ANTLR's recovery conjures missing tokens through it.
        var newline = new CommonToken(Tuple.Create(before.TokenSource, before.InputStream), DskLexer.NEWLINE,
            Lexer.DefaultTokenChannel, before.StartIndex, before.StartIndex - 1)
        {
            Line = before.Line,
            Column = before.Column,
            Text = "",
        };
        Emit(newline);
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

    // ------------------------------------------------------------------ ITokenSource

    public int Line => _lexer.Line;

    public int Column => _lexer.Column;

    public ICharStream InputStream => (ICharStream)_lexer.InputStream;

    public string SourceName => _source.Path;

    public ITokenFactory TokenFactory
    {
        get => _lexer.TokenFactory;
        set => _lexer.TokenFactory = value;
    }
}
