using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Fusion;

/// <summary>
/// What may be fused with what. The op categories form the lattice; on top of it each rule checks
/// that the merged kernel still has one iteration space that every fused op can be evaluated in.
/// </summary>
internal static class FusionRules
{
    /// <summary>Reshapes of contiguous data copy nothing.</summary>
    public static bool IsAlias(Node n) => n.Op == Ops.Reshape || n.Op == Ops.Squeeze || n.Op == Ops.Unsqueeze;

    /// <summary>Views that a kernel absorbs into the strides of its loads.</summary>
    public static bool IsView(Node n) => n.Op == Ops.Transpose || n.Op == Ops.Expand || n.Op == Ops.Slice;

    private static readonly HashSet<string> Reductions = new(StringComparer.Ordinal)
    {
        "sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax", "layer_norm", "rms_norm",
    };

    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal) { "relu", "gelu", "silu", "sigmoid", "tanh" };

    public static GroupKind KindOf(Node n)
    {
        if (IsAlias(n)) return GroupKind.Alias;
        if (n.Op == Ops.MatMul) return GroupKind.Gemm;
        if (Reductions.Contains(n.Op.Name) && IsLastAxesReduction(n)) return GroupKind.Reduction;
        if (n.Op.Category is OpCategory.Elementwise or OpCategory.Broadcast || IsView(n) || n.Op == Ops.Full || n.Op == Ops.Arange)
            return GroupKind.Pointwise;
        return GroupKind.Library;
    }

    /// <summary>Row reductions over the trailing axes (softmax over the last axis, layer_norm over the weight's axes, sum over the last axes).</summary>
    public static bool IsLastAxesReduction(Node n)
    {
        var input = n.Inputs[0].Type;
        int rank = input.Rank;
        if (rank == 0) return false;
        switch (n.Op.Name)
        {
            case "softmax":
            case "log_softmax":
                {
                    long axis = n.Attributes.GetInt("axis");
                    return axis == -1 || axis == rank - 1;
                }
            case "layer_norm":
            case "rms_norm":
                return true;
            default:
                {
                    var axes = n.Attributes.GetInts("axes").Select(a => a < 0 ? a + rank : a).OrderBy(a => a).ToList();
                    if (axes.Count == 0) return false;
                    for (int i = 0; i < axes.Count; i++)
                        if (axes[i] != rank - axes.Count + i) return false;
                    return true;
                }
        }
    }

    public static GroupKind MergedKind(KernelGroup producer, KernelGroup consumer)
    {
        if (producer.Kind == GroupKind.Library || consumer.Kind == GroupKind.Library) return GroupKind.Library;
        if (producer.Kind == GroupKind.Gemm || consumer.Kind == GroupKind.Gemm) return GroupKind.Gemm;
        if (producer.Kind == GroupKind.Reduction || consumer.Kind == GroupKind.Reduction) return GroupKind.Reduction;
        return GroupKind.Pointwise;
    }

    /// <remarks>
    /// The checks are a conjunction, so they run cheapest first: the kind pair and the shape rules,
    /// then where the producer's results go, and last the count of the merged kernel's inputs.
    /// </remarks>
    public static bool CanFuse(KernelGroup producer, KernelGroup consumer, FusionPlanner planner)
    {
        if (producer.Nodes.Count + consumer.Nodes.Count > FusionPlanner.MaxNodesPerKernel) return false;
        bool legal = (producer.Kind, consumer.Kind) switch
        {
            (GroupKind.Pointwise, GroupKind.Pointwise) => (producer.Anchor.Op != Ops.Full || producer.Nodes.Count > 1) && SameSpace(producer, consumer, planner),
            (GroupKind.Pointwise, GroupKind.Reduction) => IsPrologue(producer, consumer, planner),
            (GroupKind.Reduction, GroupKind.Pointwise) => IsEpilogue(producer, consumer),
            (GroupKind.Pointwise, GroupKind.Gemm) => IsGemmPrologue(producer, consumer),
            (GroupKind.Gemm, GroupKind.Pointwise) => IsGemmEpilogue(producer, consumer),
            (GroupKind.Pointwise, GroupKind.Library) => IsStridedOperand(producer, consumer) || IsScatterRowScale(producer, consumer),
            (GroupKind.Library, GroupKind.Pointwise) => IsStridedResult(producer, consumer),
            (GroupKind.Library, GroupKind.Library) => IsScatterGather(producer, consumer),
            _ => false,
        };
        if (!legal) return false;
        // Everything the producer computes must be needed only by the consumer (no duplicated work, one writer per value).
        foreach (var n in producer.Nodes)
        {
            foreach (var v in n.Outputs)
            {
                if (planner.IsGraphOutput(v)) return false;
                foreach (int c in planner.ConsumerPositions(v))
                {
                    var g = planner.GroupAt(c);
                    if (!ReferenceEquals(g, consumer) && !ReferenceEquals(g, producer)) return false;
                }
            }
        }
        return planner.InputCount(producer, consumer) <= FusionPlanner.MaxInputsPerKernel;
    }

    /// <summary>A pointwise producer is inlined into a pointwise consumer; recomputing it for broadcast elements is allowed only when it is small.</summary>
    private static bool SameSpace(KernelGroup producer, KernelGroup consumer, FusionPlanner planner)
    {
        var produced = producer.Anchor.Output.Type.Shape.ElementCount;
        var consumed = consumer.Anchor.Outputs[0].Type.Shape.ElementCount;
        _ = planner;
        return produced.Equals(consumed) || producer.Nodes.Count <= 4;
    }

    /// <summary>The producer computes (part of) what the reduction reads, in the reduction's input space.</summary>
    private static bool IsPrologue(KernelGroup producer, KernelGroup consumer, FusionPlanner planner)
    {
        var anchor = consumer.Anchor;
        var space = anchor.Inputs[0].Type.Shape;
        foreach (var n in producer.Nodes)
        {
            foreach (var v in n.Outputs)
            {
                foreach (int position in planner.ConsumerPositions(v))
                {
                    if (!ReferenceEquals(planner.GroupAt(position), consumer)) continue;
                    var user = planner.NodeAt(position);
                    if (user == anchor && anchor.Inputs[0] != v) return false; // weights of a norm are loaded, not computed
                    if (user != anchor && IsAfter(user, anchor, consumer)) return false;
                }
                if (!v.Type.Shape.Equals(space) && producer.Nodes.Count > 4) return false;
            }
        }
        return true;
    }

    private static bool IsAfter(Node user, Node anchor, KernelGroup group) => group.Nodes.IndexOf(user) > group.Nodes.IndexOf(anchor);

    /// <summary>
    /// The consumer applies elementwise ops to the reduction's result, either in the result's space
    /// or, for a per-row result broadcast back over its row (x - mean(x)), in the reduction's input space.
    /// </summary>
    private static bool IsEpilogue(KernelGroup producer, KernelGroup consumer)
    {
        var anchor = producer.Anchor;
        var resultShape = producer.Nodes[producer.Nodes.Count - 1].Output.Type.Shape;
        var inputShape = anchor.Inputs[0].Type.Shape;
        bool perRow = anchor.Output.Type.Rank == inputShape.Rank; // keepdim, softmax, norms
        foreach (var n in consumer.Nodes)
        {
            if (n.Op == Ops.Full) continue;
            if (IsView(n)) return false;
            var shape = n.Outputs[0].Type.Shape;
            if (!shape.Equals(resultShape) && !(perRow && shape.Equals(inputShape))) return false;
        }
        return true;
    }

    /// <summary>Attention reads q, k and v through strides: a transpose that keeps the last axis is free.</summary>
    private static bool IsStridedOperand(KernelGroup producer, KernelGroup consumer) =>
        consumer.Anchor.Op == Ops.Attention && producer.Nodes.Count == 1 && producer.Anchor.Op == Ops.Transpose &&
        KeepsLastAxis(producer.Anchor) && consumer.Anchor.Inputs.Take(3).Contains(producer.Anchor.Output);

    /// <summary>Attention writes its result through strides: a following transpose that keeps the last axis is free.</summary>
    private static bool IsStridedResult(KernelGroup producer, KernelGroup consumer) =>
        producer.Anchor.Op == Ops.Attention && consumer.Nodes.Count == 1 && consumer.Anchor.Op == Ops.Transpose &&
        KeepsLastAxis(consumer.Anchor) && consumer.Anchor.Inputs[0] == producer.Anchor.Output &&
        !producer.Nodes.Any(n => n.Op == Ops.Transpose && n.Inputs[0] == producer.Anchor.Output);

    // Message passing, scatter_add(index_select(x, src) * scale[:, None], dst, size: N), is one pass over
    // the edges (a sparse-dense product) that never writes the gathered rows, one row per edge.

    /// <summary>The rows a scatter_add sums are scaled each by one value: x * s with s of shape [E, 1].</summary>
    private static bool IsScatterRowScale(KernelGroup producer, KernelGroup consumer)
    {
        var scatter = consumer.Anchor;
        if (scatter.Op != Ops.ScatterAdd || consumer.Nodes.Any(n => n.Op == Ops.Mul) || producer.Nodes.Count != 1) return false;
        var mul = producer.Anchor;
        if (mul.Op != Ops.Mul || mul.Output != scatter.Inputs[0] || mul.Output.Type.DType != DType.F32 || mul.Output.Type.Rank != 2) return false;
        var rows = mul.Output.Type.Shape;
        return RowScaled(mul, rows, out _);
    }

    /// <summary>A mul of [E, F] rows by an [E, 1] column (either operand order): the rows operand.</summary>
    public static bool RowScaled(Node mul, Shape rows, out Value rowsOperand)
    {
        rowsOperand = mul.Inputs[0];
        for (int i = 0; i < 2; i++)
        {
            var a = mul.Inputs[i].Type.Shape;
            var b = mul.Inputs[1 - i].Type.Shape;
            if (a.Equals(rows) && b.Rank == 2 && b[0].Equals(rows[0]) && b[1].IsConstant && b[1].ConstantValue == 1)
            {
                rowsOperand = mul.Inputs[i];
                return true;
            }
        }
        return false;
    }

    /// <summary>The rows a scatter_add sums (directly or through its row scale) are gathered by an index_select along axis 0.</summary>
    private static bool IsScatterGather(KernelGroup producer, KernelGroup consumer)
    {
        var scatter = consumer.Anchor;
        if (scatter.Op != Ops.ScatterAdd || producer.Nodes.Count != 1 || consumer.Nodes.Any(n => n.Op == Ops.IndexSelect)) return false;
        var gather = producer.Anchor;
        if (gather.Op != Ops.IndexSelect || gather.Output.Type.DType != DType.F32 || gather.Output.Type.Rank != 2) return false;
        if (gather.Inputs[1].Type.DType != DType.I64 || gather.Attributes.GetInt("axis") is not (0 or -2)) return false;
        if (scatter.Inputs[0] == gather.Output) return true;
        var mul = consumer.Nodes.FirstOrDefault(n => n.Op == Ops.Mul);
        return mul != null && RowScaled(mul, mul.Output.Type.Shape, out var rowsOperand) && rowsOperand == gather.Output;
    }

    private static bool KeepsLastAxis(Node transpose)
    {
        var perm = transpose.Attributes.GetInts("perm");
        return perm.Length > 0 && perm[perm.Length - 1] == perm.Length - 1;
    }

    /// <summary>The node that gives a group its kind: the matmul, the reduction, the library op (a scatter over its gather), else the last node.</summary>
    public static Node AnchorOf(KernelGroup group)
    {
        if (group.Kind == GroupKind.Library)
            foreach (var n in group.Nodes)
                if (n.Op == Ops.ScatterAdd) return n;
        if (group.Kind is GroupKind.Gemm or GroupKind.Reduction or GroupKind.Library)
        {
            foreach (var n in group.Nodes)
                if (group.Kind == GroupKind.Gemm ? n.Op == Ops.MatMul : KindOf(n) == group.Kind) return n;
            throw new InvalidOperationException($"a {group.Kind} group has no {group.Kind} node");
        }
        return group.Nodes[group.Nodes.Count - 1];
    }

    /// <summary>A transpose of the last two axes feeding a matrix product is a transposed operand, not a copy.</summary>
    private static bool IsGemmPrologue(KernelGroup producer, KernelGroup consumer)
    {
        if (producer.Nodes.Count != 1 || producer.Anchor.Op != Ops.Transpose) return false;
        var gemm = consumer.Anchor;
        var perm = producer.Anchor.Attributes.GetInts("perm");
        int r = perm.Length;
        if (r < 2) return false;
        for (int i = 0; i < r - 2; i++)
            if (perm[i] != i) return false;
        return perm[r - 2] == r - 1 && perm[r - 1] == r - 2 && gemm.Inputs.Contains(producer.Anchor.Output);
    }

    /// <summary>
    /// Epilogues a GEMM applies in registers, in this order: + bias (a row vector), an activation,
    /// + residual (same shape). The consumer may bring several of these steps at once, as a chain.
    /// </summary>
    private static bool IsGemmEpilogue(KernelGroup producer, KernelGroup consumer)
    {
        var gemm = producer.Anchor;
        var outShape = gemm.Output.Type.Shape;
        var current = gemm.Output;
        int stage = 0; // 0: nothing yet, 1: bias, 2: activation, 3: residual
        // The producer's steps after the product (not the product, nor transposed operands), then the consumer's.
        int count = producer.Nodes.Count + consumer.Nodes.Count;
        for (int k = 0; k < count; k++)
        {
            var node = k < producer.Nodes.Count ? producer.Nodes[k] : consumer.Nodes[k - producer.Nodes.Count];
            if (k < producer.Nodes.Count && (node == gemm || node.Op == Ops.Transpose)) continue;
            if (node.Op == Ops.Full) continue;
            if (!node.Inputs.Contains(current) || !node.Output.Type.Shape.Equals(outShape) || node.Output.Type.DType != DType.F32) return false;
            int next;
            if (Activations.Contains(node.Op.Name)) next = 2;
            else if (IsBiasAdd(node, outShape)) next = 1;
            else if (node.Op == Ops.Add && (node.Inputs[0] == current ? node.Inputs[1] : node.Inputs[0]).Type.Shape.Equals(outShape)) next = 3;
            else return false;
            if (next <= stage) return false;
            stage = next;
            current = node.Output;
        }
        return true;
    }

    /// <summary>
    /// x + b with b one value per output column, [N] or [1, …, 1, N], or one such row a batch item,
    /// [batch…, 1, N] (a stack of experts' biases).
    /// </summary>
    public static bool IsBiasAdd(Node n, Shape outShape)
    {
        if (n.Op != Ops.Add) return false;
        int r = outShape.Rank;
        foreach (var input in n.Inputs)
        {
            var s = input.Type.Shape;
            if (s.Rank == 0 || s.Rank > r || s.Equals(outShape)) continue;
            if (!s[s.Rank - 1].Equals(outShape[r - 1])) continue;
            bool ones = true;
            for (int i = 0; i < s.Rank - 1; i++)
                if (!IsOne(s[i])) ones = false;
            if (ones) return true;
            bool perBatch = s.Rank == r && r >= 3 && IsOne(s[r - 2]);
            for (int i = 0; perBatch && i < r - 2; i++)
                if (!s[i].Equals(outShape[i])) perBatch = false;
            if (perBatch) return true;
        }
        return false;
    }

    private static bool IsOne(Dim d) => d.IsConstant && d.ConstantValue == 1;
}
