using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>
/// A module with its parameters bound: the node of the model's module tree that owns weights
/// (named by <see cref="Path"/>, PyTorch style) and sub-modules, and whose forward can be traced.
/// </summary>
public sealed class ModuleInstance
{
    private readonly Dictionary<string, Val> _members;

    public ModuleInstance(ModuleSymbol module, string path, ImmutableArray<KeyValuePair<string, Val>> arguments, ModuleInstance? parent, Location site, bool isGeneric)
        : this(module, path, arguments, parent, site, isGeneric, memberCapacity: 0)
    {
    }

    internal ModuleInstance(ModuleSymbol module, string path, ImmutableArray<KeyValuePair<string, Val>> arguments, ModuleInstance? parent, Location site, bool isGeneric, int memberCapacity)
    {
        _members = new Dictionary<string, Val>(memberCapacity, StringComparer.Ordinal);
        Module = module;
        Path = path;
        Arguments = arguments;
        Parent = parent;
        Site = site;
        IsGeneric = isGeneric;
    }

    public ModuleSymbol Module { get; }

    /// <summary>Dotted path from the model root ("" for the root): <c>blocks.3.attn</c>.</summary>
    public string Path { get; }

    /// <summary>Parameter values in declaration order.</summary>
    public ImmutableArray<KeyValuePair<string, Val>> Arguments { get; }

    public ModuleInstance? Parent { get; }

    /// <summary>Where this instance was made: its member declaration, or the model declaration.</summary>
    public Location Site { get; }

    /// <summary>True when checked with symbolic parameters, outside any model.</summary>
    public bool IsGeneric { get; }

    public IReadOnlyDictionary<string, Val> Members => _members;

    /// <summary>The members, enumerable without boxing.</summary>
    internal Dictionary<string, Val> MemberTable => _members;

    /// <summary>
    /// The weights this instance and its sub-modules own, as a range of the graph's weight list
    /// (instantiation adds them depth first, so they are contiguous).
    /// </summary>
    public int FirstWeight { get; set; }

    public int WeightEnd { get; set; }

    public void SetMember(string name, Val value) => _members[name] = value;

    public bool TryGetMember(string name, out Val value) => _members.TryGetValue(name, out value!);

    public Val? Argument(string name)
    {
        foreach (var kv in Arguments)
            if (kv.Key == name) return kv.Value;
        return null;
    }

    /// <summary>The name of a member's weight or sub-module: <c>blocks.3.attn</c> + <c>q_proj</c>.</summary>
    public string Qualify(string member) => Path.Length == 0 ? member : Path + "." + member;

    /// <summary><c>Expert(d: 512, hidden: 1024)</c></summary>
    public string Describe() =>
        $"{Module.Name}({string.Join(", ", Arguments.Select(a => $"{a.Key}: {Show(a.Value)}"))})";

    private static string Show(Val v) => v switch
    {
        IntVal i => i.Value.ToString(),
        FloatVal { Value: { } f } => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        BoolVal { Value: { } b } => b ? "true" : "false",
        StringVal { Value: { } s } => "\"" + s + "\"",
        _ => "?",
    };

    public override string ToString() => Path.Length == 0 ? Describe() : $"{Path}: {Describe()}";
}
