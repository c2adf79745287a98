using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>
/// Where an op stands in the fusion lattice (TVM's pattern kinds): a kernel may absorb ops of a
/// lower kind into ops of a higher one, never the other way.
/// </summary>
public enum OpCategory
{
    /// <summary>Makes a tensor from nothing (constants, zeros, arange).</summary>
    Source,

    /// <summary>One output element from the same element of each input, same shapes.</summary>
    Elementwise,

    /// <summary>Elementwise after NumPy broadcasting.</summary>
    Broadcast,

    /// <summary>Each output element reads one input element at a computed place (reshape, transpose, gather).</summary>
    Injective,

    /// <summary>Reduces along axes (sum, softmax, layer_norm).</summary>
    Reduction,

    /// <summary>Heavy ops whose output can take an elementwise epilogue (matmul).</summary>
    OutputFusable,

    /// <summary>Everything else (attention, topk, scatter).</summary>
    Opaque,
}

/// <summary>The outcome of typing an op application: output types, or a diagnostic to report.</summary>
public readonly struct OpTyping
{
    private OpTyping(ImmutableArray<TensorType> outputs, DiagnosticDescriptor? error, string? message)
    {
        Outputs = outputs;
        Error = error;
        Message = message;
    }

    public ImmutableArray<TensorType> Outputs { get; }

    public DiagnosticDescriptor? Error { get; }

    public string? Message { get; }

    public bool Ok => Error == null;

    public static OpTyping Of(TensorType output) => new(ImmutableArray.Create(output), null, null);

    public static OpTyping Of(params TensorType[] outputs) => new(outputs.ToImmutableArray(), null, null);

    public static OpTyping Fail(DiagnosticDescriptor descriptor, string message) => new(default, descriptor, message);

    public static implicit operator OpTyping(TensorType output) => Of(output);
}

/// <summary>Computes output types of an op from its input types and attributes.</summary>
public delegate OpTyping OpTypeRule(IReadOnlyList<TensorType> inputs, Attributes attributes);

/// <summary>Counts the floating-point operations of one node (a multiply-add counts 2), symbolically.</summary>
public delegate Dim OpFlopRule(Node node);

/// <summary>
/// A primitive operation of the graph IR. There is one <see cref="Node"/> type; what differs between
/// ops is data here: name, arity, fusion category, type rule and FLOP count. Ops are defined in
/// <see cref="Ops"/>.
/// </summary>
public sealed class Op
{
    public Op(string name, OpCategory category, int minInputs, int maxInputs, OpTypeRule infer, OpFlopRule? flops = null, int outputs = 1, bool composite = false)
    {
        Name = name;
        Category = category;
        MinInputs = minInputs;
        MaxInputs = maxInputs;
        Infer = infer;
        Flops = flops ?? (n => n.Outputs.Length == 0 ? Dim.Zero : n.Outputs[0].Type.Shape.ElementCount);
        OutputCount = outputs;
        IsComposite = composite;
    }

    /// <summary>The name in IR text and the key the runtime's kernels are found by.</summary>
    public string Name { get; }

    public OpCategory Category { get; }

    public int MinInputs { get; }

    public int MaxInputs { get; }

    public int OutputCount { get; }

    public OpTypeRule Infer { get; }

    public OpFlopRule Flops { get; }

    /// <summary>True for ops such as softmax, layer_norm, gelu and attention that have a decomposition into simpler ops.</summary>
    public bool IsComposite { get; }

    /// <summary>Types an application, checking arity first.</summary>
    public OpTyping Type(IReadOnlyList<TensorType> inputs, Attributes attributes)
    {
        if (inputs.Count < MinInputs || inputs.Count > MaxInputs)
        {
            var expected = MinInputs == MaxInputs ? $"{MinInputs}" : $"{MinInputs} to {MaxInputs}";
            return OpTyping.Fail(DiagnosticDescriptors.ArgumentTypeMismatch, $"{Name} takes {expected} tensor inputs, got {inputs.Count}");
        }
        return Infer(inputs, attributes);
    }

    public override string ToString() => Name;
}
