using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// SIMD versions of the functions generated kernels use, for Vector512 and Vector256 of float.
/// Accuracy is within a few ulp of the scalar functions (erf within 2e-7 absolute), well inside the
/// 1e-4 relative tolerance compiled code is held to against the eager interpreter.
/// </summary>
public static class VMath
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    // e^x is FastExp (a Cephes polynomial, within 2 ulp; the runtime's Vector512.Exp works in double and
    // costs about 30 times as much), with IEEE limits restored: +inf above 88.72, 0 below -87.34
    // (flushing the subnormal results), NaN for NaN. The functions below that only need e^x in their
    // 1/(1 + e^x) forms use FastExp's saturation directly.

    // ------------------------------------------------------------------ 512 bits

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var e = FastExp.Exp(x);
        e = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(88.72283f)), Vector512.Create(float.PositiveInfinity), e);
        e = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87.33654f)), Vector512<float>.Zero, e);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), e, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Rsqrt(Vector512<float> x) => Vector512<float>.One / Vector512.Sqrt(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + FastExp.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Silu(Vector512<float> x) => x / (Vector512<float>.One + FastExp.Exp(-x));

    /// <summary>tanh(x) = 1 - 2 / (exp(2x) + 1); the input is clamped where tanh is ±1 in float anyway.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var c = Vector512.Clamp(x, Vector512.Create(-10f), Vector512.Create(10f));
        var e = FastExp.Exp(c + c);
        return Vector512<float>.One - Vector512.Create(2f) / (e + Vector512<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Gelu(Vector512<float> x) =>
        Vector512.Create(0.5f) * x * (Vector512<float>.One + Erf(x * Vector512.Create(InvSqrt2)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> GeluTanh(Vector512<float> x) =>
        Vector512.Create(0.5f) * x * (Vector512<float>.One + Tanh(Vector512.Create(SqrtTwoOverPi) * (x + Vector512.Create(0.044715f) * x * x * x)));

    /// <summary>erf via 1 - t·exp(-x² + P(t)), t = 1/(1 + |x|/2) (Numerical Recipes' erfc, relative error &lt; 1.2e-7).</summary>
    public static Vector512<float> Erf(Vector512<float> x)
    {
        var ax = Vector512.Abs(x);
        var t = Vector512<float>.One / (Vector512<float>.One + Vector512.Create(0.5f) * ax);
        var p = Vector512.Create(0.17087277f);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.82215223f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.48851587f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.13520398f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.27886807f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-0.18628806f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.09678418f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(0.37409196f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(1.00002368f));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(-1.26551223f));
        var erfc = t * FastExp.Exp(p - ax * ax);
        var magnitude = Vector512<float>.One - erfc;
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -magnitude, magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);

    public static float Max(Vector512<float> v) => Max(Vector256.Max(v.GetLower(), v.GetUpper()));

    public static float Min(Vector512<float> v) => Min(Vector256.Min(v.GetLower(), v.GetUpper()));

    // ------------------------------------------------------------------ 256 bits

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var e = FastExp.Exp(x);
        e = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(88.72283f)), Vector256.Create(float.PositiveInfinity), e);
        e = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(-87.33654f)), Vector256<float>.Zero, e);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), e, x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Rsqrt(Vector256<float> x) => Vector256<float>.One / Vector256.Sqrt(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + FastExp.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Silu(Vector256<float> x) => x / (Vector256<float>.One + FastExp.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var c = Vector256.Clamp(x, Vector256.Create(-10f), Vector256.Create(10f));
        var e = FastExp.Exp(c + c);
        return Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x) =>
        Vector256.Create(0.5f) * x * (Vector256<float>.One + Erf(x * Vector256.Create(InvSqrt2)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> GeluTanh(Vector256<float> x) =>
        Vector256.Create(0.5f) * x * (Vector256<float>.One + Tanh(Vector256.Create(SqrtTwoOverPi) * (x + Vector256.Create(0.044715f) * x * x * x)));

    public static Vector256<float> Erf(Vector256<float> x)
    {
        var ax = Vector256.Abs(x);
        var t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(0.5f) * ax);
        var p = Vector256.Create(0.17087277f);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.82215223f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.48851587f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.13520398f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.27886807f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.18628806f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.09678418f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.37409196f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.00002368f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.26551223f));
        var erfc = t * FastExp.Exp(p - ax * ax);
        var magnitude = Vector256<float>.One - erfc;
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), -magnitude, magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);

    public static float Max(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        return MathF.Max(MathF.Max(m[0], m[1]), MathF.Max(m[2], m[3]));
    }

    public static float Min(Vector256<float> v)
    {
        var m = Vector128.Min(v.GetLower(), v.GetUpper());
        return MathF.Min(MathF.Min(m[0], m[1]), MathF.Min(m[2], m[3]));
    }
}
