using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Weights;

/// <summary>
/// Deterministic weight initialisation from a weight's <see cref="Initializer"/>. Each weight draws from
/// its own stream <see cref="DeterministicRandom"/>(seed, name), element by element in row-major order;
/// values are computed in double and rounded once to the dtype, so the same seed gives the same bytes
/// on every machine. With u uniform in [0, 1) and z standard normal:
/// <list type="bullet">
/// <item><c>zeros</c>, <c>ones</c>, <c>constant(v)</c>: 0, 1, v.</item>
/// <item><c>normal(std)</c>: std · z; <c>normal(mean, std)</c>: mean + std · z.</item>
/// <item><c>uniform(lo, hi)</c>: lo + (hi - lo) · u.</item>
/// <item><c>xavier</c> (Glorot uniform; optional gain g, default 1): -a + 2a · u, a = g · sqrt(6 / (fan_in + fan_out)).</item>
/// <item><c>kaiming</c> (PyTorch's default for Linear, kaiming_uniform with a = √5): -b + 2b · u, b = 1 / sqrt(fan_in).</item>
/// </list>
/// fan_in = shape[1] · prod(shape[2:]) and fan_out = shape[0] · prod(shape[2:]) for rank ≥ 2; both are
/// shape[0] for rank 1 and 1 for a scalar.
/// </summary>
public static class Initializers
{
    /// <summary>(fan_in, fan_out) of a weight shape, as PyTorch's _calculate_fan_in_and_fan_out.</summary>
    public static (long FanIn, long FanOut) Fans(ReadOnlySpan<long> shape)
    {
        if (shape.Length == 0) return (1, 1);
        if (shape.Length == 1) return (shape[0], shape[0]);
        long receptive = 1;
        for (int i = 2; i < shape.Length; i++) receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>A new tensor for a weight named <paramref name="name"/>, initialised from <paramref name="init"/>.</summary>
    public static Tensor Create(string name, DType dtype, ReadOnlySpan<long> shape, Initializer init, long seed)
    {
        var args = init.Arguments;
        var t = Tensor.Zeros(dtype, shape);
        try
        {
            var (fanIn, fanOut) = Fans(shape);
            switch (init.Kind)
            {
                case "zeros":
                    Expect(name, init, 0);
                    break;
                case "ones":
                    Expect(name, init, 0);
                    Fill(t, 1);
                    break;
                case "constant":
                    Expect(name, init, 1);
                    Fill(t, args[0]);
                    break;
                case "normal":
                {
                    if (args.Length is not (1 or 2)) throw Arity(name, init, "1 (std) or 2 (mean, std)");
                    double mean = args.Length == 2 ? args[0] : 0, std = args[^1];
                    var rng = new DeterministicRandom(seed, name);
                    for (long i = 0; i < t.ElementCount; i++) t.Set(i, mean + std * rng.NextNormal());
                    break;
                }
                case "uniform":
                    Expect(name, init, 2);
                    Uniform(t, name, seed, args[0], args[1]);
                    break;
                case "xavier":
                {
                    if (args.Length > 1) throw Arity(name, init, "0 or 1 (gain)");
                    double gain = args.Length == 1 ? args[0] : 1.0;
                    double a = gain * Math.Sqrt(6.0 / Math.Max(1, fanIn + fanOut));
                    Uniform(t, name, seed, -a, a);
                    break;
                }
                case "kaiming":
                {
                    Expect(name, init, 0);
                    double b = 1.0 / Math.Sqrt(Math.Max(1, fanIn));
                    Uniform(t, name, seed, -b, b);
                    break;
                }
                default:
                    throw new RuntimeError($"weight '{name}': unknown initializer '{init}'; known are normal(std), uniform(lo, hi), zeros, ones, constant(v), xavier and kaiming");
            }
            return t;
        }
        catch
        {
            t.Dispose();
            throw;
        }
    }

    private static void Fill(Tensor t, double v)
    {
        for (long i = 0; i < t.ElementCount; i++) t.Set(i, v);
    }

    private static void Uniform(Tensor t, string name, long seed, double lo, double hi)
    {
        var rng = new DeterministicRandom(seed, name);
        for (long i = 0; i < t.ElementCount; i++) t.Set(i, lo + (hi - lo) * rng.NextDouble());
    }

    private static void Expect(string name, Initializer init, int count)
    {
        if (init.Arguments.Length != count) throw Arity(name, init, count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static RuntimeError Arity(string name, Initializer init, string expected) =>
        new($"weight '{name}': initializer {init} takes {expected} argument(s)");
}
