using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Binding;

/// <summary>The compile-time types a module parameter or constant can have.</summary>
public enum ScalarKind
{
    Int,
    Float,
    Bool,
    String,
}

/// <summary>A declaration at file level, with the file it lives in.</summary>
public abstract class Symbol
{
    protected Symbol(string name, SourceText source, TextSpan nameSpan, bool isPrelude)
    {
        Name = name;
        Source = source;
        NameSpan = nameSpan;
        IsPrelude = isPrelude;
    }

    public string Name { get; }

    public SourceText Source { get; }

    public TextSpan NameSpan { get; }

    /// <summary>True for the layers that ship with the compiler.</summary>
    public bool IsPrelude { get; }

    public Location Location => new(Source, NameSpan);
}

/// <summary>A module parameter: <c>name: type = default</c>.</summary>
public sealed class ParameterSymbol
{
    public ParameterSymbol(string name, ScalarKind kind, ParameterSyntax syntax)
    {
        Name = name;
        Kind = kind;
        Syntax = syntax;
    }

    public string Name { get; }

    public ScalarKind Kind { get; }

    public ParameterSyntax Syntax { get; }

    public ExpressionSyntax? Default => Syntax.Default;
}

public sealed class ModuleSymbol : Symbol
{
    public ModuleSymbol(ModuleDeclaration syntax, SourceText source, ImmutableArray<ParameterSymbol> parameters, ForwardDeclaration? forward, bool isPrelude)
        : base(syntax.Name.Text, source, syntax.Name.Span, isPrelude)
    {
        Syntax = syntax;
        Parameters = parameters;
        Forward = forward;
    }

    public ModuleDeclaration Syntax { get; }

    public ImmutableArray<ParameterSymbol> Parameters { get; }

    public ForwardDeclaration? Forward { get; }

    /// <summary>The signature as users read it: <c>Linear(in_features: int, out_features: int, bias: bool = true)</c>.</summary>
    public string Signature => $"{Name}({string.Join(", ", Parameters.Select(FormatParameter))})";

    private static string FormatParameter(ParameterSymbol p)
    {
        var text = $"{p.Name}: {SyntaxPrinter.Print(p.Syntax.Type)}";
        return p.Default == null ? text : text + " = " + SyntaxPrinter.Print(p.Default);
    }
}

public sealed class ConstSymbol : Symbol
{
    public ConstSymbol(ConstDeclaration syntax, SourceText source, bool isPrelude)
        : base(syntax.Name.Text, source, syntax.Name.Span, isPrelude)
    {
        Syntax = syntax;
    }

    public ConstDeclaration Syntax { get; }
}

public sealed class ModelSymbol : Symbol
{
    public ModelSymbol(ModelDeclaration syntax, SourceText source)
        : base(syntax.Name.Text, source, syntax.Name.Span, false)
    {
        Syntax = syntax;
    }

    public ModelDeclaration Syntax { get; }
}

public sealed class PlanSymbol : Symbol
{
    public PlanSymbol(PlanDeclaration syntax, SourceText source)
        : base(syntax.Name.Text, source, syntax.Name.Span, false)
    {
        Syntax = syntax;
    }

    public PlanDeclaration Syntax { get; }
}

/// <summary>
/// Every file-level declaration of a compilation, prelude included. Modules and constants share one
/// namespace (they are what expressions name); models and plans each have their own.
/// </summary>
public sealed class ProgramSymbols
{
    public ProgramSymbols(
        ImmutableDictionary<string, ModuleSymbol> modules,
        ImmutableDictionary<string, ConstSymbol> consts,
        ImmutableArray<ModelSymbol> models,
        ImmutableArray<PlanSymbol> plans,
        ImmutableHashSet<string> recursive)
    {
        Modules = modules;
        Consts = consts;
        Models = models;
        Plans = plans;
        Recursive = recursive;
    }

    /// <summary>Modules on a cycle of sub-modules (reported by the binder; never instantiated).</summary>
    public ImmutableHashSet<string> Recursive { get; }

    public ImmutableDictionary<string, ModuleSymbol> Modules { get; }

    public ImmutableDictionary<string, ConstSymbol> Consts { get; }

    /// <summary>Models in source order.</summary>
    public ImmutableArray<ModelSymbol> Models { get; }

    public ImmutableArray<PlanSymbol> Plans { get; }

    public ModelSymbol? FindModel(string name) => Models.FirstOrDefault(m => m.Name == name);
}
