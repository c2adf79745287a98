using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Hosting;
using DeepSeek.Lang.Runtime.Tensors;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Lang.Generator.Tests;

/// <summary>.dsk names that are C# keywords, and .dsk text that tries to end a comment, a string or a line.</summary>
public class EscapingTests
{
    /// <summary>Model names that are C# keywords (reserved and contextual), generated member names, and odd ones.</summary>
    public static readonly string[] ModelNames =
    {
        "class", "namespace", "var", "record", "required", "file", "scoped", "partial", "dynamic", "value", "global",
        "nameof", "async", "await", "field", "__arglist", "System", "Forward", "Create", "Dispose", "Load", "Runner", "Weights",
        "ParameterCount", "ParameterNames", "Definition", "lower_case", "_x",
    };

    private static string Hostile()
    {
        var models = string.Join("\n", ModelNames.Select(n => $"model {n} = Net(4, label: \"\\\"); System.Environment.Exit(1); /* */ //\")"));
        return
            "// Ends of things: */ \"\"\" \" ' \\ \\u0022 <summary> &amp; ]]> #endregion #if X\n" +
            "// Line separators: [\u2028] [\u2029] [\u0085], a tab [\t], a NUL-free control [\u0001], a BOM [\uFEFF], an emoji [\U0001F600]\n" +
            // (No /* */ comment: the lexer reports every block comment as unterminated today.)
            "module Net(d: int, label: string = \"a \\\" */ \\\\ \\n ; } } class X { }\") {\n" +
            "  l = Linear(d, d)\n" +
            "  forward(event: f32[B, d], string: f32[B, d], __arglist: f32[B, d], this: f32[B, d], Tensor: f32[B, d]) -> f32[B, d] {\n" +
            "    assert d > 0, \"\\\"); } } //\"\n" +
            "    return l(event) + string + __arglist + this + Tensor\n" +
            "  }\n" +
            "}\n" + models + "\n";
    }

    [Fact]
    public void Keyword_and_unusual_names_are_escaped_and_the_code_compiles_without_warnings()
    {
        var source = Hostile();
        var path = GeneratorHarness.ProjectDir + "/we\"ird */ \u2028 na\\me.dsk";
        var run = GeneratorHarness.Generate(new[] { (path, source) });
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Empty(run.CompileDiagnostics);
        foreach (var name in ModelNames)
        {
            var expected = Names.MemberNames.Contains(name) ? name + "Model" : name;
            Assert.True(run.Output.GetTypeByMetadataName("App." + expected) != null, $"no class App.{expected}");
        }
        var forward = run.Source("App.class.g.cs");
        Assert.Contains("public sealed partial class @class ", forward, StringComparison.Ordinal);
        Assert.Contains("Forward(global::DeepSeek.Lang.Runtime.Tensors.Tensor @event, global::DeepSeek.Lang.Runtime.Tensors.Tensor @string, global::DeepSeek.Lang.Runtime.Tensors.Tensor @__arglist, global::DeepSeek.Lang.Runtime.Tensors.Tensor @this, global::DeepSeek.Lang.Runtime.Tensors.Tensor Tensor)", forward, StringComparison.Ordinal);
        Assert.Contains("/// <param name=\"event\">", forward, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedded_sources_round_trip_exactly_and_the_classes_run()
    {
        var source = Hostile();
        var path = GeneratorHarness.ProjectDir + "/we\"ird */ \u2028 na\\me.dsk";
        var run = GeneratorHarness.Generate(new[] { (path, source) });
        var assembly = GeneratorHarness.Load(run.Output);
        foreach (var name in new[] { "class", "record", "Forward" })
        {
            var type = assembly.GetType("App." + (name == "Forward" ? "ForwardModel" : name))!;
            var definition = (DskModelDefinition)type.GetProperty("Definition")!.GetValue(null)!;
            Assert.Equal(name, definition.ModelName);
            var embedded = Assert.Single(definition.Sources);
            Assert.Equal(source, embedded.Text);
            Assert.Equal("we\"ird */ \u2028 na/me.dsk", embedded.Path); // the compiler reads '\\' as a folder separator

            using var model = (IDisposable)type.GetMethod("Create")!.Invoke(null, new object[] { Device.Cpu, 1, Engine.Eager })!;
            var inputs = Enumerable.Range(0, 5).Select(_ => Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4)).ToArray();
            try
            {
                using var y = (Tensor)type.GetMethod("Forward")!.Invoke(model, inputs)!;
                Assert.Equal(new long[] { 2, 4 }, y.Shape);
            }
            finally
            {
                foreach (var t in inputs) t.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("a\"b")]
    [InlineData("*/ \"\"\" \\ \n \r\n \u2028 \u2029 \u0085 \u0000 \t")]
    [InlineData("\U0001F600 \uD800 \uDFFF")]
    [InlineData("{0} {{ }} $\"{x}\"")]
    public void Literals_are_exact(string value)
    {
        var literal = Names.Literal(value);
        var tree = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText($"class C {{ const string S = {literal}; }}");
        Assert.Empty(tree.GetDiagnostics());
        var token = tree.GetRoot().DescendantTokens().Single(t => t.IsKind(SyntaxKind.StringLiteralToken));
        Assert.Equal(value, token.ValueText);
        Assert.DoesNotContain('\n', literal);
        Assert.DoesNotContain('\u2028', literal);
    }

    [Theory]
    [InlineData("a\nb", "a b")]
    [InlineData("x <summary> & \"y\"", "x &lt;summary&gt; &amp; &quot;y&quot;")]
    [InlineData("l1\u2028l2\u2029l3\u0085l4\r\nl5", "l1 l2 l3 l4 l5")]
    public void Doc_text_is_escaped_and_on_one_line(string text, string expected) => Assert.Equal(expected, Names.Xml(text));
}
