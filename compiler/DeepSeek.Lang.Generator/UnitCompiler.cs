using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DskDiagnostic = DeepSeek.Lang.Compiler.Diagnostics.Diagnostic;
using DskLocation = DeepSeek.Lang.Compiler.Text.Location;

namespace DeepSeek.Lang.Generator;

/// <summary>
/// Builds the units the generator compiles and compiles them with the one compilation API that dskc and
/// the runtime use (<see cref="Compilation"/>): parse, bind, check, and elaborate each model once. No
/// code generation and no runtime: the generated class compiles the embedded sources again when it runs.
/// </summary>
internal static class UnitCompiler
{
    /// <summary>Models with more parameter tensors than this list their names at run time instead of in generated code.</summary>
    public const int MaxEmbeddedParameterNames = 1000;

    private const int MaxDeclarationText = 400;

    private static readonly Regex ImportPattern = new("\\bimport\\s+\"((?:[^\"\\\\\\r\\n]|\\\\.)*)\"", RegexOptions.CultureInvariant);

    /// <summary>The unit for one .dsk AdditionalFile: the file and every file it may import.</summary>
    public static DskUnit ForFile(DskFile file, EquatableArray<DskFile> all, GeneratorOptions options)
    {
        try
        {
            return ForFileCore(file, all, options);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new DskUnit(file.Path, file.Text, "/", EquatableArray<DskFile>.Empty, options.Namespace, null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static DskUnit ForFileCore(DskFile file, EquatableArray<DskFile> all, GeneratorOptions options)
    {
        var fs = new MemoryFileSystem("/");
        var entryFull = fs.GetFullPath(file.Path);
        var root = RootFor(fs, entryFull, options.ProjectDirectory);
        return new DskUnit(file.Path, file.Text, root, Closure(fs, entryFull, file.Text, all), options.Namespace, null);
    }

    /// <summary>The unit for a [DskModel] class: its string, placed beside the C# file, and the .dsk files it may import.</summary>
    public static DskUnit ForEmbedded(EmbeddedRequest request, EquatableArray<DskFile> all, GeneratorOptions options)
    {
        try
        {
            return ForEmbeddedCore(request, all, options);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new DskUnit(request.FilePath, request.Source, "/", EquatableArray<DskFile>.Empty, request.Namespace, request, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static DskUnit ForEmbeddedCore(EmbeddedRequest request, EquatableArray<DskFile> all, GeneratorOptions options)
    {
        var fs = new MemoryFileSystem("/");
        string directory = request.FilePath.Length > 0 ? PathText.Directory(fs.GetFullPath(request.FilePath))
            : !string.IsNullOrEmpty(options.ProjectDirectory) ? fs.GetFullPath(options.ProjectDirectory!) : "/";
        var fileName = request.FilePath.Length > 0 ? request.FilePath.Replace('\\', '/').Split('/').Last() : "";
        var entry = PathText.Combine(directory.Length == 0 ? "/" : directory, (fileName.Length > 0 ? fileName + "." : "") + Names.Plain(request.ClassName) + ".dsk");
        var entryFull = fs.GetFullPath(entry);
        var root = RootFor(fs, entryFull, options.ProjectDirectory);
        var text = request.Source ?? "";
        return new DskUnit(entryFull, text, root, Closure(fs, entryFull, text, all), request.Namespace, request);
    }

    private static string RootFor(MemoryFileSystem fs, string entryFull, string? projectDirectory)
    {
        if (!string.IsNullOrEmpty(projectDirectory))
        {
            var project = fs.GetFullPath(projectDirectory!);
            if (PathText.IsUnder(entryFull, project) && entryFull != project) return project;
        }
        var dir = PathText.Directory(entryFull);
        return dir.Length == 0 ? "/" : dir;
    }

    /// <summary>
    /// The files that <paramref name="entryText"/> may import, transitively: every <c>import "…"</c> that a
    /// textual scan finds (one in a comment too, which only makes the set larger than needed).
    /// </summary>
    private static EquatableArray<DskFile> Closure(MemoryFileSystem fs, string entryFull, string? entryText, EquatableArray<DskFile> all)
    {
        var byPath = new Dictionary<string, DskFile>(StringComparer.Ordinal);
        foreach (var f in all) byPath[fs.GetFullPath(f.Path)] = f;
        var result = new List<DskFile>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { entryFull };
        var queue = new Queue<(string Full, string? Text)>();
        queue.Enqueue((entryFull, entryText));
        while (queue.Count > 0)
        {
            var (full, text) = queue.Dequeue();
            if (text == null) continue;
            foreach (Match m in ImportPattern.Matches(text))
            {
                var relative = m.Groups[1].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
                var target = fs.GetFullPath(PathText.Combine(PathText.Directory(full), relative));
                if (!seen.Add(target) || !byPath.TryGetValue(target, out var file)) continue;
                result.Add(file);
                queue.Enqueue((target, file.Text));
            }
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return result.ToEquatableArray();
    }

    /// <summary>Compiles a unit. Never throws, except to cancel: an internal failure becomes DSK9999.</summary>
    public static UnitResult Compile(DskUnit unit, CancellationToken cancellationToken)
    {
        // A failure in an earlier step (building the unit, reading the attribute) was carried here.
        if ((unit.Failure ?? unit.Embedded?.Failure) is { } failure) return Failure(unit, failure);
        try
        {
            return CompileCore(unit, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            return Failure(unit, e);
        }
    }

    public static UnitResult Failure(DskUnit unit, Exception e) => Failure(unit, $"{e.GetType().Name}: {e.Message}");

    private static UnitResult Failure(DskUnit unit, string what)
    {
        var at = unit.Embedded?.ClassLocation ?? new LocationInfo(unit.EntryPath, 0, 0, 0, 0, 0, 0);
        return new UnitResult(unit.Namespace, EquatableArray<ModelInfo>.Empty,
            new[] { InternalError(what, at) }.ToEquatableArray(), "", EquatableArray<EmbeddedSource>.Empty, unit.Embedded);
    }

    public static DiagnosticInfo InternalError(Exception e, LocationInfo? at) => InternalError($"{e.GetType().Name}: {e.Message}", at);

    private static DiagnosticInfo InternalError(string what, LocationInfo? at)
    {
        var d = DiagnosticDescriptors.InternalError;
        return new DiagnosticInfo(d.Code, d.Title, true, d.Format(new object?[] { what }), at, EquatableArray<LocationInfo>.Empty);
    }

    /// <summary>For tests: runs first in every compile, inside its error handling (so that a test can make a compile fail).</summary>
    internal static Action<DskUnit>? BeforeCompile { get; set; }

    private static UnitResult CompileCore(DskUnit unit, CancellationToken ct)
    {
        BeforeCompile?.Invoke(unit);
        if (unit.EntryText == null)
        {
            var d = DiagnosticDescriptors.UnreadableAdditionalFile;
            var info = new DiagnosticInfo(d.Code, d.Title, true, d.Format(new object?[] { unit.EntryPath }),
                new LocationInfo(unit.EntryPath, 0, 0, 0, 0, 0, 0), EquatableArray<LocationInfo>.Empty);
            return new UnitResult(unit.Namespace, EquatableArray<ModelInfo>.Empty, new[] { info }.ToEquatableArray(), "", EquatableArray<EmbeddedSource>.Empty, unit.Embedded);
        }

        var fs = new MemoryFileSystem(unit.Root);
        var originals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in unit.Files)
        {
            if (f.Text == null) continue;
            fs.Add(f.Path, f.Text);
            originals[fs.GetFullPath(f.Path)] = f.Path;
        }
        fs.Add(unit.EntryPath, unit.EntryText);
        var entryFull = fs.GetFullPath(unit.EntryPath);
        originals[entryFull] = unit.EntryPath;

        ct.ThrowIfCancellationRequested();
        var sources = SourceLoader.Load(new[] { unit.EntryPath }, fs, unit.Root);
        var compilation = Compilation.Create(sources);
        ct.ThrowIfCancellationRequested();
        var dskDiagnostics = compilation.Diagnostics;
        ct.ThrowIfCancellationRequested();

        var mapper = new LocationMapper(fs, originals, entryFull, unit.Embedded?.Map);
        var diagnostics = new List<DiagnosticInfo>();
        foreach (var d in dskDiagnostics)
        {
            if (unit.Embedded != null && !mapper.Concerns(d)) continue;
            diagnostics.Add(mapper.Convert(d));
        }

        var declared = compilation.Models.Where(m => fs.GetFullPath(m.Source.Path) == entryFull).ToList();
        if (unit.Embedded is { } request)
        {
            var chosen = Choose(request, declared.Select(m => m.Name).ToList(), out var problem);
            if (problem != null)
            {
                var d = DiagnosticDescriptors.EmbeddedModelNotFound;
                diagnostics.Add(new DiagnosticInfo(d.Code, d.Title, true, d.Format(new object?[] { Names.Plain(request.ClassName), problem }),
                    request.ClassLocation, EquatableArray<LocationInfo>.Empty));
            }
            declared = declared.Where(m => m.Name == chosen).ToList();
        }

        var root = fs.GetFullPath(unit.Root);
        var models = new List<ModelInfo>();
        foreach (var model in declared)
        {
            ct.ThrowIfCancellationRequested();
            var graph = compilation.GetModel(model).Graph;
            if (graph == null) continue;
            models.Add(Describe(model, graph, mapper, Relative(fs.GetFullPath(model.Source.Path), root), OutputNames(compilation, model, graph.Outputs.Length)));
        }

        var embedded = new List<EmbeddedSource>();
        foreach (var tree in compilation.Sources.Trees)
            embedded.Add(new EmbeddedSource(Relative(fs.GetFullPath(tree.Text.Path), root), tree.Text.Text));

        return new UnitResult(unit.Namespace, models.ToEquatableArray(), diagnostics.ToEquatableArray(),
            Relative(entryFull, root), embedded.ToEquatableArray(), unit.Embedded);
    }

    private static string? Choose(EmbeddedRequest request, List<string> models, out string? problem)
    {
        problem = null;
        var className = Names.Plain(request.ClassName);
        if (request.ModelName != null)
        {
            if (models.Contains(request.ModelName)) return request.ModelName;
            problem = $"the source declares no model '{request.ModelName}'; " + Declares(models);
            return null;
        }
        if (models.Count == 1) return models[0];
        if (models.Contains(className)) return className;
        problem = models.Count == 0
            ? "the source declares no model; add one, such as: model " + className + " = SomeModule(...)"
            : $"the source declares models {string.Join(", ", models)}; say which with Model = \"{models[0]}\"";
        return null;
    }

    private static string Declares(List<string> models) =>
        models.Count == 0 ? "it declares none" : "it declares " + string.Join(", ", models);

    private static readonly HashSet<string> ReservedTupleNames = new(StringComparer.Ordinal)
    {
        "Rest", "ToString", "GetHashCode", "Equals", "CompareTo", "GetType", "MemberwiseClone", "Finalize",
    };

    /// <summary>
    /// Names for the elements of a tuple result: the names in the forward's <c>return (a, b)</c> when it is
    /// the body's last statement and no <c>if</c> or <c>for</c> could return something else; otherwise, and for
    /// an element that is not a plain name, <c>output0</c>, <c>output1</c>… (the graph's output names).
    /// </summary>
    private static string[] OutputNames(Compilation compilation, Compiler.Binding.ModelSymbol model, int count)
    {
        var names = Enumerable.Range(0, count).Select(k => "output" + k.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (count < 2) return names;
        if (model.Syntax.Value is not Compiler.Syntax.CallExpression { Callee: Compiler.Syntax.NameExpression callee }) return names;
        if (!compilation.Symbols.Modules.TryGetValue(callee.Name.Text, out var module) || module.Forward is not { } forward) return names;
        var statements = forward.Body.Statements;
        if (statements.Length == 0 || statements[statements.Length - 1] is not Compiler.Syntax.ReturnStatement { Value: Compiler.Syntax.TupleExpression tuple }) return names;
        if (statements.Any(st => st is Compiler.Syntax.IfStatement or Compiler.Syntax.ForStatement) || tuple.Elements.Length != count) return names;
        var used = new HashSet<string>(names, StringComparer.Ordinal);
        for (int k = 0; k < count; k++)
        {
            if (tuple.Elements[k] is not Compiler.Syntax.NameExpression name) continue;
            var text = name.Name.Text;
            if (ReservedTupleNames.Contains(text) || text.StartsWith("Item", StringComparison.Ordinal) || !used.Add(text)) continue;
            names[k] = text;
        }
        return names;
    }

    private static ModelInfo Describe(Compiler.Binding.ModelSymbol model, Graph graph, LocationMapper mapper, string displayPath, string[] outputNames)
    {
        long parameters = 0;
        long buffers = 0;
        var names = new List<string>();
        foreach (var w in graph.Weights)
        {
            long n = 1;
            var shape = w.Value.Type.Shape;
            for (int i = 0; i < shape.Rank; i++) n = checked(n * (shape[i].ConstantValue ?? 0));
            if (w.Kind == WeightKind.Param)
            {
                parameters = checked(parameters + n);
                names.Add(w.Name);
            }
            else buffers = checked(buffers + n);
        }
        bool embedNames = names.Count <= MaxEmbeddedParameterNames;
        var declaration = model.Source[model.Syntax.Span];
        if (declaration.Length > MaxDeclarationText) declaration = declaration.Substring(0, MaxDeclarationText) + "…";
        return new ModelInfo(
            model.Name,
            declaration,
            displayPath,
            mapper.Map(model.Location),
            graph.Inputs.Select(i => new TensorInfo(i.Name, i.Value.Type.ToString())).ToEquatableArray(),
            graph.Outputs.Select((o, k) => new TensorInfo(outputNames[k], o.Value.Type.ToString())).ToEquatableArray(),
            parameters,
            names.Count,
            buffers,
            embedNames,
            embedNames ? names.ToEquatableArray() : EquatableArray<string>.Empty);
    }

    private static string Relative(string full, string root)
    {
        var r = root.TrimEnd('/');
        if (full.StartsWith(r + "/", StringComparison.Ordinal)) return full.Substring(r.Length + 1);
        int slash = full.LastIndexOf('/');
        return slash >= 0 ? full.Substring(slash + 1) : full;
    }

    /// <summary>Turns compiler locations into Roslyn ones: .dsk files under their MSBuild paths, the [DskModel] string into the C# file.</summary>
    private sealed class LocationMapper
    {
        private readonly MemoryFileSystem _fs;
        private readonly Dictionary<string, string> _originals;
        private readonly string _entryFull;
        private readonly PositionMap? _map;

        public LocationMapper(MemoryFileSystem fs, Dictionary<string, string> originals, string entryFull, PositionMap? map)
        {
            _fs = fs;
            _originals = originals;
            _entryFull = entryFull;
            _map = map;
        }

        private bool InEntry(DskLocation location) => _fs.GetFullPath(location.Source.Path) == _entryFull;

        /// <summary>For a [DskModel] unit: diagnostics in its string, or caused there (a note points into it).</summary>
        public bool Concerns(DskDiagnostic d) =>
            InEntry(d.Location) || d.Notes.Any(n => n.Location is { } at && InEntry(at));

        public LocationInfo Map(DskLocation location)
        {
            var source = location.Source;
            int start = Math.Max(0, Math.Min(location.Span.Start, source.Length));
            int end = Math.Max(start, Math.Min(location.Span.End, source.Length));
            if (_map != null && InEntry(location)) return MapEmbedded(_map, start, end);
            var full = _fs.GetFullPath(source.Path);
            var path = _originals.TryGetValue(full, out var original) ? original : source.Path;
            var s = source.GetLinePosition(start);
            var e = source.GetLinePosition(end);
            return new LocationInfo(path, start, end - start, s.Line - 1, s.Column - 1, e.Line - 1, e.Column - 1);
        }

        private static LocationInfo MapEmbedded(PositionMap map, int start, int end)
        {
            var positions = map.Positions;
            int last = positions.Count - 1;
            int s = positions[Math.Min(start, last)];
            int e = Math.Max(s, positions[Math.Min(end, last)]);
            var (sl, sc) = LineColumn(map.LineStarts, s);
            var (el, ec) = LineColumn(map.LineStarts, e);
            return new LocationInfo(map.FilePath, s, e - s, sl, sc, el, ec);
        }

        private static (int Line, int Column) LineColumn(EquatableArray<int> lineStarts, int position)
        {
            var starts = lineStarts.Items;
            int lo = 0, hi = starts.Length - 1, line = 0;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                if (starts[mid] <= position)
                {
                    line = mid;
                    lo = mid + 1;
                }
                else hi = mid - 1;
            }
            return (line, position - (starts.Length > 0 ? starts[line] : 0));
        }

        public DiagnosticInfo Convert(DskDiagnostic d)
        {
            var location = Map(d.Location);
            var message = d.Message;
            var additional = new List<LocationInfo>();
            foreach (var note in d.Notes)
            {
                var kind = note.IsHint ? "hint" : "note";
                if (note.Location is { } at)
                {
                    var mapped = Map(at);
                    additional.Add(mapped);
                    message += $"; {kind}: {note.Message} at {mapped}";
                }
                else message += $"; {kind}: {note.Message}";
            }
            return new DiagnosticInfo(d.Code, d.Descriptor.Title, d.IsError, message, location, additional.ToEquatableArray());
        }
    }

    internal static string FormatCount(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
