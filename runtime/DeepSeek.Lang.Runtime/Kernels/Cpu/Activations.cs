using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// An activation at the three widths of the kernels. Each is a struct so that the epilogue loop,
/// generic over it, is specialised and inlined by the JIT (no switch per vector).
/// </summary>
internal interface IActivation
{
    static abstract float Apply(float x);
    static abstract Vector256<float> Apply(Vector256<float> x);
    static abstract Vector512<float> Apply(Vector512<float> x);
}

internal struct NoActivation : IActivation
{
    public static float Apply(float x) => x;
    public static Vector256<float> Apply(Vector256<float> x) => x;
    public static Vector512<float> Apply(Vector512<float> x) => x;
}

internal struct ReluActivation : IActivation
{
    // MathF.Max/Vector.Max propagate NaN like PyTorch's relu does.
    public static float Apply(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);
    public static Vector256<float> Apply(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

internal struct SigmoidActivation : IActivation
{
    // 1/(1+e^-x): e^-x overflows to +inf for x < -88 and the quotient is then exactly 0.
    public static float Apply(float x) => 1f / (1f + MathF.Exp(-x));
    public static Vector256<float> Apply(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
    public static Vector512<float> Apply(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));
}

internal struct SiluActivation : IActivation
{
    public static float Apply(float x) => x / (1f + MathF.Exp(-x));
    public static Vector256<float> Apply(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));
    public static Vector512<float> Apply(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));
}

/// <summary>
/// tanh as the odd rational function x·P(x²)/Q(x²) of Eigen's fast tanh on [-7.9, 7.9]
/// (beyond it tanh rounds to ±1 in float): about 3 ulp, and exact relative accuracy near 0,
/// where 1 - 2/(e^2x + 1) would cancel.
/// </summary>
internal struct TanhActivation : IActivation
{
    private const float Clamp = 7.90531110763549805f;
    private const float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
        A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f,
        A13 = -2.76076847742355e-16f;
    private const float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f,
        B6 = 1.19825839466702e-06f;

    public static float Apply(float x)
    {
        if (float.IsNaN(x)) return x;
        float c = Math.Clamp(x, -Clamp, Clamp), x2 = c * c;
        float p = MathF.FusedMultiplyAdd(A13, x2, A11);
        p = MathF.FusedMultiplyAdd(p, x2, A9);
        p = MathF.FusedMultiplyAdd(p, x2, A7);
        p = MathF.FusedMultiplyAdd(p, x2, A5);
        p = MathF.FusedMultiplyAdd(p, x2, A3);
        p = MathF.FusedMultiplyAdd(p, x2, A1);
        float q = MathF.FusedMultiplyAdd(B6, x2, B4);
        q = MathF.FusedMultiplyAdd(q, x2, B2);
        q = MathF.FusedMultiplyAdd(q, x2, B0);
        return c * p / q;
    }

    public static Vector256<float> Apply(Vector256<float> x)
    {
        var c = Vector256.Min(Vector256.Max(x, Vector256.Create(-Clamp)), Vector256.Create(Clamp));
        var x2 = c * c;
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(A13), x2, Vector256.Create(A11));
        p = Vector256.FusedMultiplyAdd(p, x2, Vector256.Create(A9));
        p = Vector256.FusedMultiplyAdd(p, x2, Vector256.Create(A7));
        p = Vector256.FusedMultiplyAdd(p, x2, Vector256.Create(A5));
        p = Vector256.FusedMultiplyAdd(p, x2, Vector256.Create(A3));
        p = Vector256.FusedMultiplyAdd(p, x2, Vector256.Create(A1));
        var q = Vector256.FusedMultiplyAdd(Vector256.Create(B6), x2, Vector256.Create(B4));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(B2));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(B0));
        // Min/Max above turn NaN into a clamp bound; put NaN back.
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), c * p / q, x);
    }

    public static Vector512<float> Apply(Vector512<float> x)
    {
        var c = Vector512.Min(Vector512.Max(x, Vector512.Create(-Clamp)), Vector512.Create(Clamp));
        var x2 = c * c;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(A13), x2, Vector512.Create(A11));
        p = Vector512.FusedMultiplyAdd(p, x2, Vector512.Create(A9));
        p = Vector512.FusedMultiplyAdd(p, x2, Vector512.Create(A7));
        p = Vector512.FusedMultiplyAdd(p, x2, Vector512.Create(A5));
        p = Vector512.FusedMultiplyAdd(p, x2, Vector512.Create(A3));
        p = Vector512.FusedMultiplyAdd(p, x2, Vector512.Create(A1));
        var q = Vector512.FusedMultiplyAdd(Vector512.Create(B6), x2, Vector512.Create(B4));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(B2));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(B0));
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), c * p / q, x);
    }
}

