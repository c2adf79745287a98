using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Kernels.Reference;
using DeepSeek.Lang.Runtime.Tensors;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;
using K = DeepSeek.Lang.Runtime.Kernels.Reference.ReferenceKernels;

namespace DeepSeek.Lang.Runtime.Tests;

public class KernelTests
{
    private static Tensor Run(string op, Attributes? a, params Tensor[] inputs) => K.Run1(op, a, inputs);

    private static Attributes A(params (string, object)[] items) => Attributes.Of(items);

    [Fact]
    public void EveryOpHasAKernel()
    {
        var missing = Ops.All.Select(o => o.Name).Where(n => !K.TryGet(n, out _)).ToList();
        Assert.Empty(missing);
    }

    // ------------------------------------------------------------------ elementwise

    [Fact]
    public void AddBroadcastsLikeNumPy()
    {
        using var a = F32(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = F32(new float[] { 10, 20, 30 }, 3);
        using var r = Run("add", null, a, b);
        Assert.Equal(new long[] { 2, 3 }, r.Shape);
        Assert.Equal(new float[] { 11, 22, 33, 14, 25, 36 }, r.ToArray<float>());

        using var c = F32(new float[] { 1, 2 }, 2, 1);
        using var d = F32(new float[] { 10, 20, 30 }, 1, 3);
        using var s = Run("sub", null, c, d);
        Assert.Equal(new long[] { 2, 3 }, s.Shape);
        Assert.Equal(new float[] { -9, -19, -29, -8, -18, -28 }, s.ToArray<float>());
    }

    [Fact]
    public void BroadcastMismatchIsAnError()
    {
        using var a = F32(new float[] { 1, 2, 3 }, 3);
        using var b = F32(new float[] { 1, 2 }, 2);
        var e = Assert.Throws<RuntimeError>(() => Run("add", null, a, b));
        Assert.Contains("broadcast", e.Message);
    }

    [Fact]
    public void ModIsFloorModuloForFloatsAndIntegers()
    {
        using var a = F32(new float[] { -7, 7, -7, 7, 5.5f, -0.5f });
        using var b = F32(new float[] { 3, -3, -3, 3, 2, 2 });
        using var r = Run("mod", null, a, b);
        Assert.Equal(new float[] { 2, -2, -1, 1, 1.5f, 1.5f }, r.ToArray<float>());

        using var ai = I64(new long[] { -7, 7, -7, 7, 0, -1 });
        using var bi = I64(new long[] { 3, -3, -3, 3, 5, 4 });
        using var ri = Run("mod", null, ai, bi);
        Assert.Equal(new long[] { 2, -2, -1, 1, 0, 3 }, ri.ToArray<long>());
    }

    [Fact]
    public void IntegerModByZeroIsARuntimeError()
    {
        using var a = I64(new long[] { 1 });
        using var b = I64(new long[] { 0 });
        Assert.Contains("division by zero", Assert.Throws<RuntimeError>(() => Run("mod", null, a, b)).Message);
    }

    [Fact]
    public void IntegerArithmeticWrapsToTheWidth()
    {
        using var a = Tensor.FromArray(new sbyte[] { 127, -128 });
        using var b = Tensor.FromArray(new sbyte[] { 1, -1 });
        using var r = Run("add", null, a, b);
        Assert.Equal(new sbyte[] { -128, 127 }, r.ToArray<sbyte>());
    }

    [Fact]
    public void DivPowMaximumMinimum()
    {
        using var a = F32(new float[] { 1, 4, float.NaN });
        using var b = F32(new float[] { 2, 0.5f, 1 });
        Assert.Equal(new float[] { 0.5f, 8, float.NaN }, Run("div", null, a, b).ToArray<float>());
        Assert.Equal(new float[] { 1, 2, float.NaN }, Run("pow", null, a, b).ToArray<float>());
        Assert.Equal(new float[] { 2, 4, float.NaN }, Run("maximum", null, a, b).ToArray<float>());
        Assert.Equal(new float[] { 1, 0.5f, float.NaN }, Run("minimum", null, a, b).ToArray<float>());
    }

    [Fact]
    public void ComparisonsAndLogic()
    {
        using var a = I64(new long[] { 1, 2, 3 });
        using var b = I64(new long[] { 2 });
        Assert.Equal(new[] { false, true, false }, Run("eq", null, a, b).ToArray<bool>());
        Assert.Equal(new[] { true, false, true }, Run("ne", null, a, b).ToArray<bool>());
        Assert.Equal(new[] { true, false, false }, Run("lt", null, a, b).ToArray<bool>());
        Assert.Equal(new[] { true, true, false }, Run("le", null, a, b).ToArray<bool>());
        Assert.Equal(new[] { false, false, true }, Run("gt", null, a, b).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, Run("ge", null, a, b).ToArray<bool>());
        using var p = Tensor.FromArray(new[] { true, true, false, false });
        using var q = Tensor.FromArray(new[] { true, false, true, false });
        Assert.Equal(new[] { true, false, false, false }, Run("and", null, p, q).ToArray<bool>());
        Assert.Equal(new[] { true, true, true, false }, Run("or", null, p, q).ToArray<bool>());
        Assert.Equal(new[] { false, false, true, true }, Run("not", null, p).ToArray<bool>());
        using var nan = F32(new float[] { float.NaN });
        Assert.Equal(new[] { false }, Run("eq", null, nan, nan).ToArray<bool>());
    }

    [Fact]
    public void WhereBroadcastsAllThree()
    {
        using var c = Tensor.FromArray(new[] { true, false }, 2, 1);
        using var a = F32(new float[] { 1, 2, 3 }, 3);
        using var b = Tensor.Scalar(0f);
        using var r = Run("where", null, c, a, b);
        Assert.Equal(new long[] { 2, 3 }, r.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 0, 0, 0 }, r.ToArray<float>());
    }

