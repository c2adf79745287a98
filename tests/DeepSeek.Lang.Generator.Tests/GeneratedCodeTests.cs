using System.Reflection;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Hosting;
using DeepSeek.Lang.Runtime.Tensors;
using Microsoft.CodeAnalysis;

namespace DeepSeek.Lang.Generator.Tests;

public class GeneratedCodeTests
{
    internal const string Fraud = """
        // GCN fraud detector (language.md §9), small.
        module FraudDetector(features: int = 128, hidden: int = 256) {
          gcn        = GraphConv(features, hidden)
          classifier = Linear(hidden, 2)

          forward(x: f32[N, features], edges: i64[2, E]) -> f32[N, 2] {
            return classifier(relu(gcn(x, edges)))
          }
        }

        module Scorer(d: int) {
          proj = Linear(d, 1)
          buffer scale: f32[1] = ones

          forward(x: f32[N, d]) -> (f32[N, 1], f32[]) {
            let s = proj(x) * scale
            return (s, s.sum())
          }
        }

        model Fraud = FraudDetector(features: 8, hidden: 16)
        model Score = Scorer(4)
        """;

    [Fact]
    public void Each_model_becomes_a_class_that_compiles_without_warnings()
    {
        var run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) });
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        Assert.Equal(new[] { "App.Fraud.g.cs", "App.Score.g.cs" }, run.HintNames.OrderBy(h => h, StringComparer.Ordinal));

        var fraud = run.Source("App.Fraud.g.cs");
        Assert.Contains("namespace App", fraud, StringComparison.Ordinal);
        Assert.Contains("public sealed partial class Fraud : global::System.IDisposable", fraud, StringComparison.Ordinal);
        Assert.Contains("Forward(global::DeepSeek.Lang.Runtime.Tensors.Tensor x, global::DeepSeek.Lang.Runtime.Tensors.Tensor edges)", fraud, StringComparison.Ordinal);
        Assert.Contains("/// <param name=\"x\"><c>f32[N, 8]</c></param>", fraud, StringComparison.Ordinal);
        Assert.Contains("/// <param name=\"edges\"><c>i64[2, E]</c></param>", fraud, StringComparison.Ordinal);
        Assert.Contains("/// <returns><c>f32[N, 2]</c>", fraud, StringComparison.Ordinal);

        var score = run.Source("App.Score.g.cs");
        // Tuple elements are named as returned (`return (s, s.sum())`): a plain name keeps its name, an expression gets outputK.
        Assert.Contains("public (global::DeepSeek.Lang.Runtime.Tensors.Tensor s, global::DeepSeek.Lang.Runtime.Tensors.Tensor output1) Forward(", score, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_members_have_the_model_numbers_and_run()
    {
        var run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) });
        var assembly = GeneratorHarness.Load(run.Output);
        var fraud = assembly.GetType("App.Fraud")!;
        Assert.True(fraud.IsSealed);
        Assert.True(typeof(IDisposable).IsAssignableFrom(fraud));

        // GraphConv(8, 16): weight [16, 8] (or [8, 16]) + bias 16; Linear(16, 2): 32 + 2.
        long count = (long)fraud.GetProperty("ParameterCount")!.GetValue(null)!;
        Assert.Equal(8 * 16 + 16 + 16 * 2 + 2, count);
        var names = (IReadOnlyList<string>)fraud.GetProperty("ParameterNames")!.GetValue(null)!;
        Assert.Equal(new[] { "gcn.weight", "gcn.bias", "classifier.weight", "classifier.bias" }, names);

        var create = fraud.GetMethod("Create")!;
        Assert.Equal(new[] { "device", "seed", "engine" }, create.GetParameters().Select(p => p.Name));
        Assert.Equal(0, create.GetParameters()[1].DefaultValue);
        using var model = (IDisposable)create.Invoke(null, new object[] { Device.Cpu, 3, Engine.Eager })!;
        var forward = fraud.GetMethod("Forward")!;
        Assert.Equal(new[] { "x", "edges" }, forward.GetParameters().Select(p => p.Name));
        using var x = Tensor.FromArray(Enumerable.Range(0, 5 * 8).Select(i => i * 0.01f).ToArray(), 5, 8);
        using var edges = Tensor.FromArray(new long[] { 0, 1, 2, 1, 2, 3 }, 2, 3);
        using var y = (Tensor)forward.Invoke(model, new object[] { x, edges })!;
        Assert.Equal(new long[] { 5, 2 }, y.Shape);

        // A wrong shape is the runtime's error, naming the input.
        using var bad = Tensor.FromArray(new float[5 * 7], 5, 7);
        var error = Assert.Throws<TargetInvocationException>(() => forward.Invoke(model, new object[] { bad, edges }));
        Assert.IsType<RuntimeError>(error.InnerException);
        Assert.Contains("input 'x'", error.InnerException!.Message, StringComparison.Ordinal);

        // Same seed, same weights: Create twice and compare a forward.
        using var again = (IDisposable)create.Invoke(null, new object[] { Device.Cpu, 3, Engine.Eager })!;
        using var y2 = (Tensor)forward.Invoke(again, new object[] { x, edges })!;
        Assert.Equal(y.ToArray<float>(), y2.ToArray<float>());
    }

    [Fact]
    public void Tuple_outputs_and_load_from_safetensors()
    {
        var run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) });
        var assembly = GeneratorHarness.Load(run.Output);
        var score = assembly.GetType("App.Score")!;
        Assert.Equal(new[] { "proj.weight", "proj.bias" }, (IReadOnlyList<string>)score.GetProperty("ParameterNames")!.GetValue(null)!);
        Assert.Equal(5L, (long)score.GetProperty("ParameterCount")!.GetValue(null)!);

        var path = Path.Combine(Path.GetTempPath(), $"gen-test-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var created = (IDisposable)score.GetMethod("Create")!.Invoke(null, new object[] { Device.Cpu, 7, Engine.Compiled })!)
                ((Runtime.Weights.WeightSet)score.GetProperty("Weights")!.GetValue(created)!).Save(path);
            // Eager: the compiled engine's kernel for a reduction to a scalar does not compile yet (out0 used outside its lambda).
            using var model = (IDisposable)score.GetMethod("Load")!.Invoke(null, new object[] { path, Device.Cpu, Engine.Eager })!;
            using var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4);
            var result = score.GetMethod("Forward")!.Invoke(model, new object[] { x })!;
            var tuple = (System.Runtime.CompilerServices.ITuple)result;
            using var s = (Tensor)tuple[0]!;
            using var total = (Tensor)tuple[1]!;
            Assert.Equal(new long[] { 2, 1 }, s.Shape);
            Assert.Empty(total.Shape);
            Assert.Equal(s.ToArray<float>().Sum(), total.ToArray<float>()[0], 4);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Tuple_element_names_come_from_the_return_when_it_is_plain()
    {
        const string Source = """
            module Two(d: int) {
              a = Linear(d, d)
              forward(x: f32[N, d]) -> (f32[N, d], f32[N, d], f32[N, d], f32[N, d]) {
                let event = a(x)
                let Rest = relu(event)
                let Item2 = event
                return (event, Rest, Item2, event)
              }
            }
            module Branchy(d: int, flip: bool = false) {
              forward(x: f32[N, d]) -> (f32[N, d], f32[N, d]) {
                let a = x
                let b = x * 2
                if flip { return (b, a) }
                return (a, b)
              }
            }
            model T = Two(2)
            model U = Branchy(2)
            """;
        var run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/two.dsk", Source) });
        Assert.Empty(run.CompileDiagnostics);
        const string T = "global::DeepSeek.Lang.Runtime.Tensors.Tensor";
        Assert.Contains($"public ({T} @event, {T} output1, {T} output2, {T} output3) Forward(", run.Source("App.T.g.cs"), StringComparison.Ordinal);
        Assert.Contains($"public ({T} output0, {T} output1) Forward(", run.Source("App.U.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void DskNamespace_overrides_the_root_namespace_and_an_invalid_one_is_reported()
    {
        var properties = GeneratorHarness.DefaultProperties();
        properties["DskNamespace"] = "My.Models";
        var run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) }, properties: properties);
        Assert.Empty(run.CompileDiagnostics);
        Assert.NotNull(run.Output.GetTypeByMetadataName("My.Models.Fraud"));

        properties["DskNamespace"] = "My.1Models";
        run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) }, properties: properties);
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DSK4204", d.Id);

        // No namespace at all: the global namespace.
        properties.Remove("DskNamespace");
        properties.Remove("RootNamespace");
        run = GeneratorHarness.Generate(new[] { ($"{GeneratorHarness.ProjectDir}/fraud.dsk", Fraud) }, properties: properties);
        Assert.Empty(run.CompileDiagnostics);
        Assert.NotNull(run.Output.GetTypeByMetadataName("Fraud"));
    }

    [Fact]
    public void Imports_resolve_among_the_additional_files_with_the_project_as_root()
    {
        var dir = GeneratorHarness.ProjectDir;
        var run = GeneratorHarness.Generate(new[]
        {
            ($"{dir}/models/main.dsk", "import \"../layers/mlp.dsk\"\nmodel Main = Mlp(4)\n"),
            ($"{dir}/layers/mlp.dsk", "module Mlp(d: int) {\n  l = Linear(d, d)\n  forward(x: f32[B, d]) -> f32[B, d] {\n    return relu(l(x))\n  }\n}\n"),
        });
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        var main = run.Source("App.Main.g.cs");
        // The class embeds both sources, with paths relative to the project.
        Assert.Contains("\"models/main.dsk\",", main, StringComparison.Ordinal);
        Assert.Contains("DskSource(\"layers/mlp.dsk\"", main, StringComparison.Ordinal);

        var assembly = GeneratorHarness.Load(run.Output);
        var type = assembly.GetType("App.Main")!;
        using var model = (IDisposable)type.GetMethod("Create")!.Invoke(null, new object[] { Device.Cpu, 0, Engine.Eager })!;
        using var x = Tensor.FromArray(new float[8], 2, 4);
        using var y = (Tensor)type.GetMethod("Forward")!.Invoke(model, new object[] { x })!;
        Assert.Equal(new long[] { 2, 4 }, y.Shape);

        // An import that leaves the project is the compiler's error, at the import.
        run = GeneratorHarness.Generate(new[]
        {
            ($"{dir}/main.dsk", "import \"../outside.dsk\"\nmodel Main = Linear(2, 2)\n"),
            ("/src/outside.dsk", "const k = 1\n"),
        });
        var d = Assert.Single(run.GeneratorDiagnostics, d => d.Id.StartsWith("DSK1", StringComparison.Ordinal));
        Assert.Equal($"{dir}/main.dsk", d.Location.GetLineSpan().Path);
        Assert.Equal(0, d.Location.GetLineSpan().StartLinePosition.Line);
    }

    [Fact]
    public void Two_models_that_would_make_the_same_class_are_an_error()
    {
        var dir = GeneratorHarness.ProjectDir;
        var run = GeneratorHarness.Generate(new[]
        {
            ($"{dir}/a.dsk", "model Net = Linear(2, 2)\n"),
            ($"{dir}/b.dsk", "\nmodel Net = Linear(3, 3)\n"),
        });
        var d = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("DSK4201", d.Id);
        Assert.Equal($"{dir}/b.dsk", d.Location.GetLineSpan().Path);
        Assert.Equal(1, d.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Single(run.HintNames);
    }

    [Fact]
    public void Every_example_model_generates_and_compiles()
    {
        var root = TestPaths.RepoRoot;
        var files = Directory.GetFiles(Path.Combine(root, "examples"), "*.dsk")
            .Select(p => (p, File.ReadAllText(p))).ToArray();
        var properties = GeneratorHarness.DefaultProperties();
        properties["MSBuildProjectDirectory"] = Path.Combine(root, "examples");
        var run = GeneratorHarness.Generate(files, properties: properties);
        Assert.DoesNotContain(run.GeneratorDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(run.CompileDiagnostics);
        var v3 = run.Output.GetTypeByMetadataName("App.DeepSeekV3");
        Assert.NotNull(v3);
        Assert.Contains("public static long ParameterCount => 671026404352L;", run.Source("App.DeepSeekV3.g.cs"), StringComparison.Ordinal);
        foreach (var name in new[] { "Mixtral8x7B", "DeepSeekMoE16B", "GPT_1_7B", "GPT_145_6B", "GPT_1T" })
            Assert.NotNull(run.Output.GetTypeByMetadataName("App." + name));
    }
}

internal static class TestPaths
{
    public static string RepoRoot => typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;

    public static string Configuration => typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "Configuration").Value!;
}
