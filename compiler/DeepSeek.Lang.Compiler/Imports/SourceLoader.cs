using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Imports;

/// <summary>A file named on the command line (or by a caller) that could not be read at all.</summary>
public sealed record SourceLoadError(string Path, string Message);

/// <summary>
/// The parsed files of one compilation: the files asked for, then every file they import
/// (transitively, each once), with syntax and import diagnostics.
/// </summary>
public sealed class SourceSet
{
    internal SourceSet(ImmutableArray<SyntaxTree> trees, ImmutableArray<Diagnostic> diagnostics, ImmutableArray<SourceLoadError> loadErrors, string root)
    {
        Trees = trees;
        Diagnostics = diagnostics;
        LoadErrors = loadErrors;
        Root = root;
    }

    public ImmutableArray<SyntaxTree> Trees { get; }

    /// <summary>Syntax diagnostics of every file, then import diagnostics, in file order.</summary>
    public ImmutableArray<Diagnostic> Diagnostics { get; }

    /// <summary>Files asked for that could not be read (missing, a directory, unreadable): usage errors, not diagnostics.</summary>
    public ImmutableArray<SourceLoadError> LoadErrors { get; }

    /// <summary>The folder imports may not leave.</summary>
    public string Root { get; }

    public bool HasErrors => Diagnostics.Any(d => d.IsError);
}

/// <summary>
/// Reads files and follows their imports. Imports resolve relative to the importing file; they may
/// not leave the root folder (the first file's folder unless given), and a cycle is an error that
/// names it.
/// </summary>
public sealed class SourceLoader
{
    private readonly ISourceFileSystem _fs;
    private readonly string _root;
    private readonly string _rootDisplay;
    private readonly List<SyntaxTree> _trees = new();
    private readonly List<Diagnostic> _diagnostics = new();
    private readonly Dictionary<string, SyntaxTree> _byFullPath = new(StringComparer.Ordinal);
    private readonly List<string> _stack = new();
    private readonly List<string> _stackDisplay = new();

    private SourceLoader(ISourceFileSystem fs, string root, string rootDisplay)
    {
        _fs = fs;
        _root = root;
        _rootDisplay = rootDisplay;
    }

    public static SourceSet Load(IReadOnlyList<string> paths, ISourceFileSystem? fileSystem = null, string? root = null)
    {
        var fs = fileSystem ?? DiskFileSystem.Instance;
        var first = paths.Count > 0 ? fs.GetFullPath(paths[0]) : fs.GetFullPath(".");
        var rootFull = fs.GetFullPath(root ?? PathText.Directory(first));
        var loader = new SourceLoader(fs, rootFull, RootDisplay(root, paths.Count > 0 ? paths[0] : "."));
        var loadErrors = ImmutableArray.CreateBuilder<SourceLoadError>();
        foreach (var path in paths)
        {
            var full = fs.GetFullPath(path);
            if (loader._byFullPath.ContainsKey(full)) continue;
            var file = fs.Read(full);
            if (file.Text == null && file.InvalidUtf8Offset < 0)
            {
                loadErrors.Add(new SourceLoadError(path, file.Error ?? "cannot read"));
                continue;
            }
            loader.LoadFile(path, full, file);
        }
        return new SourceSet(loader._trees.ToImmutableArray(), loader._diagnostics.ToImmutableArray(), loadErrors.ToImmutable(), rootFull);
    }

    /// <summary>Parses one file from memory as part of a compilation rooted at <paramref name="root"/> (the REPL, tests).</summary>
    public static SourceSet LoadText(string displayPath, string text, ISourceFileSystem? fileSystem = null, string? root = null)
    {
        var fs = fileSystem ?? DiskFileSystem.Instance;
        var full = fs.GetFullPath(displayPath);
        var rootFull = fs.GetFullPath(root ?? PathText.Directory(full));
        var loader = new SourceLoader(fs, rootFull, RootDisplay(root, displayPath));
        loader.LoadFile(displayPath, full, SourceFile.FromText(text));
        return new SourceSet(loader._trees.ToImmutableArray(), loader._diagnostics.ToImmutableArray(), ImmutableArray<SourceLoadError>.Empty, rootFull);
    }

