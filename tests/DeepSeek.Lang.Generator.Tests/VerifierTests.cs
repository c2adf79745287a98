using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>The same checks through Microsoft.CodeAnalysis.CSharp.SourceGenerators.Testing (its framework-neutral verifier).</summary>
public class VerifierTests
{
    private const string GlobalConfig = """
        is_global = true
        build_property.RootNamespace = App
        build_property.MSBuildProjectDirectory = /src/App
        """;

    private static CSharpSourceGeneratorTest<DskGenerator, DefaultVerifier> NewTest()
    {
        var test = new CSharpSourceGeneratorTest<DskGenerator, DefaultVerifier>
        {
            // The references of this process (no download of reference packs).
            ReferenceAssemblies = new ReferenceAssemblies("net10.0"),
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
        };
        test.TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", GlobalConfig));
        return test;
    }

    [Fact]
    public async Task Program_using_the_generated_class_compiles_cleanly()
    {
        var test = NewTest();
        test.TestState.AdditionalFiles.Add(("/src/App/net.dsk", "model Net = Linear(4, 2)\n"));
        test.TestState.Sources.Add(("/src/App/Program.cs", """
            using DeepSeek.Lang.Runtime.Devices;
            namespace App;
            internal static class Program
            {
                private static long Run()
                {
                    using var net = Net.Create(Device.Cpu, seed: 1);
                    using var x = DeepSeek.Lang.Runtime.Tensors.Tensor.FromArray(new float[4], 1, 4);
                    using var y = net.Forward(x);
                    return Net.ParameterCount + Net.ParameterNames.Count + y.Shape[1];
                }
            }
            """));
        await test.RunAsync();
    }

    [Fact]
    public async Task A_shape_error_is_reported_at_its_dsk_span()
    {
        var test = NewTest();
        test.TestState.Sources.Add(("/src/App/Program.cs", "namespace App { internal static class Program { } }"));
        test.TestState.AdditionalFiles.Add(("/src/App/bad.dsk", """
            module Bad(d: int) {
              a = Linear(d, d)
              b = Linear(d, 2 * d)

              forward(x: f32[N, d]) -> f32[N, d] {
                return a(x) + b(x)
              }
            }
            model B = Bad(4)
            """));
        test.TestState.ExpectedDiagnostics.Add(
            new DiagnosticResult("DSK2003", DiagnosticSeverity.Error)
                .WithSpan("/src/App/bad.dsk", 6, 12, 6, 23)
                .WithSpan("/src/App/bad.dsk", 9, 1, 9, 17)
                .WithMessage("cannot add f32[N, 4] and f32[N, 8]: dimension 1 is 4 on the left and 8 on the right; note: in Bad(d: 4), the model's root at /src/App/bad.dsk(9,1)"));
        await test.RunAsync();
    }
}
