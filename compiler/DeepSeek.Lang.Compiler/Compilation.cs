using System.Collections.Concurrent;
using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler;

/// <summary>
/// The one entry point that dskc, the REPL and the source generator share: a set of parsed files,
/// their declarations, and, on demand, each model's graph.
/// </summary>
public sealed class Compilation
{
    private readonly Lazy<ImmutableArray<Diagnostic>> _diagnostics;
    private readonly Lazy<ImmutableArray<LetType>> _types;
    private readonly ConcurrentDictionary<string, ModelGraph> _models = new(StringComparer.Ordinal);
    private readonly ImmutableArray<Diagnostic> _bindDiagnostics;
    private readonly object _gate = new();

    // For a chain of submissions (a REPL): the submission each tree of Sources belongs to; default otherwise.
    private readonly ImmutableArray<int> _submissionOfTree;

    private Compilation(SourceSet sources, Compilation? previous = null, ImmutableArray<int> submissionOfTree = default)
    {
        Sources = sources;
        Previous = previous;
        _submissionOfTree = submissionOfTree;
        var bag = new DiagnosticBag();
        Func<SyntaxTree, int>? submissionOf = null;
        if (!submissionOfTree.IsDefault)
        {
            var map = new Dictionary<SyntaxTree, int>();
            for (int i = 0; i < sources.Trees.Length; i++) map[sources.Trees[i]] = submissionOfTree[i];
            submissionOf = tree => map[tree];
        }
        Symbols = Binder.Bind(sources.Trees, Prelude.Trees, bag, submissionOf);
        _bindDiagnostics = bag.ToImmutable();
        Elaborator = new Elaborator(Symbols);
        _diagnostics = new Lazy<ImmutableArray<Diagnostic>>(CheckEverything);
        _types = new Lazy<ImmutableArray<LetType>>(() => CheckModules().Types);
    }

    public SourceSet Sources { get; }

    /// <summary>The compilation this one continues (<see cref="ContinueWith(SourceSet)"/>), or null.</summary>
    public Compilation? Previous { get; }

    public ProgramSymbols Symbols { get; }

    public Elaborator Elaborator { get; }

    /// <summary>Models in source order.</summary>
    public ImmutableArray<ModelSymbol> Models => Symbols.Models;

    /// <summary>
    /// Every diagnostic: syntax and imports; then, when the files parse, binding, every module
    /// checked with symbolic parameters, and every model elaborated.
    /// </summary>
    public ImmutableArray<Diagnostic> Diagnostics => _diagnostics.Value;

    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>The types of let bindings and forward results of every user module, checked generically.</summary>
    public ImmutableArray<LetType> Types => _types.Value;

    public static Compilation Create(SourceSet sources) => new(sources);

    /// <summary>
    /// A compilation of these files and one more submission (a REPL's input, a file it loads), as
    /// Roslyn's script compilations chain: the submission sees every declaration made so far, and a
    /// module, constant, model or plan it declares replaces one of the same name from an earlier
    /// submission (within one submission, and in a compilation made by <see cref="Create"/>, a
    /// duplicate stays an error). This compilation is not changed.
    /// </summary>
    public Compilation ContinueWith(SourceSet submission)
    {
        var numbers = _submissionOfTree.IsDefault ? ImmutableArray.CreateRange(Enumerable.Repeat(0, Sources.Trees.Length)) : _submissionOfTree;
        int number = numbers.IsEmpty ? 1 : numbers[numbers.Length - 1] + 1;
        var sources = new SourceSet(
            Sources.Trees.AddRange(submission.Trees),
            Sources.Diagnostics.AddRange(submission.Diagnostics),
            Sources.LoadErrors.AddRange(submission.LoadErrors),
            Sources.Root);
        return new Compilation(sources, this, numbers.AddRange(Enumerable.Repeat(number, submission.Trees.Length)));
    }

    /// <summary>As <see cref="ContinueWith(SourceSet)"/> for one parsed tree (which imports nothing).</summary>
    public Compilation ContinueWith(SyntaxTree submission) =>
        ContinueWith(new SourceSet(ImmutableArray.Create(submission), submission.Diagnostics, ImmutableArray<SourceLoadError>.Empty, Sources.Root));

