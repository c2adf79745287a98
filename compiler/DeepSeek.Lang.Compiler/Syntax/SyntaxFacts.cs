using System.Collections.Immutable;
using Antlr4.Runtime;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>What a token is, for tools that look at text without parsing it (a REPL, a highlighter).</summary>
public enum SyntaxTokenKind
{
    Keyword,
    Identifier,
    Number,
    String,
    Punctuation,
    Comment,
    LineBreak,

    /// <summary>A character that is not part of the language, or an unterminated string or comment.</summary>
    Bad,
}

/// <summary>One token of a text, as the lexer sees it (blanks are left out).</summary>
public readonly record struct SyntaxToken(SyntaxTokenKind Kind, string Text, TextSpan Span);

/// <summary>Facts about the language's tokens that need no parse.</summary>
public static class SyntaxFacts
{
    /// <summary>The reserved words (language.md §1).</summary>
    public static readonly ImmutableArray<string> Keywords = ImmutableArray.Create(
        "import", "const", "module", "model", "plan", "param", "buffer", "forward", "let", "for", "in", "if", "else",
        "assert", "return", "and", "or", "not", "true", "false", "None");

    /// <summary>The lexer's tokens of <paramref name="text"/>, blanks left out.</summary>
    public static ImmutableArray<SyntaxToken> Tokenize(string text)
    {
        var lexer = new DskLexer(new AntlrInputStream(text));
        lexer.RemoveErrorListeners();
        var tokens = ImmutableArray.CreateBuilder<SyntaxToken>();
        for (var token = lexer.NextToken(); token.Type != TokenConstants.EOF; token = lexer.NextToken())
        {
            if (token.Type == DskLexer.WS) continue;
            var span = TextSpan.FromBounds(token.StartIndex, token.StopIndex + 1);
            tokens.Add(new SyntaxToken(KindOf(token.Type), text.Substring(span.Start, span.Length), span));
        }
        return tokens.ToImmutable();
    }

    /// <summary>
    /// True when <paramref name="text"/> can be parsed as it is: every <c>(</c>, <c>[</c> and <c>{</c> is
    /// closed and no <c>/*</c> comment is left open. A REPL asks this to decide between submitting the
    /// input and asking for another line. Text with more closing brackets than opening ones is complete
    /// (the parser reports the error).
    /// </summary>
    public static bool IsCompleteSubmission(string text)
    {
        int depth = 0;
        foreach (var token in Tokenize(text))
        {
            switch (token.Text)
            {
                case "(" or "[" or "{" when token.Kind == SyntaxTokenKind.Punctuation:
                    depth++;
                    break;
                case ")" or "]" or "}" when token.Kind == SyntaxTokenKind.Punctuation:
                    if (--depth < 0) return true;
                    break;
                default:
                    if (token.Kind == SyntaxTokenKind.Bad && token.Text.StartsWith("/*", StringComparison.Ordinal)) return false;
                    break;
            }
        }
        return depth <= 0;
    }

    private static SyntaxTokenKind KindOf(int type) => type switch
    {
        >= DskLexer.IMPORT and <= DskLexer.NONE => SyntaxTokenKind.Keyword,
        DskLexer.IDENT => SyntaxTokenKind.Identifier,
        DskLexer.INT or DskLexer.FLOAT => SyntaxTokenKind.Number,
        DskLexer.STRING => SyntaxTokenKind.String,
        DskLexer.LINE_COMMENT or DskLexer.BLOCK_COMMENT => SyntaxTokenKind.Comment,
        DskLexer.NEWLINE => SyntaxTokenKind.LineBreak,
        DskLexer.UNTERMINATED_STRING or DskLexer.UNTERMINATED_COMMENT or DskLexer.BAD_CHARACTER => SyntaxTokenKind.Bad,
        _ => SyntaxTokenKind.Punctuation,
    };
}
