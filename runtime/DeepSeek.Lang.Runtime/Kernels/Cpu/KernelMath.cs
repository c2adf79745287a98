using System.Runtime.CompilerServices;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>Scalar functions generated kernels call that <see cref="MathF"/> lacks.</summary>
public static class KernelMath
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Silu(float x) => x / (1f + MathF.Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => 0.5f * x * (1f + Erf(x * InvSqrt2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(SqrtTwoOverPi * (x + 0.044715f * x * x * x)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f ? x : 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Rsqrt(float x) => 1f / MathF.Sqrt(x);

    /// <summary>erf to within 2e-7 (float rounding dominates): Abramowitz–Stegun 7.1.26 is too coarse, so a rational fit in double.</summary>
    public static float Erf(float x) => (float)Erf((double)x);

    public static double Erf(double x)
    {
        // W. J. Cody's rational approximations, as used by many libms, in three ranges.
        double ax = Math.Abs(x);
        double r;
        if (ax < 0.5)
        {
            double t = x * x;
            double num = (((0.1857777061846032 * t + 3.161123743870566) * t + 113.8641541510502) * t + 377.485237685302) * t + 3209.377589138469;
            double den = (((t + 23.60129095234412) * t + 244.0246379344442) * t + 1282.616526077372) * t + 2844.236833439171;
            return x * num / den;
        }
        if (ax < 4.0)
        {
            double num = (((((((2.153115354744038e-8 * ax + 0.5641884969886701) * ax + 8.883149794388376) * ax + 66.11919063714163) * ax
                + 298.6351381974001) * ax + 881.9522212417691) * ax + 1712.047612634071) * ax + 2051.078377826071) * ax + 1230.339354797997;
            double den = (((((((ax + 15.74492611070983) * ax + 117.6939508913125) * ax + 537.1811018620099) * ax + 1621.389574566690) * ax
                + 3290.799235733460) * ax + 4362.619090143247) * ax + 3439.367674143722) * ax + 1230.339354803749;
            r = 1.0 - Math.Exp(-ax * ax) * num / den;
        }
        else
        {
            double z = 1.0 / (ax * ax);
            double num = ((((0.01631538713730210 * z + 0.3053266349612323) * z + 0.3603448999498044) * z + 0.1257817261112292) * z + 0.01608378514874228) * z + 0.0006587491615298378;
            double den = ((((z + 2.568520192289822) * z + 1.872952849923460) * z + 0.5279051029514284) * z + 0.06051834131244132) * z + 0.002335204976268692;
            r = 1.0 - Math.Exp(-ax * ax) / ax * (0.5641895835477563 - z * num / den);
        }
        return x < 0 ? -r : r;
    }

    /// <summary>Floor modulo (Python's %), the IR's mod.</summary>
    public static long FloorMod(long x, long y)
    {
        long r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    public static int FloorMod(int x, int y)
    {
        int r = x % y;
        return r != 0 && (r < 0) != (y < 0) ? r + y : r;
    }

    public static float FloorMod(float x, float y) => x - MathF.Floor(x / y) * y;

    public static double FloorMod(double x, double y) => x - Math.Floor(x / y) * y;
}
