using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterNetwork(Dictionary<string, ReferenceKernel> t)
    {
        t["matmul"] = (i, _) => One(MatMul(i[0], i[1]));
        t["grouped_matmul"] = (i, _) => One(GroupedMatMul(i[0], i[1], i[2]));
        t["layer_norm"] = (i, a) => One(LayerNorm(i[0], i[1], i[2], a.GetFloat("eps", 1e-5)));
        t["rms_norm"] = (i, a) => One(RmsNorm(i[0], i[1], a.GetFloat("eps", 1e-6)));
        t["attention"] = (i, a) => One(Attention(i[0], i[1], i[2], i.Count > 3 ? i[3] : null, a.GetBool("causal"),
            a.TryGet("scale", out var s) ? (s is long l ? l : (double)s) : null));
    }

    /// <summary>
    /// matmul with NumPy semantics: [..., M, K] @ [..., K, N] gives [..., M, N] with the batch axes
    /// broadcast; a rank-1 left operand is a row [1, K] and a rank-1 right operand a column [K, 1], the
    /// added axis removed from the result. Floats accumulate in double; integers in 64 bits.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new RuntimeError($"matmul: dtypes differ: {a.TypeText()} and {b.TypeText()}");
        if (a.DType == DType.Bool) throw new RuntimeError("matmul does not take bool tensors");
        if (a.Rank == 0 || b.Rank == 0) throw new RuntimeError($"matmul needs tensors of rank 1 or more, got {a.TypeText()} and {b.TypeText()}");
        long m = a.Rank >= 2 ? a.Shape[^2] : 1, k = a.Shape[^1];
        long kb = b.Rank >= 2 ? b.Shape[^2] : b.Shape[0], n = b.Rank >= 2 ? b.Shape[^1] : 1;
        if (k != kb) throw new RuntimeError($"matmul: cannot multiply {a.TypeText()} by {b.TypeText()}: inner dimensions {k} and {kb} differ");
        var batchA = a.Rank > 2 ? a.Shape.Take(a.Rank - 2).ToArray() : Array.Empty<long>();
        var batchB = b.Rank > 2 ? b.Shape.Take(b.Rank - 2).ToArray() : Array.Empty<long>();
        using var ba = Tensor.Zeros(DType.Bool, batchA);
        using var bb = Tensor.Zeros(DType.Bool, batchB);
        var batch = BroadcastShapes("matmul", ba, bb);
        var mapA = BroadcastIndex(batchA, batch);
        var mapB = BroadcastIndex(batchB, batch);
        var shape = batch.ToList();
        if (a.Rank >= 2) shape.Add(m);
        if (b.Rank >= 2) shape.Add(n);
        long count = mapA.Length * m * n;
        if (a.DType.IsFloat())
        {
            var x = a.ToDoubleArray();
            var y = b.ToDoubleArray();
            var r = new double[count];
            for (long p = 0; p < mapA.Length; p++)
            {
                long xa = mapA[p] * m * k, yb = mapB[p] * k * n, ro = p * m * n;
                for (long i = 0; i < m; i++)
                    for (long j = 0; j < n; j++)
                    {
                        double acc = 0;
                        for (long q = 0; q < k; q++) acc += x[xa + i * k + q] * y[yb + q * n + j];
                        r[ro + i * n + j] = acc;
                    }
            }
            return Tensor.FromDoubles(a.DType, shape.ToArray(), r);
        }
        var xi = a.ToInt64Array();
        var yi = b.ToInt64Array();
        var ri = new long[count];
        for (long p = 0; p < mapA.Length; p++)
        {
            long xa = mapA[p] * m * k, yb = mapB[p] * k * n, ro = p * m * n;
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++)
                {
                    long acc = 0;
                    for (long q = 0; q < k; q++) acc = unchecked(acc + xi[xa + i * k + q] * yi[yb + q * n + j]);
                    ri[ro + i * n + j] = acc;
                }
        }
        return Tensor.FromInt64s(a.DType, shape.ToArray(), ri);
    }

    /// <summary>
    /// grouped_matmul(x [R, K], w [G, K, N], group [R]) gives [R, N]: row r is x[r] @ w[group[r]]
    /// (the dropless MoE product). Groups must be in [0, G). Accumulates in double.
    /// </summary>
    public static Tensor GroupedMatMul(Tensor x, Tensor w, Tensor group)
    {
        if (x.Rank != 2 || w.Rank != 3 || group.Rank != 1 || x.Shape[1] != w.Shape[1] || group.Shape[0] != x.Shape[0] || x.DType != w.DType)
            throw new RuntimeError($"grouped_matmul takes x [R, K], w [G, K, N] and group [R]; got {x.TypeText()}, {w.TypeText()} and {group.TypeText()}");
        if (!x.DType.IsFloat()) throw new RuntimeError($"grouped_matmul needs floating-point tensors, got {x.TypeText()}");
        var g = Indices("grouped_matmul", group);
        long rows = x.Shape[0], k = x.Shape[1], groups = w.Shape[0], n = w.Shape[2];
        var xs = x.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var r = new double[rows * n];
        for (long row = 0; row < rows; row++)
        {
            long gi = g[row];
            if (gi < 0 || gi >= groups) throw OutOfRange("grouped_matmul", gi, row, $"the groups of {w.TypeText()}", groups);
            for (long j = 0; j < n; j++)
            {
                double acc = 0;
                for (long q = 0; q < k; q++) acc += xs[row * k + q] * ws[(gi * k + q) * n + j];
                r[row * n + j] = acc;
            }
        }
        return Tensor.FromDoubles(x.DType, new[] { rows, n }, r);
    }

    private static long NormGroup(string op, Tensor x, Tensor w)
    {
        if (!x.DType.IsFloat() || w.DType != x.DType) throw new RuntimeError($"{op} needs floating-point x and weight of one dtype, got {x.TypeText()} and {w.TypeText()}");
        if (w.Rank == 0 || w.Rank > x.Rank || !x.Shape.Skip(x.Rank - w.Rank).SequenceEqual(w.Shape))
            throw new RuntimeError($"{op}: weight {w.TypeText()} does not match the last dimensions of {x.TypeText()}");
        return w.ElementCount;
    }

    /// <summary>
    /// layer_norm(x, w, b, eps) over the last rank(w) axes: (x - mean) / sqrt(var + eps) · w + b, with
    /// the biased variance (divided by the group size), all in double.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor w, Tensor b, double eps)
    {
        long group = NormGroup("layer_norm", x, w);
        if (!b.Shape.SequenceEqual(w.Shape) || b.DType != w.DType) throw new RuntimeError($"layer_norm: bias {b.TypeText()} must match weight {w.TypeText()}");
        var xs = x.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var bs = b.ToDoubleArray();
        var r = new double[xs.Length];
        for (long start = 0; start < xs.Length; start += group)
        {
            double mean = 0;
            for (long i = 0; i < group; i++) mean += xs[start + i];
            mean /= group;
            double var = 0;
            for (long i = 0; i < group; i++) var += (xs[start + i] - mean) * (xs[start + i] - mean);
            var /= group;
            double inv = 1.0 / Math.Sqrt(var + eps);
            for (long i = 0; i < group; i++) r[start + i] = (xs[start + i] - mean) * inv * ws[i] + bs[i];
        }
        return Tensor.FromDoubles(x.DType, x.Shape.AsSpan(), r);
    }

    /// <summary>rms_norm(x, w, eps) over the last rank(w) axes: x / sqrt(mean(x²) + eps) · w, in double.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor w, double eps)
    {
        long group = NormGroup("rms_norm", x, w);
        var xs = x.ToDoubleArray();
        var ws = w.ToDoubleArray();
        var r = new double[xs.Length];
        for (long start = 0; start < xs.Length; start += group)
        {
            double ms = 0;
            for (long i = 0; i < group; i++) ms += xs[start + i] * xs[start + i];
            ms /= group;
            double inv = 1.0 / Math.Sqrt(ms + eps);
            for (long i = 0; i < group; i++) r[start + i] = xs[start + i] * inv * ws[i];
        }
        return Tensor.FromDoubles(x.DType, x.Shape.AsSpan(), r);
    }

    /// <summary>
    /// Scaled dot-product attention. q [B, H, Tq, dh], k [B, Hkv, Tk, dh], v [B, Hkv, Tk, dv] give
    /// [B, H, Tq, dv]; query head h uses key/value head h / (H / Hkv) (grouped-query). Scores are
    /// scale · q·k with scale the attr or 1/√dh. <paramref name="causal"/> masks key j &gt; query i
    /// (top-left alignment, PyTorch's is_causal). The optional mask broadcasts to [B, H, Tq, Tk]: bool
    /// (true = attend) or float (added to the scores). Softmax is max-subtracted in double over the keys
    /// left; a row with every key masked (or every score -inf) gives zeros, not NaN.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, bool causal, double? scale)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new RuntimeError($"attention takes q [B, H, Tq, dh], k [B, Hkv, Tk, dh] and v [B, Hkv, Tk, dv]; got {q.TypeText()}, {k.TypeText()} and {v.TypeText()}");
        long batch = q.Shape[0], heads = q.Shape[1], tq = q.Shape[2], dh = q.Shape[3];
        long kvHeads = k.Shape[1], tk = k.Shape[2], dv = v.Shape[3];
        if (!q.DType.IsFloat() || k.DType != q.DType || v.DType != q.DType)
            throw new RuntimeError($"attention needs q, k and v of one floating-point dtype; got {q.TypeText()}, {k.TypeText()} and {v.TypeText()}");
        if (k.Shape[0] != batch || v.Shape[0] != batch || k.Shape[3] != dh || v.Shape[1] != kvHeads || v.Shape[2] != tk)
            throw new RuntimeError($"attention: shapes do not agree: q {q.TypeText()}, k {k.TypeText()}, v {v.TypeText()}");
        if (kvHeads == 0 || heads % kvHeads != 0)
            throw new RuntimeError($"attention: {kvHeads} key/value heads do not divide {heads} query heads");
        long group = heads / kvHeads;
        double s = scale ?? 1.0 / Math.Sqrt(dh);
        var scoresShape = new[] { batch, heads, tq, tk };
        long[]? maskMap = null;
        double[]? maskValues = null;
        bool boolMask = false;
        if (mask != null)
        {
            if (mask.Rank > 4 || Enumerable.Range(0, mask.Rank).Any(d => mask.Shape[d] != 1 && mask.Shape[d] != scoresShape[4 - mask.Rank + d]))
                throw new RuntimeError($"attention: mask {mask.TypeText()} does not broadcast to the scores {Tensor.TypeText(q.DType, scoresShape)}");
            if (mask.DType != DType.Bool && mask.DType != q.DType)
                throw new RuntimeError($"attention: mask must be bool or {q.DType.Name()}, got {mask.TypeText()}");
            boolMask = mask.DType == DType.Bool;
            maskMap = BroadcastIndex(mask.Shape.AsSpan(), scoresShape);
            maskValues = mask.ToDoubleArray();
        }
        var qs = q.ToDoubleArray();
        var ks = k.ToDoubleArray();
        var vs = v.ToDoubleArray();
        var r = new double[batch * heads * tq * dv];
        var scores = new double[tk];
        var allowed = new bool[tk];
        for (long b = 0; b < batch; b++)
            for (long h = 0; h < heads; h++)
            {
                long kvh = h / group;
                for (long i = 0; i < tq; i++)
                {
                    long qo = ((b * heads + h) * tq + i) * dh;
                    double m = double.NegativeInfinity;
                    bool any = false;
                    for (long j = 0; j < tk; j++)
                    {
                        long ko = ((b * kvHeads + kvh) * tk + j) * dh;
                        double dot = 0;
                        for (long d = 0; d < dh; d++) dot += qs[qo + d] * ks[ko + d];
                        double sc = dot * s;
                        bool ok = !(causal && j > i);
                        if (maskMap != null)
                        {
                            double mv = maskValues![maskMap[((b * heads + h) * tq + i) * tk + j]];
                            if (boolMask) ok &= mv != 0;
                            else sc += mv;
                        }
                        if (double.IsNegativeInfinity(sc)) ok = false;
                        scores[j] = sc;
                        allowed[j] = ok;
                        if (ok)
                        {
                            any = true;
                            if (double.IsNaN(sc) || sc > m) m = double.IsNaN(m) ? m : sc;
                        }
                    }
                    long ro = ((b * heads + h) * tq + i) * dv;
                    if (!any) continue; // every key masked: zeros
                    double sum = 0;
                    for (long j = 0; j < tk; j++)
                    {
                        scores[j] = allowed[j] ? Math.Exp(scores[j] - m) : 0;
                        sum += scores[j];
                    }
                    for (long j = 0; j < tk; j++)
                    {
                        if (!allowed[j]) continue;
                        double p = scores[j] / sum;
                        long vo = ((b * kvHeads + kvh) * tk + j) * dv;
                        for (long d = 0; d < dv; d++) r[ro + d] += p * vs[vo + d];
                    }
                }
            }
        return Tensor.FromDoubles(q.DType, new[] { batch, heads, tq, dv }, r);
    }
}
