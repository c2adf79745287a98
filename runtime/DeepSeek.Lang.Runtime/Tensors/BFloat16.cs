using System.Globalization;

namespace DeepSeek.Lang.Runtime.Tensors;

/// <summary>
/// bfloat16: the upper 16 bits of an IEEE binary32 (1 sign, 8 exponent, 7 mantissa bits). Conversions
/// from float and double round to nearest, ties to even; NaN stays NaN (quiet); overflow gives infinity.
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>
{
    private BFloat16(ushort bits)
    {
        Bits = bits;
    }

    /// <summary>The raw 16 bits.</summary>
    public ushort Bits { get; }

    public static BFloat16 FromBits(ushort bits) => new(bits);

    public static BFloat16 Zero => new(0);

    public static BFloat16 One => new(0x3F80);

    public static BFloat16 NaN => new(0x7FC0);

    public static BFloat16 PositiveInfinity => new(0x7F80);

    public static BFloat16 NegativeInfinity => new(0xFF80);

    public bool IsNaN => (Bits & 0x7FFF) > 0x7F80;

    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return new BFloat16((ushort)((bits >> 16) | 0x0040)); // quiet NaN, sign kept
        // Round to nearest even: add 0x7FFF plus the lowest kept bit, then truncate. Carries into the
        // exponent are right (they round up to the next binade or to infinity).
        uint lsb = (bits >> 16) & 1;
        bits += 0x7FFF + lsb;
        return new BFloat16((ushort)(bits >> 16));
    }

    /// <summary>Rounds a double directly (no double rounding through float).</summary>
    public static explicit operator BFloat16(double value)
    {
        if (double.IsNaN(value)) return new BFloat16(BitConverter.DoubleToInt64Bits(value) < 0 ? (ushort)0xFFC0 : (ushort)0x7FC0);
        if (value == 0) return new BFloat16(BitConverter.DoubleToInt64Bits(value) < 0 ? (ushort)0x8000 : (ushort)0);
        if (double.IsInfinity(value)) return value > 0 ? PositiveInfinity : NegativeInfinity;
        double a = Math.Abs(value);
        int e = Math.ILogB(a);
        // Spacing of bf16 values around a: 2^(e - 7) for normals, 2^-133 below 2^-126.
        int scale = Math.Max(e, -126) - 7;
        double q = Math.Round(Math.ScaleB(a, -scale), MidpointRounding.ToEven); // exact scaling by a power of two
        double r = Math.ScaleB(q, scale);
        float f = (float)r; // exact: r has at most 8 significant bits and lies in float's range, or overflows to infinity
        if (r >= 3.4028236692093846e38) f = float.PositiveInfinity; // 2^128 and up
        uint bits = BitConverter.SingleToUInt32Bits(f);
        var result = (ushort)(bits >> 16);
        return new BFloat16(value < 0 ? (ushort)(result | 0x8000) : result);
    }

    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value.Bits << 16);

    public static explicit operator double(BFloat16 value) => (float)value;

    public bool Equals(BFloat16 other) => Bits == other.Bits;

    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);

    public override int GetHashCode() => Bits;

    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    public static bool operator ==(BFloat16 a, BFloat16 b) => a.Equals(b);

    public static bool operator !=(BFloat16 a, BFloat16 b) => !a.Equals(b);

    public override string ToString() => ((float)this).ToString("R", CultureInfo.InvariantCulture);
}
