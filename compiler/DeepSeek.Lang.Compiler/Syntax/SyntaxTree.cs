using System.Collections.Immutable;
using Antlr4.Runtime;
using Antlr4.Runtime.Atn;
using Antlr4.Runtime.Misc;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>A parsed source file: its text, its AST, and the syntax diagnostics found while parsing.</summary>
public sealed class SyntaxTree
{
    // Deeply nested input recurses in the generated parser; parse on a thread whose stack is sized
    // for the nesting limits rather than on whatever stack the caller has.
    private const int ParserStackBytes = 64 * 1024 * 1024;

    private SyntaxTree(SourceText text, CompilationUnit root, ImmutableArray<Diagnostic> diagnostics)
    {
        Text = text;
        Root = root;
        Diagnostics = diagnostics;
    }

    public SourceText Text { get; }

    public CompilationUnit Root { get; }

    public ImmutableArray<Diagnostic> Diagnostics { get; }

    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public static SyntaxTree Parse(string text, string path = "<input>") => Parse(new SourceText(path, text));

    public static SyntaxTree Parse(SourceText text)
    {
        SyntaxTree? result = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = ParseCore(text);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }, ParserStackBytes);
        thread.Start();
        thread.Join();
        if (failure != null)
        {
            var bag = new DiagnosticBag();
            bag.Report(DiagnosticDescriptors.InternalError, new Location(text, default), failure.GetType().Name + ": " + failure.Message);
            return new SyntaxTree(text, EmptyUnit(text), bag.ToImmutable());
        }
        return result!;
    }

    private static SyntaxTree ParseCore(SourceText text)
    {
        // Stage 1: SLL prediction, bailing out at the first error; almost every file parses here.
        // Tokens stream from the scanner and the file is parsed and built one top-level item at a
        // time, so that neither the whole file's tokens nor its parse tree are ever alive at once
        // (keeping them costs several times the parse itself in garbage collection).
        var scanned = new DiagnosticBag();
        var scanner = new TokenScanner(text, scanned);
        var parser = new DskParser(new UnbufferedTokenStream(scanner)) { BuildParseTree = false };
        parser.RemoveErrorListeners();
        parser.Interpreter.PredictionMode = PredictionMode.SLL;
        parser.ErrorHandler = new BailErrorStrategy();
        var diagnostics = new DiagnosticBag();
        var builder = new AstBuilder(text, scanner.Comments, diagnostics);
        bool parsed;
        try
        {
            parsed = ParseItems(parser, (ITokenStream)parser.InputStream, builder);
        }
        catch (ParserTooDeepException e)
        {
            return TooDeep(text, scanned, e);
        }
        if (scanner.TooDeep) return new SyntaxTree(text, EmptyUnit(text), scanned.ToImmutable());
        if (parsed)
        {
            var unit = builder.Finish();
            diagnostics.AddRange(scanned);
            return new SyntaxTree(text, unit, Sorted(diagnostics));
        }

        // Stage 2: full LL with recovery and messages in a user's words, over the whole file.
        var errors = new DiagnosticBag();
        scanner = new TokenScanner(text, errors);
        var tokens = new CommonTokenStream(scanner);
        tokens.Fill();
        parser = new DskParser(tokens) { BuildParseTree = false };
        parser.RemoveErrorListeners();
        parser.Interpreter.PredictionMode = PredictionMode.LL;
        parser.ErrorHandler = new SyntaxErrorStrategy(text, errors);
        DskParser.FileContext tree;
        try
        {
            tree = parser.file();
        }
        catch (ParserTooDeepException e)
        {
            return TooDeep(text, errors, e);
        }
        diagnostics = new DiagnosticBag();
        var root = new AstBuilder(text, scanner.Comments, diagnostics).BuildFile(tree);
        diagnostics.AddRange(errors);
        return new SyntaxTree(text, root, Sorted(diagnostics));
    }

    /// <summary>The parse stopped at its recursion bound: nesting without brackets (DSK0011), and no tree.</summary>
    private static SyntaxTree TooDeep(SourceText text, DiagnosticBag diagnostics, ParserTooDeepException e)
    {
        diagnostics.Report(DiagnosticDescriptors.ExpressionTooDeep, new Location(text, TokenScanner.SpanOf(e.At)), AstBuilder.MaxExpressionDepth);
        return new SyntaxTree(text, EmptyUnit(text), Sorted(diagnostics));
    }

    private static ImmutableArray<Diagnostic> Sorted(DiagnosticBag diagnostics) =>
        diagnostics.OrderBy(d => d.Location.Span.Start).ToImmutableArray();

    /// <summary>
    /// The rule <c>file: (item sep | sep)* EOF</c>, driven from here one item at a time. False when
    /// the input has a syntax error (or SLL prediction was not enough), which the caller then parses
    /// again with recovery.
    /// </summary>
    private static bool ParseItems(DskParser parser, ITokenStream tokens, AstBuilder builder)
    {
        try
        {
            while (true)
            {
                int la = tokens.LA(1);
                if (la == TokenConstants.EOF) return true;
                if (la is DskLexer.NEWLINE or DskLexer.SEMI)
                {
                    tokens.Consume();
                    continue;
                }
                var item = parser.item();
                // The grammar wants a separator after each item; looking at it also means the
                // scanner has gone past a comment that trails the item.
                if (tokens.LA(1) is not (DskLexer.NEWLINE or DskLexer.SEMI)) return false;
                builder.AddItem(item);
            }
        }
        catch (ParseCanceledException)
        {
            return false;
        }
    }

    private static CompilationUnit EmptyUnit(SourceText text) =>
        new(ImmutableArray<DeclarationSyntax>.Empty, ImmutableArray<Comment>.Empty, new TextSpan(0, text.Length));
}
