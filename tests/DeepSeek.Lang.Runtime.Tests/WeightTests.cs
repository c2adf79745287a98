using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

public class WeightTests
{
    private const string Model = """
        module Net(d: int) {
          proj = Linear(d, 2 * d)
          norm = LayerNorm(2 * d)
          param table: f32[3, d] = normal(0.02)
          param u: f64[4] = uniform(-2, 3)
          buffer c: bf16[2, 2] = ones
          forward(x: f32[N, d]) -> f32[N, 2 * d] {
            return norm(proj(x))
          }
        }
        model M = Net(d: 4)
        """;

    private static Graph Graph() => Compile(Model, "M");

    [Fact]
    public void SameSeedGivesIdenticalBytesAndOtherSeedsDiffer()
    {
        var graph = Graph();
        using var a = WeightSet.Initialize(graph, 123);
        using var b = WeightSet.Initialize(graph, 123);
        using var c = WeightSet.Initialize(graph, 124);
        Assert.Equal(graph.Weights.Select(w => w.Name), a.Names);
        foreach (var name in a.Names)
            Assert.True(a[name].AsBytes().SequenceEqual(b[name].AsBytes()), name);
        Assert.False(a["proj.weight"].AsBytes().SequenceEqual(c["proj.weight"].AsBytes()));
    }

    [Fact]
    public void PinnedValuesCatchAChangeInTheGenerator()
    {
        // The first draw of the stream (seed 0, "proj.weight"), and the first values of two initialisers.
        var rng = new DeterministicRandom(0, "proj.weight");
        Assert.Equal(16526322076231244958UL, rng.NextUInt64());
        using var w = Initializers.Create("layers.0.weight", DType.F32, new long[] { 4 }, new Initializer("normal", ImmutableArray.Create(1.0)), 0);
        Assert.Equal(new[] { -0.524638f, -2.6651397f, -0.010879646f, 2.1525128f }, w.ToArray<float>());
        using var k = Initializers.Create("layers.0.weight", DType.F64, new long[] { 2, 2 }, new Initializer("kaiming", ImmutableArray<double>.Empty), 7);
        Assert.Equal(new[] { -0.2900428487024483, 0.28249860746499766, 0.4532238191120148, -0.1657580398151095 }, k.ToArray<double>());
    }

