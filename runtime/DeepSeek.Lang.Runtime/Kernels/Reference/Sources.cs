using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterSources(Dictionary<string, ReferenceKernel> t)
    {
        t["constant"] = (_, a) => One(Constant(a));
        t["full"] = (_, a) => One(Full(a));
        t["arange"] = (_, a) => One(Arange(a));
        t["randn"] = (_, a) => One(Randn(a));
    }

    /// <summary>constant: attrs dtype, shape, values (row-major; a single value fills the shape).</summary>
    public static Tensor Constant(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        var shape = DimsAttr(a, "shape", "constant");
        double[] values = a.TryGet("values", out var v) switch
        {
            false => new[] { 0.0 },
            true => v switch
            {
                ImmutableArray<double> ds => ds.ToArray(),
                ImmutableArray<long> ls => ls.Select(x => (double)x).ToArray(),
                double d => new[] { d },
                long l => new[] { (double)l },
                _ => throw new RuntimeError($"constant: values must be numbers, got {Attributes.FormatValue(v)}"),
            },
        };
        var result = Tensor.Zeros(dtype, shape);
        if (values.Length == 1)
            for (long i = 0; i < result.ElementCount; i++) result.Set(i, values[0]);
        else if (values.Length == result.ElementCount)
        {
            // Integral lists are exact in 64 bits.
            if (v is ImmutableArray<long> ints && !dtype.IsFloat())
                for (int i = 0; i < ints.Length; i++) result.SetInt64(i, ints[i]);
            else
                for (int i = 0; i < values.Length; i++) result.Set(i, values[i]);
        }
        else
        {
            result.Dispose();
            throw new RuntimeError($"constant: {values.Length} values cannot fill {Tensor.TypeText(dtype, shape)}");
        }
        return result;
    }

    /// <summary>full: attrs dtype, shape, value — a double, an integer, a bool, or a Dim (already evaluated, e.g. B * T).</summary>
    public static Tensor Full(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        var shape = DimsAttr(a, "shape", "full");
        a.TryGet("value", out var v);
        var result = Tensor.Zeros(dtype, shape);
        switch (v)
        {
            case null:
                break;
            case double d:
                for (long i = 0; i < result.ElementCount; i++) result.Set(i, d);
                break;
            case bool b:
                for (long i = 0; i < result.ElementCount; i++) result.SetInt64(i, b ? 1 : 0);
                break;
            case long or Dim:
                long n = DimAttr(a, "value", "full");
                for (long i = 0; i < result.ElementCount; i++) result.SetInt64(i, n);
                break;
            default:
                result.Dispose();
                throw new RuntimeError($"full: value must be a number, got {Attributes.FormatValue(v)}");
        }
        return result;
    }

    /// <summary>
    /// arange: start, start + step, … while below stop (above it for a negative step); attrs dtype,
    /// start and stop (Dims), step (int, default 1). Integer dtypes are exact; float dtypes round
    /// start + i·step once.
    /// </summary>
    public static Tensor Arange(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        long start = DimAttr(a, "start", "arange");
        long stop = DimAttr(a, "stop", "arange");
        long step = a.GetInt("step", 1);
        if (step == 0) throw new RuntimeError("arange: step must not be zero");
        long span = stop - start;
        long length = step > 0 ? (span + step - 1) / step : (span + step + 1) / step;
        if (step > 0 ? span <= 0 : span >= 0) length = 0;
        var result = Tensor.Zeros(dtype, length);
        for (long i = 0; i < length; i++)
        {
            long value = start + i * step;
            if (dtype.IsFloat()) result.Set(i, value);
            else result.SetInt64(i, value);
        }
        return result;
    }

    /// <summary>
    /// randn: standard normal samples, attrs dtype, shape, seed: element i (row-major) is the i-th
    /// <see cref="DeterministicRandom.NextNormal"/> of the stream (seed, "randn"), rounded to the dtype.
    /// </summary>
    public static Tensor Randn(Attributes a)
    {
        var dtype = a.GetDType("dtype");
        var shape = DimsAttr(a, "shape", "randn");
        var rng = new DeterministicRandom(a.GetInt("seed", 0), "randn");
        var result = Tensor.Zeros(dtype, shape);
        for (long i = 0; i < result.ElementCount; i++) result.Set(i, rng.NextNormal());
        return result;
    }
}
