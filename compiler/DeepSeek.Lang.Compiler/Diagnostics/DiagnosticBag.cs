using System.Collections;
using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Diagnostics;

/// <summary>Collects diagnostics while a stage runs; stages report and go on rather than stop at the first error.</summary>
public sealed class DiagnosticBag : IEnumerable<Diagnostic>
{
    private readonly List<Diagnostic> _items = new();

    public int Count => _items.Count;

    public bool HasErrors
    {
        get
        {
            foreach (var d in _items)
                if (d.IsError) return true;
            return false;
        }
    }

    public Diagnostic Report(DiagnosticDescriptor descriptor, Location location, params object?[] args)
    {
        var diagnostic = new Diagnostic(descriptor, location, descriptor.Format(args), ImmutableArray<DiagnosticNote>.Empty);
        _items.Add(diagnostic);
        return diagnostic;
    }

    public void Add(Diagnostic diagnostic) => _items.Add(diagnostic);

    public void AddRange(IEnumerable<Diagnostic> diagnostics) => _items.AddRange(diagnostics);

    /// <summary>Replaces the last diagnostic (used to attach notes right after reporting).</summary>
    public void ReplaceLast(Diagnostic diagnostic) => _items[_items.Count - 1] = diagnostic;

    public ImmutableArray<Diagnostic> ToImmutable() => _items.ToImmutableArray();

    public IEnumerator<Diagnostic> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
