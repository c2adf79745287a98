using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>A name the REPL's statements made with <c>let</c>.</summary>
internal abstract class Variable : IDisposable
{
    protected Variable(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>As <c>:type</c> prints it.</summary>
    public abstract string TypeText { get; }

    public virtual void Dispose()
    {
    }
}

/// <summary>A tensor, kept with its values; later statements take it as an input.</summary>
internal sealed class TensorVariable : Variable
{
    public TensorVariable(string name, Tensor tensor)
        : base(name)
    {
        Tensor = tensor;
    }

    public Tensor Tensor { get; }

    public override string TypeText => Tensor.TypeText();

    public override void Dispose() => Tensor.Dispose();
}

/// <summary>A compile-time value (an int, a float, a shape…); later statements see it as a constant.</summary>
internal sealed class ValueVariable : Variable
{
    public ValueVariable(string name, Val value)
        : base(name)
    {
        Value = value;
    }

    public Val Value { get; }

    public override string TypeText => Values.TypeText(Value);
}

/// <summary>
/// A module instance made with <c>let attn = MultiheadAttention(64, 4)</c>: later statements see it as a
/// member made by <see cref="Constructor"/>, with the weights kept here (named <c>attn.q_proj.weight</c>…).
/// </summary>
internal sealed class InstanceVariable : Variable
{
    public InstanceVariable(string name, string module, string constructor, WeightSet weights)
        : base(name)
    {
        Module = module;
        Constructor = constructor;
        Weights = weights;
    }

    /// <summary>The module's name.</summary>
    public string Module { get; }

    /// <summary>What makes it, every argument given: <c>MultiheadAttention(d: 64, heads: 4, …)</c>, <c>Expert(d: 8, hidden: 16)[4]</c>.</summary>
    public string Constructor { get; }

    public WeightSet Weights { get; }

    public override string TypeText => "module " + Constructor;

    public override void Dispose() => Weights.Dispose();
}
