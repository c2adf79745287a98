using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Calls: of modules (their forward), of built-in functions, and of tensor methods.
internal sealed partial class Tracer
{
    private Val EvalCall(CallExpression call, Scope scope)
    {
        // x.method(...) on a tensor calls a built-in with x as its first argument.
        if (call.Callee is MemberExpression member)
        {
            var target = Eval(member.Target, scope);
            if (target is ErrorVal) return target;
            if (target is TensorVal tensor) return CallMethod(tensor, member, call, scope);
            return CallValue(EvalMember(member, target, scope), call, scope);
        }
        if (call.Callee is NameExpression name)
        {
            var text = name.Name.Text;
            var value = scope.Lookup(text);
            if (value == null && Builtins.TryGet(text, out var builtin))
                return CallBuiltin(builtin, call, ImmutableArray<Val>.Empty, ImmutableArray<TextSpan>.Empty, scope);
            if (value == null && Symbols.Modules.ContainsKey(text))
                return Error(DiagnosticDescriptors.ModuleInForward, name,
                    $"'{text}' is a module; declare it as a member (my_{text.ToLowerInvariant()} = {text}(...)) and call the member in forward");
            return CallValue(value ?? EvalName(name, scope), call, scope);
        }
        return CallValue(Eval(call.Callee, scope), call, scope);
    }

    private Val CallValue(Val callee, CallExpression call, Scope scope)
    {
        switch (callee)
        {
            case ErrorVal:
                return callee;
            case ModuleVal module:
                {
                    var (positional, named, ok) = EvaluateArguments(call, scope);
                    if (!ok) return ErrorVal.Instance;
                    return CallModule(module.Instance, positional, named, call.Arguments, call);
                }
            case ModuleArrayVal array:
                return Error(DiagnosticDescriptors.NotCallable, call.Callee,
                    $"'{SyntaxPrinter.Print(call.Callee)}' is an array of {array.Count} {array.Module.Name} modules; call one ({SyntaxPrinter.Print(call.Callee)}[i](...)), loop over them, or pass them to route(...)");
            default:
                return Error(DiagnosticDescriptors.NotCallable, call.Callee, $"'{SyntaxPrinter.Print(call.Callee)}' is {callee.Describe()}, which cannot be called");
        }
    }

    private (ImmutableArray<Val> Positional, ImmutableArray<(Identifier, Val)> Named, bool Ok) EvaluateArguments(CallExpression call, Scope scope)
    {
        var positional = ImmutableArray.CreateBuilder<Val>();
        var named = ImmutableArray.CreateBuilder<(Identifier, Val)>();
        bool ok = true;
        foreach (var a in call.Arguments)
        {
            var v = Eval(a.Value, scope);
            if (v is ErrorVal) ok = false;
            if (a.Name is { } n) named.Add((n, v));
            else if (named.Count > 0)
            {
                Error(DiagnosticDescriptors.PositionalAfterNamed, a, "positional arguments must come before named ones");
                ok = false;
            }
            else positional.Add(v);
        }
        return (positional.ToImmutable(), named.ToImmutable(), ok);
    }