    [Fact]
    public void UnaryFunctions()
    {
        using var x = Tensor.FromArray(new double[] { -1, 0, 0.5, 1, 2 });
        Close(new[] { Math.Exp(-1), 1, Math.Exp(0.5), Math.E, Math.Exp(2) }, Run("exp", null, x));
        Close(new[] { 0, 0, 0.5, 1, 2 }, Run("relu", null, x));
        Close(new[] { 1, 0, 0.5, 1, 2 }, Run("abs", null, x));
        Close(new[] { 1, 0, -0.5, -1, -2 }, Run("neg", null, x));
        Close(new[] { 0.2689414213699951, 0.5, 0.6224593312018546, 0.7310585786300049, 0.8807970779778823 }, Run("sigmoid", null, x), 1e-12);
        Close(new[] { -0.2689414213699951, 0, 0.3112296656009273, 0.7310585786300049, 1.7615941559557646 }, Run("silu", null, x), 1e-12);
        Close(new[] { Math.Tanh(-1), 0, Math.Tanh(0.5), Math.Tanh(1), Math.Tanh(2) }, Run("tanh", null, x));
        Close(new[] { Math.Sin(-1), 0, Math.Sin(0.5), Math.Sin(1), Math.Sin(2) }, Run("sin", null, x));
        Close(new[] { Math.Cos(-1), 1, Math.Cos(0.5), Math.Cos(1), Math.Cos(2) }, Run("cos", null, x));
        using var p = Tensor.FromArray(new double[] { 0.25, 1, 4, -1 });
        Close(new[] { 0.5, 1, 2, double.NaN }, Run("sqrt", null, p));
        Close(new[] { 2, 1, 0.5, double.NaN }, Run("rsqrt", null, p));
        Close(new[] { Math.Log(0.25), 0, Math.Log(4), double.NaN }, Run("log", null, p));
    }

    [Fact]
    public void ErfAndGeluAreExact()
    {
        using var x = Tensor.FromArray(new double[] { 0, 0.5, 1, 2, -3, 5, 7 });
        Close(new[] { 0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9999779095030014, 0.9999999999984626, 1 },
            Run("erf", null, x), 1e-14);
        using var g = Tensor.FromArray(new double[] { -1, 0, 1, 3 });
        Close(new[] { -0.15865525393145707, 0, 0.8413447460685429, 2.99595030590511 }, Run("gelu", null, g), 1e-13);
        Close(new[] { -0.15880800939172324, 0, 0.8411919906082768, 2.996362607918227 },
            Run("gelu", A(("approximate", "tanh")), g), 1e-13);
    }

