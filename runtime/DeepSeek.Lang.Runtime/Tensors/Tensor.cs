using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Devices;

namespace DeepSeek.Lang.Runtime.Tensors;

/// <summary>
/// A dense tensor: a dtype, a shape and one contiguous row-major (C order) buffer owned by a
/// <see cref="Devices.Device"/>. On the CPU the buffer is native memory aligned to 64 bytes. Element types:
/// f32 <c>float</c>, f64 <c>double</c>, f16 <see cref="Half"/>, bf16 <see cref="BFloat16"/>, i8 <c>sbyte</c>,
/// i32 <c>int</c>, i64 <c>long</c>, bool <c>bool</c> (one byte, 0 or 1). Dispose frees the buffer; the
/// finalizer frees it too if a tensor is dropped undisposed.
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private IntPtr _data;
    private readonly bool _owned = true;

    /// <summary>A tensor over memory someone else owns (an executor's arena); disposing it frees nothing.</summary>
    private Tensor(DType dtype, ImmutableArray<long> shape, long count, Device device, IntPtr data)
    {
        DType = dtype;
        Shape = shape;
        ElementCount = count;
        ByteCount = count * dtype.ByteSize();
        Device = device;
        _data = data;
        _owned = false;
    }

    /// <summary>
    /// A view of <paramref name="data"/> as a tensor, without copying or taking ownership: the memory
    /// must outlive the view. Used by executors to hand arena buffers to kernels written for tensors.
    /// </summary>
    public static Tensor View(DType dtype, ReadOnlySpan<long> shape, IntPtr data, Device? device = null) =>
        new(dtype, shape.ToArray().ToImmutableArray(), CountElements(dtype, shape), device ?? Device.Cpu, data);

    private Tensor(DType dtype, ImmutableArray<long> shape, long count, Device device)
    {
        DType = dtype;
        Shape = shape;
        ElementCount = count;
        ByteCount = count * dtype.ByteSize();
        Device = device;
        _data = device.Allocate(ByteCount, $"a tensor {TypeText(dtype, shape.AsSpan())}");
    }

    ~Tensor()
    {
        Free();
    }

    public DType DType { get; }

    /// <summary>The sizes of the axes, outermost first; empty for a scalar.</summary>
    public ImmutableArray<long> Shape { get; }

    public int Rank => Shape.Length;

    public long ElementCount { get; }

    public long ByteCount { get; }

    public Device Device { get; }

    public bool IsDisposed => _data == IntPtr.Zero;

    /// <summary>The start of the buffer (64-byte aligned on the CPU).</summary>
    public IntPtr Data => _data != IntPtr.Zero ? _data : throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed");

    /// <summary>The type as .dsk writes it: <c>f32[2, 16, 512]</c>.</summary>
    public string TypeText() => TypeText(DType, Shape.AsSpan());

    public static string TypeText(DType dtype, ReadOnlySpan<long> shape)
    {
        var sb = new StringBuilder(dtype.Name()).Append('[');
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    // ------------------------------------------------------------------ factories

    /// <summary>A zero-filled tensor on <paramref name="device"/> (the CPU when null).</summary>
    public static Tensor Zeros(DType dtype, ReadOnlySpan<long> shape, Device? device = null)
    {
        long count = CountElements(dtype, shape);
        return new Tensor(dtype, shape.ToArray().ToImmutableArray(), count, device ?? Device.Cpu);
    }

    public static Tensor Zeros(DType dtype, params long[] shape) => Zeros(dtype, shape.AsSpan());

    /// <summary>A tensor with every element <paramref name="value"/>, rounded to the dtype as <see cref="Set(long, double)"/> does.</summary>
    public static Tensor Full(DType dtype, ReadOnlySpan<long> shape, double value)
    {
        var t = Zeros(dtype, shape);
        if (value != 0 || double.IsNegative(value))
            for (long i = 0; i < t.ElementCount; i++) t.Set(i, value);
        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/>; the dtype comes from <typeparamref name="T"/>.</summary>
    public static Tensor FromArray<T>(T[] data, params long[] shape) where T : unmanaged => FromSpan<T>(data, shape);

    /// <summary>As <see cref="FromArray{T}(T[], long[])"/>; a one-dimensional tensor when no shape is given.</summary>
    public static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var dtype = DTypeOf<T>();
        long[] dims = shape.Length == 0 && data.Length != 1 ? new long[] { data.Length } : shape.ToArray();
        var t = Zeros(dtype, dims);
        if (t.ElementCount != data.Length)
        {
            var text = TypeText(dtype, dims);
            t.Dispose();
            throw new RuntimeError($"{data.Length} values cannot fill a tensor {text} of {CountElements(dtype, dims)} elements");
        }
        data.CopyTo(t.AsSpan<T>());
        return t;
    }

    /// <summary>A scalar (rank 0) tensor.</summary>
    public static Tensor Scalar<T>(T value) where T : unmanaged
    {
        var t = Zeros(DTypeOf<T>(), ReadOnlySpan<long>.Empty);
        t.AsSpan<T>()[0] = value;
        return t;
    }

    /// <summary>A tensor of <paramref name="dtype"/> from doubles, each rounded as <see cref="Set(long, double)"/> does.</summary>
    public static Tensor FromDoubles(DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<double> values)
    {
        var t = Zeros(dtype, shape);
        if (t.ElementCount != values.Length)
        {
            t.Dispose();
            throw new RuntimeError($"{values.Length} values cannot fill a tensor {TypeText(dtype, shape)}");
        }
        switch (dtype)
        {
            case DType.F32:
            {
                var s = t.AsSpan<float>();
                for (int i = 0; i < s.Length; i++) s[i] = (float)values[i];
                break;
            }
            case DType.F64:
                values.CopyTo(t.AsSpan<double>());
                break;
            default:
                for (int i = 0; i < values.Length; i++) t.Set(i, values[i]);
                break;
        }
        return t;
    }

    /// <summary>A tensor of <paramref name="dtype"/> from 64-bit integers, each converted as <see cref="SetInt64"/> does.</summary>
    public static Tensor FromInt64s(DType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<long> values)
    {
        var t = Zeros(dtype, shape);
        if (t.ElementCount != values.Length)
        {
            t.Dispose();
            throw new RuntimeError($"{values.Length} values cannot fill a tensor {TypeText(dtype, shape)}");
        }
        for (int i = 0; i < values.Length; i++) t.SetInt64(i, values[i]);
        return t;
    }

    /// <summary>A copy with its own buffer.</summary>
    public Tensor Clone()
    {
        var t = Zeros(DType, Shape.AsSpan(), Device);
        Buffer.MemoryCopy((void*)Data, (void*)t.Data, ByteCount, ByteCount);
        return t;
    }

    /// <summary>The same elements under a shape with the same element count (a copy).</summary>
    public Tensor Reshaped(ReadOnlySpan<long> shape)
    {
        var t = Zeros(DType, shape, Device);
        if (t.ElementCount != ElementCount)
        {
            var text = t.TypeText();
            t.Dispose();
            throw new RuntimeError($"cannot reshape {TypeText()} to {text}: the element counts differ");
        }
        Buffer.MemoryCopy((void*)Data, (void*)t.Data, ByteCount, ByteCount);
        return t;
    }

    // ------------------------------------------------------------------ element access

    /// <summary>
    /// The elements as a span of <typeparamref name="T"/>, which must be the dtype's element type (or
    /// <c>byte</c> for a bool tensor). The span is valid until the tensor is disposed.
    /// </summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        var expected = DTypeOf<T>(allowByte: true);
        if (expected != DType && !(typeof(T) == typeof(byte) && DType == DType.Bool))
            throw new InvalidOperationException($"a {DType.Name()} tensor cannot be read as {typeof(T).Name}");
        if (ElementCount > int.MaxValue)
            throw new RuntimeError($"the tensor {TypeText()} has more than {int.MaxValue} elements and cannot be viewed as one span");
        return new Span<T>((void*)Data, (int)ElementCount);
    }

    /// <summary>The raw bytes of the buffer (little-endian elements).</summary>
    public Span<byte> AsBytes()
    {
        if (ByteCount > int.MaxValue)
            throw new RuntimeError($"the tensor {TypeText()} has more than {int.MaxValue} bytes and cannot be viewed as one span");
        return new Span<byte>((void*)Data, (int)ByteCount);
    }

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray<T>() where T : unmanaged => AsSpan<T>().ToArray();

    /// <summary>Element <paramref name="index"/> (row-major) as a double: bool is 0 or 1.</summary>
    public double Get(long index)
    {
        CheckIndex(index);
        var p = (byte*)Data;
        return DType switch
        {
            DType.F32 => ((float*)p)[index],
            DType.F64 => ((double*)p)[index],
            DType.F16 => (double)((Half*)p)[index],
            DType.BF16 => (double)((BFloat16*)p)[index],
            DType.I8 => ((sbyte*)p)[index],
            DType.I32 => ((int*)p)[index],
            DType.I64 => ((long*)p)[index],
            DType.Bool => p[index] != 0 ? 1 : 0,
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>
    /// Sets element <paramref name="index"/> from a double: floats round to nearest even; integers truncate
    /// toward zero and then wrap to their width (NaN gives 0, out-of-range values saturate to the i64 range
    /// first); bool is <c>value != 0</c> (NaN is true).
    /// </summary>
    public void Set(long index, double value)
    {
        CheckIndex(index);
        var p = (byte*)Data;
        switch (DType)
        {
            case DType.F32: ((float*)p)[index] = (float)value; break;
            case DType.F64: ((double*)p)[index] = value; break;
            case DType.F16: ((Half*)p)[index] = (Half)value; break;
            case DType.BF16: ((BFloat16*)p)[index] = (BFloat16)value; break;
            case DType.Bool: p[index] = value != 0 ? (byte)1 : (byte)0; break;
            default: SetInt64(index, DoubleToInt64(value)); break;
        }
    }

    /// <summary>Element <paramref name="index"/> as a 64-bit integer: floats truncate toward zero; bool is 0 or 1.</summary>
    public long GetInt64(long index)
    {
        CheckIndex(index);
        var p = (byte*)Data;
        return DType switch
        {
            DType.I8 => ((sbyte*)p)[index],
            DType.I32 => ((int*)p)[index],
            DType.I64 => ((long*)p)[index],
            DType.Bool => p[index] != 0 ? 1 : 0,
            _ => DoubleToInt64(Get(index)),
        };
    }

    /// <summary>Sets element <paramref name="index"/> from an integer, wrapping to the dtype's width (two's complement).</summary>
    public void SetInt64(long index, long value)
    {
        CheckIndex(index);
        var p = (byte*)Data;
        switch (DType)
        {
            case DType.I8: ((sbyte*)p)[index] = unchecked((sbyte)value); break;
            case DType.I32: ((int*)p)[index] = unchecked((int)value); break;
            case DType.I64: ((long*)p)[index] = value; break;
            case DType.Bool: p[index] = value != 0 ? (byte)1 : (byte)0; break;
            default: Set(index, value); break;
        }
    }

    /// <summary>Every element as a double (see <see cref="Get"/>).</summary>
    public double[] ToDoubleArray()
    {
        var result = new double[CheckedCount()];
        if (DType == DType.F32)
        {
            var s = AsSpan<float>();
            for (int i = 0; i < s.Length; i++) result[i] = s[i];
        }
        else if (DType == DType.F64) AsSpan<double>().CopyTo(result);
        else
            for (int i = 0; i < result.Length; i++) result[i] = Get(i);
        return result;
    }

    /// <summary>Every element as a 64-bit integer (see <see cref="GetInt64"/>).</summary>
    public long[] ToInt64Array()
    {
        var result = new long[CheckedCount()];
        if (DType == DType.I64) AsSpan<long>().CopyTo(result);
        else
            for (int i = 0; i < result.Length; i++) result[i] = GetInt64(i);
        return result;
    }

    /// <summary>Truncation toward zero, NaN to 0, saturating at the ends of the i64 range.</summary>
    public static long DoubleToInt64(double value)
    {
        if (double.IsNaN(value)) return 0;
        if (value >= 9.2233720368547758e18) return long.MaxValue;
        if (value <= -9.2233720368547758e18) return long.MinValue;
        return (long)Math.Truncate(value);
    }

    private int CheckedCount()
    {
        if (ElementCount > int.MaxValue)
            throw new RuntimeError($"the tensor {TypeText()} has more than {int.MaxValue} elements and cannot be copied to an array");
        return (int)ElementCount;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckIndex(long index)
    {
        if ((ulong)index >= (ulong)ElementCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"element {index} is outside the tensor {TypeText()}");
    }

    // ------------------------------------------------------------------ types and sizes

    /// <summary>The dtype whose elements are <typeparamref name="T"/>.</summary>
    public static DType DTypeOf<T>() where T : unmanaged => DTypeOf<T>(allowByte: false);

    private static DType DTypeOf<T>(bool allowByte) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DType.F32;
        if (typeof(T) == typeof(double)) return DType.F64;
        if (typeof(T) == typeof(Half)) return DType.F16;
        if (typeof(T) == typeof(BFloat16)) return DType.BF16;
        if (typeof(T) == typeof(sbyte)) return DType.I8;
        if (typeof(T) == typeof(int)) return DType.I32;
        if (typeof(T) == typeof(long)) return DType.I64;
        if (typeof(T) == typeof(bool)) return DType.Bool;
        if (allowByte && typeof(T) == typeof(byte)) return DType.Bool;
        throw new NotSupportedException($"{typeof(T).Name} is not a tensor element type");
    }

    /// <summary>
    /// The element count of a shape; a negative size, a count that overflows 64 bits, or a byte size over
    /// 2^63 is a <see cref="RuntimeError"/>.
    /// </summary>
    public static long CountElements(DType dtype, ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
            if (d < 0) throw new RuntimeError($"a tensor {TypeText(dtype, shape)} cannot exist: sizes must not be negative");
        try
        {
            foreach (var d in shape) count = checked(count * d);
            _ = checked(count * dtype.ByteSize());
        }
        catch (OverflowException)
        {
            throw new RuntimeError($"a tensor {TypeText(dtype, shape)} has too many elements to count in 64 bits");
        }
        return count;
    }

    // ------------------------------------------------------------------ disposal and text

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var p = Interlocked.Exchange(ref _data, IntPtr.Zero);
        if (p != IntPtr.Zero && _owned) Device.Free(p);
    }

    /// <summary>
    /// The type and the values in NumPy's nested-bracket style: <c>f32[2, 2] [[1, 2], [3, 4]]</c>. Large
    /// tensors (over 1000 elements) show the first and last three entries of each axis around "...".
    /// </summary>
    public override string ToString()
    {
        if (IsDisposed) return TypeText() + " (disposed)";
        var sb = new StringBuilder(TypeText()).Append(' ');
        bool summarize = ElementCount > 1000;
        AppendValues(sb, 0, 0, summarize);
        return sb.ToString();
    }

    private void AppendValues(StringBuilder sb, int axis, long offset, bool summarize)
    {
        if (axis == Rank)
        {
            sb.Append(FormatElement(offset));
            return;
        }
        long stride = 1;
        for (int k = axis + 1; k < Rank; k++) stride *= Shape[k];
        long n = Shape[axis];
        sb.Append('[');
        for (long i = 0; i < n; i++)
        {
            if (summarize && n > 6 && i == 3)
            {
                sb.Append(", ..., ");
                i = n - 3;
            }
            if (i > 0 && !(summarize && n > 6 && i == n - 3)) sb.Append(", ");
            AppendValues(sb, axis + 1, offset + i * stride, summarize);
        }
        sb.Append(']');
    }

    private string FormatElement(long index) => DType switch
    {
        DType.Bool => GetInt64(index) != 0 ? "true" : "false",
        DType.I8 or DType.I32 or DType.I64 => GetInt64(index).ToString(CultureInfo.InvariantCulture),
        _ => FormatFloat(Get(index)),
    };

    /// <summary>Six significant digits, invariant culture; nan, inf, -inf.</summary>
    public static string FormatFloat(double v)
    {
        if (double.IsNaN(v)) return "nan";
        if (double.IsPositiveInfinity(v)) return "inf";
        if (double.IsNegativeInfinity(v)) return "-inf";
        return v.ToString("G6", CultureInfo.InvariantCulture);
    }
}