    private Val CallMethod(TensorVal tensor, MemberExpression member, CallExpression call, Scope scope)
    {
        var name = member.Member.Text;
        if (Builtins.TryGetMethod(name, out var builtin))
            return CallBuiltin(builtin, call, ImmutableArray.Create<Val>(tensor), ImmutableArray.Create(member.Target.Span), scope);
        var suggestion = Spelling.Suggest(name, Builtins.MethodNames);
        return Error(DiagnosticDescriptors.UnknownMember, member.Member.Span,
            $"a tensor has no method '{name}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : ""));
    }

    /// <summary>Binds arguments (a method's receiver first) to a built-in's parameters, checks their kinds, and runs it.</summary>
    private Val CallBuiltin(Builtin builtin, CallExpression call, ImmutableArray<Val> receiver, ImmutableArray<TextSpan> receiverSpans, Scope scope)
    {
        var parameters = builtin.Parameters;
        var values = new Val?[parameters.Length];
        var spans = new TextSpan[parameters.Length];
        var rest = new List<(Val, TextSpan)>();
        int position = 0;
        bool ok = true;

        void Positional(Val v, TextSpan span)
        {
            if (builtin.RestIndex >= 0 && position >= builtin.RestIndex)
            {
                rest.Add((v, span));
            }
            else if (position < parameters.Length)
            {
                values[position] = v;
                spans[position] = span;
                position++;
            }
            else
            {
                Error(DiagnosticDescriptors.ArgumentCount, call, $"{builtin.Signature} takes at most {parameters.Length} arguments, got {receiver.Length + call.Arguments.Length}");
                ok = false;
            }
        }

        for (int i = 0; i < receiver.Length; i++) Positional(receiver[i], receiverSpans[i]);
        bool seenNamed = false;
        foreach (var a in call.Arguments)
        {
            var v = Eval(a.Value, scope);
            if (v is ErrorVal) ok = false;
            if (a.Name is not { } n)
            {
                if (seenNamed)
                {
                    Error(DiagnosticDescriptors.PositionalAfterNamed, a, "positional arguments must come before named ones");
                    ok = false;
                    continue;
                }
                Positional(v, a.Value.Span);
                continue;
            }
            seenNamed = true;
            int index = -1;
            for (int k = 0; k < parameters.Length; k++)
                if (parameters[k].Name == n.Text) index = k;
            if (index < 0)
            {
                var suggestion = Spelling.Suggest(n.Text, parameters.Select(p => p.Name));
                Error(DiagnosticDescriptors.UnknownArgumentName, n.Span,
                    $"{builtin.Name} has no parameter named '{n.Text}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : $": {builtin.Signature}"));
                ok = false;
                continue;
            }
            if (values[index] != null)
            {
                Error(DiagnosticDescriptors.DuplicateArgument, n.Span, $"argument '{n.Text}' of {builtin.Name} is given twice");
                ok = false;
                continue;
            }
            values[index] = v;
            spans[index] = a.Span;
        }
        if (builtin.RestIndex >= 0 && rest.Count > 0)
        {
            int last = builtin.RestIndex;
            if (values[last] != null)
            {
                Error(DiagnosticDescriptors.DuplicateArgument, call, $"{builtin.Name}: give the {parameters[last].Name} either as separate arguments or as one list");
                ok = false;
            }
            else
            {
                // shape given as one list (zeros([B, T])) or as separate arguments (zeros(B, T)).
                values[last] = rest.Count == 1 && rest[0].Item1 is ListVal or TupleVal
                    ? rest[0].Item1
                    : new ListVal(rest.Select(r => r.Item1).ToImmutableArray());
                spans[last] = rest[0].Item2.Cover(rest[rest.Count - 1].Item2);
            }
        }
        if (!ok) return ErrorVal.Instance;

        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (values[i] == null)
            {
                if (p.Default == null)
                    return Error(DiagnosticDescriptors.MissingArgument, call, $"{builtin.Name} needs an argument for '{p.Name}': {builtin.Signature}");
                values[i] = p.Default;
                spans[i] = call.Span;
                continue;
            }
            if (!ArgumentFits(p.Kind, values[i]!))
                return Error(DiagnosticDescriptors.ArgumentTypeMismatch, spans[i],
                    $"argument '{p.Name}' of {builtin.Name} expects {KindText(p.Kind)}, got {values[i]!.Describe()}");
        }
        return builtin.Invoke(this, new BuiltinArgs(builtin, call, parameters, values!, spans));
    }

    private static bool ArgumentFits(ArgKind kind, Val v) => kind switch
    {
        ArgKind.Any => true,
        ArgKind.Tensor => v is TensorVal,
        ArgKind.Number => v is TensorVal or IntVal or FloatVal or BoolVal,
        ArgKind.Int => v is IntVal,
        ArgKind.Float => v is FloatVal or IntVal,
        ArgKind.OptionalFloat => v is FloatVal or IntVal or NoneVal,
        ArgKind.Bool => v is BoolVal,
        ArgKind.String => v is StringVal,
        ArgKind.DType => v is DTypeVal,
        ArgKind.Ints => v is IntVal || (v is ListVal or TupleVal && Items(v).All(i => i is IntVal)),
        ArgKind.OptionalInts => v is NoneVal || v is IntVal || (v is ListVal or TupleVal && Items(v).All(i => i is IntVal)),
        ArgKind.Tensors => v is ListVal or TupleVal && Items(v).All(i => i is TensorVal),
        ArgKind.OptionalTensor => v is TensorVal or NoneVal,
        ArgKind.Modules => v is ModuleArrayVal,
        _ => false,
    };

    private static string KindText(ArgKind kind) => kind switch
    {
        ArgKind.Tensor => "a tensor",
        ArgKind.Number => "a tensor or a number",
        ArgKind.Int => "an int",
        ArgKind.Float => "a float",
        ArgKind.OptionalFloat => "a float or None",
        ArgKind.Bool => "a bool",
        ArgKind.String => "a string",
        ArgKind.DType => "a dtype (f32, bf16, i64, ...)",
        ArgKind.Ints => "an int or a list of ints",
        ArgKind.OptionalInts => "an int, a list of ints, or None",
        ArgKind.Tensors => "a list or tuple of tensors",
        ArgKind.OptionalTensor => "a tensor or None",
        ArgKind.Modules => "a module array",
        _ => "a value",
    };

    internal static ImmutableArray<Val> Items(Val v) => v switch
    {
        ListVal l => l.Items,
        TupleVal t => t.Items,
        _ => ImmutableArray.Create(v),
    };
}

/// <summary>What a built-in's parameter accepts.</summary>
internal enum ArgKind
{
    Any,
    Tensor,
    /// <summary>A tensor, or a number that adapts to the other operand's dtype.</summary>
    Number,
    Int,
    Float,
    OptionalFloat,
    Bool,
    String,
    DType,
    /// <summary>An int or a list/tuple of ints (also what varargs collect).</summary>
    Ints,
    OptionalInts,
    Tensors,
    OptionalTensor,
    Modules,
}

internal sealed record BuiltinParameter(string Name, ArgKind Kind, Val? Default = null);

/// <summary>A built-in function (also callable as a tensor method when its first parameter is a tensor).</summary>
internal sealed class Builtin
{
    public Builtin(string name, ImmutableArray<BuiltinParameter> parameters, Func<Tracer, BuiltinArgs, Val> invoke, int restIndex = -1)
    {
        Name = name;
        Parameters = parameters;
        Invoke = invoke;
        RestIndex = restIndex;
    }