    [Fact]
    public void CastTruncatesTowardZeroAndBoolIsNonZero()
    {
        using var x = F32(new float[] { 1.7f, -1.7f, 2.5f, -0.5f, 0 });
        Assert.Equal(new[] { 1, -1, 2, 0, 0 }, Run("cast", A(("dtype", DType.I32)), x).ToArray<int>());
        using var y = F32(new float[] { 0, 0.1f, -2, float.NaN, -0f });
        Assert.Equal(new[] { false, true, true, true, false }, Run("cast", A(("dtype", DType.Bool)), y).ToArray<bool>());
        using var z = Tensor.FromArray(new[] { true, false });
        Assert.Equal(new float[] { 1, 0 }, Run("cast", A(("dtype", DType.F32)), z).ToArray<float>());
        using var big = I64(new long[] { 300, -129 });
        Assert.Equal(new sbyte[] { 44, 127 }, Run("cast", A(("dtype", DType.I8)), big).ToArray<sbyte>());
        // f32 → bf16 rounds to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 and goes to 1.
        using var h = F32(new float[] { 1 + 1f / 256, 1 + 3f / 256 });
        var bf = Run("cast", A(("dtype", DType.BF16)), h).ToArray<BFloat16>();
        Assert.Equal(new[] { 1f, 1 + 4f / 256 }, bf.Select(b => (float)b));
        using var large = I64(new long[] { (1L << 53) + 1 });
        Assert.Equal(new float[] { 9007199254740992f }, Run("cast", A(("dtype", DType.F32)), large).ToArray<float>());
    }

    [Fact]
    public void Clamp()
    {
        using var x = F32(new float[] { -2, 0.5f, 3, float.NaN });
        Assert.Equal(new[] { -1, 0.5f, 1, float.NaN }, Run("clamp", A(("min", -1.0), ("max", 1.0)), x).ToArray<float>());
        Assert.Equal(new[] { 0, 0.5f, 3, float.NaN }, Run("clamp", A(("min", 0.0)), x).ToArray<float>());
        using var i = I64(new long[] { -5, 2, 9 });
        Assert.Equal(new long[] { -1, 2, 3 }, Run("clamp", A(("min", -1.5), ("max", 3.5)), i).ToArray<long>());
    }

    // ------------------------------------------------------------------ reductions

    [Fact]
    public void SumMeanMaxMinOverAxes()
    {
        using var x = F32(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new float[] { 6, 15 }, Run("sum", A(("axes", Ints(-1)), ("keepdim", false)), x).ToArray<float>());
        var kept = Run("sum", A(("axes", Ints(0)), ("keepdim", true)), x);
        Assert.Equal(new long[] { 1, 3 }, kept.Shape);
        Assert.Equal(new float[] { 5, 7, 9 }, kept.ToArray<float>());
        Assert.Equal(new float[] { 21 }, Run("sum", A(("axes", Ints(0, 1)), ("keepdim", false)), x).ToArray<float>());
        Assert.Equal(new float[] { 2, 5 }, Run("mean", A(("axes", Ints(1)), ("keepdim", false)), x).ToArray<float>());
        Assert.Equal(new float[] { 4, 5, 6 }, Run("max", A(("axes", Ints(0)), ("keepdim", false)), x).ToArray<float>());
        Assert.Equal(new float[] { 1, 4 }, Run("min", A(("axes", Ints(-1)), ("keepdim", false)), x).ToArray<float>());
        using var n = F32(new float[] { 1, float.NaN, 3 });
        Assert.True(float.IsNaN(Run("max", A(("axes", Ints(0)), ("keepdim", false)), n).ToArray<float>()[0]));
        using var i = Tensor.FromArray(new[] { int.MaxValue, 1 });
        Assert.Equal(new[] { int.MinValue }, Run("sum", A(("axes", Ints(0)), ("keepdim", false)), i).ToArray<int>());
    }