    /// <summary>
    /// Parses a file that was read: its syntax diagnostics, or one DSK0009 when the bytes were not
    /// UTF-8 (the tree is then empty).
    /// </summary>
    public static (SyntaxTree Tree, ImmutableArray<Diagnostic> Diagnostics) Parse(string displayPath, SourceFile file)
    {
        if (file.Text != null)
        {
            var parsed = SyntaxTree.Parse(new SourceText(displayPath, file.Text));
            return (parsed, parsed.Diagnostics);
        }
        // Not UTF-8: the file is not parsed; the diagnostic points at the first bad byte, shown in
        // a decoding that replaces the bad bytes.
        var shown = new SourceText(displayPath, file.LossyText ?? "");
        int at = Math.Max(0, Math.Min(file.InvalidCharIndex, shown.Length));
        var span = new TextSpan(at, at < shown.Length ? 1 : 0);
        var diagnostic = new Diagnostic(DiagnosticDescriptors.NotUtf8, new Location(shown, span),
            DiagnosticDescriptors.NotUtf8.Format(new object[] { file.InvalidByte, file.InvalidUtf8Offset }), ImmutableArray<DiagnosticNote>.Empty);
        return (SyntaxTree.Parse(new SourceText(displayPath, "")), ImmutableArray.Create(diagnostic));
    }

    /// <summary>The root folder as the user would write it: as given with --root, else the first file's folder as given.</summary>
    private static string RootDisplay(string? root, string firstPath)
    {
        if (root != null) return root;
        var folder = PathText.Directory(firstPath);
        return folder.Length == 0 ? "." : folder;
    }

    private SyntaxTree LoadFile(string displayPath, string fullPath, SourceFile file)
    {
        var (tree, diagnostics) = Parse(displayPath, file);
        _byFullPath[fullPath] = tree;
        _trees.Add(tree);
        _diagnostics.AddRange(diagnostics);

        _stack.Add(fullPath);
        _stackDisplay.Add(displayPath);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var import in tree.Root.Items.OfType<ImportDeclaration>())
            LoadImport(tree, displayPath, fullPath, import, seen);
        _stack.RemoveAt(_stack.Count - 1);
        _stackDisplay.RemoveAt(_stackDisplay.Count - 1);
        return tree;
    }

    private void LoadImport(SyntaxTree importer, string importerDisplay, string importerFull, ImportDeclaration import, HashSet<string> seen)
    {
        var relative = import.Path.Value;
        var at = new Location(importer.Text, import.Path.Span);
        if (relative.Length == 0) return; // a syntax error was reported already
        if (!relative.EndsWith(".dsk", StringComparison.Ordinal))
        {
            Report(DiagnosticDescriptors.ImportNotDsk, at, relative);
            return;
        }

        var full = _fs.GetFullPath(PathText.Combine(PathText.Directory(importerFull), relative));
        if (!PathText.IsUnder(full, _root))
        {
            Report(DiagnosticDescriptors.ImportOutsideRoot, at, relative, _rootDisplay);
            return;
        }
        if (!seen.Add(full))
        {
            Report(DiagnosticDescriptors.DuplicateImport, at, relative);
            return;
        }

        int onStack = _stack.IndexOf(full);
        if (onStack >= 0)
        {
            var cycle = _stackDisplay.Skip(onStack).Concat(new[] { _stackDisplay[onStack] });
            Report(DiagnosticDescriptors.ImportCycle, at, string.Join(" -> ", cycle));
            return;
        }
        if (_byFullPath.ContainsKey(full)) return;

        var display = PathText.Normalize(PathText.Combine(PathText.Directory(importerDisplay), relative));
        var file = _fs.Read(full);
        if (file.Text == null && file.InvalidUtf8Offset < 0)
        {
            if (file.NotFound) Report(DiagnosticDescriptors.ImportNotFound, at, relative, display);
            else Report(DiagnosticDescriptors.ImportUnreadable, at, relative, file.Error);
            return;
        }
        LoadFile(display, full, file);
    }

    private void Report(DiagnosticDescriptor descriptor, Location location, params object?[] args) =>
        _diagnostics.Add(new Diagnostic(descriptor, location, descriptor.Format(args), ImmutableArray<DiagnosticNote>.Empty));
}
