using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Passes;
using DeepSeek.Lang.Runtime.Compiled;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Tests.Compiled;

/// <summary>The compiled engine (fused, generated kernels) against the eager interpreter.</summary>
public class CompiledEngineTests
{
    /// <summary>Each example's top-level module at a size that runs in milliseconds.</summary>
    public static readonly TheoryData<string, string, string> SmallExamples = new()
    {
        { "mixtral_8x7b.dsk", "model Small = MixtralForCausalLM(vocab: 64, d: 32, n_layers: 2, heads: 4, kv_heads: 2, head_dim: 8, ffn: 48, experts: 4, top_k: 2)", "B=2,T=6" },
        { "deepseek_moe_16b.dsk", "model Small = DeepSeekMoEForCausalLM(vocab: 64, d: 32, n_layers: 3, first_k_dense: 1, heads: 4, ffn: 48, moe_ffn: 16, experts: 6, shared: 2, top_k: 3)", "B=2,T=5" },
        { "deepseek_v3.dsk", "model Small = DeepSeekV3ForCausalLM(vocab: 64, d: 32, n_layers: 3, first_k_dense: 1, heads: 4, q_lora_rank: 16, kv_lora_rank: 8, qk_nope_head_dim: 8, qk_rope_head_dim: 4, v_head_dim: 8, ffn: 48, moe_ffn: 16, experts: 8, shared: 1, top_k: 2, routed_scale: 2.5)", "B=2,T=5" },
        { "megatron_gpt.dsk", "model Small = MegatronGPT(64, 16, d: 32, n_layers: 2, heads: 4)", "B=2,T=8" },
        { "cross_modal_attention.dsk", "model Small = CrossModalAttention(text_dim: 24, vision_dim: 40, d: 32, heads: 4)", "B=2,S=5,P=7" },
        { "sparse_moe.dsk", "model Small = SparseMoE(d: 16, hidden: 32, experts: 4, top_k: 2)", "B=2,T=9" },
        { "fraud_gcn.dsk", "model Small = FraudDetector(features: 12, hidden: 16)", "N=20,E=60" },
    };

    [Theory]
    [MemberData(nameof(SmallExamples))]
    public void Every_example_agrees_with_the_eager_interpreter(string file, string model, string dims)
    {
        var text = File.ReadAllText(Path.Combine(TestUtil.RepoRoot, "examples", file)) + "\n" + model + "\n";
        var bound = Dims(dims);
        var (graph, inputs) = Prepare(text, "Small", bound);
        AssertAgrees(graph, inputs, bound, 1e-3);
    }

    [Fact]
    public void An_elementwise_chain_is_one_kernel()
    {
        var plan = Plan("""
            module M(d: int) {
              forward(x: f32[N, d], y: f32[d]) -> f32[N, d] {
                return tanh(exp(x) * 2.0 + y) - sigmoid(x)
              }
            }
            model Small = M(16)
            """, "N=5");
        Assert.Equal(1, plan.FusedKernels);
    }

