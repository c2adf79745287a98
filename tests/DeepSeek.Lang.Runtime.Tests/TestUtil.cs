using System.Collections.Immutable;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Tests;

internal static class TestUtil
{
    /// <summary>Compiles a .dsk text held in memory and returns a model's graph; fails with the diagnostics.</summary>
    public static Graph Compile(string source, string model)
    {
        var fs = new MemoryFileSystem().Add("/mem/test.dsk", source);
        var compilation = Compilation.Create(SourceLoader.Load(new[] { "/mem/test.dsk" }, fs));
        var symbol = compilation.Models.FirstOrDefault(m => m.Name == model) ?? throw new InvalidOperationException(
            $"no model {model}:\n" + string.Join("\n", compilation.Diagnostics.Select(d => d.ToString())));
        var result = compilation.GetModel(symbol);
        if (result.Graph == null || result.Diagnostics.Any(d => d.IsError))
            throw new InvalidOperationException("compilation failed:\n" + string.Join("\n", result.Diagnostics.Select(d => d.ToString())));
        IrVerifier.VerifyOrThrow(result.Graph, "elaboration");
        return result.Graph;
    }

    public static Tensor F32(float[] values, params long[] shape) => Tensor.FromArray(values, shape.Length == 0 ? new long[] { values.Length } : shape);

    public static Tensor I64(long[] values, params long[] shape) => Tensor.FromArray(values, shape.Length == 0 ? new long[] { values.Length } : shape);

    public static Tensor RandomF32(long seed, string name, params long[] shape)
    {
        var rng = new DeterministicRandom(seed, name);
        var t = Tensor.Zeros(DType.F32, shape);
        for (long i = 0; i < t.ElementCount; i++) t.Set(i, rng.NextNormal());
        return t;
    }

    public static Tensor RandomInts(long seed, string name, long bound, params long[] shape)
    {
        var rng = new DeterministicRandom(seed, name);
        var t = Tensor.Zeros(DType.I64, shape);
        for (long i = 0; i < t.ElementCount; i++) t.SetInt64(i, rng.NextInt64(bound));
        return t;
    }

    public static ImmutableArray<Dim> Dims(params long[] ds) => ds.Select(Dim.Const).ToImmutableArray();

    public static ImmutableArray<long> Ints(params long[] xs) => xs.ToImmutableArray();

    /// <summary>‖a − b‖ / ‖b‖ (or ‖a − b‖ when b is zero).</summary>
    public static double RelativeError(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            num += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            den += expected[i] * expected[i];
        }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-6)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(expected[i])) Assert.True(double.IsNaN(a[i]), $"element {i}: expected NaN, got {a[i]}");
            else Assert.True(Math.Abs(a[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {a[i]}");
        }
    }

    public static string RepoRoot =>
        typeof(TestUtil).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "rt-tests-" + name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
