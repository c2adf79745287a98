using System.Collections.Immutable;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>How a session is set up.</summary>
internal sealed record ReplOptions(long Seed = 0, bool OutputIsTerminal = false);

/// <summary>
/// The state of one REPL session and what it does with each submission, with no terminal in sight:
/// declarations (modules, constants, models, plans, imports) join the session's
/// <see cref="Compilation"/> through <see cref="Compilation.ContinueWith(SourceSet)"/>; statements are
/// compiled one by one as a module the REPL writes around them and run with the eager interpreter;
/// lines starting with ':' are commands. Results go to the output writer, errors to the error writer.
/// </summary>
internal sealed partial class ReplSession : IDisposable
{
    /// <summary>Names the REPL gives what it writes; user names should not start with it.</summary>
    public const string ReservedPrefix = "__repl";

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly ReplOptions _options;
    private readonly Dictionary<string, Variable> _variables = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private Compilation _compilation;
    private HashSet<string> _known = new(StringComparer.Ordinal);

    // The weights of the models statements called, by model (made on first use; dropped when declarations change).
    private readonly Dictionary<string, WeightSet> _modelWeights = new(StringComparer.Ordinal);
    private long _draws;
    private int _submissions;

    public ReplSession(TextWriter output, TextWriter error, ReplOptions options)
    {
        _out = output;
        _err = error;
        _options = options;
        _compilation = Empty();
    }

    /// <summary>Default sizes of symbolic dims (<c>:dims B=2 T=8</c>); statements see them as constants.</summary>
    public SortedDictionary<string, long> Dims { get; } = new(StringComparer.Ordinal);

    /// <summary>The declarations so far.</summary>
    public Compilation Compilation => _compilation;

    /// <summary>The variables, in the order they were first made.</summary>
    public IEnumerable<Variable> Variables => _order.Select(n => _variables[n]);

    public bool TryGetVariable(string name, out Variable variable) => _variables.TryGetValue(name, out variable!);

    /// <summary>
    /// Handles one complete submission (see <see cref="SyntaxFacts.IsCompleteSubmission"/>). False when
    /// the session should end (<c>:quit</c>). Errors are printed, never thrown;
    /// <paramref name="cancellation"/> stops a running evaluation.
    /// </summary>
    public bool Submit(string text, CancellationToken cancellation = default)
    {
        try
        {
            var trimmed = text.Trim();
            if (trimmed.StartsWith(':')) return RunCommand(trimmed, cancellation);
            var tokens = SyntaxFacts.Tokenize(text).Where(t => t.Kind is not (SyntaxTokenKind.Comment or SyntaxTokenKind.LineBreak)).ToList();
            if (tokens.Count == 0) return true;
            if (tokens[0] is { Kind: SyntaxTokenKind.Keyword, Text: "import" or "const" or "module" or "model" or "plan" })
                SubmitDeclarations(text);
            else
                SubmitStatements(text, cancellation);
        }
        catch (OperationCanceledException)
        {
            _err.WriteLine("cancelled");
        }
        catch (RuntimeError e)
        {
            _err.WriteLine($"error: {e.Message}");
        }
        catch (ReplException e)
        {
            _err.WriteLine($"error: {e.Message}");
        }
        catch (Exception e)
        {
            _err.WriteLine($"internal error: {e.GetType().Name}: {e.Message} (please report this)");
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var v in _variables.Values) v.Dispose();
        _variables.Clear();
        DropModelWeights();
        _order.Clear();
    }

    private static Compilation Empty() => Compilation.Create(SourceLoader.Load(Array.Empty<string>()));

    private string NextPath() => $"<repl:{++_submissions}>";

    // ------------------------------------------------------------------ declarations

    private void SubmitDeclarations(string text)
    {
        var sources = SourceLoader.LoadText(NextPath(), text, DiskFileSystem.Instance, Environment.CurrentDirectory);
        Declare(sources, loaded: null);
    }

    /// <summary>
    /// Adds a submission of declarations (typed, or a file from <c>:load</c>) to the session when it
    /// brings no new error; prints its new diagnostics and one line for each declaration.
    /// </summary>
    private bool Declare(SourceSet sources, string? loaded)
    {
        var next = _compilation.ContinueWith(sources);
        var fresh = next.Diagnostics.Where(d => !_known.Contains(Key(d))).ToList();
        Print(fresh);
        if (fresh.Any(d => d.IsError))
        {
            _err.WriteLine(loaded != null ? $"{loaded} was not loaded" : "nothing was defined");
            return false;
        }

        var previous = _compilation;
        _compilation = next;
        DropModelWeights();
        _known = new HashSet<string>(next.Diagnostics.Select(Key), StringComparer.Ordinal);

        var items = sources.Trees.SelectMany(t => t.Root.Items).ToList();
        foreach (var item in items)
        {
            if (item is ModuleDeclaration m) Forget(m.Name.Text);
            else if (item is ConstDeclaration c) Forget(c.Name.Text);
        }
        var lines = items.Select(item => Describe(item, previous)).OfType<string>().ToList();
        if (loaded != null) _out.WriteLine(lines.Count == 0 ? $"loaded {loaded}: it declares nothing" : $"loaded {loaded}");
        foreach (var line in lines) _out.WriteLine(loaded != null ? "  " + line : line);
        return true;
    }

