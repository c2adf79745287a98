using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Passes;

namespace DeepSeek.Lang.Compiler.Tests.Passes;

/// <summary>Each pass on small graphs written in IR text; the result is compared as IR text.</summary>
public class PassTests
{
    private static string Run(IPass pass, string body, string inputs = "x: f32[4, 8]")
    {
        var graph = IrParser.Parse($"graph G({inputs}) {{\n{body}}}\n");
        var result = pass.Run(graph);
        Assert.Empty(IrVerifier.Verify(result));
        return Body(IrPrinter.Print(result));
    }

    /// <summary>The lines between the header and the closing brace.</summary>
    private static string Body(string text) => string.Join("\n", text.Split('\n').Skip(1).TakeWhile(l => l != "}"));

    [Fact]
    public void Dce_removes_what_no_output_needs_and_keeps_weights()
    {
        var result = Run(new DeadCodeElimination(),
            "  param w: f32[8] = zeros\n" +
            "  %0 = exp(%x) : f32[4, 8]\n" +
            "  %1 = neg(%x) : f32[4, 8]\n" +
            "  output output = %1\n");
        Assert.Equal("  param w: f32[8] = zeros\n  %0 = neg(%x) : f32[4, 8]\n  output output = %0", result);
    }

    [Fact]
    public void Cse_merges_identical_computations_only()
    {
        var result = Run(new CommonSubexpressionElimination(),
            "  %0 = sum(%x) {axes=[1], keepdim=false} : f32[4]\n" +
            "  %1 = sum(%x) {axes=[1], keepdim=false} : f32[4]\n" +
            "  %2 = sum(%x) {axes=[1], keepdim=true} : f32[4, 1]\n" +
            "  %3 = add(%0, %1) : f32[4]\n" +
            "  output a = %3\n  output b = %2\n");
        Assert.Equal(
            "  %0 = sum(%x) {axes=[1], keepdim=false} : f32[4]\n" +
            "  %1 = sum(%x) {axes=[1], keepdim=true} : f32[4, 1]\n" +
            "  %2 = add(%0, %0) : f32[4]\n" +
            "  output a = %2\n  output b = %1", result);
    }

    [Theory]
    [InlineData("  %0 = transpose(%x) {perm=[1, 0]} : f32[8, 4]\n  %1 = transpose(%0) {perm=[1, 0]} : f32[4, 8]\n  output output = %1\n",
        "  %0 = transpose(%x) {perm=[1, 0]} : f32[8, 4]\n  output output = %x")]
    [InlineData("  %0 = reshape(%x) {shape=<32,>} : f32[32]\n  %1 = reshape(%0) {shape=<2, 16>} : f32[2, 16]\n  output output = %1\n",
        "  %0 = reshape(%x) {shape=<32,>} : f32[32]\n  %1 = reshape(%x) {shape=<2, 16>} : f32[2, 16]\n  output output = %1")]
    [InlineData("  %0 = reshape(%x) {shape=<4, 8>} : f32[4, 8]\n  output output = %0\n", "  output output = %x")]
    [InlineData("  %0 = cast(%x) {dtype=f32} : f32[4, 8]\n  output output = %0\n", "  output output = %x")]
    [InlineData("  %0 = full() {dtype=f32, shape=<>, value=0.0} : f32[]\n  %1 = add(%x, %0) : f32[4, 8]\n  output output = %1\n",
        "  %0 = full() {dtype=f32, shape=<>, value=0.0} : f32[]\n  output output = %x")]
    [InlineData("  %0 = full() {dtype=f32, shape=<>, value=1.0} : f32[]\n  %1 = mul(%0, %x) : f32[4, 8]\n  output output = %1\n",
        "  %0 = full() {dtype=f32, shape=<>, value=1.0} : f32[]\n  output output = %x")]
    [InlineData("  %0 = slice(%x) {axes=[1], starts=<0,>, steps=[1], stops=<8,>} : f32[4, 8]\n  output output = %0\n", "  output output = %x")]
    [InlineData("  %0 = unsqueeze(%x) {axes=[0]} : f32[1, 4, 8]\n  %1 = squeeze(%0) {axes=[0]} : f32[4, 8]\n  output output = %1\n",
        "  %0 = unsqueeze(%x) {axes=[0]} : f32[1, 4, 8]\n  output output = %x")]
    [InlineData("  %0 = neg(%x) : f32[4, 8]\n  %1 = neg(%0) : f32[4, 8]\n  output output = %1\n", "  %0 = neg(%x) : f32[4, 8]\n  output output = %x")]
    public void Simplification_removes_identities(string body, string expected) =>
        Assert.Equal(expected, Run(new AlgebraicSimplification(), body));

