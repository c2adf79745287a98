using System.Text;

namespace DeepSeek.Lang.Runtime.Random;

/// <summary>
/// The runtime's random numbers: the same (seed, key) gives the same sequence on every machine and
/// every .NET version. xoshiro256** (Blackman and Vigna) whose 256-bit state is four successive
/// SplitMix64 outputs started at <c>key ^ SplitMix64Mix(seed + 0x9E3779B97F4A7C15)</c>, where the key is
/// usually <see cref="Fnv1a64"/> of a name (a weight's, an input's). Doubles take the top 53 bits of a
/// draw; normals come from Box–Muller computed with <see cref="DetMath"/> (only IEEE-exact +, -, ×, ÷ and
/// square root), two normals per pair of uniforms. Never <see cref="System.Random"/>.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpare;

    public DeterministicRandom(long seed, ulong key)
    {
        ulong z = key ^ Mix(unchecked((ulong)seed + 0x9E3779B97F4A7C15UL));
        _s0 = SplitMix(ref z);
        _s1 = SplitMix(ref z);
        _s2 = SplitMix(ref z);
        _s3 = SplitMix(ref z);
    }

    private DeterministicRandom()
    {
    }

    /// <summary>A generator with an explicit xoshiro256** state (tests against the reference sequence).</summary>
    internal static DeterministicRandom FromState(ulong s0, ulong s1, ulong s2, ulong s3) => new() { _s0 = s0, _s1 = s1, _s2 = s2, _s3 = s3 };

    /// <summary>The stream for a name: key = FNV-1a (64-bit) of its UTF-8 bytes.</summary>
    public DeterministicRandom(long seed, string name)
        : this(seed, Fnv1a64(name))
    {
    }

    /// <summary>FNV-1a, 64-bit, over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h = unchecked(h * 0x100000001B3UL);
        }
        return h;
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = unchecked(RotateLeft(_s1 * 5, 7) * 9);
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1): the top 53 bits of a draw times 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="bound"/>) for 0 &lt; bound ≤ 2^53: floor(NextDouble() × bound).</summary>
    public long NextInt64(long bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), "the bound must be positive");
        long v = (long)Math.Floor(NextDouble() * bound);
        return Math.Min(v, bound - 1);
    }

    /// <summary>
    /// A standard normal by Box–Muller: u1 = 1 - NextDouble() (in (0, 1]), u2 = NextDouble(),
    /// r = sqrt(-2 ln u1), and the pair r cos(2π u2), r sin(2π u2) is returned in that order over two calls.
    /// </summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareNormal;
        }
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * DetMath.Log(u1));
        DetMath.SinCosTurns(u2, out double s, out double c);
        _spareNormal = r * s;
        _hasSpare = true;
        return r * c;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong state)
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}

/// <summary>
/// Logarithm, sine and cosine from IEEE-exact operations only (+, -, ×, ÷, and power-of-two scaling),
/// so that they give the same bits on every platform, unlike the C library's. Accurate to a few ulps,
/// which is plenty for random numbers; not for general use.
/// </summary>
public static class DetMath
{
    private const double Ln2 = 0.69314718055994530942;

    /// <summary>ln x for finite x &gt; 0: x = m 2^e with m in [√½, √2), ln m = 2 atanh((m-1)/(m+1)) by its series.</summary>
    public static double Log(double x)
    {
        if (!(x > 0) || double.IsInfinity(x)) throw new ArgumentOutOfRangeException(nameof(x), "DetMath.Log needs a finite positive number");
        int e = Math.ILogB(x);
        double m = Math.ScaleB(x, -e); // [1, 2), exact
        if (m > 1.4142135623730951)
        {
            m *= 0.5; // exact
            e += 1;
        }
        double s = (m - 1) / (m + 1);
        double s2 = s * s;
        // 2 (s + s^3/3 + s^5/5 + ...); |s| < 0.172 so s^2 < 0.0295 and 13 terms reach 1e-20.
        double term = s;
        double sum = 0;
        for (int k = 1; k <= 27; k += 2)
        {
            sum += term / k;
            term *= s2;
        }
        return e * Ln2 + 2 * sum;
    }

    /// <summary>
    /// sin and cos of 2π t for t in [0, 1): the quadrant from 4t (exact), then Taylor series on the
    /// remaining angle in [0, π/2).
    /// </summary>
    public static void SinCosTurns(double t, out double sin, out double cos)
    {
        double q4 = t * 4; // exact
        int quadrant = (int)Math.Floor(q4);
        double a = (q4 - quadrant) * (Math.PI / 2); // [0, π/2)
        quadrant &= 3;
        double a2 = a * a;
        // sin a = a - a^3/3! + ...; cos a = 1 - a^2/2! + ...; a < 1.571, 14 terms leave < 1e-22.
        double sn = 0, cs = 0, ts = a, tc = 1;
        for (int k = 0; k < 14; k++)
        {
            sn += ts;
            cs += tc;
            ts *= -a2 / ((2 * k + 2) * (2 * k + 3));
            tc *= -a2 / ((2 * k + 1) * (2 * k + 2));
        }
        switch (quadrant)
        {
            case 0: sin = sn; cos = cs; break;
            case 1: sin = cs; cos = -sn; break;
            case 2: sin = -sn; cos = -cs; break;
            default: sin = -cs; cos = sn; break;
        }
    }
}
