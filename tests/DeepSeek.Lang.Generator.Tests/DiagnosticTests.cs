using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Lang.Generator.Tests;

public class DiagnosticTests
{
    private const string Bad = """
        module Bad(d: int) {
          a = Linear(d, d)
          b = Linear(d, 2 * d)

          forward(x: f32[N, d]) -> f32[N, d] {
            return a(x) + b(x)
          }
        }
        model B = Bad(4)
        """;

    [Fact]
    public void Block_comments_are_comments()
    {
        var path = $"{GeneratorHarness.ProjectDir}/commented.dsk";
        var run = GeneratorHarness.Generate(new[] { (path, "/* a block comment */ model M = Linear(2, 2) /* and\n another */\n") });
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Contains(run.HintNames, h => h.EndsWith("M.g.cs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_shape_error_is_a_Roslyn_error_at_the_dsk_line_and_column()
    {
        var path = $"{GeneratorHarness.ProjectDir}/bad.dsk";
        var run = GeneratorHarness.Generate(new[] { (path, Bad) });
        var d = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DSK2003");
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        var span = d.Location.GetLineSpan();
        Assert.Equal(path, span.Path);
        Assert.Equal(new LinePosition(5, 11), span.StartLinePosition); // line 6, column 12: "a(x) + b(x)"
        Assert.Contains("cannot add f32[N, 4] and f32[N, 8]", d.GetMessage(), StringComparison.Ordinal);
        // The note names the model that instantiated the module, and is an additional location.
        Assert.Contains("note:", d.GetMessage(), StringComparison.Ordinal);
        Assert.Contains(d.AdditionalLocations, l => l.GetLineSpan().StartLinePosition.Line == 8);
        // The form MSBuild prints: path(line,col): error DSK2003: message
        Assert.StartsWith($"{path}(6,12): error DSK2003: cannot add", d.ToString(), StringComparison.Ordinal);
        // No class for a model with errors.
        Assert.Empty(run.HintNames);
    }

    [Fact]
    public void Warnings_stay_warnings_and_syntax_errors_have_their_place()
    {
        var dir = GeneratorHarness.ProjectDir;
        var run = GeneratorHarness.Generate(new[]
        {
            ($"{dir}/main.dsk", "import \"lib.dsk\"\nimport \"lib.dsk\"\nmodel M = L(2)\n"),
            ($"{dir}/lib.dsk", "module L(d: int) {\n  l = Linear(d, d)\n  forward(x: f32[B, d]) -> f32[B, d] {\n    return l(x)\n  }\n}\n"),
            ($"{dir}/broken.dsk", "\n\nmodule {\n"),
        });
        var warning = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DSK1106");
        Assert.Equal(DiagnosticSeverity.Warning, warning.Severity);
        Assert.Equal(new LinePosition(1, 7), warning.Location.GetLineSpan().StartLinePosition);
        var syntax = run.GeneratorDiagnostics.Where(d => d.Id.StartsWith("DSK0", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(syntax);
        Assert.All(syntax, d => Assert.Equal($"{dir}/broken.dsk", d.Location.GetLineSpan().Path));
        Assert.Equal(2, syntax[0].Location.GetLineSpan().StartLinePosition.Line);
        // The model with only a warning still gets its class.
        Assert.Contains("App.M.g.cs", run.HintNames);
    }

    [Fact]
    public void Diagnostics_in_an_imported_file_are_reported_once()
    {
        var dir = GeneratorHarness.ProjectDir;
        var run = GeneratorHarness.Generate(new[]
        {
            ($"{dir}/a.dsk", "import \"lib.dsk\"\nmodel A = L(2)\n"),
            ($"{dir}/b.dsk", "import \"lib.dsk\"\nmodel B = L(3)\n"),
            ($"{dir}/lib.dsk", "module L(d: int) {\n  forward(x: f32[B, d]) -> f32[B, d] {\n    return x + undefined_name\n  }\n}\n"),
        });
        var d = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DSK1001");
        Assert.Equal($"{dir}/lib.dsk", d.Location.GetLineSpan().Path);
        Assert.Equal(new LinePosition(2, 15), d.Location.GetLineSpan().StartLinePosition);
    }

    [Fact]
    public void An_internal_failure_becomes_DSK9999_and_the_generator_does_not_throw()
    {
        var path = $"{GeneratorHarness.ProjectDir}/boom-{Guid.NewGuid():N}.dsk";
        UnitCompiler.BeforeCompile = unit =>
        {
            if (unit.EntryPath == path) throw new InvalidOperationException("boom");
        };
        try
        {
            var run = GeneratorHarness.Generate(new[] { (path, "model M = Linear(2, 2)\n"), ($"{GeneratorHarness.ProjectDir}/fine.dsk", "model Fine = Linear(2, 2)\n") });
            var d = Assert.Single(run.GeneratorDiagnostics);
            Assert.Equal("DSK9999", d.Id);
            Assert.Equal(DiagnosticSeverity.Error, d.Severity);
            Assert.Contains("InvalidOperationException: boom", d.GetMessage(), StringComparison.Ordinal);
            Assert.Equal(path, d.Location.GetLineSpan().Path);
            Assert.All(run.Result.Results, r => Assert.Null(r.Exception));
            // The other file is not affected.
            Assert.Equal(new[] { "App.Fine.g.cs" }, run.HintNames);
        }
        finally
        {
            UnitCompiler.BeforeCompile = null;
        }
    }

    [Fact]
    public void An_unreadable_additional_file_is_reported()
    {
        var path = $"{GeneratorHarness.ProjectDir}/gone.dsk";
        var run = GeneratorHarness.Generate(new[] { (path, (string)null!) });
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DSK4205", d.Id);
        Assert.Equal(path, d.Location.GetLineSpan().Path);
    }
}