    [Fact]
    public void InitializersFollowTheirDefinitions()
    {
        using var set = WeightSet.Initialize(Graph(), 5);
        var kaiming = set["proj.weight"].ToDoubleArray();      // [8, 4]: fan_in 4 → bound 1/2
        Assert.All(kaiming, v => Assert.InRange(v, -0.5, 0.5));
        Assert.All(set["proj.bias"].ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.All(set["norm.weight"].ToDoubleArray(), v => Assert.Equal(1, v));
        Assert.All(set["u"].ToDoubleArray(), v => Assert.InRange(v, -2, 3));
        Assert.All(set["c"].ToDoubleArray(), v => Assert.Equal(1, v));
        Assert.Equal(DType.BF16, set["c"].DType);

        Assert.Equal((4L, 8L), Initializers.Fans(new long[] { 8, 4 }));
        Assert.Equal((3L * 5 * 5, 16L * 5 * 5), Initializers.Fans(new long[] { 16, 3, 5, 5 }));
        Assert.Equal((7L, 7L), Initializers.Fans(new long[] { 7 }));
        using var x = Initializers.Create("w", DType.F64, new long[] { 300, 200 }, new Initializer("xavier", ImmutableArray<double>.Empty), 0);
        double a = Math.Sqrt(6.0 / 500);
        var xs = x.ToDoubleArray();
        Assert.All(xs, v => Assert.InRange(v, -a, a));
        Assert.InRange(xs.Max(), 0.99 * a, a);
        using var n = Initializers.Create("w", DType.F64, new long[] { 100_000 }, new Initializer("normal", ImmutableArray.Create(0.02)), 0);
        var ns = n.ToDoubleArray();
        Assert.InRange(Math.Sqrt(ns.Select(v => v * v).Average()), 0.0198, 0.0202);
        using var cst = Initializers.Create("w", DType.I32, new long[] { 2 }, new Initializer("constant", ImmutableArray.Create(3.0)), 0);
        Assert.Equal(new[] { 3, 3 }, cst.ToArray<int>());
        Assert.Contains("unknown initializer", Assert.Throws<RuntimeError>(() =>
            Initializers.Create("w", DType.F32, new long[] { 2 }, new Initializer("orthogonal", ImmutableArray<double>.Empty), 0)).Message);
    }

    [Fact]
    public void SafeTensorsRoundTripsEveryDtypeAndMetadata()
    {
        var dir = TempDir("st");
        var path = Path.Combine(dir, "w.safetensors");
        using var set = new WeightSet();
        foreach (var dt in DTypes.All)
        {
            var t = Tensor.Zeros(dt, 2, 3);
            for (int i = 0; i < 6; i++) t.Set(i, i % 2 == 0 ? i : -i);
            set.Add("t." + dt.Name(), t);
        }
        set.Add("scalar", Tensor.Scalar(1.5f));
        set.Add("empty", Tensor.Zeros(DType.F32, 0, 4));
        set.Metadata["format"] = "pt";
        set.Save(path);

        var bytes = File.ReadAllBytes(path);
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, n % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Contains("\"t.f32\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":", header);
        Assert.Contains("\"__metadata__\":{\"format\":\"pt\"}", header);

        using var back = WeightSet.Load(path);
        Assert.Equal(set.Names, back.Names);
        Assert.Equal("pt", back.Metadata["format"]);
        foreach (var name in set.Names)
        {
            Assert.Equal(set[name].DType, back[name].DType);
            Assert.Equal(set[name].Shape.ToArray(), back[name].Shape.ToArray());
            Assert.True(set[name].AsBytes().SequenceEqual(back[name].AsBytes()), name);
        }
        Directory.Delete(dir, true);
    }

    [Fact]
    public void LoadingForAGraphNamesMissingExtraAndMisShapedTensors()
    {
        var graph = Graph();
        var dir = TempDir("st-graph");
        var path = Path.Combine(dir, "w.safetensors");
        using (var good = WeightSet.Initialize(graph, 1)) good.Save(path);
        using (var loaded = WeightSet.Load(path, graph)) Assert.Equal(graph.Weights.Length, loaded.Count);

        using (var bad = WeightSet.Initialize(graph, 1))
        {
            bad.Set("proj.weight", Tensor.Zeros(DType.F32, 8, 5));
            bad.Add("extra.weight", Tensor.Zeros(DType.F32, 1));
            bad.Save(path);
        }
        var e = Assert.Throws<RuntimeError>(() => WeightSet.Load(path, graph));
        Assert.Contains("'proj.weight' is f32[8, 5], expected f32[8, 4]", e.Message);
        Assert.Contains("'extra.weight' is not a weight of model M", e.Message);

        using (var missing = new WeightSet())
        {
            missing.Add("proj.weight", Tensor.Zeros(DType.F32, 8, 4));
            missing.Save(path);
        }
        e = Assert.Throws<RuntimeError>(() => WeightSet.Load(path, graph));
        Assert.Contains("'proj.bias' is missing (expected f32[8])", e.Message);
        Directory.Delete(dir, true);
    }

    [Theory]
    [InlineData("short")]
    [InlineData("huge-length")]
    [InlineData("bad-json")]
    [InlineData("not-object")]
    [InlineData("offsets-outside")]
    [InlineData("size-mismatch")]
    [InlineData("bad-dtype")]
    [InlineData("negative-shape")]
    [InlineData("truncated-data")]
    public void CorruptSafeTensorsFilesAreErrorsNotCrashes(string kind)
    {
        var dir = TempDir("st-bad");
        var path = Path.Combine(dir, "bad.safetensors");
        byte[] File(string json, int dataBytes)
        {
            var h = Encoding.UTF8.GetBytes(json);
            var b = new byte[8 + h.Length + dataBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
            h.CopyTo(b, 8);
            return b;
        }
        byte[] content = kind switch
        {
            "short" => new byte[] { 1, 2, 3 },
            "huge-length" => File("{}", 0).Select((b, i) => i == 7 ? (byte)0x10 : b).ToArray(),
            "bad-json" => File("{\"a\": {\"dtype\": ", 8),
            "not-object" => File("[1, 2]", 0),
            "offsets-outside" => File("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
            "size-mismatch" => File("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8),
            "bad-dtype" => File("{\"a\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4),
            "negative-shape" => File("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
            _ => File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)[..^4],
        };
        System.IO.File.WriteAllBytes(path, content);
        var e = Assert.Throws<RuntimeError>(() => WeightSet.Load(path));
        Assert.Contains("bad.safetensors", e.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void MissingFileIsARuntimeError()
    {
        Assert.Contains("cannot read", Assert.Throws<RuntimeError>(() => WeightSet.Load("/nonexistent/w.safetensors")).Message);
    }
}
