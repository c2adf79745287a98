using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Tests;

public class TensorTests
{
    [Fact]
    public void FactoriesShapeAndAlignment()
    {
        using var z = Tensor.Zeros(DType.F32, 2, 3);
        Assert.Equal(DType.F32, z.DType);
        Assert.Equal(new long[] { 2, 3 }, z.Shape);
        Assert.Equal(6, z.ElementCount);
        Assert.Equal(24, z.ByteCount);
        Assert.Same(Device.Cpu, z.Device);
        Assert.Equal(0, z.Data.ToInt64() % 64);
        Assert.All(z.ToArray<float>(), v => Assert.Equal(0f, v));
        using var s = Tensor.Scalar(2.5);
        Assert.Empty(s.Shape);
        Assert.Equal(DType.F64, s.DType);
        using var a = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2);
        a.AsSpan<long>()[3] = 9;
        Assert.Equal(new long[] { 1, 2, 3, 9 }, a.ToArray<long>());
        Assert.Throws<InvalidOperationException>(() => a.AsSpan<int>());
        Assert.Throws<RuntimeError>(() => Tensor.FromArray(new float[] { 1, 2, 3 }, 2, 2));
        foreach (var dt in DTypes.All)
        {
            using var t = Tensor.Full(dt, new long[] { 3 }, 1);
            Assert.Equal(dt.ByteSize() * 3, t.ByteCount);
            Assert.All(t.ToDoubleArray(), v => Assert.Equal(1, v));
        }
    }

    [Fact]
    public void AbsurdSizesAreClearErrors()
    {
        var e = Assert.Throws<RuntimeError>(() => Tensor.Zeros(DType.F32, 1L << 40, 1L << 30));
        Assert.Contains("too many elements", e.Message);
        e = Assert.Throws<RuntimeError>(() => Tensor.Zeros(DType.F32, 1L << 33));
        Assert.Contains("more than the limit of 16 GiB", e.Message);
        Assert.Throws<RuntimeError>(() => Tensor.Zeros(DType.F32, -1));
        var small = new CpuDevice { MaxTensorBytes = 1000 };   // not Device.Cpu: other tests run in parallel
        Assert.Contains("more than the limit of 1000 bytes", Assert.Throws<RuntimeError>(() => Tensor.Zeros(DType.F64, new long[] { 126 }, small)).Message);
        using var ok = Tensor.Zeros(DType.F64, new long[] { 125 }, small);
        Assert.Same(small, ok.Device);
    }

    [Fact]
    public void DisposeFreesAndIsIdempotent()
    {
        var t = Tensor.Zeros(DType.I32, 4);
        t.Dispose();
        t.Dispose();
        Assert.True(t.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => t.AsSpan<int>());
    }

    [Fact]
    public void ToStringIsReadable()
    {
        using var t = Tensor.FromArray(new float[] { 1, 2.5f, -3, 4 }, 2, 2);
        Assert.Equal("f32[2, 2] [[1, 2.5], [-3, 4]]", t.ToString());
        using var b = Tensor.FromArray(new[] { true, false });
        Assert.Equal("bool[2] [true, false]", b.ToString());
        using var s = Tensor.Scalar(7L);
        Assert.Equal("i64[] 7", s.ToString());
        using var big = Tensor.Zeros(DType.I32, 2000);
        Assert.Equal("i32[2000] [0, 0, 0, ..., 0, 0, 0]", big.ToString());
    }

    [Fact]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.Equal(0x3F80, ((BFloat16)1f).Bits);
        Assert.Equal(0x3F80, ((BFloat16)(1 + 1f / 256)).Bits);            // tie → even (down)
        Assert.Equal(0x3F82, ((BFloat16)(1 + 3f / 256)).Bits);            // tie → even (up)
        Assert.Equal(0x3F81, ((BFloat16)(1 + 1.5f / 256)).Bits);          // above the tie
        Assert.Equal(0x7F80, ((BFloat16)float.MaxValue).Bits);            // overflow → inf
        Assert.True(((BFloat16)float.NaN).IsNaN);
        Assert.True(((BFloat16)double.NaN).IsNaN);
        Assert.Equal(0x8000, ((BFloat16)(-0.0)).Bits);
        Assert.Equal(3.140625f, (float)(BFloat16)3.14159f);
        // Rounding a double directly agrees with rounding the same value held as a float, everywhere,
        // including subnormals and the overflow boundary.
        var rng = new DeterministicRandom(1, "bf16");
        for (int i = 0; i < 200_000; i++)
        {
            float f = BitConverter.UInt32BitsToSingle((uint)rng.NextUInt64());
            if (float.IsNaN(f)) continue;
            Assert.Equal(((BFloat16)f).Bits, ((BFloat16)(double)f).Bits);
        }
        // A double just above a bf16 tie must round up even though (float) would land on the tie.
        double justAbove = 1 + 1.0 / 256 + 1e-12;
        Assert.Equal(0x3F81, ((BFloat16)justAbove).Bits);
    }

    [Fact]
    public void DeterministicMathAgreesWithTheLibrary()
    {
        var rng = new DeterministicRandom(0, "math");
        for (int i = 0; i < 10_000; i++)
        {
            double u = 1 - rng.NextDouble();
            Assert.True(Math.Abs(DetMath.Log(u) - Math.Log(u)) <= 1e-15 * Math.Max(1, Math.Abs(Math.Log(u))));
            double t = rng.NextDouble();
            DetMath.SinCosTurns(t, out double s, out double c);
            Assert.True(Math.Abs(s - Math.Sin(2 * Math.PI * t)) < 1e-14);
            Assert.True(Math.Abs(c - Math.Cos(2 * Math.PI * t)) < 1e-14);
        }
    }

    [Fact]
    public void XoshiroMatchesTheReferenceSequence()
    {
        // xoshiro256** from the state {1, 2, 3, 4}: the first outputs of Blackman and Vigna's reference code.
        var rng = DeterministicRandom.FromState(1, 2, 3, 4);
        Assert.Equal(11520UL, rng.NextUInt64());
        Assert.Equal(0UL, rng.NextUInt64());
        Assert.Equal(1509978240UL, rng.NextUInt64());
        Assert.Equal(1215971899390074240UL, rng.NextUInt64());
        Assert.Equal(0xCBF29CE484222325UL, DeterministicRandom.Fnv1a64(""));
        Assert.Equal(0xAF63DC4C8601EC8CUL, DeterministicRandom.Fnv1a64("a"));
    }
}
