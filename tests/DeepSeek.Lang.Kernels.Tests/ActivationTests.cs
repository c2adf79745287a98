using System.Runtime.Intrinsics;
using DeepSeek.Lang.Runtime.Kernels.Cpu;

namespace DeepSeek.Lang.Kernels.Tests;

/// <summary>
/// Each activation at each width against the double reference, element by element:
/// |y − y_ref| ≤ 2e-6·max(1, |y_ref|) on [-12, 12] and at ±inf; NaN stays NaN.
/// </summary>
public class ActivationTests
{
    public static TheoryData<Activation> All()
    {
        var data = new TheoryData<Activation>();
        foreach (var a in Enum.GetValues<Activation>()) data.Add(a);
        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Scalar_and_vector_forms_are_accurate(Activation act)
    {
        var xs = Enumerable.Range(-12000, 24001).Select(i => i / 1000f)
            .Concat([1e-6f, -1e-6f, 1e-30f, 30f, -30f, 90f, -90f, 1e6f, -1e6f]).ToArray();
        foreach (float x in xs)
        {
            double expected = Reference.Activate(act, x);
            foreach (var (form, y) in Eval(act, x))
                Assert.True(Math.Abs(y - expected) <= 2e-6 * Math.Max(1, Math.Abs(expected)),
                    $"{act} {form}({x}) = {y}, expected {expected}");
        }
        foreach (var (form, y) in Eval(act, float.NaN))
            Assert.True(float.IsNaN(y), $"{act} {form}(NaN) = {y}");
    }

    /// <summary>The float exp under the activations: within 3 ulp (4e-7 relative) on its whole range, limits saturate.</summary>
    [Fact]
    public void Fast_exp_is_accurate()
    {
        for (int i = -87000; i <= 88000; i++)
        {
            float x = i / 1000f;
            double expected = Math.Exp(x);
            float y512 = FastExp.Exp(Vector512.Create(x)).GetElement(5), y256 = FastExp.Exp(Vector256.Create(x)).GetElement(2);
            Assert.True(Math.Abs(y512 - expected) <= 4e-7 * expected, $"exp512({x}) = {y512}, expected {expected}");
            Assert.True(Math.Abs(y256 - expected) <= 4e-7 * expected, $"exp256({x}) = {y256}, expected {expected}");
        }
        Assert.True(FastExp.Exp(Vector512.Create(1000f)).GetElement(0) > 1e38f);
        Assert.True(FastExp.Exp(Vector512.Create(-1000f)).GetElement(0) < 1e-37f);
        Assert.True(float.IsNaN(FastExp.Exp(Vector512.Create(float.NaN)).GetElement(0)));
    }

    /// <summary>
    /// The generated kernels' functions (VMath, for the exp, sigmoid, silu, tanh and gelu ops) at both widths:
    /// within 2e-6 relative of double on [-12, 12]; exp within 4e-7 on its range with IEEE limits (+inf, 0, NaN).
    /// </summary>
    [Fact]
    public void Generated_kernel_math_is_accurate()
    {
        var functions = new (string Name, Func<Vector512<float>, Vector512<float>> V512, Func<Vector256<float>, Vector256<float>> V256, Func<double, double> Reference)[]
        {
            ("exp", VMath.Exp, VMath.Exp, Math.Exp),
            ("sigmoid", VMath.Sigmoid, VMath.Sigmoid, x => 1 / (1 + Math.Exp(-x))),
            ("silu", VMath.Silu, VMath.Silu, x => x / (1 + Math.Exp(-x))),
            ("tanh", VMath.Tanh, VMath.Tanh, Math.Tanh),
            ("gelu", VMath.Gelu, VMath.Gelu, x => Reference.Activate(Activation.GeluErf, x)),
        };
        foreach (var (name, v512, v256, reference) in functions)
            for (int i = -12000; i <= 12000; i++)
            {
                float x = i / 1000f;
                double expected = reference(x);
                double tolerance = (name == "exp" ? 4e-7 : 2e-6) * Math.Max(name == "exp" ? 0 : 1, Math.Abs(expected));
                float a = v512(Vector512.Create(x)).GetElement(3), b = v256(Vector256.Create(x)).GetElement(1);
                Assert.True(Math.Abs(a - expected) <= tolerance, $"{name}512({x}) = {a}, expected {expected}");
                Assert.True(Math.Abs(b - expected) <= tolerance, $"{name}256({x}) = {b}, expected {expected}");
            }
        Assert.Equal(float.PositiveInfinity, VMath.Exp(Vector512.Create(89f)).GetElement(0));
        Assert.Equal(float.PositiveInfinity, VMath.Exp(Vector256.Create(float.PositiveInfinity)).GetElement(0));
        Assert.Equal(0f, VMath.Exp(Vector512.Create(-1000f)).GetElement(0));
        Assert.Equal(0f, VMath.Exp(Vector256.Create(float.NegativeInfinity)).GetElement(0));
        Assert.True(float.IsNaN(VMath.Exp(Vector512.Create(float.NaN)).GetElement(0)));
        Assert.True(float.IsNaN(VMath.Exp(Vector256.Create(float.NaN)).GetElement(0)));
    }

    private static IEnumerable<(string Form, float Y)> Eval(Activation act, float x) => act switch
    {
        Activation.None => Forms<NoActivation>(x),
        Activation.Relu => Forms<ReluActivation>(x),
        Activation.GeluErf => Forms<GeluErfActivation>(x),
        Activation.GeluTanh => Forms<GeluTanhActivation>(x),
        Activation.Silu => Forms<SiluActivation>(x),
        Activation.Sigmoid => Forms<SigmoidActivation>(x),
        Activation.Tanh => Forms<TanhActivation>(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    private static IEnumerable<(string, float)> Forms<T>(float x) where T : struct, IActivation
    {
        yield return ("scalar", T.Apply(x));
        yield return ("v256", T.Apply(Vector256.Create(x)).GetElement(3));
        if (Vector512.IsHardwareAccelerated) yield return ("v512", T.Apply(Vector512.Create(x)).GetElement(11));
    }
}
