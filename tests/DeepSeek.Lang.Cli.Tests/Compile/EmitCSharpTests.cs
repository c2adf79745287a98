using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.CodeGen.CSharp;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Runtime.Kernels.Cpu;
using DeepSeek.Lang.Tests;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DeepSeek.Lang.Cli.Tests.Compile;

/// <summary>`dskc compile --emit csharp`: the file compiles, has one method per generated kernel, and .dsk text cannot become code.</summary>
public sealed class EmitCSharpTests : IDisposable
{
    private static readonly Lazy<MetadataReference[]> References = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "netstandard.dll" or "mscorlib.dll"))
            .Append(typeof(KernelParallel).Assembly.Location)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToArray());

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Compiles the file with Roslyn against the runtime (the kernels call KernelParallel); returns its syntax tree.</summary>
    private static SyntaxTree AssertCompiles(string path)
    {
        var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(path), new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create("EmittedKernels", new[] { tree }, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
        return tree;
    }

    /// <summary>The groups the compiled engine generates kernels for, found as the engine finds them.</summary>
    private static int GeneratedKernels(string dsk, string model, Dictionary<string, long> dims)
    {
        var sources = SourceLoader.Load(new[] { dsk }, DiskFileSystem.Instance, null);
        var compilation = DeepSeek.Lang.Compiler.Compilation.Create(sources);
        var symbol = compilation.Models.Single(m => m.Name == model);
        var compiled = CompiledModel.Compile(compilation, symbol, dims).Model!;
        return FusionPlanner.Plan(compiled.Graph).Groups.Count(KernelModule.IsGenerated);
    }

    private static List<MethodDeclarationSyntax> Methods(SyntaxTree tree) =>
        tree.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>().ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_sparse_moe_kernels_compile_one_method_per_kernel(bool bindDims)
    {
        var dimArgs = bindDims ? new[] { "--dim", "B=2", "--dim", "T=16" } : Array.Empty<string>();
        var dsk = Path.Combine(RepoPaths.Examples, "sparse_moe.dsk");
        var result = CliRunner.Run(["compile", dsk, "--emit", "csharp", "-o", _temp.Path, .. dimArgs]);
        Assert.True(result.ExitCode == 0, result.ToString());
        var path = _temp.Combine("SparseMoE8.cs");
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(_temp.Combine("SparseMoE8.ir")));   // only what --emit asks for

        var tree = AssertCompiles(path);
        var dims = dimArgs.Length == 0 ? new Dictionary<string, long>() : new Dictionary<string, long> { ["B"] = 2, ["T"] = 16 };
        int expected = GeneratedKernels(dsk, "SparseMoE8", dims);
        Assert.True(expected > 0);
        var methods = Methods(tree);
        Assert.Equal(expected, methods.Count);
        Assert.All(methods, m => Assert.Matches(@"^k\d+$", m.Identifier.Text));

        // The header names the model, the dims and, for each kernel, the nodes it fuses.
        var text = File.ReadAllText(path);
        Assert.StartsWith("// Generated C# kernels of model SparseMoE8 (from " + dsk + ")", text);
        Assert.Contains(dimArgs.Length == 0 ? "// Dims left symbolic: B, T;" : "// Dims bound: B=2, T=16.", text);
        foreach (var m in methods) Assert.Matches($@"(?m)^// {m.Identifier.Text} fuses \d+ nodes?: \w+.*\n//   %\d+ = \w+  at sparse_moe\.dsk\(\d+,\d+\): ", text);
        // Symbolic dims are the kernels' parameters; bound ones are constants.
        Assert.Equal(dimArgs.Length == 0, text.Contains("long d_B = dims[", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_from_the_dsk_file_stays_in_comments()
    {
        // Line and paragraph separators end a C# comment: in the path and in a comment inside an expression
        // (quoted in the header), they would otherwise turn what follows into code.
        var name = "evil\u2028public class EvilPath { }\u2029\u0085.dsk";
        var dsk = _temp.Write(name, """
            module Act(d: int) {
              up = Linear(d, d)
              forward(x: f32[B, d]) -> f32[B, d] {
                return gelu(up(x) /*\u2028}class EvilComment{}\u2029*/ * 2.0, approximate: "tanh") + 1.0
              }
            }
            model Evil_Model = Act(d: 8)
            """.Replace("\\u2028", "\u2028").Replace("\\u2029", "\u2029"));
        var result = CliRunner.Run("compile", dsk, "--emit", "csharp", "-o", _temp.Combine("out"));
        Assert.True(result.ExitCode == 0, result.ToString());
        var path = _temp.Combine(Path.Combine("out", "Evil_Model.cs"));
        var text = File.ReadAllText(path);
        Assert.Contains("EvilPath", text);          // quoted, in a comment
        Assert.Contains("EvilComment", text);
        Assert.DoesNotContain('\u2028', text);
        Assert.DoesNotContain('\u2029', text);
        Assert.DoesNotContain('\u0085', text);

        var tree = AssertCompiles(path);
        var types = tree.GetRoot().DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Text).ToList();
        Assert.Equal(new[] { "Kernels" }, types);
        Assert.DoesNotContain(tree.GetRoot().DescendantTokens(), t => t.Text.Contains("Evil", StringComparison.Ordinal));
        Assert.Single(Methods(tree));
    }

    [Fact]
    public void Csharp_is_not_written_unless_asked_for()
    {
        var dsk = Path.Combine(RepoPaths.Examples, "sparse_moe.dsk");
        var result = CliRunner.Run("compile", dsk, "-o", _temp.Path);
        Assert.Equal(0, result.ExitCode);
        Assert.True(File.Exists(_temp.Combine("SparseMoE8.ir")));
        Assert.False(File.Exists(_temp.Combine("SparseMoE8.cs")));
    }
}
