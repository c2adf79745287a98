using System.Collections.Immutable;
using System.Reflection;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler;

/// <summary>
/// The standard layers, written in .dsk and shipped inside the compiler as embedded resources
/// (Prelude/*.dsk). They are parsed once per process and shown in diagnostics as <c>&lt;prelude&gt;/nn.dsk</c>.
/// </summary>
public static class Prelude
{
    public const string PathPrefix = "<prelude>/";
    private const string ResourcePrefix = "DeepSeek.Lang.Prelude.";

    private static readonly Lazy<ImmutableArray<SyntaxTree>> LazyTrees = new(Load);

    public static ImmutableArray<SyntaxTree> Trees => LazyTrees.Value;

    /// <summary>The prelude's files: display path and text.</summary>
    public static IEnumerable<(string Path, string Text)> Files => Trees.Select(t => (t.Text.Path, t.Text.Text));

    private static ImmutableArray<SyntaxTree> Load()
    {
        var assembly = typeof(Prelude).GetTypeInfo().Assembly;
        var trees = ImmutableArray.CreateBuilder<SyntaxTree>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            trees.Add(SyntaxTree.Parse(new SourceText(PathPrefix + name.Substring(ResourcePrefix.Length), text)));
        }
        return trees.ToImmutable();
    }
}
