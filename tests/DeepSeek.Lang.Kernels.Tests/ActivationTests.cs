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
