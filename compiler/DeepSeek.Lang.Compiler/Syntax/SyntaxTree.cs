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
    private const int ParserStackBytes = 256 * 1024 * 1024;

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
        var diagnostics = new DiagnosticBag();
        var scan = TokenScanner.Scan(text, diagnostics);
        if (scan.TooDeep) return new SyntaxTree(text, EmptyUnit(text), diagnostics.ToImmutable());

        var tokens = new CommonTokenStream(new ListTokenSource(scan.Tokens));
        tokens.Fill();
        var parser = new DskParser(tokens);
        parser.RemoveErrorListeners();

        // Stage 1: SLL prediction, bailing out at the first error. Almost every file parses here.
        parser.Interpreter.PredictionMode = PredictionMode.SLL;
        parser.ErrorHandler = new BailErrorStrategy();
        DskParser.FileContext tree;
        try
        {
            tree = parser.file();
        }
        catch (ParseCanceledException)
        {
            // Stage 2: full LL with recovery and user-facing messages.
            tokens.Seek(0);
            parser.Reset();
            parser.Interpreter.PredictionMode = PredictionMode.LL;
            parser.ErrorHandler = new SyntaxErrorStrategy(text, diagnostics);
            tree = parser.file();
        }

        var root = new AstBuilder(text, tokens.GetTokens(), diagnostics).BuildFile(tree);
        return new SyntaxTree(text, root, diagnostics.OrderBy(d => d.Location.Span.Start).ToImmutableArray());
    }

    private static CompilationUnit EmptyUnit(SourceText text) =>
        new(ImmutableArray<DeclarationSyntax>.Empty, ImmutableArray<Comment>.Empty, new TextSpan(0, text.Length));
}