    [Theory]
    [InlineData("softmax(x * 0.5, axis: -1) + 1.0")]
    [InlineData("layer_norm(exp(x), w, b, 1e-5) * 3.0")]
    [InlineData("rms_norm(x + 1.0, w, 1e-6) - x")]
    [InlineData("x - x.mean(axis: -1, keepdim: true)")]
    public void A_reduction_with_its_prologue_and_epilogue_is_one_kernel(string expression)
    {
        var source = $$"""
            module M(d: int) {
              param w: f32[d] = normal(1.0)
              param b: f32[d] = normal(1.0)
              forward(x: f32[N, d]) -> f32[N, d] {
                return {{expression}}
              }
            }
            model Small = M(24)
            """;
        var bound = new Dictionary<string, long> { ["N"] = 7 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        var plan = FusionPlanner.Plan(graph);
        Assert.True(plan.FusedKernels <= 2, string.Join("; ", plan.Groups));
        Assert.Contains(plan.Groups, g => g.Kind == GroupKind.Reduction && g.Nodes.Count > 1);
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Theory]
    [InlineData("x.sum()")]
    [InlineData("(x * x).mean()")]
    [InlineData("x.max()")]
    public void A_reduction_to_a_scalar_runs_serially_and_agrees(string expression)
    {
        // A reduction over every axis has no row loop to parallelise: its loops must stay serial.
        var source = $$"""
            module M(d: int) {
              forward(x: f32[N, d]) -> (f32[N, d], f32[]) {
                return (x + 1.0, {{expression}})
              }
            }
            model Small = M(40)
            """;
        var bound = new Dictionary<string, long> { ["N"] = 37 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Theory]
    [InlineData("x.sum(axis: 0)")]                    // the leading axis (a mixture-of-experts combine)
    [InlineData("x.mean(axis: 1, keepdim: true)")]    // a middle axis
    public void A_reduction_over_leading_axes_runs_on_a_fast_kernel(string expression)
    {
        var source = $$"""
            module M(d: int) {
              forward(x: f32[K, N, d]) -> f32[*S] {
                return {{expression}}
              }
            }
            model Small = M(40)
            """;
        var bound = new Dictionary<string, long> { ["K"] = 3, ["N"] = 37 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        Assert.Equal(new[] { "fast" }, StepKinds(graph, inputs));
        AssertAgrees(graph, inputs, bound, 1e-5);
    }

    [Theory]
    [InlineData("x.split([1, 3, 2], axis: 1)[1] * 2.0")]   // a middle axis, one piece unread
    [InlineData("x.split([20, 20], axis: 2)[0] + 1.0")]    // the last axis
    public void Split_copies_its_pieces_on_a_fast_kernel(string expression)
    {
        var source = $$"""
            module M(d: int) {
              forward(x: f32[K, 6, d]) -> f32[*S] {
                return {{expression}}
              }
            }
            model Small = M(40)
            """;
        var bound = new Dictionary<string, long> { ["K"] = 3 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        Assert.Contains("fast", StepKinds(graph, inputs));
        Assert.DoesNotContain("library", StepKinds(graph, inputs));
        AssertAgrees(graph, inputs, bound, 1e-6);
    }

    [Fact]
    public void An_integer_sum_runs_on_a_fast_kernel()
    {
        var source = """
            module M(d: int) {
              forward(x: i64[K, d]) -> (i64[K], i64[d]) {
                return (x.sum(axis: -1), x.sum(axis: 0))
              }
            }
            model Small = M(40)
            """;
        var bound = new Dictionary<string, long> { ["K"] = 5 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        Assert.DoesNotContain("library", StepKinds(graph, inputs));
        AssertAgrees(graph, inputs, bound, 0);
    }

    [Fact]
    public void A_matmul_takes_bias_activation_and_residual_as_its_epilogue()
    {
        var source = """
            module M(d: int, h: int) {
              lin = Linear(d, h)
              forward(x: f32[N, d], r: f32[N, h]) -> f32[N, h] {
                return gelu(lin(x)) + r
              }
            }
            model Small = M(16, 24)
            """;
        var bound = new Dictionary<string, long> { ["N"] = 9 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        var plan = FusionPlanner.Plan(graph);
        var gemm = Assert.Single(plan.Groups, g => g.Kind == GroupKind.Gemm);
        Assert.Equal("transpose matmul add gelu add", string.Join(" ", gemm.Nodes.Select(n => n.Op.Name)));
        Assert.Equal(1, plan.FusedKernels);
        Assert.Equal(new[] { "gemm" }, StepKinds(graph, inputs));
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Theory]
    [InlineData("x @ w", "N=5")]                       // one product
    [InlineData("x @ w.T", "N=5")]                     // a transposed weight
    [InlineData("x.T @ y", "N=5")]                     // a transposed input
    [InlineData("relu(x @ w + b) + y @ w.T @ w", "N=7")]
    [InlineData("xb @ w + b", "N=4")]                  // a batch sharing one weight
    [InlineData("xb @ wb + bb", "N=4")]                // a weight and a bias row a batch item
    [InlineData("xb @ xb.transpose(1, 2)", "N=3")]     // batched, transposed, both operands inputs
    [InlineData("(xb @ w + b).reshape(3 * N, 24)", "N=4")] // the output is a view of the product's buffer
    public void Matrix_products_run_on_the_gemm_kernel(string expression, string dims)
    {
        var source = $$"""
            module M(d: int, e: int) {
              param w: f32[d, d] = normal(0.5)
              param b: f32[d] = normal(1.0)
              param wb: f32[e, d, d] = normal(0.5)
              param bb: f32[e, 1, d] = normal(1.0)
              forward(x: f32[N, d], y: f32[N, d], xb: f32[e, N, d]) -> f32[*S] {
                return {{expression}}
              }
            }
            model Small = M(24, 3)
            """;
        var bound = Dims(dims);
        var (graph, inputs) = Prepare(source, "Small", bound);
        Assert.Contains("gemm", StepKinds(graph, inputs));
        Assert.DoesNotContain("library", StepKinds(graph, inputs));
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Theory]
    [InlineData(12, 16)]
    [InlineData(16, 12)]
    public void Message_passing_gathers_scales_and_scatters_in_one_kernel(int features, int hidden)
    {
        var source = $$"""
            module M(features: int, hidden: int) {
              gcn = GraphConv(features, hidden)
              sage = SAGEConv(hidden, 8)
              forward(x: f32[N, features], edges: i64[2, E]) -> f32[N, 8] {
                return sage(relu(gcn(x, edges)), edges)
              }
            }
            model Small = M({{features}}, {{hidden}})
            """;
        var bound = new Dictionary<string, long> { ["N"] = 23, ["E"] = 71 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        var plan = FusionPlanner.Plan(graph);
        // GraphConv's messages: gather, scale and scatter in one group; SAGEConv's mean: gather and scatter.
        Assert.Contains(plan.Groups, g => string.Join(" ", g.Nodes.Select(n => n.Op.Name).Order()) == "index_select mul scatter_add");
        Assert.Contains(plan.Groups, g => string.Join(" ", g.Nodes.Select(n => n.Op.Name).Order()) == "index_select scatter_add");
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Theory]
    [InlineData(0.0)]  // dropless: tokens sorted by expert, one grouped product
    [InlineData(1.0)]  // capacity: an [experts, capacity, d] batch with tokens dropped
    public void Routed_experts_run_their_products_on_the_gemm_kernel(double capacity)
    {
        var source = $$"""
            module M(d: int, hidden: int, experts: int) {
              gate = Linear(d, experts, bias: false)
              experts = FeedForward(d, hidden)[experts]
              forward(x: f32[N, d]) -> f32[N, d] {
                return route(x, gate(x), experts, top_k: 2, capacity: {{capacity.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}})
              }
            }
            model Small = M(24, 40, 5)
            """;
        var bound = new Dictionary<string, long> { ["N"] = 33 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        var kinds = StepKinds(graph, inputs);
        Assert.True(kinds.Count(k => k == "gemm") >= 3, string.Join(" ", kinds)); // the gate and both expert products
        Assert.DoesNotContain(FusionPlanner.Plan(graph).Groups, g => g.Kind == GroupKind.Library && g.Anchor.Op == Ops.MatMul);
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Fact]
    public void Attention_reads_and_writes_through_the_head_transposes()
    {
        var source = """
            module M(d: int, heads: int) {
              attn = MultiheadAttention(d, heads, kv_heads: 2, causal: true, bias: false)
              forward(x: f32[B, T, d]) -> f32[B, T, d] {
                return attn(x)
              }
            }
            model Small = M(32, 4)
            """;
        var bound = new Dictionary<string, long> { ["B"] = 2, ["T"] = 9 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        var plan = FusionPlanner.Plan(graph);
        var attention = Assert.Single(plan.Groups, g => g.Anchor.Op == Ops.Attention);
        Assert.Equal(4, attention.Nodes.Count(n => n.Op == Ops.Transpose));
        Assert.DoesNotContain(plan.Groups, g => g.Kind == GroupKind.Pointwise && g.Nodes.All(n => n.Op == Ops.Transpose));
        AssertAgrees(graph, inputs, bound, 1e-4);
    }

    [Fact]
    public void The_second_build_of_a_model_compiles_nothing()
    {
        var source = "module M(d: int) {\n  forward(x: f32[N, d]) -> f32[N, d] {\n    return relu(x) * 3.0 + 0.25\n  }\n}\nmodel Small = M(12)\n";
        var bound = new Dictionary<string, long> { ["N"] = 3 };
        var (graph, inputs) = Prepare(source, "Small", bound);
        using var weights = WeightSet.Initialize(graph, 0);
        using (CompiledExecutor.Build(graph, weights))
        {
        }
        int before = KernelCompiler.Compilations;
        using (CompiledExecutor.Build(graph, weights))
        {
        }
        Assert.Equal(before, KernelCompiler.Compilations);
        foreach (var t in inputs.Values) t.Dispose();
    }

    // ------------------------------------------------------------------ helpers

    internal static Dictionary<string, long> Dims(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1]));

    /// <summary>The model's optimised graph with its dims bound, and random inputs made as dskc run makes them.</summary>
    internal static (Graph Graph, Dictionary<string, Tensor> Inputs) Prepare(string source, string model, IReadOnlyDictionary<string, long> dims)
    {
        var fs = new MemoryFileSystem().Add("/mem/test.dsk", source);
        var compilation = Compilation.Create(SourceLoader.Load(new[] { "/mem/test.dsk" }, fs));
        var symbol = compilation.Symbols.FindModel(model) ?? throw new InvalidOperationException(
            "no model:\n" + string.Join("\n", compilation.Diagnostics.Select(d => d.ToString())));
        var (compiled, diagnostics, error) = CompiledModel.Compile(compilation, symbol, dims);
        Assert.True(compiled != null, error?.ToString() + string.Join("\n", diagnostics.Select(d => d.ToString())));
        IrVerifier.VerifyOrThrow(compiled!.Graph, "compile");
        var graph = compiled.Graph;
        var inputs = graph.Inputs.ToDictionary(i => i.Name, i => RandomInputs.Make(graph, i, i.Value.Type.Shape.ToConcrete(), 3, dims));
        return (graph, inputs);
    }

    private static FusionPlan Plan(string source, string dims)
    {
        var (graph, inputs) = Prepare(source, "Small", Dims(dims));
        foreach (var t in inputs.Values) t.Dispose();
        return FusionPlanner.Plan(graph);
    }

    /// <summary>How each step of the compiled plan ran (gemm, generated, attention, fast, library), in order.</summary>
    private static List<string> StepKinds(Graph graph, Dictionary<string, Tensor> inputs)
    {
        using var weights = WeightSet.Initialize(graph, 1);
        using var executor = CompiledExecutor.Build(graph, weights);
        var profile = new ExecutionProfile();
        executor.Run(inputs, profile).Dispose();
        return profile.Steps.OrderBy(s => s.Group).Select(s => s.Kind).ToList();
    }

    /// <summary>Compiled (fused and unfused) against eager: relative error ‖a−b‖/‖b‖ within <paramref name="tolerance"/> for every output.</summary>
    internal static void AssertAgrees(Graph graph, Dictionary<string, Tensor> inputs, IReadOnlyDictionary<string, long> dims, double tolerance)
    {
        using var weights = WeightSet.Initialize(graph, 1);
        using var expected = new EagerInterpreter(graph).Run(inputs, weights, dims);
        foreach (bool fuse in new[] { true, false })
        {
            using var executor = CompiledExecutor.Build(graph, weights, fuse);
            using var actual = executor.Run(inputs);
            Assert.Equal(expected.Outputs.Count, actual.Outputs.Count);
            for (int i = 0; i < expected.Outputs.Count; i++)
            {
                var e = expected.Outputs[i].Tensor;
                var a = actual.Outputs[i].Tensor;
                Assert.Equal(e.TypeText(), a.TypeText());
                var error = TestUtil.RelativeError(a.ToDoubleArray(), e.ToDoubleArray());
                Assert.True(error <= tolerance, $"{expected.Outputs[i].Name} (fuse={fuse}): relative error {error:E2} > {tolerance:E0}");
            }
        }
        foreach (var t in inputs.Values) t.Dispose();
    }
}
