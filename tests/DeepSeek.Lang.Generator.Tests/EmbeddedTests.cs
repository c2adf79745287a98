using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>[DskModel("...")] classes: the same members from inline source, diagnostics inside the C# string.</summary>
public class EmbeddedTests
{
    private const string Path = GeneratorHarness.ProjectDir + "/Models.cs";

    private static GeneratorHarness.Run Generate(string csharp, params (string Path, string Text)[] dsk) =>
        GeneratorHarness.Generate(dsk, new[] { (Path, csharp) });

    [Fact]
    public void A_raw_string_model_gets_the_members_and_runs()
    {
        var run = Generate("""""
            using DeepSeek.Lang.Runtime;

            namespace Demo.Inline;

            [DskModel(""""
                module Mlp(d: int) {
                  l = Linear(d, d)
                  forward(x: f32[B, d]) -> f32[B, d] {
                    return relu(l(x))
                  }
                }
                model Tiny = Mlp(3)
                """")]
            public partial class Tiny;
            """"");
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        var type = GeneratorHarness.Load(run.Output).GetType("Demo.Inline.Tiny")!;
        Assert.True(type.IsSealed);
        Assert.Equal(12L, (long)type.GetProperty("ParameterCount")!.GetValue(null)!);
        using var model = (IDisposable)type.GetMethod("Create")!.Invoke(null, new object[] { Device.Cpu, 0, Engine.Eager })!;
        using var x = Tensor.FromArray(new float[] { 1, -2, 3 }, 1, 3);
        using var y = (Tensor)type.GetMethod("Forward")!.Invoke(model, new object[] { x })!;
        Assert.Equal(new long[] { 1, 3 }, y.Shape);
    }

    [Fact]
    public void An_error_in_a_multi_line_raw_string_is_located_in_the_CSharp_file()
    {
        var run = Generate("""""
            using DeepSeek.Lang.Runtime;

            namespace Demo;

            [DskModel(""""
                module Bad(d: int) {
                  a = Linear(d, d)
                  b = Linear(d, 2 * d)
                  forward(x: f32[N, d]) -> f32[N, d] {
                    return a(x) + b(x)
                  }
                }
                model B = Bad(4)
                """")]
            public partial class B;
            """"");
        var d = Assert.Single(run.GeneratorDiagnostics, d => d.Id == "DSK2003");
        var span = d.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        // Line 10 of the C# file; the .dsk text is indented by 4 in the raw string, so column 4 + 11 + 1 = 16.
        Assert.Equal(new LinePosition(9, 15), span.StartLinePosition);
        Assert.Equal(9, span.EndLinePosition.Line);
        // The note (the model's line) is mapped too.
        Assert.Contains(d.AdditionalLocations, l => l.GetLineSpan().Path == Path && l.GetLineSpan().StartLinePosition == new LinePosition(12, 4));
        Assert.Contains("Models.cs(13,5)", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_in_regular_verbatim_and_single_line_raw_strings_are_located_exactly()
    {
        // "\t" and "\"" take two characters in C# and one in the value; the error is the unknown name.
        var run = Generate("""""
            using DeepSeek.Lang.Runtime;
            [DskModel("const s = \"x\"\n\tmodel R = Linear(2, nope)")] public partial class R;
            [DskModel(@"const s = ""x""
            model V = Linear(2, nope)")] public partial class V;
            [DskModel("""model S = Linear(2, nope)""")] public partial class S;
            """"");
        var errors = run.GeneratorDiagnostics.Where(d => d.Id == "DSK1001").Select(d => d.Location.GetLineSpan()).OrderBy(s => s.StartLinePosition.Line).ToList();
        Assert.Equal(3, errors.Count);
        var line1 = "[DskModel(\"const s = \\\"x\\\"\\n\\tmodel R = Linear(2, ";
        Assert.Equal(new LinePosition(1, line1.Length), errors[0].StartLinePosition);
        Assert.Equal(new LinePosition(3, "model V = Linear(2, ".Length), errors[1].StartLinePosition);
        Assert.Equal(new LinePosition(4, "[DskModel(\"\"\"model S = Linear(2, ".Length), errors[2].StartLinePosition);
    }

    [Fact]
    public void A_class_that_cannot_take_the_members_or_an_ambiguous_source_is_an_error_on_the_class()
    {
        var run = Generate("""""
            using DeepSeek.Lang.Runtime;
            [DskModel("model A = Linear(2, 2)")] public class NotPartial;
            public partial class Outer { [DskModel("model A = Linear(2, 2)")] public partial class Nested; }
            [DskModel("model A = Linear(2, 2)\nmodel C = Linear(3, 3)")] public partial class Two;
            [DskModel("model A = Linear(2, 2)\nmodel C = Linear(3, 3)", Model = "C")] public partial class Chosen;
            [DskModel("model A = Linear(2, 2)", Model = "Z")] public partial class Missing;
            [DskModel("const k = 1")] public partial class None;
            """"");
        var byClass = run.GeneratorDiagnostics.ToDictionary(d => run.Output.SyntaxTrees.First().GetText().ToString().Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Equal("DSK4203", byClass["NotPartial"].Id);
        Assert.Contains("partial", byClass["NotPartial"].GetMessage(), StringComparison.Ordinal);
        Assert.Equal("DSK4203", byClass["Nested"].Id);
        Assert.Equal("DSK4202", byClass["Two"].Id);
        Assert.Contains("Model = \"A\"", byClass["Two"].GetMessage(), StringComparison.Ordinal);
        Assert.Equal("DSK4202", byClass["Missing"].Id);
        Assert.Equal("DSK4202", byClass["None"].Id);
        Assert.False(byClass.ContainsKey("Chosen"));
        Assert.Contains(run.HintNames, h => h.StartsWith("Chosen.", StringComparison.Ordinal));
        Assert.Equal(5, run.GeneratorDiagnostics.Length);
    }

    [Fact]
    public void Inline_source_may_import_project_files()
    {
        var run = Generate("""""
            using DeepSeek.Lang.Runtime;
            namespace Demo;
            [DskModel("import \"layers/mlp.dsk\"\nmodel Small = Mlp(2)")]
            public partial class Small;
            """"",
            (GeneratorHarness.ProjectDir + "/layers/mlp.dsk", "module Mlp(d: int) {\n  l = Linear(d, d)\n  forward(x: f32[B, d]) -> f32[B, d] {\n    return l(x)\n  }\n}\nmodel FromFile = Mlp(5)\n"));
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        var source = run.Source("Demo.Small." + run.HintNames.Single(h => h.StartsWith("Demo.Small.", StringComparison.Ordinal)).Substring("Demo.Small.".Length));
        Assert.Contains("DskSource(\"layers/mlp.dsk\"", source, StringComparison.Ordinal);
        // The file's own model is generated once, from the file.
        Assert.Contains("App.FromFile.g.cs", run.HintNames);
        var type = GeneratorHarness.Load(run.Output).GetType("Demo.Small")!;
        using var model = (IDisposable)type.GetMethod("Create")!.Invoke(null, new object[] { Device.Cpu, 0, Engine.Eager })!;
        using var x = Tensor.FromArray(new float[] { 1, 2 }, 1, 2);
        using var y = (Tensor)type.GetMethod("Forward")!.Invoke(model, new object[] { x })!;
        Assert.Equal(new long[] { 1, 2 }, y.Shape);
    }
}