    public string Name { get; }

    public ImmutableArray<BuiltinParameter> Parameters { get; }

    public Func<Tracer, BuiltinArgs, Val> Invoke { get; }

    /// <summary>
    /// The parameter that collects the remaining positional arguments (reshape(x, B, T, d) gives
    /// shape = [B, T, d]), or -1. Parameters after it are given by name.
    /// </summary>
    public int RestIndex { get; }

    public string Signature => $"{Name}({string.Join(", ", Parameters.Select((p, i) => (i == RestIndex ? "*" : "") + (p.Default == null ? p.Name : $"{p.Name}: {Show(p.Default)}")))})";

    private static string Show(Val v) => v switch
    {
        IntVal i => i.Value.ToString(),
        FloatVal { Value: { } f } => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        BoolVal { Value: { } b } => b ? "true" : "false",
        StringVal { Value: { } s } => "\"" + s + "\"",
        DTypeVal d => d.Value.Name(),
        NoneVal => "None",
        _ => "...",
    };
}

/// <summary>The bound arguments of one built-in call, with the spans to report problems at.</summary>
internal sealed class BuiltinArgs
{
    private readonly ImmutableArray<BuiltinParameter> _parameters;
    private readonly Val[] _values;
    private readonly TextSpan[] _spans;

    public BuiltinArgs(Builtin builtin, CallExpression call, ImmutableArray<BuiltinParameter> parameters, Val[] values, TextSpan[] spans)
    {
        Builtin = builtin;
        Call = call;
        _parameters = parameters;
        _values = values;
        _spans = spans;
    }

    public Builtin Builtin { get; }

    public CallExpression Call { get; }

    private int IndexOf(string name)
    {
        for (int i = 0; i < _parameters.Length; i++)
            if (_parameters[i].Name == name) return i;
        throw new ArgumentException($"built-in {Builtin.Name} has no parameter {name}");
    }

    public Val this[string name] => _values[IndexOf(name)];

    public TextSpan SpanOf(string name) => _spans[IndexOf(name)];

    public bool IsNone(string name) => this[name] is NoneVal;

    public TensorVal Tensor(string name) => (TensorVal)this[name];

    public Dim Int(string name) => ((IntVal)this[name]).Value;

    public bool Bool(string name) => ((BoolVal)this[name]).Value ?? false;

    public bool? MaybeBool(string name) => ((BoolVal)this[name]).Value;

    public string? String(string name) => ((StringVal)this[name]).Value;

    public DType DType(string name) => ((DTypeVal)this[name]).Value;

    /// <summary>A float argument; null when unknown (generic checking) or None.</summary>
    public double? Float(string name) => this[name] switch
    {
        FloatVal f => f.Value,
        IntVal { Value: var d } when d.IsConstant => d.ConstantValue,
        _ => null,
    };

    public ImmutableArray<Dim> Ints(string name) => this[name] switch
    {
        IntVal i => ImmutableArray.Create(i.Value),
        var v => Tracer.Items(v).Select(x => ((IntVal)x).Value).ToImmutableArray(),
    };

    public ImmutableArray<TensorVal> Tensors(string name) => Tracer.Items(this[name]).Cast<TensorVal>().ToImmutableArray();
}
