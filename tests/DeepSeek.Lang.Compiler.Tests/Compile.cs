using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Tests;

/// <summary>Compiles .dsk text held in memory, for tests.</summary>
internal static class Compile
{
    public static Compilation Source(string text, string path = "/mem/test.dsk") =>
        Compilation.Create(SourceLoader.LoadText(path, text, new MemoryFileSystem()));

    /// <summary>The graph of a model; fails the test with the diagnostics when there is none.</summary>
    public static Graph Graph(string text, string? model = null)
    {
        var c = Source(text);
        var symbol = model == null ? c.Models.Single() : c.Symbols.FindModel(model)!;
        var result = c.GetModel(symbol);
        Assert.True(result.Graph != null, DiagnosticFormatter.FormatAll(result.Diagnostics, excerpts: true));
        return result.Graph!;
    }

    /// <summary>All diagnostics of a file, in the canonical one-line form.</summary>
    public static string[] Diagnostics(string text) =>
        Source(text).Diagnostics.Select(d => d.ToString()).ToArray();

    /// <summary>The op names of a graph in order.</summary>
    public static string Ops(Graph g) => string.Join(" ", g.Nodes.Select(n => n.Op.Name));
}