    [Fact]
    public void LogSumExpIsStable()
    {
        using var x = Tensor.FromArray(new double[] { 1000, 1000, 1, 2 }, 2, 2);
        Close(new[] { 1000 + Math.Log(2), 2 + Math.Log(1 + Math.Exp(-1)) }, Run("logsumexp", A(("axes", Ints(1)), ("keepdim", false)), x), 1e-14);
        using var inf = Tensor.FromArray(new double[] { double.NegativeInfinity, double.NegativeInfinity });
        Assert.Equal(double.NegativeInfinity, Run("logsumexp", A(("axes", Ints(0)), ("keepdim", false)), inf).ToArray<double>()[0]);
    }

    [Fact]
    public void ArgMaxTakesTheFirstMaximum()
    {
        using var x = F32(new float[] { 1, 3, 3, 0, 5, 5 }, 2, 3);
        Assert.Equal(new long[] { 1, 1 }, Run("argmax", A(("axis", -1L), ("keepdim", false)), x).ToArray<long>());
        var k = Run("argmax", A(("axis", 0L), ("keepdim", true)), x);
        Assert.Equal(new long[] { 1, 3 }, k.Shape);
        Assert.Equal(new long[] { 0, 1, 1 }, k.ToArray<long>());
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxAreMaxSubtracted()
    {
        using var x = F32(new float[] { 1, 2, 3, 1000, 1000, 1000 }, 2, 3);
        Close(new[] { 0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1 / 3.0, 1 / 3.0, 1 / 3.0 }, Run("softmax", A(("axis", -1L)), x));
        Close(new[] { -2.4076059644443806, -1.4076059644443806, -0.4076059644443806, -Math.Log(3), -Math.Log(3), -Math.Log(3) },
            Run("log_softmax", A(("axis", 1L)), x));
        using var y = F32(new float[] { 0, 0, 1, 1 }, 2, 2);
        Close(new[] { 0.2689414213699951, 0.2689414213699951, 0.7310585786300049, 0.7310585786300049 }, Run("softmax", A(("axis", 0L)), y));
    }

    [Fact]
    public void CumSumInclusiveAndExclusive()
    {
        using var x = I64(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new long[] { 1, 3, 6, 4, 9, 15 }, Run("cumsum", A(("axis", -1L)), x).ToArray<long>());
        Assert.Equal(new long[] { 1, 2, 3, 5, 7, 9 }, Run("cumsum", A(("axis", 0L)), x).ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 3, 0, 4, 9 }, Run("cumsum", A(("axis", 1L), ("exclusive", true)), x).ToArray<long>());
    }

    // ------------------------------------------------------------------ shapes

