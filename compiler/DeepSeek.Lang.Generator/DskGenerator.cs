using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using DskDescriptors = DeepSeek.Lang.Compiler.Diagnostics.DiagnosticDescriptors;

namespace DeepSeek.Lang.Generator;

/// <summary>
/// The DeepSeek.Lang source generator. Every <c>model</c> in the project's .dsk AdditionalFiles becomes a
/// sealed partial class in the root namespace (or <c>DskNamespace</c>); a partial class marked
/// <c>[DskModel("""…""")]</c> gets the same members from its inline source. Every DSK diagnostic becomes a
/// Roslyn diagnostic at its place in the .dsk file (or in the attribute's string).
/// </summary>
/// <remarks>
/// Pipeline (each step's value is plain, value-equatable data):
/// AdditionalFiles → <c>DskFiles</c> (path, text) → <c>AllDskFiles</c> (sorted, for imports) → <c>DskUnits</c>
/// (a file and what it may import) → <c>DskCompile</c> (the compiler's check and elaboration) → source output.
/// [DskModel] classes → <c>DskEmbedded</c> → <c>DskEmbeddedUnits</c> → <c>DskEmbeddedCompile</c> → source output.
/// Editing C# reruns none of the .dsk steps; editing one .dsk file recompiles only the units whose import closure holds it.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class DskGenerator : IIncrementalGenerator
{
    public const string FilesStep = "DskFiles";
    public const string AllFilesStep = "AllDskFiles";
    public const string UnitsStep = "DskUnits";
    public const string CompileStep = "DskCompile";
    public const string EmbeddedStep = "DskEmbedded";
    public const string EmbeddedUnitsStep = "DskEmbeddedUnits";
    public const string EmbeddedCompileStep = "DskEmbeddedCompile";
    public const string OptionsStep = "DskOptions";

    private static readonly ConcurrentDictionary<(string Code, bool IsError, string Title), DiagnosticDescriptor> Descriptors = new();

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var options = context.AnalyzerConfigOptionsProvider
            .Select((provider, _) => ReadOptions(provider.GlobalOptions))
            .WithTrackingName(OptionsStep);

        var files = context.AdditionalTextsProvider
            .Where(t => t.Path.EndsWith(".dsk", StringComparison.OrdinalIgnoreCase))
            .Select((t, ct) => new DskFile(t.Path, t.GetText(ct)?.ToString()))
            .WithTrackingName(FilesStep);

        var allFiles = files.Collect()
            .Select((all, _) => all.GroupBy(f => f.Path, StringComparer.Ordinal).Select(g => g.First())
                .OrderBy(f => f.Path, StringComparer.Ordinal).ToEquatableArray())
            .WithTrackingName(AllFilesStep);

        var units = allFiles
            .SelectMany((all, _) => all.Items)
            .Combine(allFiles)
            .Combine(options)
            .Select((x, _) => UnitCompiler.ForFile(x.Left.Left, x.Left.Right, x.Right))
            .WithTrackingName(UnitsStep);

        var results = units
            .Select((unit, ct) => UnitCompiler.Compile(unit, ct))
            .WithTrackingName(CompileStep);

        context.RegisterSourceOutput(results.Collect(), EmitFileModels);

        var embedded = context.SyntaxProvider
            .ForAttributeWithMetadataName(EmbeddedModels.AttributeName, EmbeddedModels.IsCandidate, EmbeddedModels.Read)
            .WithTrackingName(EmbeddedStep);

        var embeddedUnits = embedded
            .Combine(allFiles)
            .Combine(options)
            .Select((x, _) => UnitCompiler.ForEmbedded(x.Left.Left, x.Left.Right, x.Right))
            .WithTrackingName(EmbeddedUnitsStep);

        var embeddedResults = embeddedUnits
            .Select((unit, ct) => unit.Embedded!.Problem != null && unit.Embedded.Failure == null ? Rejected(unit) : UnitCompiler.Compile(unit, ct))
            .WithTrackingName(EmbeddedCompileStep);

        context.RegisterSourceOutput(embeddedResults, EmitEmbeddedModel);
    }

    private static GeneratorOptions ReadOptions(AnalyzerConfigOptions options)
    {
        options.TryGetValue("build_property.RootNamespace", out var rootNamespace);
        options.TryGetValue("build_property.DskNamespace", out var dskNamespace);
        if (!options.TryGetValue("build_property.MSBuildProjectDirectory", out var directory) || string.IsNullOrWhiteSpace(directory))
            options.TryGetValue("build_property.ProjectDir", out directory);
        return new GeneratorOptions(rootNamespace, dskNamespace, string.IsNullOrWhiteSpace(directory) ? null : directory);
    }

    private static UnitResult Rejected(DskUnit unit)
    {
        var request = unit.Embedded!;
        var d = DskDescriptors.InvalidEmbeddedModelClass;
        var info = new DiagnosticInfo(d.Code, d.Title, true, d.Format(new object?[] { Names.Plain(request.ClassName), request.Problem }),
            request.ClassLocation, EquatableArray<LocationInfo>.Empty);
        return new UnitResult(unit.Namespace, EquatableArray<ModelInfo>.Empty, new[] { info }.ToEquatableArray(), "", EquatableArray<EmbeddedSource>.Empty, request);
    }

    private static void EmitFileModels(SourceProductionContext context, ImmutableArray<UnitResult> results)
    {
        try
        {
            // Diagnostics: one per code and place (an imported file's problems show in each importer's unit).
            var seen = new HashSet<(string, string, int)>();
            foreach (var r in results)
                foreach (var d in r.Diagnostics)
                    if (seen.Add((d.Code, d.Location?.Path ?? "", d.Location?.Start ?? -1))) context.ReportDiagnostic(ToRoslyn(d));

            var classes = new Dictionary<string, ModelInfo>(StringComparer.Ordinal);
            foreach (var r in results.OrderBy(r => r.EntryRelativePath, StringComparer.Ordinal))
            {
                if (r.Models.Count == 0) continue;
                var ns = Names.Namespace(r.Namespace);
                if (ns == null)
                {
                    Report(context, DskDescriptors.InvalidNamespace, null, r.Namespace);
                    return;
                }
                foreach (var model in r.Models)
                {
                    context.CancellationToken.ThrowIfCancellationRequested();
                    var className = Names.ClassName(model.Name);
                    var key = ns + "." + Names.Plain(className);
                    if (classes.TryGetValue(key, out var first))
                    {
                        Report(context, DskDescriptors.DuplicateModelClass, model.Location, model.Name, Names.Plain(className), first.Name, first.Location.ToString());
                        continue;
                    }
                    classes[key] = model;
                    AddSource(context, $"{Names.HintPart(key.TrimStart('.'))}.g.cs", ClassWriter.Write(model, r, ns, className, "public "), model.Location);
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            context.ReportDiagnostic(ToRoslyn(UnitCompiler.InternalError(e, null)));
        }
    }

    private static void EmitEmbeddedModel(SourceProductionContext context, UnitResult result)
    {
        try
        {
            foreach (var d in result.Diagnostics) context.ReportDiagnostic(ToRoslyn(d));
            var request = result.Embedded!;
            foreach (var model in result.Models)
            {
                var hint = $"{Names.HintPart((result.Namespace.Length > 0 ? result.Namespace + "." : "") + Names.Plain(request.ClassName))}.{Names.Hash(request.FilePath + ":" + request.ClassLocation.Start)}.dsk.g.cs";
                AddSource(context, hint, ClassWriter.Write(model, result, result.Namespace, request.ClassName, ""), request.ClassLocation);
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            context.ReportDiagnostic(ToRoslyn(UnitCompiler.InternalError(e, result.Embedded?.ClassLocation)));
        }
    }

    /// <summary>Adds a generated file after checking that it parses: a defence in depth against any name or text escaping the escapers.</summary>
    private static void AddSource(SourceProductionContext context, string hintName, string source, LocationInfo location)
    {
        var tree = CSharpSyntaxTree.ParseText(source, cancellationToken: context.CancellationToken);
        var error = tree.GetDiagnostics(context.CancellationToken).FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error);
        if (error != null)
        {
            context.ReportDiagnostic(ToRoslyn(UnitCompiler.InternalError(new InvalidOperationException($"the generated {hintName} does not parse: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"), location)));
            return;
        }
        context.AddSource(hintName, SourceText.From(source, System.Text.Encoding.UTF8));
    }

    private static void Report(SourceProductionContext context, Compiler.Diagnostics.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] args) =>
        context.ReportDiagnostic(ToRoslyn(new DiagnosticInfo(descriptor.Code, descriptor.Title, descriptor.Severity == Compiler.Diagnostics.DiagnosticSeverity.Error,
            descriptor.Format(args), location, EquatableArray<LocationInfo>.Empty)));

    internal static Diagnostic ToRoslyn(DiagnosticInfo d)
    {
        var descriptor = Descriptors.GetOrAdd((d.Code, d.IsError, d.Title), key => Describe(key.Code, key.Title, key.IsError));
        return Diagnostic.Create(descriptor, ToLocation(d.Location), d.AdditionalLocations.Select(ToLocation), d.Message);
    }

#pragma warning disable RS1017 // The DSK codes come from the compiler's one table of descriptors, not from constants here.
#pragma warning disable RS2008 // Release tracking: the codes are documented in the compiler's DiagnosticDescriptors.
    private static DiagnosticDescriptor Describe(string code, string title, bool isError) =>
        new(code, title, "{0}", "DeepSeek.Lang", isError ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning, isEnabledByDefault: true);
#pragma warning restore RS2008
#pragma warning restore RS1017

    private static Location ToLocation(LocationInfo? l) =>
        l == null
            ? Location.None
            : Location.Create(l.Path, new TextSpan(l.Start, l.Length),
                new LinePositionSpan(new LinePosition(l.StartLine, l.StartColumn), new LinePosition(l.EndLine, l.EndColumn)));
}
