using DeepSeek.Lang.Compiler.Imports;

namespace DeepSeek.Lang.Compiler.Tests.Elaboration;

public class GenericCheckingTests
{
    private static Compilation Compile(string text) => Compilation.Create(SourceLoader.LoadText("test.dsk", text));

    // int() of a float and maximum() of ints are ints even when the module's parameters are symbolic.
    [Fact]
    public void Int_of_a_float_parameter_checks_generically_and_floors_when_known()
    {
        var c = Compile("""
            module Ramp(dim: int, base: float = 10000.0) {
              const low = maximum(int(float(dim) * log(base) / 4.0), 0)
              param w: f32[low + 1] = zeros

              forward(x: f32[N]) -> f32[N] {
                return x
              }
            }

            model R = Ramp(8)
            """);
        Assert.Empty(c.Diagnostics);
        var graph = c.GetModel(c.Models[0]).Graph!;
        // floor(8 * ln 10000 / 4) = floor(18.42) = 18
        Assert.Equal(19L, graph.Weights.Single().Value.Type.Shape.ElementCount.ConstantValue);
    }
}
