using System.Buffers.Binary;
using DeepSeek.Lang.Compiler.CodeGen.Onnx.Proto;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.CodeGen.Onnx;

/// <summary>Element types and the raw little-endian bytes of constant tensors, as TensorProto.raw_data holds them.</summary>
internal static class OnnxTypes
{
    public static int ElementType(DType dtype) => (int)(dtype switch
    {
        DType.Bool => TensorProto.Types.DataType.Bool,
        DType.I8 => TensorProto.Types.DataType.Int8,
        DType.I32 => TensorProto.Types.DataType.Int32,
        DType.I64 => TensorProto.Types.DataType.Int64,
        DType.F16 => TensorProto.Types.DataType.Float16,
        DType.BF16 => TensorProto.Types.DataType.Bfloat16,
        DType.F32 => TensorProto.Types.DataType.Float,
        DType.F64 => TensorProto.Types.DataType.Double,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    });

    /// <summary>
    /// Values as the runtime stores them: floats rounded to nearest even, integers truncated toward zero
    /// (NaN gives 0, saturating to 64 bits, then wrapped to the width), bool is <c>v != 0</c> (NaN is true).
    /// </summary>
    public static byte[] Encode(DType dtype, IReadOnlyList<double> values)
    {
        if (dtype == DType.Bool) return values.Select(v => v != 0 ? (byte)1 : (byte)0).ToArray();
        if (!dtype.IsFloat()) return EncodeInt64(dtype, values.Select(ToInt64).ToArray());
        int size = dtype.ByteSize();
        var bytes = new byte[values.Count * size];
        for (int i = 0; i < values.Count; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            double v = values[i];
            switch (dtype)
            {
                case DType.F64: BinaryPrimitives.WriteDoubleLittleEndian(span, v); break;
                case DType.F32: BinaryPrimitives.WriteSingleLittleEndian(span, (float)v); break;
                case DType.F16: BinaryPrimitives.WriteHalfLittleEndian(span, (Half)v); break;
                default: BinaryPrimitives.WriteUInt16LittleEndian(span, ToBFloat16(v)); break;
            }
        }
        return bytes;
    }

    /// <summary>Integers wrapped to the width (bool: <c>v != 0</c>); float dtypes take the value rounded.</summary>
    public static byte[] EncodeInt64(DType dtype, IReadOnlyList<long> values)
    {
        if (dtype.IsFloat()) return Encode(dtype, values.Select(v => (double)v).ToArray());
        int size = dtype.ByteSize();
        var bytes = new byte[values.Count * size];
        for (int i = 0; i < values.Count; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            long v = values[i];
            switch (dtype)
            {
                case DType.Bool: span[0] = v != 0 ? (byte)1 : (byte)0; break;
                case DType.I8: span[0] = unchecked((byte)(sbyte)v); break;
                case DType.I32: BinaryPrimitives.WriteInt32LittleEndian(span, unchecked((int)v)); break;
                default: BinaryPrimitives.WriteInt64LittleEndian(span, v); break;
            }
        }
        return bytes;
    }

    /// <summary>The values of raw bytes, as doubles (for names and tests).</summary>
    public static double[] Decode(DType dtype, byte[] bytes)
    {
        int size = dtype.ByteSize();
        var values = new double[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            values[i] = dtype switch
            {
                DType.Bool => span[0],
                DType.I8 => (sbyte)span[0],
                DType.I32 => BinaryPrimitives.ReadInt32LittleEndian(span),
                DType.I64 => BinaryPrimitives.ReadInt64LittleEndian(span),
                DType.F16 => (double)BinaryPrimitives.ReadHalfLittleEndian(span),
                DType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(span) << 16),
                DType.F32 => BinaryPrimitives.ReadSingleLittleEndian(span),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(span),
            };
        }
        return values;
    }

    private static long ToInt64(double v)
    {
        if (double.IsNaN(v)) return 0;
        if (v >= 9.2233720368547758e18) return long.MaxValue;
        if (v <= -9.2233720368547758e18) return long.MinValue;
        return (long)Math.Truncate(v);
    }

    /// <summary>
    /// bfloat16 (the upper half of a binary32) rounded to nearest even directly from the double, as the
    /// runtime's BFloat16 does (no double rounding through float); NaN is a quiet NaN, overflow infinity.
    /// </summary>
    private static ushort ToBFloat16(double value)
    {
        bool negative = BitConverter.DoubleToInt64Bits(value) < 0;
        if (double.IsNaN(value)) return negative ? (ushort)0xFFC0 : (ushort)0x7FC0;
        if (value == 0) return negative ? (ushort)0x8000 : (ushort)0;
        if (double.IsInfinity(value)) return value > 0 ? (ushort)0x7F80 : (ushort)0xFF80;
        double a = Math.Abs(value);
        int scale = Math.Max(Math.ILogB(a), -126) - 7;
        double r = Math.ScaleB(Math.Round(Math.ScaleB(a, -scale), MidpointRounding.ToEven), scale);
        float f = r >= 3.4028236692093846e38 ? float.PositiveInfinity : (float)r;
        var bits = (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);
        return negative ? (ushort)(bits | 0x8000) : bits;
    }
}