/// <summary>
/// The tanh form of GELU computed as x·sigmoid(2u), u = √(2/π)·(x + 0.044715·x³), which equals
/// 0.5·x·(1 + tanh(u)) but does not cancel in the negative tail, where 1 + tanh(u) → 0.
/// </summary>
internal struct GeluTanhActivation : IActivation
{
    private const float TwoSqrt2OverPi = 1.5957691216057308f, Cubic = 0.044715f;

    public static float Apply(float x) =>
        x / (1f + MathF.Exp(-TwoSqrt2OverPi * MathF.FusedMultiplyAdd(Cubic * x, x * x, x)));

    public static Vector256<float> Apply(Vector256<float> x)
    {
        var twoU = Vector256.Create(TwoSqrt2OverPi) * Vector256.FusedMultiplyAdd(Vector256.Create(Cubic) * x, x * x, x);
        return x / (Vector256<float>.One + Vector256.Exp(-twoU));
    }

    public static Vector512<float> Apply(Vector512<float> x)
    {
        var twoU = Vector512.Create(TwoSqrt2OverPi) * Vector512.FusedMultiplyAdd(Vector512.Create(Cubic) * x, x * x, x);
        return x / (Vector512<float>.One + Vector512.Exp(-twoU));
    }
}

/// <summary>
/// GELU with the exact erf: 0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(-x/√2). erfc of z = |x|/√2 comes from
/// the Chebyshev-fitted form t·exp(-z² + P(t)), t = 1/(1 + z/2) (Numerical Recipes' erfcc, relative
/// error below 1.2e-7 for all z ≥ 0), so the negative tail keeps its relative accuracy instead of
/// cancelling in 1 + erf.
/// </summary>
internal struct GeluErfActivation : IActivation
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float P0 = -1.26551223f, P1 = 1.00002368f, P2 = 0.37409196f, P3 = 0.09678418f,
        P4 = -0.18628806f, P5 = 0.27886807f, P6 = -1.13520398f, P7 = 1.48851587f, P8 = -0.82215223f,
        P9 = 0.17087277f;

    public static float Apply(float x)
    {
        float z = MathF.Abs(x) * InvSqrt2;
        float t = 1f / MathF.FusedMultiplyAdd(0.5f, z, 1f);
        float p = MathF.FusedMultiplyAdd(P9, t, P8);
        p = MathF.FusedMultiplyAdd(p, t, P7);
        p = MathF.FusedMultiplyAdd(p, t, P6);
        p = MathF.FusedMultiplyAdd(p, t, P5);
        p = MathF.FusedMultiplyAdd(p, t, P4);
        p = MathF.FusedMultiplyAdd(p, t, P3);
        p = MathF.FusedMultiplyAdd(p, t, P2);
        p = MathF.FusedMultiplyAdd(p, t, P1);
        p = MathF.FusedMultiplyAdd(p, t, P0);
        float erfc = t * MathF.Exp(MathF.FusedMultiplyAdd(-z, z, p));
        return 0.5f * x * (x < 0f ? erfc : 2f - erfc);
    }

    public static Vector256<float> Apply(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(0.5f), z, Vector256<float>.One);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P9), t, Vector256.Create(P8));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P7));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P6));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(P0));
        var erfc = t * Vector256.Exp(Vector256.FusedMultiplyAdd(-z, z, p));
        var factor = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), erfc, Vector256.Create(2f) - erfc);
        return Vector256.Create(0.5f) * x * factor;
    }

    public static Vector512<float> Apply(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * Vector512.Create(InvSqrt2);
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(0.5f), z, Vector512<float>.One);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P9), t, Vector512.Create(P8));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P7));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P6));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(P0));
        var erfc = t * Vector512.Exp(Vector512.FusedMultiplyAdd(-z, z, p));
        var factor = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), erfc, Vector512.Create(2f) - erfc);
        return Vector512.Create(0.5f) * x * factor;
    }
}