    /// <summary>One line for a declaration just made: its signature, value or size.</summary>
    private string? Describe(DeclarationSyntax item, Compilation previous)
    {
        switch (item)
        {
            case ModuleDeclaration m when _compilation.Symbols.Modules.TryGetValue(m.Name.Text, out var symbol) && ReferenceEquals(symbol.Syntax, m):
                return "module " + symbol.Signature + Replaces(previous.Symbols.Modules.TryGetValue(m.Name.Text, out var old) ? (old.IsPrelude ? "hides the prelude's" : "replaces the earlier one") : null);
            case ConstDeclaration c when _compilation.Symbols.Consts.TryGetValue(c.Name.Text, out var symbol) && ReferenceEquals(symbol.Syntax, c):
                {
                    var value = EvaluateQuietly(c.Name.Text);
                    var shown = value != null ? $"{c.Name.Text}: {Values.TypeText(value)} = {Values.Display(value)}" : "const " + c.Name.Text;
                    return shown + Replaces(previous.Symbols.Consts.ContainsKey(c.Name.Text) ? "replaces the earlier one" : null);
                }
            case ModelDeclaration md when _compilation.Symbols.FindModel(md.Name.Text) is { } model && ReferenceEquals(model.Syntax, md):
                {
                    var graph = _compilation.GetModel(model).Graph;
                    long parameters = graph?.Weights.Where(w => w.Kind == WeightKind.Param).Sum(w => w.Value.Type.Shape.ElementCount.ConstantValue ?? 0) ?? 0;
                    return $"model {model.Name} = {SyntaxPrinter.Print(md.Value)}: {Values.Count(parameters)} parameters" +
                        Replaces(previous.Symbols.FindModel(model.Name) != null ? "replaces the earlier one" : null);
                }
            case PlanDeclaration pd when _compilation.Symbols.Plans.Any(p => ReferenceEquals(p.Syntax, pd)):
                return $"plan {pd.Name.Text} for {pd.Model.Text}" + Replaces(previous.Symbols.Plans.Any(p => p.Name == pd.Name.Text) ? "replaces the earlier one" : null);
            default:
                return null;
        }
    }

    private void DropModelWeights()
    {
        foreach (var w in _modelWeights.Values) w.Dispose();
        _modelWeights.Clear();
    }

    private static string Replaces(string? what) => what == null ? "" : $" ({what})";

    /// <summary>A declaration of a module or constant hides a variable of the same name: the variable goes.</summary>
    private void Forget(string name)
    {
        if (!_variables.Remove(name, out var old)) return;
        old.Dispose();
        _order.Remove(name);
    }

    // ------------------------------------------------------------------ output

    private static string Key(Diagnostic d) => $"{d.Code}|{d.Location.Source.Path}|{d.Location.Span.Start}|{d.Message}";

    private void Print(IEnumerable<Diagnostic> diagnostics)
    {
        foreach (var d in diagnostics) _err.Write(DiagnosticFormatter.Format(d, excerpts: true));
    }

    /// <summary>An error the REPL itself finds in a statement, printed as the compiler prints its own.</summary>
    private void ReportAt(SourceText user, TextSpan span, string message) =>
        Print(new[] { new Diagnostic(DiagnosticDescriptors.ValueKindMismatch, new Location(user, span), message, ImmutableArray<DiagnosticNote>.Empty) });

    /// <summary>
    /// A model of the session, or a module instance seen as a model of its own (<c>model attn =
    /// MultiheadAttention(…)</c>, weights named without the <c>attn.</c> prefix), for the commands that take either.
    /// </summary>
    private (Compilation Compilation, ModelSymbol Model, InstanceVariable? Instance) ResolveModel(string name, string command)
    {
        if (_variables.TryGetValue(name, out var v))
        {
            if (v is not InstanceVariable instance)
                throw new ReplException($"{command} needs a model or a module instance; '{name}' is {(v is TensorVariable ? "a tensor" : "a value")} ({v.TypeText})");
            if (instance.Constructor.EndsWith(']'))
                throw new ReplException($"{command} needs a model or one module instance; '{name}' is an array of modules ({instance.Constructor})");
            var tree = SyntaxTree.Parse(new SourceText(NextPath(), $"model {name} = {instance.Constructor}\n"));
            var compilation = _compilation.ContinueWith(tree);
            return (compilation, compilation.Symbols.FindModel(name)!, instance);
        }
        if (_compilation.Symbols.FindModel(name) is { } model) return (_compilation, model, null);
        var candidates = _compilation.Models.Select(m => m.Name).Concat(Variables.OfType<InstanceVariable>().Select(i => i.Name)).ToList();
        var suggestion = Compiler.Elaboration.Spelling.Suggest(name, candidates);
        throw new ReplException($"no model or module instance named '{name}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : "") +
            (candidates.Count > 0 ? $" (there are {string.Join(", ", candidates)})" : " (load a file with :load, or make one: let m = Linear(4, 8))"));
    }
}

/// <summary>A problem with a command or a statement that is not a diagnostic of the source: printed as <c>error: message</c>.</summary>
internal sealed class ReplException : Exception
{
    public ReplException(string message)
        : base(message)
    {
    }
}