    [Fact]
    public void ShapeOps()
    {
        using var x = F32(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3);
        var t = Run("transpose", A(("perm", Ints(1, 0))), x);
        Assert.Equal(new long[] { 3, 2 }, t.Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, t.ToArray<float>());
        var r = Run("reshape", A(("shape", Dims(3, 2))), x);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, r.ToArray<float>());
        using var row = F32(new float[] { 1, 2 }, 2, 1);
        var e = Run("expand", A(("shape", Dims(3, 2, 2))), row);
        Assert.Equal(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2 }, e.ToArray<float>());
        var c = Run("concat", A(("axis", -1L)), x, x);
        Assert.Equal(new long[] { 2, 6 }, c.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5 }, c.ToArray<float>());
        var s = Run("stack", A(("axis", 1L)), x, x);
        Assert.Equal(new long[] { 2, 2, 3 }, s.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5 }, s.ToArray<float>());
        var parts = K.Run("split", new[] { x }, A(("axis", 1L), ("sizes", Dims(1, 2))));
        Assert.Equal(2, parts.Length);
        Assert.Equal(new float[] { 0, 3 }, parts[0].ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 4, 5 }, parts[1].ToArray<float>());
        var u = Run("unsqueeze", A(("axes", Ints(0, -1))), x);
        Assert.Equal(new long[] { 1, 2, 3, 1 }, u.Shape);
        var q = Run("squeeze", A(("axes", Ints(0, 3))), u);
        Assert.Equal(new long[] { 2, 3 }, q.Shape);
        Assert.Throws<RuntimeError>(() => Run("squeeze", A(("axes", Ints(0))), x));
    }

    [Fact]
    public void SliceWithSteps()
    {
        using var x = F32(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 3, 4);
        var s = Run("slice", A(("axes", Ints(0, 1)), ("starts", Dims(1, 0)), ("stops", Dims(3, 4)), ("steps", Ints(1, 2))), x);
        Assert.Equal(new long[] { 2, 2 }, s.Shape);
        Assert.Equal(new float[] { 4, 6, 8, 10 }, s.ToArray<float>());
        var empty = Run("slice", A(("axes", Ints(1)), ("starts", Dims(2)), ("stops", Dims(2)), ("steps", Ints(1))), x);
        Assert.Equal(new long[] { 3, 0 }, empty.Shape);
    }

    // ------------------------------------------------------------------ indexing

    [Fact]
    public void IndexSelectTakesWholeSlices()
    {
        using var x = F32(new float[] { 0, 1, 10, 11, 20, 21 }, 3, 2);
        using var idx = I64(new long[] { 2, 0, 2, 1 }, 2, 2);
        var r = Run("index_select", A(("axis", 0L)), x, idx);
        Assert.Equal(new long[] { 2, 2, 2 }, r.Shape);
        Assert.Equal(new float[] { 20, 21, 0, 1, 20, 21, 10, 11 }, r.ToArray<float>());
        using var cols = Tensor.FromArray(new[] { 1, 1 });
        var c = Run("index_select", A(("axis", -1L)), x, cols);
        Assert.Equal(new float[] { 1, 1, 11, 11, 21, 21 }, c.ToArray<float>());
    }

    [Fact]
    public void OutOfRangeIndicesNameTheOpAndTheIndex()
    {
        using var x = F32(new float[] { 0, 1, 2 });
        using var bad = I64(new long[] { 0, 3 });
        var e = Assert.Throws<RuntimeError>(() => Run("index_select", A(("axis", 0L)), x, bad));
        Assert.Contains("index_select", e.Message);
        Assert.Contains("index 3", e.Message);
        using var neg = I64(new long[] { -1 });
        Assert.Contains("index -1", Assert.Throws<RuntimeError>(() => Run("index_select", A(("axis", 0L)), x, neg)).Message);
        Assert.Contains("gather", Assert.Throws<RuntimeError>(() => Run("gather", A(("axis", 0L)), x, bad)).Message);
        using var src = F32(new float[] { 1, 2 });
        Assert.Contains("scatter_add", Assert.Throws<RuntimeError>(() => Run("scatter_add", A(("size", Dim.Const(3))), src, bad)).Message);
        Assert.Contains("one_hot", Assert.Throws<RuntimeError>(() => Run("one_hot", A(("depth", Dim.Const(3)), ("dtype", DType.F32)), bad)).Message);
        using var w = Tensor.Zeros(DType.F32, 2, 1, 1);
        using var rows = Tensor.Zeros(DType.F32, 2, 1);
        using var groups = I64(new long[] { 0, 2 });
        Assert.Contains("grouped_matmul", Assert.Throws<RuntimeError>(() => Run("grouped_matmul", null, rows, w, groups)).Message);
    }

    [Fact]
    public void GatherIsElementWise()
    {
        using var x = F32(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var idx = I64(new long[] { 0, 0, 1, 0 }, 2, 2);
        Assert.Equal(new float[] { 1, 1, 4, 3 }, Run("gather", A(("axis", 1L)), x, idx).ToArray<float>());
        Assert.Equal(new float[] { 1, 2, 3, 2 }, Run("gather", A(("axis", 0L)), x, idx).ToArray<float>());
    }

    [Fact]
    public void ScatterAddAddsRowsIntoZeros()
    {
        using var src = F32(new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        using var idx = I64(new long[] { 2, 0, 2 });
        var r = Run("scatter_add", A(("size", Dim.Const(4))), src, idx);
        Assert.Equal(new long[] { 4, 2 }, r.Shape);
        Assert.Equal(new float[] { 3, 4, 0, 0, 6, 8, 0, 0 }, r.ToArray<float>());
    }

    [Fact]
    public void OneHot()
    {
        using var ids = I64(new long[] { 2, 0 });
        var r = Run("one_hot", A(("depth", Dim.Const(3)), ("dtype", DType.I64)), ids);
        Assert.Equal(new long[] { 2, 3 }, r.Shape);
        Assert.Equal(new long[] { 0, 0, 1, 1, 0, 0 }, r.ToArray<long>());
    }

    [Fact]
    public void TopKIsDescendingAndTiesKeepTheLowerIndexFirst()
    {
        using var x = F32(new float[] { 3, 1, 3, 2 });
        var r = K.Run("topk", new[] { x }, A(("k", 3L), ("axis", -1L)));
        Assert.Equal(new float[] { 3, 3, 2 }, r[0].ToArray<float>());
        Assert.Equal(new long[] { 0, 2, 3 }, r[1].ToArray<long>());
        using var m = F32(new float[] { 1, 5, 5, 5, 0, 7 }, 3, 2);
        var c = K.Run("topk", new[] { m }, A(("k", 2L), ("axis", 0L)));
        Assert.Equal(new long[] { 2, 2 }, c[0].Shape);
        Assert.Equal(new float[] { 5, 7, 1, 5 }, c[0].ToArray<float>());
        Assert.Equal(new long[] { 1, 2, 0, 0 }, c[1].ToArray<long>());
    }

    // ------------------------------------------------------------------ network

    [Fact]
    public void MatMulWithBatchBroadcastingAndVectors()
    {
        using var a = F32(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = F32(new float[] { 1, 0, 0, 1, 1, 1 }, 3, 2);
        Assert.Equal(new float[] { 4, 5, 10, 11 }, Run("matmul", null, a, b).ToArray<float>());
        using var batch = F32(new float[] { 1, 2, 3, 4, 5, 6, 1, 1, 1, 1, 1, 1 }, 2, 2, 3);
        var r = Run("matmul", null, batch, b);
        Assert.Equal(new long[] { 2, 2, 2 }, r.Shape);
        Assert.Equal(new float[] { 4, 5, 10, 11, 2, 2, 2, 2 }, r.ToArray<float>());
        using var v = F32(new float[] { 1, 1, 1 });
        var dot = Run("matmul", null, v, v);
        Assert.Empty(dot.Shape);
        Assert.Equal(3f, dot.ToArray<float>()[0]);
        var vm = Run("matmul", null, v, b);
        Assert.Equal(new long[] { 2 }, vm.Shape);
        Assert.Equal(new float[] { 2, 2 }, vm.ToArray<float>());
        var mv = Run("matmul", null, a, v);
        Assert.Equal(new float[] { 6, 15 }, mv.ToArray<float>());
    }

    [Fact]
    public void GroupedMatMulUsesEachRowsGroup()
    {
        using var x = F32(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var w = F32(new float[] { 1, 0, 0, 1, 2, 0, 0, 2 }, 2, 2, 2);
        using var g = I64(new long[] { 1, 0 });
        Assert.Equal(new float[] { 2, 4, 3, 4 }, Run("grouped_matmul", null, x, w, g).ToArray<float>());
    }

    [Fact]
    public void LayerNormUsesTheBiasedVarianceOverTheWeightsAxes()
    {
        using var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 2, 2, 2, 2 }, 2, 4);
        using var w = Tensor.FromArray(new double[] { 1, 1, 2, 2 });
        using var b = Tensor.FromArray(new double[] { 0, 1, 0, 0 });
        double inv = 1 / Math.Sqrt(1.25 + 1e-5);
        Close(new[] { -1.5 * inv, -0.5 * inv + 1, 0.5 * inv * 2, 1.5 * inv * 2, 0, 1, 0, 0 },
            Run("layer_norm", A(("eps", 1e-5)), x, w, b), 1e-12);
        using var w2 = Tensor.FromArray(new double[] { 1, 1, 1, 1, 1, 1, 1, 1 }, 2, 4);
        using var b2 = Tensor.Zeros(DType.F64, 2, 4);
        double mean = 2.25, var = (1.5625 + 0.0625 + 0.5625 + 3.0625 + 4 * 0.0625) / 8, i2 = 1 / Math.Sqrt(var + 1e-5);
        Close(new[] { 1, 2, 3, 4, 2, 2, 2, 2 }.Select(v => (v - mean) * i2).ToArray(), Run("layer_norm", A(("eps", 1e-5)), x, w2, b2), 1e-12);
    }

    [Fact]
    public void RmsNorm()
    {
        using var x = Tensor.FromArray(new double[] { 3, 4 });
        using var w = Tensor.FromArray(new double[] { 1, 2 });
        double inv = 1 / Math.Sqrt(12.5 + 1e-6);
        Close(new[] { 3 * inv, 8 * inv }, Run("rms_norm", A(("eps", 1e-6)), x, w), 1e-12);
    }

    [Fact]
    public void AttentionByHand()
    {
        using var q = Tensor.FromArray(new double[] { 1, 0 }, 1, 1, 1, 2);
        using var k = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 1, 1, 2, 2);
        using var v = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        double p0 = 1 / (1 + Math.Exp(-1 / Math.Sqrt(2)));
        Close(new[] { p0 * 1 + (1 - p0) * 3, p0 * 2 + (1 - p0) * 4 }, Run("attention", A(("causal", false)), q, k, v), 1e-12);
        double p1 = 1 / (1 + Math.Exp(-2.0));
        Close(new[] { p1 * 1 + (1 - p1) * 3, p1 * 2 + (1 - p1) * 4 }, Run("attention", A(("causal", false), ("scale", 2.0)), q, k, v), 1e-12);
        // Causal, top-left: query 0 sees key 0 only.
        Close(new[] { 1.0, 2 }, Run("attention", A(("causal", true)), q, k, v), 1e-12);
    }

    [Fact]
    public void AttentionRowWithEveryKeyMaskedGivesZeros()
    {
        using var q = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 1, 1, 2, 2);
        using var k = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 1, 1, 2, 2);
        using var v = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 1, 1, 2, 2);
        using var mask = Tensor.FromArray(new[] { false, false, true, false }, 2, 2);
        var r = Run("attention", A(("causal", false)), q, k, v, mask).ToArray<double>();
        Assert.Equal(new double[] { 0, 0, 1, 2 }, r);
        using var additive = Tensor.FromArray(new double[] { double.NegativeInfinity, double.NegativeInfinity, 0, double.NegativeInfinity }, 1, 1, 2, 2);
        Assert.Equal(new double[] { 0, 0, 1, 2 }, Run("attention", A(("causal", false)), q, k, v, additive).ToArray<double>());
    }

    // ------------------------------------------------------------------ sources

    [Fact]
    public void Sources()
    {
        Assert.Equal(new long[] { 2, 4, 6 }, Run("arange", A(("dtype", DType.I64), ("start", Dim.Const(2)), ("stop", Dim.Const(7)), ("step", 2L))).ToArray<long>());
        Assert.Equal(new long[] { 5, 3, 1 }, Run("arange", A(("dtype", DType.I64), ("start", Dim.Const(5)), ("stop", Dim.Const(0)), ("step", -2L))).ToArray<long>());
        Assert.Equal(new float[] { 0, 1, 2 }, Run("arange", A(("dtype", DType.F32), ("start", Dim.Const(0)), ("stop", Dim.Const(3)), ("step", 1L))).ToArray<float>());
        Assert.Equal(new float[] { 2.5f, 2.5f }, Run("full", A(("dtype", DType.F32), ("shape", Dims(2)), ("value", 2.5))).ToArray<float>());
        Assert.Equal(new long[] { 6 }, Run("full", A(("dtype", DType.I64), ("shape", Dims()), ("value", Dim.Const(6)))).ToArray<long>());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, Run("constant", A(("dtype", DType.F32), ("shape", Dims(2, 2)), ("values", ImmutableArray.Create(1.0, 2, 3, 4)))).ToArray<float>());
        var r1 = Run("randn", A(("dtype", DType.F64), ("shape", Dims(20000)), ("seed", 3L))).ToArray<double>();
        var r2 = Run("randn", A(("dtype", DType.F64), ("shape", Dims(20000)), ("seed", 3L))).ToArray<double>();
        Assert.Equal(r1, r2);
        Assert.InRange(r1.Average(), -0.03, 0.03);
        Assert.InRange(Math.Sqrt(r1.Select(v => v * v).Average()), 0.97, 1.03);
    }
}
