using System.Globalization;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary>
/// The eager interpreter on compiled .dsk models against plain C# loops that follow the language's
/// definitions literally (language.md §5 for route, the dense GCN formula, naive attention).
/// Tolerance: ‖a − b‖ / ‖b‖ ≤ 1e-5 in f32.
/// </summary>
public class SemanticTests
{
    private const double Tolerance = 1e-5;

    private static Tensor[] RunModel(Graph graph, WeightSet weights, params (string Name, Tensor Value)[] inputs)
    {
        using var result = new EagerInterpreter(graph).Run(inputs.ToDictionary(i => i.Name, i => i.Value), weights);
        return result.Outputs.Select(o => o.Tensor.Clone()).ToArray();
    }

    /// <summary>Replaces every weight with N(0, 0.5) values so that zero-initialised biases matter too.</summary>
    private static WeightSet RandomWeights(Graph graph, long seed)
    {
        var set = new WeightSet();
        foreach (var w in graph.Weights)
        {
            var shape = w.Value.Type.Shape.ToConcrete();
            var t = RandomF32(seed, w.Name, shape);
            for (long i = 0; i < t.ElementCount; i++) t.Set(i, 0.5 * t.Get(i));
            set.Add(w.Name, t);
        }
        return set;
    }

    // ------------------------------------------------------------------ route

    public static IEnumerable<object[]> RouteCases() => new[]
    {
        //            experts, top_k, capacity, score, normalize, scale, bias
        new object[] { 4, 1, 1.25, "softmax", true, 1.0, false },
        new object[] { 4, 2, 0.5, "softmax", true, 1.0, false },
        new object[] { 4, 2, 1.0, "sigmoid", false, 2.5, true },
        new object[] { 8, 4, 0.0, "softmax", true, 1.0, false },
        new object[] { 6, 4, 0.75, "sigmoid", true, 1.0, true },
        new object[] { 4, 2, 0.0, "sigmoid", true, 0.5, true },
        new object[] { 5, 1, 0.0, "softmax", false, 1.0, false },
        new object[] { 8, 2, 1.25, "softmax", false, 1.0, true },
    };

    [Theory]
    [MemberData(nameof(RouteCases))]
    public void RouteMatchesAPerTokenLoop(int experts, int topK, double capacity, string score, bool normalize, double scale, bool withBias)
    {
        const int n = 24, d = 4;
        string cap = capacity.ToString("R", CultureInfo.InvariantCulture);
        string sc = scale.ToString("R", CultureInfo.InvariantCulture);
        if (!cap.Contains('.')) cap += ".0";
        if (!sc.Contains('.')) sc += ".0";
        string biasParam = withBias ? $", b: f32[{experts}]" : "";
        string biasArg = withBias ? ", bias: b" : "";
        var source = $$"""
            module Router(d: int, e: int) {
              experts = Linear(d, d)[e]
              forward(x: f32[N, d], logits: f32[N, e]{{biasParam}}) -> f32[N, d] {
                return route(x, logits, experts, top_k: {{topK}}, capacity: {{cap}}, score: "{{score}}", normalize: {{(normalize ? "true" : "false")}}, scale: {{sc}}{{biasArg}})
              }
            }
            model M = Router(d: {{d}}, e: {{experts}})
            """;
        var graph = Compile(source, "M");
        using var weights = RandomWeights(graph, 7);
        long seed = experts * 100 + topK;
        using var x = RandomF32(seed, "x", n, d);
        using var logits = RandomF32(seed, "logits", n, experts);
        using var bias = RandomF32(seed, "bias", experts);
        var inputs = new List<(string, Tensor)> { ("x", x), ("logits", logits) };
        if (withBias) inputs.Add(("b", bias));
        var actual = RunModel(graph, weights, inputs.ToArray())[0];

        // language.md §5, literally.
        var xs = x.ToDoubleArray();
        var ls = logits.ToDoubleArray();
        var bs = bias.ToDoubleArray();
        var s = new float[n, experts];
        for (int i = 0; i < n; i++)
        {
            double max = Enumerable.Range(0, experts).Max(e => ls[i * experts + e]);
            double total = Enumerable.Range(0, experts).Sum(e => Math.Exp(ls[i * experts + e] - max));
            for (int e = 0; e < experts; e++)
                s[i, e] = score == "softmax" ? (float)(Math.Exp(ls[i * experts + e] - max) / total) : (float)(1 / (1 + Math.Exp(-ls[i * experts + e])));
        }
        var chosen = new int[n, topK];
        var w = new double[n, topK];
        for (int i = 0; i < n; i++)
        {
            int row = i;
            var order = Enumerable.Range(0, experts)
                .OrderByDescending(e => withBias ? s[row, e] + (float)bs[e] : s[row, e]).ThenBy(e => e).Take(topK).ToArray();
            double sum = order.Sum(e => (double)s[row, e]);
            for (int j = 0; j < topK; j++)
            {
                chosen[i, j] = order[j];
                w[i, j] = (normalize ? s[row, order[j]] / sum : s[row, order[j]]) * scale;
            }
        }
        long c = capacity == 0 ? long.MaxValue : (long)Math.Ceiling((decimal)capacity * topK * n / experts);
        var count = new long[experts];
        var kept = new bool[n, topK];
        int dropped = 0;
        for (int j = 0; j < topK; j++)             // first choices of all tokens before second choices,
            for (int i = 0; i < n; i++)            // in token order
            {
                int e = chosen[i, j];
                if (count[e] < c)
                {
                    kept[i, j] = true;
                    count[e]++;
                }
                else dropped++;
            }
        var expected = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < topK; j++)
            {
                if (!kept[i, j]) continue;
                int e = chosen[i, j];
                var ew = weights[$"experts.{e}.weight"].ToDoubleArray();
                var eb = weights[$"experts.{e}.bias"].ToDoubleArray();
                for (int o = 0; o < d; o++)
                {
                    double y = eb[o];
                    for (int q = 0; q < d; q++) y += xs[i * d + q] * ew[o * d + q];
                    expected[i * d + o] += w[i, j] * y;
                }
            }

