using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Lang.Generator.Tests;

public class IncrementalTests
{
    private static readonly string Dir = GeneratorHarness.ProjectDir;

    private static readonly (string Path, string Text)[] Files =
    {
        ($"{Dir}/a.dsk", "import \"lib.dsk\"\nmodel A = L(2)\n"),
        ($"{Dir}/b.dsk", "model B = Linear(3, 3)\n"),
        ($"{Dir}/lib.dsk", "module L(d: int) {\n  l = Linear(d, d)\n  forward(x: f32[N, d]) -> f32[N, d] {\n    return l(x)\n  }\n}\n"),
    };

    private const string Inline = "using DeepSeek.Lang.Runtime;\n[DskModel(\"model I = Linear(2, 2)\")] public partial class I;\n";

    private static (GeneratorDriver Driver, CSharpCompilation Compilation, ImmutableArray<AdditionalText> Texts) Start()
    {
        var texts = Files.Select(f => (AdditionalText)new MemoryAdditionalText(f.Path, f.Text)).ToImmutableArray();
        var compilation = GeneratorHarness.CreateCompilation(($"{Dir}/Program.cs", "class P { }"), ($"{Dir}/Other.cs", "class O { }"), ($"{Dir}/Inline.cs", Inline));
        var driver = GeneratorHarness.CreateDriver(texts).RunGenerators(compilation);
        return (driver, compilation, texts);
    }

    private static IEnumerable<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs);

    [Fact]
    public void Editing_an_unrelated_CSharp_file_leaves_the_dsk_steps_cached()
    {
        var (driver, compilation, _) = Start();
        Assert.Equal(3, driver.GetRunResult().Results.Single().GeneratedSources.Length);

        var other = compilation.SyntaxTrees.Single(t => t.FilePath.EndsWith("Other.cs", StringComparison.Ordinal));
        var edited = compilation.ReplaceSyntaxTree(other, CSharpSyntaxTree.ParseText("class O { int _x; }", GeneratorHarness.ParseOptions, other.FilePath));
        driver = driver.RunGenerators(edited);

        foreach (var step in new[] { DskGenerator.FilesStep, DskGenerator.AllFilesStep, DskGenerator.UnitsStep, DskGenerator.CompileStep, DskGenerator.EmbeddedUnitsStep, DskGenerator.EmbeddedCompileStep })
        {
            var outputs = Outputs(driver, step).ToList();
            Assert.NotEmpty(outputs);
            Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {o.Reason}"));
        }
        Assert.All(Outputs(driver, DskGenerator.CompileStep), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(Outputs(driver, DskGenerator.EmbeddedCompileStep), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_one_dsk_file_recompiles_only_the_units_that_may_import_it()
    {
        var (driver, compilation, texts) = Start();
        var lib = texts.Single(t => t.Path.EndsWith("lib.dsk", StringComparison.Ordinal));
        var changed = new MemoryAdditionalText(lib.Path, Files[2].Text.Replace("return l(x)", "return relu(l(x))"));
        driver = driver.ReplaceAdditionalText(lib, changed).RunGenerators(compilation);

        var reasons = Outputs(driver, DskGenerator.CompileStep)
            .ToDictionary(o => ((UnitResult)o.Value).EntryRelativePath, o => o.Reason);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["a.dsk"]);
        Assert.Equal(IncrementalStepRunReason.Modified, reasons["lib.dsk"]);
        Assert.Equal(IncrementalStepRunReason.Cached, reasons["b.dsk"]);
        // The inline model imports nothing: still cached.
        Assert.All(Outputs(driver, DskGenerator.EmbeddedCompileStep), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Pipeline_values_hold_no_symbols_syntax_or_compilations()
    {
        var forbidden = new[] { typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Microsoft.CodeAnalysis.Text.SourceText), typeof(Location) };
        var records = typeof(DskGenerator).Assembly.GetTypes().Where(t => t.GetMethod("<Clone>$") != null).ToList();
        Assert.Contains(typeof(UnitResult), records);
        foreach (var record in records)
            foreach (var property in record.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                var type = property.PropertyType;
                var element = type.IsGenericType ? type.GetGenericArguments() : Array.Empty<Type>();
                foreach (var t in element.Append(type))
                    Assert.False(forbidden.Any(f => f.IsAssignableFrom(t)), $"{record.Name}.{property.Name} is a {t.Name}");
                Assert.True(type == typeof(string) || type.IsValueType || records.Contains(type) || type.Name.StartsWith("EquatableArray", StringComparison.Ordinal),
                    $"{record.Name}.{property.Name} is a {type.Name}, which may not compare by value");
            }

        // Running twice on equal inputs (new objects) gives equal values: every compile is cached.
        var (driver, compilation, _) = Start();
        var copy = GeneratorHarness.CreateCompilation(compilation.SyntaxTrees.Select(t => (t.FilePath, t.ToString())).ToArray());
        driver = driver.RunGenerators(copy);
        Assert.All(Outputs(driver, DskGenerator.CompileStep), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }
}
