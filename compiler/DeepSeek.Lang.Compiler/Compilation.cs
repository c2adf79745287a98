using System.Collections.Concurrent;
using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.Imports;

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

    private Compilation(SourceSet sources)
    {
        Sources = sources;
        var bag = new DiagnosticBag();
        Symbols = Binder.Bind(sources.Trees, Prelude.Trees, bag);
        _bindDiagnostics = bag.ToImmutable();
        Elaborator = new Elaborator(Symbols);
        _diagnostics = new Lazy<ImmutableArray<Diagnostic>>(CheckEverything);
        _types = new Lazy<ImmutableArray<LetType>>(() => CheckModules().Types);
    }

    public SourceSet Sources { get; }

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