        if (capacity > 0 && capacity < 1) Assert.True(dropped > 0, "the case should drop tokens");
        Assert.True(RelativeError(actual.ToDoubleArray(), expected) <= Tolerance, $"relative error {RelativeError(actual.ToDoubleArray(), expected)}");
        actual.Dispose();
    }

    // ------------------------------------------------------------------ GCN

    [Theory]
    [InlineData(5, 3)] // narrower output: the product first, then propagation
    [InlineData(3, 5)] // narrower input: propagation first, then the product
    public void GraphConvMatchesTheDenseFormula(int fin, int fout)
    {
        const int n = 7, e = 15;
        var graph = Compile($"model G = GraphConv({fin}, {fout})", "G");
        using var weights = RandomWeights(graph, 11);
        using var x = RandomF32(1, "x", n, fin);
        using var edges = RandomInts(1, "edges", n, 2, e);  // duplicates and self loops included
        var actual = RunModel(graph, weights, ("x", x), ("edges", edges))[0];

        // D^-1/2 (A + I) D^-1/2 X W^T + b with A[dst, src] counting edges and D the degree of A + I.
        var ed = edges.ToInt64Array();
        var a = new double[n, n];
        for (int k = 0; k < e; k++) a[ed[e + k], ed[k]] += 1;
        for (int i = 0; i < n; i++) a[i, i] += 1;
        var deg = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) deg[i] += a[i, j];
        var xs = x.ToDoubleArray();
        var ws = weights["weight"].ToDoubleArray();
        var bs = weights["bias"].ToDoubleArray();
        var h = new double[n, fout];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < fout; o++)
                for (int q = 0; q < fin; q++) h[i, o] += xs[i * fin + q] * ws[o * fin + q];
        var expected = new double[n * fout];
        for (int i = 0; i < n; i++)
            for (int o = 0; o < fout; o++)
            {
                double y = bs[o];
                for (int j = 0; j < n; j++) y += a[i, j] / Math.Sqrt(deg[i] * deg[j]) * h[j, o];
                expected[i * fout + o] = y;
            }
        Assert.True(RelativeError(actual.ToDoubleArray(), expected) <= Tolerance);
        actual.Dispose();
    }

    // ------------------------------------------------------------------ attention

    [Theory]
    [InlineData(false, 5, 5)]
    [InlineData(true, 5, 5)]
    [InlineData(true, 3, 6)]
    [InlineData(true, 6, 3)]
    public void GroupedQueryAttentionMatchesTheNaiveFormula(bool causal, int tq, int tk)
    {
        const int b = 2, h = 4, g = 2, dh = 8, dv = 6;
        var source = $$"""
            module Attn(causal: bool) {
              forward(q: f32[B, 4, T, 8], k: f32[B, 2, S, 8], v: f32[B, 2, S, 6]) -> f32[B, 4, T, 6] {
                return attention(q, k, v, causal: causal)
              }
            }
            model M = Attn(causal: {{(causal ? "true" : "false")}})
            """;
        var graph = Compile(source, "M");
        using var weights = new WeightSet();
        using var q = RandomF32(2, "q", b, h, tq, dh);
        using var k = RandomF32(2, "k", b, g, tk, dh);
        using var v = RandomF32(2, "v", b, g, tk, dv);
        var actual = RunModel(graph, weights, ("q", q), ("k", k), ("v", v))[0];

        var qs = q.ToDoubleArray();
        var ks = k.ToDoubleArray();
        var vs = v.ToDoubleArray();
        var expected = new double[b * h * tq * dv];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
            {
                int kv = hi / (h / g);
                for (int i = 0; i < tq; i++)
                {
                    var scores = new double[tk];
                    for (int j = 0; j < tk; j++)
                    {
                        double dot = 0;
                        for (int dd = 0; dd < dh; dd++) dot += qs[((bi * h + hi) * tq + i) * dh + dd] * ks[((bi * g + kv) * tk + j) * dh + dd];
                        scores[j] = causal && j > i ? double.NegativeInfinity : dot / Math.Sqrt(dh);
                    }
                    double m = scores.Max();
                    double z = scores.Sum(sv => Math.Exp(sv - m));
                    for (int j = 0; j < tk; j++)
                        for (int dd = 0; dd < dv; dd++)
                            expected[((bi * h + hi) * tq + i) * dv + dd] += Math.Exp(scores[j] - m) / z * vs[((bi * g + kv) * tk + j) * dv + dd];
                }
            }
        Assert.True(RelativeError(actual.ToDoubleArray(), expected) <= Tolerance);
        actual.Dispose();
    }

    [Fact]
    public void MultiheadAttentionModuleMatchesProjectionsAndNaiveAttention()
    {
        const int b = 1, t = 4, d = 8, heads = 4, kvHeads = 2, hd = 2;
        var graph = Compile("model M = MultiheadAttention(8, 4, kv_heads: 2, causal: true)", "M");
        using var weights = RandomWeights(graph, 5);
        using var x = RandomF32(3, "x", b, t, d);
        var actual = RunModel(graph, weights, ("query", x), ("key", x), ("value", x))[0];

        var xs = x.ToDoubleArray();
        double[] Project(string name, int outs)
        {
            var w = weights[name + ".weight"].ToDoubleArray();
            var bias = weights[name + ".bias"].ToDoubleArray();
            var r = new double[t * outs];
            for (int i = 0; i < t; i++)
                for (int o = 0; o < outs; o++)
                {
                    double y = bias[o];
                    for (int q = 0; q < d; q++) y += xs[i * d + q] * w[o * d + q];
                    r[i * outs + o] = y;
                }
            return r;
        }
        var qp = Project("q_proj", heads * hd);
        var kp = Project("k_proj", kvHeads * hd);
        var vp = Project("v_proj", kvHeads * hd);
        var attn = new double[t * heads * hd]; // [T, heads * hd] as after transpose and reshape
        for (int h = 0; h < heads; h++)
        {
            int g = h / (heads / kvHeads);
            for (int i = 0; i < t; i++)
            {
                var s = new double[t];
                for (int j = 0; j < t; j++)
                {
                    double dot = 0;
                    for (int e = 0; e < hd; e++) dot += qp[i * heads * hd + h * hd + e] * kp[j * kvHeads * hd + g * hd + e];
                    s[j] = j > i ? double.NegativeInfinity : dot / Math.Sqrt(hd);
                }
                double m = s.Max(), z = s.Sum(v => Math.Exp(v - m));
                for (int j = 0; j < t; j++)
                    for (int e = 0; e < hd; e++) attn[i * heads * hd + h * hd + e] += Math.Exp(s[j] - m) / z * vp[j * kvHeads * hd + g * hd + e];
            }
        }
        var ow = weights["o_proj.weight"].ToDoubleArray();
        var ob = weights["o_proj.bias"].ToDoubleArray();
        var expected = new double[t * d];
        for (int i = 0; i < t; i++)
            for (int o = 0; o < d; o++)
            {
                double y = ob[o];
                for (int q = 0; q < heads * hd; q++) y += attn[i * heads * hd + q] * ow[o * heads * hd + q];
                expected[i * d + o] = y;
            }
        Assert.True(RelativeError(actual.ToDoubleArray(), expected) <= Tolerance);
        actual.Dispose();
    }
}
