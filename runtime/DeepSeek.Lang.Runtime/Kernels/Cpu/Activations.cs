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

/// <summary>
/// e^x for the activations, in float: n = round(x·log2 e), r = x − n·ln 2 (ln 2 split in two so r
/// is exact), e^r by Cephes' degree-5 minimax polynomial (about 1 ulp on |r| ≤ ln2/2), times 2^n
/// built in the exponent bits. x is clamped to [-87.3, 88.4] so 2^n stays a normal float: e^x
/// saturates at 2.4e38 and 1.2e-38 instead of inf and 0, which the callers (1/(1+e^-x) forms)
/// turn into the right limits. (n is integral and in range, so the plain, non-saturating conversion
/// is exact.) About 12 vector instructions, against several times that for
/// the runtime's Vector512.Exp, whose float form works in double.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f, Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float Min = -87.33654f, Max = 88.37626f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(Min)), Vector512.Create(Max));
        var n = Vector512.Round(x * Vector512.Create(Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n) + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));
        var n = Vector256.Round(x * Vector256.Create(Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        var scale = Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
        return p * scale;
    }
}

internal struct NoActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => x;
}

internal struct ReluActivation : IActivation
{
    // MathF.Max/Vector.Max propagate NaN like PyTorch's relu does.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

internal struct SigmoidActivation : IActivation
{
    // 1/(1+e^-x): e^-x overflows to +inf for x < -88 and the quotient is then exactly 0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => 1f / (1f + MathF.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) =>
        Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(-x));
}

internal struct SiluActivation : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) => x / (1f + MathF.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x) => x / (Vector256<float>.One + FastExp.Exp(-x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x) => x / (Vector512<float>.One + FastExp.Exp(-x));
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x) =>
        x / (1f + MathF.Exp(-TwoSqrt2OverPi * MathF.FusedMultiplyAdd(Cubic * x, x * x, x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var twoU = Vector256.Create(TwoSqrt2OverPi) * Vector256.FusedMultiplyAdd(Vector256.Create(Cubic) * x, x * x, x);
        return x / (Vector256<float>.One + FastExp.Exp(-twoU));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var twoU = Vector512.Create(TwoSqrt2OverPi) * Vector512.FusedMultiplyAdd(Vector512.Create(Cubic) * x, x * x, x);
        return x / (Vector512<float>.One + FastExp.Exp(-twoU));
    }
}

/// <summary>
/// GELU with the exact erf: 0.5·x·(1 + erf(x/√2)) = 0.5·x·erfc(-x/√2). erfc of z = |x|/√2 comes from
/// Abramowitz and Stegun 7.1.26, t·P(t)·exp(-z²) with t = 1/(1 + p·z) (absolute error below 1.5e-7,
/// the form PyTorch's vectorised erf uses), so the negative tail is a product, not the
/// cancellation 1 + erf, and GELU's absolute error stays below 1e-7·|x|.
/// </summary>
internal struct GeluErfActivation : IActivation
{
    private const float InvSqrt2 = 0.70710678118654752f, P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(float x)
    {
        float z = MathF.Abs(x) * InvSqrt2;
        float t = 1f / MathF.FusedMultiplyAdd(P, z, 1f);
        float poly = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(A5, t, A4), t, A3), t, A2), t, A1);
        float erfc = t * poly * MathF.Exp(-z * z);
        return 0.5f * x * (x < 0f ? erfc : 2f - erfc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(P), z, Vector256<float>.One);
        var poly = Vector256.FusedMultiplyAdd(Vector256.Create(A5), t, Vector256.Create(A4));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A3));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A2));
        poly = Vector256.FusedMultiplyAdd(poly, t, Vector256.Create(A1));
        var erfc = t * poly * FastExp.Exp(-z * z);
        var factor = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), erfc, Vector256.Create(2f) - erfc);
        return Vector256.Create(0.5f) * x * factor;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * Vector512.Create(InvSqrt2);
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(P), z, Vector512<float>.One);
        var poly = Vector512.FusedMultiplyAdd(Vector512.Create(A5), t, Vector512.Create(A4));
        poly = Vector512.FusedMultiplyAdd(poly, t, Vector512.Create(A3));
        poly = Vector512.FusedMultiplyAdd(poly, t, Vector512.Create(A2));
        poly = Vector512.FusedMultiplyAdd(poly, t, Vector512.Create(A1));
        var erfc = t * poly * FastExp.Exp(-z * z);
        var factor = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), erfc, Vector512.Create(2f) - erfc);
        return Vector512.Create(0.5f) * x * factor;
    }
}