    /// <summary>
    /// Elaborates a model for a REPL: as <see cref="GetModel"/>, except that its forward may return
    /// compile-time values (ints, shapes, strings, modules) as well as tensors, alone or in tuples.
    /// <see cref="ModelGraph.Result"/> is the value the forward returned; each tensor in it is a graph
    /// output, named output0, output1… in the order the tensors appear in it. Not cached.
    /// </summary>
    public ModelGraph ElaborateSubmission(ModelSymbol model)
    {
        lock (_gate)
        {
            var graph = Elaborator.ElaborateModel(model, submission: true);
            var diagnostics = Sources.Diagnostics.AddRange(_bindDiagnostics).AddRange(Elaborator.ConstDiagnostics.ToImmutable()).AddRange(graph.Diagnostics);
            bool failed = diagnostics.Any(d => d.IsError);
            return new ModelGraph(model, failed ? null : graph.Graph, Distinct(diagnostics), graph.Types, failed ? null : graph.Result);
        }
    }

    /// <summary>The names of the built-in functions (<c>relu</c>, <c>randn</c>, …), for completion and help.</summary>
    public static IEnumerable<string> BuiltinNames => Builtins.Names.OrderBy(n => n, StringComparer.Ordinal);

    /// <summary>The names of the tensor methods (<c>reshape</c>, <c>sum</c>, …).</summary>
    public static IEnumerable<string> MethodNames => Builtins.MethodNames.OrderBy(n => n, StringComparer.Ordinal);

    /// <summary>Elaborates one model (cached). Its diagnostics include those of binding and constants.</summary>
    public ModelGraph GetModel(ModelSymbol model)
    {
        lock (_gate)
        {
            if (_models.TryGetValue(model.Name, out var cached)) return cached;
            var graph = Elaborator.ElaborateModel(model);
            var diagnostics = Sources.Diagnostics.AddRange(_bindDiagnostics).AddRange(Elaborator.ConstDiagnostics.ToImmutable()).AddRange(graph.Diagnostics);
            var result = new ModelGraph(model, diagnostics.Any(d => d.IsError) ? null : graph.Graph, Distinct(diagnostics), graph.Types);
            _models[model.Name] = result;
            return result;
        }
    }

    private ImmutableArray<Diagnostic> CheckEverything()
    {
        var all = new List<Diagnostic>(Sources.Diagnostics);
        if (Sources.HasErrors) return all.ToImmutableArray();
        all.AddRange(_bindDiagnostics);
        // Models first: their messages carry concrete sizes; a module's generic check repeats only what is new.
        foreach (var model in Symbols.Models) all.AddRange(GetModel(model).Diagnostics);
        all.AddRange(CheckModules().Diagnostics);
        lock (_gate) all.AddRange(Elaborator.ConstDiagnostics.ToImmutable());
        return Distinct(all);
    }

    private (ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<LetType> Types) _moduleCheck;
    private bool _modulesChecked;

    private (ImmutableArray<Diagnostic> Diagnostics, ImmutableArray<LetType> Types) CheckModules()
    {
        lock (_gate)
        {
            if (_modulesChecked) return _moduleCheck;
            var diagnostics = new List<Diagnostic>();
            var types = new List<LetType>();
            foreach (var module in Symbols.Modules.Values.Where(m => !m.IsPrelude).OrderBy(m => m.Source.Path, StringComparer.Ordinal).ThenBy(m => m.NameSpan.Start))
            {
                var (d, t) = Elaborator.CheckModule(module);
                diagnostics.AddRange(d);
                types.AddRange(t);
            }
            _moduleCheck = (diagnostics.ToImmutableArray(), types.ToImmutableArray());
            _modulesChecked = true;
            return _moduleCheck;
        }
    }

    /// <summary>One diagnostic per code and place: a model's concrete message wins over the generic one.</summary>
    private static ImmutableArray<Diagnostic> Distinct(IEnumerable<Diagnostic> diagnostics)
    {
        var seen = new HashSet<(string, string, int)>();
        var result = ImmutableArray.CreateBuilder<Diagnostic>();
        foreach (var d in diagnostics)
            if (seen.Add((d.Code, d.Location.Source.Path, d.Location.Span.Start))) result.Add(d);
        return result.ToImmutable();
    }
}