    [Fact]
    public void Simplification_keeps_a_broadcasting_add_of_zero()
    {
        // x [4] + zeros [2, 4] is [2, 4]: dropping the add would change the type.
        var body = "  %0 = full() {dtype=f32, shape=<2, 4>, value=0.0} : f32[2, 4]\n  %1 = add(%x, %0) : f32[2, 4]\n  output output = %1\n";
        Assert.Contains("add(%x, %0)", Run(new AlgebraicSimplification(), body, "x: f32[4]"));
    }

    [Fact]
    public void Folding_evaluates_arithmetic_on_fills_without_materialising_them()
    {
        var result = Run(new ConstantFolding(),
            "  %0 = full() {dtype=f32, shape=<4, 8>, value=2.0} : f32[4, 8]\n" +
            "  %1 = full() {dtype=f32, shape=<>, value=3.0} : f32[]\n" +
            "  %2 = mul(%0, %1) : f32[4, 8]\n" +
            "  %3 = sum(%2) {axes=[1], keepdim=false} : f32[4]\n" +
            "  output output = %3\n");
        Assert.EndsWith("  %3 = full() {dtype=f32, shape=<4,>, value=48.0} : f32[4]\n  output output = %3", result);
    }

    [Fact]
    public void Folding_truncates_integer_results()
    {
        var result = Run(new ConstantFolding(),
            "  %0 = full() {dtype=f32, shape=<>, value=2.75} : f32[]\n" +
            "  %1 = cast(%0) {dtype=i64} : i64[]\n" +
            "  output output = %1\n");
        Assert.Contains("full() {dtype=i64, shape=<>, value=2.0} : i64[]", result);
    }

    [Fact]
    public void Specialization_binds_dims_in_types_attributes_and_fills()
    {
        var graph = IrParser.Parse("graph G(x: f32[B, T, 8]) {\n" +
                                   "  %0 = reshape(%x) {shape=<B * T, 8>} : f32[B * T, 8]\n" +
                                   "  %1 = full() {dtype=f32, shape=<>, value=<T + 1>} : f32[]\n" +
                                   "  %2 = add(%0, %1) : f32[B * T, 8]\n" +
                                   "  output output = %2\n}\n");
        var result = new Specialization(new Dictionary<string, long> { ["B"] = 2, ["T"] = 3 }).Run(graph);
        result = new ConstantFolding().Run(result);
        var text = IrPrinter.Print(result);
        Assert.Contains("graph G(x: f32[2, 3, 8])", text);
        Assert.Contains("reshape(%x) {shape=<6, 8>} : f32[6, 8]", text);
        Assert.Contains("full() {dtype=f32, shape=<>, value=4.0} : f32[]", text);
    }

    [Fact]
    public void Specialization_that_empties_a_shape_is_an_error_naming_the_dims()
    {
        var graph = IrParser.Parse("graph G(x: f32[T, 8]) {\n" +
                                   "  %0 = slice(%x) {axes=[0], starts=<4,>, steps=[1], stops=<T,>} : f32[T - 4, 8]\n" +
                                   "  output output = %0\n}\n");
        var e = Assert.Throws<SpecializationException>(() => new Specialization(new Dictionary<string, long> { ["T"] = 2 }).Run(graph));
        Assert.Equal("with T = 2, dimension T - 4 of slice's result is -2; sizes must be positive", e.Message);
    }

    [Fact]
    public void Optimizer_reaches_a_fixed_point_and_keeps_the_graph_valid()
    {
        Optimizer.VerifyAfterEachPass = true;
        var graph = IrParser.Parse("graph G(x: f32[4, 8]) {\n" +
                                   "  %0 = transpose(%x) {perm=[1, 0]} : f32[8, 4]\n" +
                                   "  %1 = transpose(%0) {perm=[1, 0]} : f32[4, 8]\n" +
                                   "  %2 = full() {dtype=f32, shape=<>, value=1.0} : f32[]\n" +
                                   "  %3 = mul(%1, %2) : f32[4, 8]\n" +
                                   "  %4 = exp(%3) : f32[4, 8]\n" +
                                   "  %5 = exp(%x) : f32[4, 8]\n" +
                                   "  %6 = add(%4, %5) : f32[4, 8]\n" +
                                   "  output output = %6\n}\n");
        var result = new Optimizer().Run(graph);
        Assert.Equal("  %0 = exp(%x) : f32[4, 8]\n  %1 = add(%0, %0) : f32[4, 8]\n  output output = %1", Body(IrPrinter.Print(result)));
    }
}
