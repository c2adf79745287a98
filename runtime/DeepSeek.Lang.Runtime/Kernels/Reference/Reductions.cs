using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterReductions(Dictionary<string, ReferenceKernel> t)
    {
        t["sum"] = (i, a) => One(Reduce("sum", i[0], a));
        t["mean"] = (i, a) => One(Reduce("mean", i[0], a));
        t["max"] = (i, a) => One(Reduce("max", i[0], a));
        t["min"] = (i, a) => One(Reduce("min", i[0], a));
        t["logsumexp"] = (i, a) => One(Reduce("logsumexp", i[0], a));
        t["argmax"] = (i, a) => One(ArgMax(i[0], a.GetInt("axis"), a.GetBool("keepdim")));
        t["softmax"] = (i, a) => One(Softmax(i[0], a.GetInt("axis"), log: false));
        t["log_softmax"] = (i, a) => One(Softmax(i[0], a.GetInt("axis"), log: true));
        t["cumsum"] = (i, a) => One(CumSum(i[0], a.GetInt("axis"), a.GetBool("exclusive")));
    }

    /// <summary>
    /// sum, mean, max, min, logsumexp over attr axes (each once; an empty list reduces nothing), keeping
    /// them as size 1 when attr keepdim. Floats accumulate in double; integer sums in 64 bits, wrapped to
    /// the dtype. max and min propagate NaN; max or min of no elements is an error; mean of none is NaN.
    /// logsumexp is m + log Σ exp(x - m) with m the maximum (-inf when every element is -inf).
    /// </summary>
    public static Tensor Reduce(string op, Tensor x, Attributes a)
    {
        var axes = IntsAttr(a, "axes", op).Select(ax => Axis(ax, x.Rank, op)).ToArray();
        if (axes.Distinct().Count() != axes.Length) throw new RuntimeError($"{op} lists an axis twice");
        bool keepdim = a.GetBool("keepdim");
        var kept = x.Shape.ToArray();
        foreach (var ax in axes) kept[ax] = 1;
        var outShape = keepdim ? kept : x.Shape.Where((_, k) => !axes.Contains(k)).ToArray();
        var map = BroadcastIndex(kept, x.Shape.AsSpan());
        long outCount = Product(kept);
        long groupSize = axes.Aggregate(1L, (p, ax) => p * x.Shape[ax]);

        if (!x.DType.IsFloat() && op is "sum" or "max" or "min")
        {
            if (x.DType == DType.Bool) throw new RuntimeError($"{op} needs a numeric tensor, got {x.TypeText()}");
            if (op != "sum" && groupSize == 0 && outCount > 0) throw new RuntimeError($"{op} of an empty axis of {x.TypeText()}");
            var v = x.ToInt64Array();
            var r = new long[outCount];
            var seen = new bool[outCount];
            for (int i = 0; i < v.Length; i++)
            {
                long o = map[i];
                r[o] = op switch
                {
                    "sum" => unchecked(r[o] + v[i]),
                    "max" => seen[o] ? Math.Max(r[o], v[i]) : v[i],
                    _ => seen[o] ? Math.Min(r[o], v[i]) : v[i],
                };
                seen[o] = true;
            }
            return Tensor.FromInt64s(x.DType, outShape, r);
        }
        if (!x.DType.IsFloat()) throw new RuntimeError($"{op} needs a floating-point tensor, got {x.TypeText()}");

        var xs = x.ToDoubleArray();
        var acc = new double[outCount];
        switch (op)
        {
            case "sum":
            case "mean":
                for (int i = 0; i < xs.Length; i++) acc[map[i]] += xs[i];
                if (op == "mean")
                    for (int o = 0; o < acc.Length; o++) acc[o] = groupSize == 0 ? double.NaN : acc[o] / groupSize;
                break;
            case "max":
            case "min":
            {
                if (groupSize == 0 && outCount > 0) throw new RuntimeError($"{op} of an empty axis of {x.TypeText()}");
                Array.Fill(acc, op == "max" ? double.NegativeInfinity : double.PositiveInfinity);
                for (int i = 0; i < xs.Length; i++)
                {
                    long o = map[i];
                    double v = xs[i];
                    if (double.IsNaN(acc[o])) continue;
                    if (double.IsNaN(v) || (op == "max" ? v > acc[o] : v < acc[o])) acc[o] = v;
                }
                break;
            }
            case "logsumexp":
            {
                var m = new double[outCount];
                Array.Fill(m, double.NegativeInfinity);
                for (int i = 0; i < xs.Length; i++)
                {
                    long o = map[i];
                    if (!double.IsNaN(m[o]) && (double.IsNaN(xs[i]) || xs[i] > m[o])) m[o] = xs[i];
                }
                for (int i = 0; i < xs.Length; i++)
                {
                    double mi = m[map[i]];
                    if (double.IsInfinity(mi)) continue;
                    acc[map[i]] += Math.Exp(xs[i] - mi);
                }
                for (int o = 0; o < acc.Length; o++)
                    acc[o] = double.IsInfinity(m[o]) || double.IsNaN(m[o]) ? m[o] : m[o] + Math.Log(acc[o]);
                break;
            }
            default:
                throw new RuntimeError($"unknown reduction '{op}'");
        }
        return Tensor.FromDoubles(x.DType, outShape, acc);
    }

    /// <summary>(outer, size, inner) for an axis: element (o, j, i) is at (o·size + j)·inner + i.</summary>
    private static (long Outer, long Size, long Inner) Split3(Tensor x, int axis) =>
        (Product(x.Shape.AsSpan(), 0, axis), x.Shape[axis], Product(x.Shape.AsSpan(), axis + 1));

    /// <summary>argmax along an axis: the index (i64) of the first maximum; NaN counts as the maximum (the first NaN wins).</summary>
    public static Tensor ArgMax(Tensor x, long axisAttr, bool keepdim)
    {
        if (x.DType == DType.Bool) throw new RuntimeError($"argmax needs a numeric tensor, got {x.TypeText()}");
        int axis = Axis(axisAttr, x.Rank, "argmax");
        var (outer, size, inner) = Split3(x, axis);
        if (size == 0) throw new RuntimeError($"argmax of an empty axis of {x.TypeText()}");
        var v = x.ToDoubleArray();
        var iv = x.DType.IsFloat() ? null : x.ToInt64Array();
        var r = new long[outer * inner];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long best = 0;
                for (long j = 1; j < size; j++)
                {
                    long bi = (o * size + best) * inner + i, ji = (o * size + j) * inner + i;
                    if (iv != null)
                    {
                        if (iv[ji] > iv[bi]) best = j;
                    }
                    else if (!double.IsNaN(v[bi]) && (double.IsNaN(v[ji]) || v[ji] > v[bi])) best = j;
                }
                r[o * inner + i] = best;
            }
        var shape = x.Shape.ToList();
        if (keepdim) shape[axis] = 1;
        else shape.RemoveAt(axis);
        return Tensor.FromInt64s(DType.I64, shape.ToArray(), r);
    }

    /// <summary>
    /// softmax along an axis, max-subtracted: exp(x - m) / Σ exp(x - m); log_softmax is
    /// (x - m) - log Σ exp(x - m). Accumulates in double. A row of all -inf gives NaN, as in PyTorch.
    /// </summary>
    public static Tensor Softmax(Tensor x, long axisAttr, bool log)
    {
        string op = log ? "log_softmax" : "softmax";
        if (!x.DType.IsFloat()) throw new RuntimeError($"{op} needs a floating-point tensor, got {x.TypeText()}");
        int axis = Axis(axisAttr, x.Rank, op);
        var (outer, size, inner) = Split3(x, axis);
        var v = x.ToDoubleArray();
        var r = new double[v.Length];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity;
                bool nan = false;
                for (long j = 0; j < size; j++)
                {
                    double e = v[(o * size + j) * inner + i];
                    if (double.IsNaN(e)) nan = true;
                    else if (e > m) m = e;
                }
                if (nan) m = double.NaN;
                double sum = 0;
                for (long j = 0; j < size; j++) sum += Math.Exp(v[(o * size + j) * inner + i] - m);
                double logSum = Math.Log(sum);
                for (long j = 0; j < size; j++)
                {
                    long at = (o * size + j) * inner + i;
                    r[at] = log ? v[at] - m - logSum : Math.Exp(v[at] - m) / sum;
                }
            }
        return Tensor.FromDoubles(x.DType, x.Shape.AsSpan(), r);
    }

    /// <summary>cumsum along an axis: out[j] = Σ_{i ≤ j} x[i] (i &lt; j when attr exclusive). Floats in double, integers in 64 bits.</summary>
    public static Tensor CumSum(Tensor x, long axisAttr, bool exclusive)
    {
        if (x.DType == DType.Bool) throw new RuntimeError($"cumsum needs a numeric tensor, got {x.TypeText()}");
        int axis = Axis(axisAttr, x.Rank, "cumsum");
        var (outer, size, inner) = Split3(x, axis);
        if (x.DType.IsFloat())
        {
            var v = x.ToDoubleArray();
            var r = new double[v.Length];
            for (long o = 0; o < outer; o++)
                for (long i = 0; i < inner; i++)
                {
                    double acc = 0;
                    for (long j = 0; j < size; j++)
                    {
                        long at = (o * size + j) * inner + i;
                        if (exclusive) { r[at] = acc; acc += v[at]; }
                        else { acc += v[at]; r[at] = acc; }
                    }
                }
            return Tensor.FromDoubles(x.DType, x.Shape.AsSpan(), r);
        }
        var iv = x.ToInt64Array();
        var ir = new long[iv.Length];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                long acc = 0;
                for (long j = 0; j < size; j++)
                {
                    long at = (o * size + j) * inner + i;
                    if (exclusive) { ir[at] = acc; acc = unchecked(acc + iv[at]); }
                    else { acc = unchecked(acc + iv[at]); ir[at] = acc; }
                }
            }
        return Tensor.FromInt64s(x.DType, x.Shape.AsSpan(), ir);
    }
}
