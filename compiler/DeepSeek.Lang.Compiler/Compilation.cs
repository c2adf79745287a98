using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Imports;

namespace DeepSeek.Lang.Compiler;

/// <summary>
/// The one entry point that dskc, the REPL and the source generator share: a set of parsed files
/// and everything the compiler knows about them.
/// </summary>
public sealed class Compilation
{
    private Compilation(SourceSet sources)
    {
        Sources = sources;
        Diagnostics = sources.Diagnostics;
    }

    public SourceSet Sources { get; }

    /// <summary>Every diagnostic: syntax, imports, and (when the files parse) binding and types.</summary>
    public ImmutableArray<Diagnostic> Diagnostics { get; }

    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    public static Compilation Create(SourceSet sources) => new(sources);
}
