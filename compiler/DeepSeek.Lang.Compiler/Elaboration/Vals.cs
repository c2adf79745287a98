using System.Collections.Immutable;
using System.Globalization;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>
/// What an expression evaluates to while a model is elaborated: a compile-time value (int, float,
/// bool, string, dtype, tuple, list, module), or a tensor that the graph will compute. Ints are
/// <see cref="Dim"/>s, so they may be symbolic (<c>x.shape[0]</c> is <c>B</c>). When a module is
/// checked generically, parameters whose values are unknown give floats, bools and strings with
/// no value (<c>null</c>).
/// </summary>
public abstract class Val
{
    /// <summary>How the value is named in messages: "int 4", "tensor f32[B, 512]", "module Linear".</summary>
    public abstract string Describe();

    public override string ToString() => Describe();
}

public sealed class IntVal : Val
{
    public IntVal(Dim value)
    {
        Value = value;
    }

    public Dim Value { get; }

    public bool IsConstant => Value.IsConstant;

    public override string Describe() => $"int {Value}";
}

public sealed class FloatVal : Val
{
    public static readonly FloatVal Unknown = new(null);

    public FloatVal(double? value)
    {
        Value = value;
    }

    public double? Value { get; }

    public override string Describe() => Value is { } v ? $"float {v.ToString("R", CultureInfo.InvariantCulture)}" : "float";
}

public sealed class BoolVal : Val
{
    public static readonly BoolVal True = new(true);
    public static readonly BoolVal False = new(false);
    public static readonly BoolVal Unknown = new(null);

    private BoolVal(bool? value)
    {
        Value = value;
    }

    public static BoolVal Of(bool value) => value ? True : False;

    public bool? Value { get; }

    public override string Describe() => Value is { } v ? (v ? "bool true" : "bool false") : "bool";
}

public sealed class StringVal : Val
{
    public static readonly StringVal Unknown = new(null);

    public StringVal(string? value)
    {
        Value = value;
    }

    public string? Value { get; }

    public override string Describe() => Value != null ? $"string \"{Value}\"" : "string";
}

public sealed class DTypeVal : Val
{
    public DTypeVal(DType value)
    {
        Value = value;
    }

    public DType Value { get; }

    public override string Describe() => $"dtype {Value.Name()}";
}

public sealed class NoneVal : Val
{
    public static readonly NoneVal Instance = new();

    private NoneVal()
    {
    }

    public override string Describe() => "None";
}

/// <summary>
/// A tensor: a value of the graph being built. While the experts of a route are traced together,
/// a value may stand for one tensor per expert, stacked on a leading axis the program does not
/// see: <see cref="Type"/> is then the type of one expert's tensor and <see cref="Value"/> holds all.
/// </summary>
public sealed class TensorVal : Val
{
    private readonly TensorType? _perExpert;

    public TensorVal(Value value, TensorType? perExpert = null)
    {
        Value = value;
        _perExpert = perExpert;
    }

    public Value Value { get; }

    /// <summary>The type as the program sees it.</summary>
    public TensorType Type => _perExpert ?? Value.Type;

    /// <summary>True for a tensor per expert stacked on a hidden leading axis.</summary>
    public bool IsPerExpert => _perExpert != null;

    public override string Describe() => $"tensor {Type}";
}

public sealed class TupleVal : Val
{
    public TupleVal(ImmutableArray<Val> items)
    {
        Items = items;
    }

    public ImmutableArray<Val> Items { get; }

    public override string Describe() => $"tuple of {Items.Length}";
}

public sealed class ListVal : Val
{
    public ListVal(ImmutableArray<Val> items)
    {
        Items = items;
    }

    public ImmutableArray<Val> Items { get; }

    public override string Describe() => $"list of {Items.Length}";
}

/// <summary>A sub-module: calling it runs its forward.</summary>
public sealed class ModuleVal : Val
{
    public ModuleVal(ModuleInstance instance)
    {
        Instance = instance;
    }

    public ModuleInstance Instance { get; }

    public override string Describe() => $"module {Instance.Module.Name}";
}

/// <summary>
/// <c>name = M(args)[n]</c>: n independent copies. When a module is checked generically and n is
/// symbolic, one representative copy stands for all (<see cref="IsSymbolic"/>).
/// </summary>
public sealed class ModuleArrayVal : Val
{
    public ModuleArrayVal(ModuleSymbol module, ImmutableArray<ModuleInstance> items, Dim count, string path)
    {
        Module = module;
        Items = items;
        Count = count;
        Path = path;
    }

    public ModuleSymbol Module { get; }

    public ImmutableArray<ModuleInstance> Items { get; }

    public Dim Count { get; }

    public string Path { get; }

    public bool IsSymbolic => !Count.IsConstant;

    public override string Describe() => $"array of {Count} {Module.Name} modules";
}

/// <summary>The value of an expression that failed to check; using it reports nothing more.</summary>
public sealed class ErrorVal : Val
{
    public static readonly ErrorVal Instance = new();

    private ErrorVal()
    {
    }

    public override string Describe() => "<error>";
}
