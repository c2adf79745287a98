using System.Diagnostics;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.CodeGen.Onnx;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static DeepSeek.Lang.Runtime.Tests.OrtUtil;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary>
/// Exported models run by ONNX Runtime agree with the eager interpreter (the reference) on the same
/// weights and random inputs: ‖ort − eager‖ / ‖eager‖ ≤ 1e-4 in f32, integer and bool outputs equal.
/// Exported files also pass onnx.checker (full check) when Python's onnx is installed.
/// </summary>
public sealed class OnnxAgreementTests
{
    private const double Tolerance = 1e-4;
    private readonly ITestOutputHelper _log;

    public OnnxAgreementTests(ITestOutputHelper log)
    {
        _log = log;
    }

    // ------------------------------------------------------------------ the examples, at small sizes

    public static TheoryData<string, string, string> Examples => new()
    {
        { "mixtral_8x7b.dsk", "MixtralForCausalLM(vocab: 64, d: 32, n_layers: 2, heads: 4, kv_heads: 2, head_dim: 8, ffn: 64, experts: 4, top_k: 2)", "B=2,T=5" },
        {
            "deepseek_v3.dsk",
            "DeepSeekV3ForCausalLM(vocab: 64, d: 32, n_layers: 2, first_k_dense: 1, heads: 4, q_lora_rank: 16, kv_lora_rank: 16, " +
            "qk_nope_head_dim: 8, qk_rope_head_dim: 8, v_head_dim: 8, ffn: 64, moe_ffn: 16, experts: 4, shared: 1, top_k: 2, routed_scale: 2.5)",
            "B=2,T=5"
        },
        { "deepseek_moe_16b.dsk", "DeepSeekMoEForCausalLM(vocab: 64, d: 32, n_layers: 2, first_k_dense: 1, heads: 4, ffn: 64, moe_ffn: 16, experts: 4, shared: 2, top_k: 2)", "B=2,T=5" },
        { "megatron_gpt.dsk", "MegatronGPT(64, 16, d: 32, n_layers: 2, heads: 4)", "B=2,T=5" },
        { "cross_modal_attention.dsk", "CrossModalAttention(text_dim: 24, vision_dim: 40, d: 32, heads: 4)", "B=2,S=5,P=7" },
        { "sparse_moe.dsk", "SparseMoE(d: 16, hidden: 32, experts: 4, top_k: 2)", "B=2,T=9" },
        { "fraud_gcn.dsk", "FraudDetector(features: 12, hidden: 16)", "N=20,E=60" },
    };

