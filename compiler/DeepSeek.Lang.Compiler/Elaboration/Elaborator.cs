using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>The graph of one model, or the reasons there is none.</summary>
public sealed class ModelGraph
{
    public ModelGraph(ModelSymbol model, Graph? graph, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<LetType> types, Val? result = null)
    {
        Model = model;
        Graph = graph;
        Diagnostics = diagnostics;
        Types = types;
        Result = result;
    }

    public ModelSymbol Model { get; }

    /// <summary>Null when elaboration reported errors.</summary>
    public Graph? Graph { get; }

    public ImmutableArray<Diagnostic> Diagnostics { get; }

    public ImmutableArray<LetType> Types { get; }

    /// <summary>
    /// For a model elaborated as a REPL submission (<see cref="Compilation.ElaborateSubmission"/>): the
    /// value its forward returned; null otherwise, and when there were errors.
    /// </summary>
    public Val? Result { get; }
}

/// <summary>The type a <c>let</c> binding or a forward's result had (what an IDE hover shows).</summary>
public sealed record LetType(Location Location, string Name, string Type);

/// <summary>
/// Elaboration: instantiates modules with their arguments and traces forward bodies into the graph
/// IR, checking names, shapes and dtypes on the way. Loops unroll, compile-time branches fold and
/// <c>route</c> becomes a static dispatch, so what comes out is a static graph. Models are
/// elaborated with concrete parameters; every module is also checked generically, with symbolic
/// parameters, so errors show even in modules no model uses yet.
/// </summary>
public sealed class Elaborator
{
    private readonly Dictionary<string, Val> _constValues = new(StringComparer.Ordinal);
    private readonly HashSet<string> _constsInProgress = new(StringComparer.Ordinal);

    public Elaborator(ProgramSymbols symbols)
    {
        Symbols = symbols;
        Globals = new Scope(ResolveGlobal, GlobalNames);
    }

    public ProgramSymbols Symbols { get; }

    internal Scope Globals { get; }

    /// <summary>Diagnostics from evaluating file-level constants (reported once, not per model).</summary>
    internal DiagnosticSink ConstDiagnostics { get; } = new();

    /// <param name="submission">
    /// True for a REPL submission: the forward may return compile-time values too, and every tensor in
    /// what it returns becomes an output (see <see cref="Compilation.ElaborateSubmission"/>).
    /// </param>
    public ModelGraph ElaborateModel(ModelSymbol model, bool submission = false)
    {
        var tracer = new Tracer(this, model.Name, generic: false) { IsSubmission = submission };
        var graph = tracer.TraceModel(model);
        var diagnostics = tracer.Diagnostics.ToImmutable();
        bool failed = diagnostics.Any(d => d.IsError);
        return new ModelGraph(model, failed ? null : graph, diagnostics, tracer.Types.ToImmutableArray(), failed ? null : tracer.Result);
    }

    /// <summary>Checks a module for every value of its parameters as far as symbols allow.</summary>
    public (ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<LetType> Types) CheckModule(ModuleSymbol module)
    {
        var tracer = new Tracer(this, module.Name, generic: true);
        tracer.TraceGeneric(module);
        return (tracer.Diagnostics.ToImmutable(), tracer.Types.ToImmutableArray());
    }

    private IEnumerable<string> GlobalNames() =>
        Symbols.Consts.Keys.Concat(Symbols.Modules.Keys).Concat(Builtins.Names).Concat(DTypes.All.Select(d => d.Name()));

    /// <summary>File-level constants (evaluated once, on first use), dtypes, and built-in functions.</summary>
    private Val? ResolveGlobal(string name)
    {
        if (Symbols.Consts.TryGetValue(name, out var c)) return EvaluateConst(c);
        if (DTypes.TryParse(name, out var dtype)) return new DTypeVal(dtype);
        return null;
    }

    private Val EvaluateConst(ConstSymbol symbol)
    {
        if (_constValues.TryGetValue(symbol.Name, out var cached)) return cached;
        if (!_constsInProgress.Add(symbol.Name))
        {
            ConstDiagnostics.Report(DiagnosticDescriptors.ConstCycle, symbol.Location, $"constant '{symbol.Name}' depends on itself");
            return ErrorVal.Instance;
        }
        var tracer = new Tracer(this, "const " + symbol.Name, generic: false, diagnostics: ConstDiagnostics);
        var value = tracer.EvaluateConstant(symbol.Syntax, symbol.Source, Globals);
        _constsInProgress.Remove(symbol.Name);
        _constValues[symbol.Name] = value;
        return value;
    }
}

/// <summary>
/// Diagnostics of one elaboration, deduplicated: a module used eight times reports its error once
/// (with the notes of the first instance).
/// </summary>
internal sealed class DiagnosticSink
{
    private readonly List<Diagnostic> _items = new();
    private readonly HashSet<(string, string, int, string)> _seen = new();

    public bool HasErrors => _items.Any(d => d.IsError);

    public int ErrorCount => _items.Count(d => d.IsError);

    public void Add(Diagnostic d)
    {
        if (_seen.Add((d.Code, d.Location.Source.Path, d.Location.Span.Start, d.Message))) _items.Add(d);
    }

    public void Report(DiagnosticDescriptor descriptor, Location location, string message) =>
        Add(new Diagnostic(descriptor, location, message, ImmutableArray<DiagnosticNote>.Empty));

    public ImmutableArray<Diagnostic> ToImmutable() => _items.ToImmutableArray();
}
