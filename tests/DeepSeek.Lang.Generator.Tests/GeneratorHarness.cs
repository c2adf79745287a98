using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>An AdditionalFile held in memory.</summary>
public sealed class MemoryAdditionalText : AdditionalText
{
    private readonly SourceText? _text;

    public MemoryAdditionalText(string path, string? text)
    {
        Path = path;
        _text = text == null ? null : SourceText.From(text, System.Text.Encoding.UTF8);
    }

    public override string Path { get; }

    public override SourceText? GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>MSBuild properties as the generator sees them (build_property.X).</summary>
public sealed class TestOptionsProvider : AnalyzerConfigOptionsProvider
{
    private readonly TestOptions _global;

    public TestOptionsProvider(IReadOnlyDictionary<string, string> properties)
    {
        _global = new TestOptions(properties.ToDictionary(kv => "build_property." + kv.Key, kv => kv.Value));
    }

    public override AnalyzerConfigOptions GlobalOptions => _global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => TestOptions.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => TestOptions.Empty;

    private sealed class TestOptions : AnalyzerConfigOptions
    {
        public static readonly TestOptions Empty = new(new Dictionary<string, string>());

        private readonly Dictionary<string, string> _values;

        public TestOptions(Dictionary<string, string> values)
        {
            _values = values;
        }

        public override bool TryGetValue(string key, out string value) => _values.TryGetValue(key, out value!);
    }
}

/// <summary>Runs the generator the way the compiler does, on C# sources and .dsk AdditionalFiles.</summary>
public static class GeneratorHarness
{
    public const string ProjectDir = "/src/App";

    /// <summary>Every assembly the test process can see (the framework, the runtime, the compiler).</summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    public static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return paths.Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    }

    public static Dictionary<string, string> DefaultProperties() => new()
    {
        ["RootNamespace"] = "App",
        ["MSBuildProjectDirectory"] = ProjectDir,
    };

    public static CSharpCompilation CreateCompilation(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create(
            "App",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, s.Path)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> files, IReadOnlyDictionary<string, string>? properties = null, bool track = true) =>
        CSharpGeneratorDriver.Create(
            new[] { new DskGenerator().AsSourceGenerator() },
            files,
            ParseOptions,
            new TestOptionsProvider(properties ?? DefaultProperties()),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

    /// <summary>Runs the generator once: what it produced, and the compilation with its output.</summary>
    public static Run Generate((string Path, string Text)[] dsk, (string Path, string Text)[]? csharp = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        var compilation = CreateCompilation(csharp ?? Array.Empty<(string, string)>());
        var driver = CreateDriver(dsk.Select(f => (AdditionalText)new MemoryAdditionalText(f.Path, f.Text)), properties);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new Run(driver, driver.GetRunResult(), output, generatorDiagnostics);
    }

    /// <summary>Loads a compiled assembly into a collectible context that shares the runtime with the test.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var stream = new MemoryStream();
        var emit = compilation.Emit(stream);
        Assert.True(emit.Success, string.Join("\n", emit.Diagnostics));
        stream.Position = 0;
        return new AssemblyLoadContext("generated", isCollectible: true).LoadFromStream(stream);
    }

    public sealed record Run(GeneratorDriver Driver, GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
    {
        /// <summary>Diagnostics of the compilation with the generated code (errors and warnings: warnings are errors here).</summary>
        public ImmutableArray<Diagnostic> CompileDiagnostics =>
            Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToImmutableArray();

        public string Source(string hintEnd) =>
            Result.Results.Single().GeneratedSources.Single(s => s.HintName.EndsWith(hintEnd, StringComparison.Ordinal)).SourceText.ToString();

        public IEnumerable<string> HintNames => Result.Results.Single().GeneratedSources.Select(s => s.HintName);
    }
}