    [Fact]
    public void EveryExampleHasASmallInstance()
    {
        var files = Directory.GetFiles(Path.Combine(RepoRoot, "examples"), "*.dsk").Select(Path.GetFileName).OrderBy(f => f, StringComparer.Ordinal);
        var covered = Examples.Select(row => (string)row[0]).OrderBy(f => f, StringComparer.Ordinal);
        Assert.Equal(files, covered);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void ExampleAgrees(string file, string instance, string dims)
    {
        var source = File.ReadAllText(Path.Combine(RepoRoot, "examples", file)) + "\nmodel Small = " + instance + "\n";
        var bindings = dims.Split(',').Select(b => b.Split('=')).ToDictionary(b => b[0], b => long.Parse(b[1]), StringComparer.Ordinal);
        Agree(source, "Small", bindings, file);
    }

    // ------------------------------------------------------------------ routing

    private const string Routes = """
        module Routed(d: int, hidden: int, experts: int, top_k: int, capacity: float, score: string, normalize: bool) {
          gate = Linear(d, experts, bias: false)
          experts = SwiGLU(d, hidden)[experts]
          forward(x: f32[N, d]) -> f32[N, d] {
            return route(x, gate(x), experts, top_k: top_k, capacity: capacity, score: score, normalize: normalize)
          }
        }

        // Sigmoid scores with a selection bias that only chooses (DeepSeek-V3), and a scale.
        module Biased(d: int, hidden: int, experts: int, top_k: int, capacity: float) {
          gate = Linear(d, experts, bias: false)
          experts = SwiGLU(d, hidden)[experts]
          param bias: f32[experts] = normal(0.5)
          forward(x: f32[N, d]) -> f32[N, d] {
            return route(x, gate(x), experts, top_k: top_k, capacity: capacity, score: "sigmoid", bias: bias, scale: 2.5)
          }
        }

        // Experts whose ops have no batching rule run one by one (split of the capacity buffer).
        module Odd(d: int) {
          forward(x: f32[N, d]) -> f32[N, d] {
            return x * one_hot(argmax(x, axis: -1), d)
          }
        }
        module OneByOne(d: int, experts: int, capacity: float) {
          gate = Linear(d, experts, bias: false)
          experts = Odd(d)[experts]
          forward(x: f32[N, d]) -> f32[N, d] {
            return route(x, gate(x), experts, top_k: 2, capacity: capacity)
          }
        }

        model Dropping = Routed(d: 16, hidden: 24, experts: 4, top_k: 2, capacity: 0.5, score: "softmax", normalize: true)
        model Capacity = Routed(d: 16, hidden: 24, experts: 4, top_k: 2, capacity: 1.25, score: "softmax", normalize: false)
        model Dropless = Routed(d: 16, hidden: 24, experts: 4, top_k: 2, capacity: 0, score: "softmax", normalize: true)
        model SigmoidBiasDropless = Biased(d: 16, hidden: 24, experts: 4, top_k: 2, capacity: 0)
        model SigmoidBiasCapacity = Biased(d: 16, hidden: 24, experts: 4, top_k: 3, capacity: 1.0)
        model UnbatchedCapacity = OneByOne(d: 8, experts: 3, capacity: 0.75)
        model UnbatchedDropless = OneByOne(d: 8, experts: 3, capacity: 0)
        """;

    [Theory]
    [InlineData("Dropping")]
    [InlineData("Capacity")]
    [InlineData("Dropless")]
    [InlineData("SigmoidBiasDropless")]
    [InlineData("SigmoidBiasCapacity")]
    [InlineData("UnbatchedCapacity")]
    [InlineData("UnbatchedDropless")]
    public void RouteAgrees(string model) => Agree(Routes, model, Dims(("N", 11)));

    [Fact]
    public void ACapacityRouteDropsTokens()
    {
        // With capacity 0.5 and 11 tokens, each expert keeps ceil(0.5 * 2 * 11 / 4) = 3 of its assignments:
        // some tokens lose a choice, and with normalize their output is less than the full mixture.
        var (dropping, _) = Run(Routes, "Dropping", Dims(("N", 11)));
        var (capacity, _) = Run(Routes, "Dropless", Dims(("N", 11)));
        Assert.True(RelativeError(dropping, capacity) > 0.05);
    }

    private const string Losses = """
        // A mixture with the Switch balance loss as a second output, and builtins written in .dsk.
        module MoeWithLoss(d: int, experts: int) {
          gate = Linear(d, experts, bias: false)
          experts = SwiGLU(d, 2 * d)[experts]
          forward(x: f32[B, T, d], labels: i64[B, T]) -> (f32[B, T, d], f32[], f32[B, T]) {
            let h = x.reshape(B * T, d)
            let logits = gate(h)
            let y = route(h, logits, experts, top_k: 2, capacity: 1.0).reshape(B, T, d)
            let scores = log_softmax(y, axis: -1)
            let picked = gather(scores, labels[..., None] % d, axis: -1).squeeze(-1)
            let z = where(picked > -2.0, picked, logsumexp(y, axis: -1)) + dropout(x.flatten(1).mean(axis: -1), 0.1)[:, None]
            return (y.permute(1, 0, 2).transpose(0, 1), balance_loss(logits, 2), clamp(pow(abs(z), 1.5), max: 4.0))
          }
        }
        model MoeWithLoss = MoeWithLoss(d: 8, experts: 4)
        """;

    [Fact]
    public void TupleOutputsWithABalanceLossAgree() => Agree(Losses, "MoeWithLoss", Dims(("B", 2), ("T", 3)));

    // ------------------------------------------------------------------ attention

    private const string Attentions = """
        module Gqa(d: int, heads: int, kv_heads: int, causal: bool, rotary: bool) {
          attn = MultiheadAttention(d, heads, kv_heads: kv_heads, causal: causal, rotary: rotary)
          forward(x: f32[B, T, d]) -> f32[B, T, d] {
            return attn(x)
          }
        }

        module Cross(d: int, heads: int) {
          attn = MultiheadAttention(d, heads, kv_heads: 1)
          forward(x: f32[B, T, d], memory: f32[B, S, d]) -> f32[B, T, d] {
            return attn(x, memory, memory)
          }
        }

        // Masks: bool (true = attend; a row may lose every key) and float (added), with and without causal.
        module Masked(causal: bool) {
          forward(q: f32[B, 4, T, 8], k: f32[B, 2, S, 8], v: f32[B, 2, S, 4], keep: bool[B, 1, T, S], bias: f32[T, S]) -> (f32[B, 4, T, 4], f32[B, 4, T, 4]) {
            return (attention(q, k, v, mask: keep, causal: causal), attention(q, k, v, mask: bias, scale: 0.3))
          }
        }

        model GqaCausalRotary = Gqa(d: 32, heads: 4, kv_heads: 2, causal: true, rotary: true)
        model MqaCausal = Gqa(d: 32, heads: 4, kv_heads: 1, causal: true, rotary: false)
        model MhaFull = Gqa(d: 32, heads: 4, kv_heads: 4, causal: false, rotary: true)
        model CrossAttention = Cross(d: 16, heads: 4)
        model MaskedCausal = Masked(causal: true)
        model MaskedOnly = Masked(causal: false)
        """;

    [Theory]
    [InlineData("GqaCausalRotary")]
    [InlineData("MqaCausal")]
    [InlineData("MhaFull")]
    [InlineData("CrossAttention")]
    [InlineData("MaskedCausal")]
    [InlineData("MaskedOnly")]
    public void AttentionAgrees(string model) => Agree(Attentions, model, Dims(("B", 2), ("T", 5), ("S", 7)));

    // ------------------------------------------------------------------ graphs (the prelude's GCN, SAGE, GAT)

    private const string Graphs = """
        module Gnn(features: int, hidden: int) {
          gcn = GraphConv(features, hidden)
          sage = SAGEConv(hidden, hidden)
          gat = GATConv(hidden, hidden, heads: 2)
          out = Linear(2 * hidden, 3)
          forward(x: f32[N, features], edges: i64[2, E]) -> f32[N, 3] {
            let h = relu(gcn(x, edges))
            h = relu(sage(h, edges))
            return out(gat(h, edges))
          }
        }
        model Gnn = Gnn(features: 5, hidden: 8)
        """;

    [Fact]
    public void GraphLayersAgree() => Agree(Graphs, "Gnn", Dims(("N", 7), ("E", 19)));

    // ------------------------------------------------------------------ symbolic dims

    [Fact]
    public void OneExportRunsAtTwoSizes()
    {
        var source = File.ReadAllText(Path.Combine(RepoRoot, "examples", "mixtral_8x7b.dsk")) +
            "\nmodel Small = MixtralForCausalLM(vocab: 64, d: 32, n_layers: 1, heads: 4, kv_heads: 2, head_dim: 8, ffn: 64, experts: 4, top_k: 2)\n";
        var (elaborated, compiled) = CompileBoth(source, "Small", new Dictionary<string, long>());
        using var weights = WeightSet.Initialize(elaborated, 0);
        var model = Export(compiled, weights);
        using (var session = Session(model))
        {
            var input = Assert.Single(session.InputMetadata);
            Assert.Equal("ids", input.Key);
            Assert.Equal(new[] { "B", "T" }, input.Value.SymbolicDimensions);
            Assert.Equal(new[] { "B", "T", "" }, session.OutputMetadata["output"].SymbolicDimensions);
            Assert.Equal(64, session.OutputMetadata["output"].Dimensions[2]);
        }
        foreach (var dims in new[] { Dims(("B", 1), ("T", 3)), Dims(("B", 3), ("T", 8)) })
            Compare(elaborated, model, weights, dims, "Small");
    }

    [Fact]
    public void ASpecialisedExportHasConcreteDims()
    {
        var dims = Dims(("B", 2), ("T", 4));
        var (elaborated, compiled) = CompileBoth(Attentions, "GqaCausalRotary", dims);
        using var weights = WeightSet.Initialize(elaborated, 3);
        var model = Export(compiled, weights);
        using (var session = Session(model))
        {
            Assert.Equal(new[] { 2, 4, 32 }, session.InputMetadata["x"].Dimensions);
            Assert.Equal(new[] { 2, 4, 32 }, session.OutputMetadata["output"].Dimensions);
        }
        Compare(elaborated, model, weights, dims, "GqaCausalRotary", seed: 3);
    }

    // ------------------------------------------------------------------ every op, on graphs written in IR text

    /// <summary>
    /// Small graphs that together use every op of the primitive set (randn aside), with the tolerance:
    /// 1e-4 in f32, and one f16 ulp (2^-10) where products are rounded to f16, which ORT computes with
    /// a different accumulation than the reference's double.
    /// </summary>
    public static TheoryData<string, string, double> OpGraphs => new()
    {
        { "unary", """
            graph G(x: f32[3, 4]) {
              %0 = exp(%x) : f32[3, 4]
              %1 = abs(%x) : f32[3, 4]
              %2 = log(%1) : f32[3, 4]
              %3 = sqrt(%1) : f32[3, 4]
              %4 = rsqrt(%1) : f32[3, 4]
              %5 = tanh(%x) : f32[3, 4]
              %6 = sigmoid(%x) : f32[3, 4]
              %7 = relu(%x) : f32[3, 4]
              %8 = gelu(%x) : f32[3, 4]
              %9 = gelu(%x) {approximate="tanh"} : f32[3, 4]
              %10 = silu(%x) : f32[3, 4]
              %11 = erf(%x) : f32[3, 4]
              %12 = sin(%x) : f32[3, 4]
              %13 = cos(%x) : f32[3, 4]
              %14 = neg(%x) : f32[3, 4]
              %15 = clamp(%x) {max=0.5, min=-0.25} : f32[3, 4]
              %16 = clamp(%x) {min=0.1} : f32[3, 4]
              %17 = concat(%0, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16) {axis=0} : f32[48, 4]
              output output = %17
            }
            """, Tolerance },
        { "binary", """
            graph G(x: f32[3, 4], y: f32[4], s: f32[]) {
              %0 = add(%x, %s) : f32[3, 4]
              %1 = sub(%x, %y) : f32[3, 4]
              %2 = mul(%x, %y) : f32[3, 4]
              %3 = div(%x, %y) : f32[3, 4]
              %4 = abs(%x) : f32[3, 4]
              %5 = pow(%4, %y) : f32[3, 4]
              %6 = maximum(%x, %y) : f32[3, 4]
              %7 = minimum(%x, %y) : f32[3, 4]
              %8 = mod(%x, %y) : f32[3, 4]
              %9 = gt(%x, %y) : bool[3, 4]
              %10 = where(%9, %x, %y) : f32[3, 4]
              %11 = concat(%0, %1, %2, %3, %5, %6, %7, %8, %10) {axis=1} : f32[3, 36]
              output output = %11
            }
            """, Tolerance },
        { "integers and bools", """
            graph G(a: i64[5, 3], b: i64[3], p: bool[5, 3], q: bool[5, 3]) {
              %0 = constant() {dtype=i64, shape=<3,>, values=[-7, 7, 3]} : i64[3]
              %1 = sub(%a, %0) : i64[5, 3]
              %2 = full() {dtype=i64, shape=<3,>, value=4} : i64[3]
              %3 = sub(%b, %2) : i64[3]
              %4 = constant() {dtype=i64, shape=<>, values=[1]} : i64[]
              %5 = maximum(%3, %4) : i64[3]
              %6 = mod(%1, %5) : i64[5, 3]
              %7 = neg(%5) : i64[3]
              %8 = mod(%1, %7) : i64[5, 3]
              %9 = abs(%1) : i64[5, 3]
              %10 = relu(%1) : i64[5, 3]
              %11 = clamp(%1) {max=2.5, min=-1.5} : i64[5, 3]
              %12 = eq(%a, %b) : bool[5, 3]
              %13 = ne(%a, %b) : bool[5, 3]
              %14 = lt(%a, %b) : bool[5, 3]
              %15 = le(%a, %b) : bool[5, 3]
              %16 = ge(%a, %b) : bool[5, 3]
              %17 = and(%p, %q) : bool[5, 3]
              %18 = or(%p, %q) : bool[5, 3]
              %19 = not(%p) : bool[5, 3]
              %20 = lt(%p, %q) : bool[5, 3]
              %21 = concat(%12, %13, %14, %15, %16, %17, %18, %19, %20) {axis=1} : bool[5, 27]
              %22 = concat(%6, %8, %9, %10, %11) {axis=1} : i64[5, 15]
              %23 = mul(%22, %22) : i64[5, 15]
              %24 = argmax(%22) {axis=1, keepdim=true} : i64[5, 1]
              %25, %26 = topk(%22) {axis=0, k=2} : i64[2, 15], i64[2, 15]
              %27 = max(%22) {axes=[0], keepdim=false} : i64[15]
              %28 = min(%22) {axes=[1], keepdim=true} : i64[5, 1]
              %29 = cumsum(%22) {axis=1, exclusive=true} : i64[5, 15]
              %30 = matmul(%1, %0) : i64[5]
              %31 = sum(%22) {axes=[0, 1], keepdim=false} : i64[]
              output output0 = %23
              output output1 = %21
              output output2 = %24
              output output3 = %25
              output output4 = %26
              output output5 = %27
              output output6 = %28
              output output7 = %29
              output output8 = %31
              output output9 = %30
            }
            """, Tolerance },
        { "casts", """
            graph G(x: f32[2, 5], n: i64[2, 5]) {
              %0 = constant() {dtype=f32, shape=<2, 5>, values=[0.0, -0.0, 1.5, -1.5, 2.7, -2.7, 1e9, nan, 0.49, 3.0]} : f32[2, 5]
              %1 = abs(%x) : f32[2, 5]
              %2 = cast(%x) {dtype=i64} : i64[2, 5]
              %3 = cast(%0) {dtype=bool} : bool[2, 5]
              %4 = cast(%n) {dtype=f32} : f32[2, 5]
              %5 = cast(%3) {dtype=f32} : f32[2, 5]
              %6 = cast(%n) {dtype=i32} : i32[2, 5]
              %7 = cast(%6) {dtype=f64} : f64[2, 5]
              %8 = cast(%7) {dtype=f32} : f32[2, 5]
              %9 = cast(%2) {dtype=f32} : f32[2, 5]
              %10 = concat(%4, %5, %8, %9) {axis=0} : f32[8, 5]
              output output0 = %10
              output output1 = %3
            }
            """, Tolerance },
        { "reductions", """
            graph G(x: f32[3, 4, 5]) {
              %0 = sum(%x) {axes=[0, 2], keepdim=false} : f32[4]
              %1 = mean(%x) {axes=[1], keepdim=true} : f32[3, 1, 5]
              %2 = max(%x) {axes=[-1], keepdim=false} : f32[3, 4]
              %3 = min(%x) {axes=[0], keepdim=false} : f32[4, 5]
              %4 = logsumexp(%x) {axes=[1, 2], keepdim=false} : f32[3]
              %5 = argmax(%x) {axis=1, keepdim=false} : i64[3, 5]
              %6 = softmax(%x) {axis=1} : f32[3, 4, 5]
              %7 = log_softmax(%x) {axis=-1} : f32[3, 4, 5]
              %8 = cumsum(%x) {axis=2} : f32[3, 4, 5]
              %9 = cumsum(%x) {axis=0, exclusive=true} : f32[3, 4, 5]
              %10 = sum(%x) {axes=[], keepdim=false} : f32[3, 4, 5]
              output output0 = %0
              output output1 = %1
              output output2 = %2
              output output3 = %3
              output output4 = %4
              output output5 = %5
              output output6 = %6
              output output7 = %7
              output output8 = %8
              output output9 = %9
              output output10 = %10
            }
            """, Tolerance },
        { "shapes", """
            graph G(x: f32[B, 6], y: f32[B, 6]) {
              %0 = reshape(%x) {shape=<B, 2, 3>} : f32[B, 2, 3]
              %1 = transpose(%0) {perm=[2, 0, 1]} : f32[3, B, 2]
              %2 = unsqueeze(%x) {axes=[0, -1]} : f32[1, B, 6, 1]
              %3 = squeeze(%2) {axes=[0, 3]} : f32[B, 6]
              %4 = expand(%2) {shape=<4, B, 6, 2>} : f32[4, B, 6, 2]
              %5 = stack(%x, %y, %3) {axis=1} : f32[B, 3, 6]
              %6 = stack(%x, %y) {axis=-1} : f32[B, 6, 2]
              %7, %8, %9 = split(%x) {axis=1, sizes=<1, 2, 3>} : f32[B, 1], f32[B, 2], f32[B, 3]
              %10 = concat(%9, %7, %8) {axis=-1} : f32[B, 6]
              %11 = slice(%x) {axes=[1], starts=<1,>, steps=[2], stops=<6,>} : f32[B, 3]
              %12 = slice(%5) {axes=[0, 2], starts=<1, 0>, steps=[1, 3], stops=<B, 5>} : f32[B - 1, 3, 2]
              %13 = reshape(%x) {shape=<B * 6,>} : f32[B * 6]
              output output0 = %1
              output output1 = %4
              output output2 = %5
              output output3 = %6
              output output4 = %10
              output output5 = %11
              output output6 = %12
              output output7 = %13
            }
            """, Tolerance },
        { "sources", """
            graph G(x: f32[B, T]) {
              %0 = full() {dtype=f32, shape=<B, T>, value=<B * T + 1>} : f32[B, T]
              %1 = full() {dtype=f32, shape=<T,>, value=0.25} : f32[T]
              %2 = arange() {dtype=f32, start=<1>, stop=<T + 3>, step=2} : f32[(T + 3) / 2]
              %3 = arange() {dtype=i64, start=<T>, stop=<0>, step=-1} : i64[T]
              %4 = arange() {dtype=i32, start=<0>, stop=<B * T>, step=1} : i32[B * T]
              %5 = full() {dtype=bool, shape=<2,>, value=true} : bool[2]
              %6 = full() {dtype=i64, shape=<>, value=<T>} : i64[]
              %7 = constant() {dtype=f32, shape=<2, 2>, values=[1.0, 2.0, 3.0, 4.0]} : f32[2, 2]
              %8 = constant() {dtype=f32, shape=<3, 3>, values=[0.5]} : f32[3, 3]
              %9 = add(%x, %0) : f32[B, T]
              %10 = add(%9, %1) : f32[B, T]
              %11 = full() {dtype=bool, shape=<3,>, value=0.5} : bool[3]
              %12 = constant() {dtype=bool, shape=<4,>, values=[0.0, 0.25, -1.0, nan]} : bool[4]
              %13 = full() {dtype=i64, shape=<(T + 3) / 2,>, value=<T % 3 + (2 * T - 1) / 3>} : i64[(T + 3) / 2]
              %14 = constant() {dtype=i32, shape=<3,>, values=[-2.7, 2.7, 3000000000.0]} : i32[3]
              output output0 = %10
              output output1 = %2
              output output2 = %3
              output output3 = %4
              output output4 = %5
              output output5 = %6
              output output6 = %7
              output output7 = %8
              output output8 = %11
              output output9 = %12
              output output10 = %13
              output output11 = %14
              output output12 = %x
              output output13 = %10
            }
            """, Tolerance },
        { "indexing", """
            graph G(x: f32[6, 4], rows: i64[9], g: i64[6, 3], ids: i64[2, 5], to: i64[9], small: i32[4]) {
              %0 = index_select(%x, %rows) {axis=0} : f32[9, 4]
              %1 = index_select(%x, %ids) {axis=0} : f32[2, 5, 4]
              %2 = gather(%x, %g) {axis=1} : f32[6, 3]
              %3 = scatter_add(%0, %to) {size=<7>} : f32[7, 4]
              %4 = one_hot(%ids) {depth=<6>, dtype=f32} : f32[2, 5, 6]
              %5 = one_hot(%ids) {depth=<6>, dtype=i64} : i64[2, 5, 6]
              %6, %7 = topk(%x) {axis=1, k=3} : f32[6, 3], i64[6, 3]
              %8 = constant() {dtype=f32, shape=<3, 4>, values=[1.0, 3.0, 3.0, 2.0, 5.0, 5.0, 5.0, 5.0, 0.0, -1.0, 0.0, 0.0]} : f32[3, 4]
              %9, %10 = topk(%8) {axis=-1, k=3} : f32[3, 3], i64[3, 3]
              %11 = scatter_add(%rows, %to) {size=<7>} : i64[7]
              %12 = index_select(%x, %small) {axis=0} : f32[4, 4]
              %13 = one_hot(%small) {depth=<6>, dtype=bool} : bool[4, 6]
              output output0 = %0
              output output1 = %1
              output output2 = %2
              output output3 = %3
              output output4 = %4
              output output5 = %5
              output output6 = %6
              output output7 = %7
              output output8 = %10
              output output9 = %11
              output output10 = %12
              output output11 = %13
            }
            """, Tolerance },
        { "network", """
            graph G(x: f32[B, 3, 8], a: f32[5, 8], group: i64[5]) {
              param w: f32[8, 4] = normal(0.5)
              param gw: f32[3, 8, 6] = normal(0.5)
              param lw: f32[3, 8] = normal(1.0)
              param lb: f32[3, 8] = normal(1.0)
              param rw: f32[8] = normal(1.0)
              %0 = matmul(%x, %w) : f32[B, 3, 4]
              %1 = grouped_matmul(%a, %gw, %group) : f32[5, 6]
              %2 = layer_norm(%x, %lw, %lb) {eps=1e-5} : f32[B, 3, 8]
              %3 = rms_norm(%x, %rw) {eps=1e-6} : f32[B, 3, 8]
              %4 = reshape(%x) {shape=<B, 1, 3, 8>} : f32[B, 1, 3, 8]
              %5 = attention(%4, %4, %4) {causal=true} : f32[B, 1, 3, 8]
              %6 = matmul(%a, %rw) : f32[5]
              output output0 = %0
              output output1 = %1
              output output2 = %2
              output output3 = %3
              output output4 = %5
              output output5 = %6
              output output6 = %lw
            }
            """, Tolerance },
        { "attention masks", """
            graph G(q: f32[2, 4, 3, 8], k: f32[2, 2, 4, 8], v: f32[2, 2, 4, 5], kv: f32[2, 4, 5, 8]) {
              %0 = constant() {dtype=bool, shape=<3, 4>, values=[1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1]} : bool[3, 4]
              %1 = attention(%q, %k, %v, %0) : f32[2, 4, 3, 5]
              %2 = constant() {dtype=f32, shape=<2, 1, 3, 4>, values=[0.0, -inf, 1.0, 0.5, -inf, -inf, -inf, -inf, 0.0, 0.0, -2.0, 3.0, -inf, -inf, -inf, 0.0, 1.0, 1.0, 1.0, 1.0, -inf, 2.0, -inf, -inf]} : f32[2, 1, 3, 4]
              %3 = attention(%q, %k, %v, %2) {scale=0.5} : f32[2, 4, 3, 5]
              %4 = attention(%q, %k, %v, %0) {causal=true} : f32[2, 4, 3, 5]
              %5 = attention(%kv, %q, %q) {causal=true} : f32[2, 4, 5, 8]
              output output0 = %1
              output output1 = %3
              output output2 = %4
              output output3 = %5
            }
            """, Tolerance },
        { "half precision", """
            graph G(x: f32[4, 8]) {
              param w: f32[8, 3] = normal(0.5)
              %0 = cast(%x) {dtype=f16} : f16[4, 8]
              %1 = cast(%w) {dtype=f16} : f16[8, 3]
              %2 = matmul(%0, %1) : f16[4, 3]
              %3 = add(%2, %2) : f16[4, 3]
              %4 = cast(%3) {dtype=f32} : f32[4, 3]
              %5 = cast(%x) {dtype=bf16} : bf16[4, 8]
              %6 = cast(%5) {dtype=f32} : f32[4, 8]
              %7 = full() {dtype=bf16, shape=<2,>, value=0.1} : bf16[2]
              %8 = cast(%7) {dtype=f32} : f32[2]
              %9 = constant() {dtype=f16, shape=<2,>, values=[0.1, 70000.0]} : f16[2]
              %10 = cast(%9) {dtype=f32} : f32[2]
              output output0 = %4
              output output1 = %6
              output output2 = %8
              output output3 = %10
            }
            """, 1.0 / 1024 },
    };

    [Theory]
    [MemberData(nameof(OpGraphs))]
    public void OpsAgree(string name, string ir, double tolerance)
    {
        var graph = IrParser.Parse(ir);
        IrVerifier.VerifyOrThrow(graph, name);
        using var weights = WeightSet.Initialize(graph, 0);
        var model = Export(graph, weights);
        Compare(graph, model, weights, Dims(("B", 3), ("T", 4)), name.Replace(' ', '_'), tolerance: tolerance);
    }

    [Fact]
    public void TheOpGraphsCoverThePrimitiveSet()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in OpGraphs)
            foreach (var node in IrParser.Parse((string)row[1]).Nodes) used.Add(node.Op.Name);
        var missing = Ops.All.Select(o => o.Name).Where(n => !used.Contains(n) && !OnnxExporter.Unsupported.ContainsKey(n)).ToList();
        Assert.Empty(missing);
        Assert.Equal(new[] { "randn" }, OnnxExporter.Unsupported.Keys);
    }

    [Fact]
    public void ConstantsConvertAsTheRuntimeStoresThem()
    {
        // Regression: a float value filling bools is v != 0 in the runtime (0.5 is true), not a truncation to 0;
        // integers truncate toward zero and wrap to the width; bf16 rounds once from the double.
        var graph = IrParser.Parse("""
            graph G() {
              %0 = full() {dtype=bool, shape=<2,>, value=0.5} : bool[2]
              %1 = constant() {dtype=i32, shape=<2,>, values=[-2.7, 3000000000.0]} : i32[2]
              %2 = full() {dtype=bf16, shape=<1,>, value=1.00390625} : bf16[1]
              %3 = cast(%2) {dtype=f32} : f32[1]
              output output0 = %0
              output output1 = %1
              output output2 = %3
            }
            """);
        using var weights = WeightSet.Initialize(graph, 0);
        var model = Export(graph, weights);
        var outputs = OrtUtil.Run(model, new Dictionary<string, Tensor>(), new[] { ("output0", DType.Bool), ("output1", DType.I32), ("output2", DType.F32) });
        Assert.Equal(new[] { 1.0, 1.0 }, outputs[0]);
        Assert.Equal(new[] { -2.0, unchecked((int)3000000000L) }, outputs[1]);
        Assert.Equal(new[] { 1.0 }, outputs[2]);   // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: to even
        Compare(graph, model, weights, Dims(), "constants");
    }

    [Fact]
    public void AttributesThatAreZeroAreWritten()
    {
        // Regression: with proto3 semantics TopK's axis = 0 and ReduceSum's keepdims = 0 were left out of the
        // file, and ONNX's checker and shape inference read the defaults (-1 and 1); ONNX Runtime read 0.
        var graph = IrParser.Parse("""
            graph G(x: f32[5, 4]) {
              %0, %1 = topk(%x) {axis=0, k=2} : f32[2, 4], i64[2, 4]
              %2 = sum(%x) {axes=[0], keepdim=false} : f32[4]
              output output0 = %0
              output output1 = %2
            }
            """);
        using var weights = WeightSet.Initialize(graph, 0);
        var model = Compiler.CodeGen.Onnx.Proto.ModelProto.Parser.ParseFrom(Export(graph, weights));
        var attributes = model.Graph.Node.Where(n => n.OpType is "TopK" or "ReduceSum").SelectMany(n => n.Attribute).ToList();
        Assert.Contains(attributes, a => a.Name == "axis" && a.HasI && a.I == 0);
        Assert.Contains(attributes, a => a.Name == "keepdims" && a.HasI && a.I == 0);
        Compare(graph, Export(graph, weights), weights, Dims(), "zeros");
    }

    // ------------------------------------------------------------------ what cannot be exported

    [Fact]
    public void RandnIsADiagnosticNamingIt()
    {
        var graph = IrParser.Parse("""
            graph G(x: f32[2, 3]) {
              %0 = randn() {dtype=f32, seed=1, shape=<2, 3>} : f32[2, 3]
              %1 = add(%x, %0) : f32[2, 3]
              output output = %1
            }
            """);
        var result = OnnxExporter.Export(graph, _ => ReadOnlyMemory<byte>.Empty);
        Assert.Null(result.Model);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("DSK4101", d.Code);
        Assert.Contains("cannot export randn", d.Message);
        Assert.Contains("RandomNormal", d.Message);
    }

    [Fact]
    public void ADimNoInputGivesIsADiagnostic()
    {
        var graph = IrParser.Parse("""
            graph G(y: f32[T * T]) {
              %0 = arange() {dtype=i64, start=<0>, stop=<T>, step=1} : i64[T]
              output output = %0
            }
            """);
        var result = OnnxExporter.Export(graph, _ => ReadOnlyMemory<byte>.Empty);
        Assert.Null(result.Model);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("DSK4102", d.Code);
        Assert.Contains("dimension T is not the size of an axis of any input, nor solvable from one", d.Message);
    }

    [Fact]
    public void ADimGivenOnlyAsAnExpressionIsSolved()
    {
        // T from an axis of size 2 * T + 1 (y) and S from S - 3 (z), as the interpreter binds them.
        var graph = IrParser.Parse("""
            graph G(y: f32[2 * T + 1], z: f32[S - 3]) {
              %0 = arange() {dtype=i64, start=<0>, stop=<T * S>, step=1} : i64[T * S]
              %1 = full() {dtype=f32, shape=<S, T>, value=<T - S>} : f32[S, T]
              output output0 = %0
              output output1 = %1
            }
            """);
        using var weights = WeightSet.Initialize(graph, 0);
        Compare(graph, Export(graph, weights), weights, Dims(("T", 3), ("S", 5)), "solved");
    }

    [Fact]
    public void WrongWeightDataIsADiagnostic()
    {
        var graph = IrParser.Parse("""
            graph G(x: f32[2, 3]) {
              param w: f32[3, 3] = ones
              %0 = matmul(%x, %w) : f32[2, 3]
              output output = %0
            }
            """);
        var result = OnnxExporter.Export(graph, _ => new byte[12]);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal("DSK4104", d.Code);
        Assert.Contains("weight 'w' (f32[3, 3]) needs 36 bytes, got 12", d.Message);
    }

    // ------------------------------------------------------------------ machinery

    private static Dictionary<string, long> Dims(params (string Name, long Value)[] dims) => dims.ToDictionary(d => d.Name, d => d.Value, StringComparer.Ordinal);

    private static (Graph Elaborated, Graph Compiled) CompileBoth(string source, string model, IReadOnlyDictionary<string, long> dims)
    {
        var fs = new MemoryFileSystem().Add("/mem/test.dsk", source);
        var compilation = Compilation.Create(SourceLoader.Load(new[] { "/mem/test.dsk" }, fs));
        var symbol = compilation.Models.FirstOrDefault(m => m.Name == model) ?? throw new InvalidOperationException(
            $"no model {model}:\n" + string.Join("\n", compilation.Diagnostics.Select(d => d.ToString())));
        var elaborated = compilation.GetModel(symbol);
        if (elaborated.Graph == null || elaborated.Diagnostics.Any(d => d.IsError))
            throw new InvalidOperationException("compilation failed:\n" + string.Join("\n", elaborated.Diagnostics.Select(d => d.ToString())));
        var known = elaborated.Graph.SymbolicDims.ToHashSet();
        var bind = dims.Where(kv => known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var (compiled, _, error) = CompiledModel.Compile(compilation, symbol, bind);
        Assert.Null(error);
        return (elaborated.Graph, compiled!.Graph);
    }

    private static byte[] Export(Graph graph, WeightSet weights)
    {
        var result = OnnxExporter.Export(graph, name => weights[name].AsBytes().ToArray());
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Select(d => d.ToString())));
        return result.Model!;
    }

    /// <summary>Exports the compiled graph (dims left symbolic unless bound) and compares ORT with eager on the elaborated one.</summary>
    private void Agree(string source, string model, Dictionary<string, long> dims, string? label = null)
    {
        var watch = Stopwatch.StartNew();
        var (elaborated, compiled) = CompileBoth(source, model, new Dictionary<string, long>());
        using var weights = WeightSet.Initialize(elaborated, 0);
        var onnx = Export(compiled, weights);
        var exported = watch.Elapsed;
        Compare(elaborated, onnx, weights, dims, label ?? model);
        _log.WriteLine($"{label ?? model}: {compiled.Nodes.Length} IR nodes, {onnx.Length:N0} bytes; export {exported.TotalMilliseconds:F0} ms, all {watch.Elapsed.TotalMilliseconds:F0} ms");
    }

    private static (double[] Values, long[] Shape) Run(string source, string model, Dictionary<string, long> dims)
    {
        var (elaborated, _) = CompileBoth(source, model, new Dictionary<string, long>());
        using var weights = WeightSet.Initialize(elaborated, 0);
        var inputs = MakeInputs(elaborated, dims, 0);
        try
        {
            using var result = new EagerInterpreter(elaborated).Run(inputs, weights, dims.Where(kv => elaborated.SymbolicDims.Contains(kv.Key)).ToDictionary());
            return (result.Output.ToDoubleArray(), result.Output.Shape.ToArray());
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    private static Dictionary<string, Tensor> MakeInputs(Graph graph, Dictionary<string, long> dims, long seed)
    {
        var bound = dims.Where(kv => graph.SymbolicDims.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
            inputs[input.Name] = RandomInputs.Make(graph, input, EagerInterpreter.Evaluate(input.Value.Type.Shape, bound), seed, bound);
        return inputs;
    }

    private void Compare(Graph graph, byte[] model, WeightSet weights, Dictionary<string, long> dims, string label, long seed = 0, double tolerance = Tolerance)
    {
        Check(model, label);
        var inputs = MakeInputs(graph, dims, seed);
        try
        {
            var bound = dims.Where(kv => graph.SymbolicDims.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            using var expected = new EagerInterpreter(graph).Run(inputs, weights, bound);
            using var session = Session(model);
            var names = graph.Inputs.Select(i => i.Name).ToArray();
            var values = names.Select(n => ToOrt(inputs[n])).ToArray();
            try
            {
                using var runOptions = new RunOptions();
                var outputNames = graph.Outputs.Select(o => o.Name).ToArray();
                using var actual = session.Run(runOptions, names, values, outputNames);
                for (int i = 0; i < outputNames.Length; i++)
                {
                    var want = expected[outputNames[i]];
                    var got = actual[i];
                    var info = got.GetTensorTypeAndShape();
                    Assert.True(want.Shape.SequenceEqual(info.Shape), $"{label} {outputNames[i]}: ORT gives shape [{string.Join(", ", info.Shape)}], eager {want.TypeText()}");
                    var a = FromOrt(got, want.DType);
                    var b = want.ToDoubleArray();
                    if (want.DType.IsFloat())
                    {
                        // NaN and infinities where the reference has them, and the error over the finite rest.
                        for (int e = 0; e < a.Length; e++)
                            if (!double.IsFinite(a[e]) || !double.IsFinite(b[e]))
                                Assert.True(a[e].Equals(b[e]), $"{label} {outputNames[i]}: element {e} is {a[e]} from ORT, {b[e]} from eager");
                        var finite = Enumerable.Range(0, a.Length).Where(e => double.IsFinite(b[e])).ToArray();
                        double error = RelativeError(finite.Select(e => a[e]).ToArray(), finite.Select(e => b[e]).ToArray());
                        Assert.True(error <= tolerance, $"{label} {outputNames[i]}: relative error {error:G3} > {tolerance:G3}");
                        _log.WriteLine($"{label} {outputNames[i]} {want.TypeText()}: relative error {error:G3}");
                    }
                    else Assert.True(a.SequenceEqual(b), $"{label} {outputNames[i]}: ORT [{string.Join(", ", a.Take(30))}] eager [{string.Join(", ", b.Take(30))}]");
                }
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
        finally
        {
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    private static double RelativeError(double[] actual, double[] expected) =>
        actual.Length == 0 && expected.Length == 0 ? 0 : TestUtil.RelativeError(actual, expected);

    private static double RelativeError((double[] Values, long[] Shape) a, (double[] Values, long[] Shape) b) => RelativeError(a.Values, b.Values);

    // ------------------------------------------------------------------ onnx.checker

    /// <summary>onnx.checker.check_model with full_check (strict shape inference); skipped, with a message, without python3-onnx.</summary>
    private void Check(byte[] model, string label)
    {
        if (OnnxChecker.Missing is { } why)
        {
            _log.WriteLine($"onnx.checker skipped: {why}");
            return;
        }
        var path = Path.Combine(Path.GetTempPath(), $"onnx-tests-{label}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            if (OnnxChecker.Check(path) is not { } error) return;
            var kept = Path.Combine(Path.GetTempPath(), $"onnx-tests-rejected-{label}.onnx");
            File.Copy(path, kept, true);
            Assert.Fail($"onnx.checker rejects {label} (kept as {kept}): {error}");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
