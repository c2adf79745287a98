using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Forward calls (signature matching) and statements.
internal sealed partial class Tracer
{
    private const int MaxCallDepth = 200;

    /// <summary>Why a value does not fit a declared type.</summary>
    private sealed record Mismatch(string Expected, string Actual, string? Reason)
    {
        public override string ToString() => $"expects {Expected}, got {Actual}" + (Reason != null ? ": " + Reason : "");
    }

    /// <summary>Names in a signature that denote no constant or parameter become dimensions bound by the arguments.</summary>
    private sealed class DimBindings
    {
        public Dictionary<string, Dim> Dims { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, ImmutableArray<Dim>> Packs { get; } = new(StringComparer.Ordinal);
    }

    // ------------------------------------------------------------------ calling a module

    private Val CallModule(ModuleInstance instance, ImmutableArray<Val> positional, ImmutableArray<(Identifier Name, Val Value)> named,
        ImmutableArray<ArgumentSyntax> argumentSyntax, CallExpression call)
    {
        var forward = instance.Module.Forward;
        if (forward == null)
            return Error(DiagnosticDescriptors.NoForward, call, $"module {instance.Module.Name} has no forward to call");
        if (_frames.Count > MaxCallDepth)
            return Error(DiagnosticDescriptors.ModuleRecursion, call, $"forward calls nest more than {MaxCallDepth} deep");

        var callee = $"{instance.Module.Name}.forward";
        var parameters = forward.Parameters;
        var values = new Val?[parameters.Length];
        var at = new TextSpan[parameters.Length];
        for (int i = 0; i < positional.Length; i++)
        {
            if (i >= parameters.Length)
                return Error(DiagnosticDescriptors.ArgumentCount, call,
                    $"{callee} takes {parameters.Length} argument{(parameters.Length == 1 ? "" : "s")}, got {positional.Length + named.Length}");
            values[i] = positional[i];
            at[i] = argumentSyntax[i].Span;
        }
        foreach (var (name, value) in named)
        {
            int index = -1;
            for (int k = 0; k < parameters.Length; k++)
                if (parameters[k].Name.Text == name.Text) index = k;
            if (index < 0)
            {
                var suggestion = Spelling.Suggest(name.Text, parameters.Select(p => p.Name.Text));
                return Error(DiagnosticDescriptors.UnknownArgumentName, name.Span,
                    $"{callee} has no parameter named '{name.Text}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : ""));
            }
            if (values[index] != null)
                return Error(DiagnosticDescriptors.DuplicateArgument, name.Span, $"argument '{name.Text}' of {callee} is given twice");
            values[index] = value;
            at[index] = name.Span;
        }

        var memberScope = MemberScope(instance);
        var scope = new Scope(memberScope, isLocal: true);
        var bindings = new DimBindings();
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var value = values[i];
            if (value == null)
            {
                if (p.Default == null)
                    return Error(DiagnosticDescriptors.MissingArgument, call, $"{callee} needs an argument for '{p.Name.Text}' ({SyntaxPrinter.Print(p.Type)})");
                _frames.Add(new Frame(instance, instance.Module.Source, At(call)));
                value = Eval(p.Default, scope);
                _frames.RemoveAt(_frames.Count - 1);
            }
            if (value is ErrorVal) return ErrorVal.Instance;
            if (value is not NoneVal)
            {
                var mismatch = MatchParameter(p.Type, value, memberScope, bindings, instance);
                if (mismatch != null)
                    return Error(DiagnosticDescriptors.ArgumentTypeMismatch, at[i].Length > 0 ? at[i] : call.Span,
                        $"argument '{p.Name.Text}' of {callee} {mismatch}");
            }
            scope.Declare(p.Name.Text, value);
        }
        foreach (var kv in bindings.Dims)
            if (!scope.DeclaresHere(kv.Key)) scope.Declare(kv.Key, new IntVal(kv.Value));

        _frames.Add(new Frame(instance, instance.Module.Source, At(call)));
        var result = ExecuteForwardBody(forward, scope, bindings.Dims, bindings);
        _frames.RemoveAt(_frames.Count - 1);
        return result;
    }

    /// <summary>Runs a forward body and checks its result against the declared return type.</summary>
    private Val ExecuteForwardBody(ForwardDeclaration forward, Scope scope, Dictionary<string, Dim> dims, DimBindings? bindings = null)
    {
        var returned = ExecuteBlock(forward.Body, scope, out var returnSyntax);
        if (returned == null)
            return Error(DiagnosticDescriptors.ReturnTypeMismatch, forward.KeywordSpan, "forward does not return a value");
        if (returned is ErrorVal || forward.ReturnType == null) return returned;

        bindings ??= new DimBindings();
        foreach (var kv in dims) bindings.Dims[kv.Key] = kv.Value;
        var mismatch = MatchParameter(forward.ReturnType, returned, scope, bindings, CurrentInstance());
        if (mismatch != null)
            return Error(DiagnosticDescriptors.ReturnTypeMismatch, returnSyntax?.Value.Span ?? forward.KeywordSpan,
                $"forward returns {mismatch.Actual}, but its signature says {mismatch.Expected}" + (mismatch.Reason != null ? ": " + mismatch.Reason : ""));
        if (CurrentInstance() is { } inst && returnSyntax != null)
            RecordType(At(returnSyntax.Value), $"{inst.Module.Name}.forward", returned);
        return returned;
    }

    /// <summary>
    /// Matches a value against a declared type, binding dimension names; null when it matches,
    /// else the reason ("expects f32[N, 512], got f32[B, 256]: dimension 1 is 256, not 512").
    /// </summary>
    private Mismatch? MatchParameter(TypeSyntax declared, Val value, Scope scope, DimBindings bindings, ModuleInstance? instance)
    {
        switch (declared)
        {
            case NamedTypeSyntax n:
                {
                    bool ok = (n.Name.Text, value) switch
                    {
                        ("int", IntVal) or ("float", FloatVal or IntVal) or ("bool", BoolVal) or ("string", StringVal) => true,
                        _ => false,
                    };
                    if (ok) return null;
                    if (DTypes.TryParse(n.Name.Text, out _))
                        return new Mismatch(n.Name.Text, DescribeType(value), $"{n.Name.Text} is a dtype; write a tensor type such as {n.Name.Text}[N] ({n.Name.Text}[] for a scalar)");
                    return new Mismatch(n.Name.Text, value.Describe(), null);
                }
            case TupleTypeSyntax t:
                {
                    if (value is not TupleVal tuple || tuple.Items.Length != t.Elements.Length)
                        return new Mismatch($"a tuple of {t.Elements.Length}", value.Describe(), null);
                    for (int i = 0; i < t.Elements.Length; i++)
                    {
                        var m = MatchParameter(t.Elements[i], tuple.Items[i], scope, bindings, instance);
                        if (m != null) return m with { Reason = $"in element {i}" + (m.Reason != null ? ", " + m.Reason : "") };
                    }
                    return null;
                }
            case TensorTypeSyntax tt:
                {
                    if (value is not TensorVal tensor) return new Mismatch($"a tensor {SyntaxPrinter.Print(tt)}", value.Describe(), null);
                    if (!DTypes.TryParse(tt.DType.Text, out var dtype)) return new Mismatch(SyntaxPrinter.Print(tt), tensor.Type.ToString(), $"unknown dtype '{tt.DType.Text}'");
                    var reason = MatchShape(tt, tensor.Type.Shape, scope, bindings);
                    if (reason != null) return new Mismatch(ExpectedText(tt, scope, bindings), tensor.Type.ToString(), reason);
                    if (dtype != tensor.Type.DType) return new Mismatch(ExpectedText(tt, scope, bindings), tensor.Type.ToString(), "the dtypes differ; use cast(...)");
                    return null;
                }
            default:
                return null;
        }
    }

    /// <summary>The declared type with what is known filled in: <c>f32[N, 512]</c> for <c>f32[N, d]</c>.</summary>
    private string ExpectedText(TensorTypeSyntax tt, Scope scope, DimBindings bindings)
    {
        var parts = new List<string>();
        foreach (var d in tt.Dimensions)
        {
            if (d is PackDimension p) parts.Add("*" + p.Name.Text);
            else if (d is ExpressionDimension e)
            {
                var dim = TryEvaluateDim(e.Expression, scope, bindings, null);
                parts.Add(dim?.ToString() ?? SyntaxPrinter.Print(e.Expression));
            }
        }
        return $"{tt.DType.Text}[{string.Join(", ", parts)}]";
    }

    private string? MatchShape(TensorTypeSyntax declared, Shape actual, Scope scope, DimBindings bindings)
    {
        var dims = declared.Dimensions;
        int pack = -1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] is PackDimension)
            {
                if (i != 0 || pack >= 0) return "a variadic dimension (*S) may only come first";
                pack = i;
            }
        }
        int fixedCount = dims.Length - (pack >= 0 ? 1 : 0);
        if (pack < 0 && actual.Rank != dims.Length)
            return $"it has rank {actual.Rank}, not {dims.Length}";
        if (pack >= 0 && actual.Rank < fixedCount)
            return $"it has rank {actual.Rank}, fewer than the {fixedCount} fixed dimensions";

        int offset = 0;
        if (pack >= 0)
        {
            var name = ((PackDimension)dims[0]).Name.Text;
            var packDims = actual.Dims.Take(actual.Rank - fixedCount).ToImmutableArray();
            if (bindings.Packs.TryGetValue(name, out var bound))
            {
                if (!bound.SequenceEqual(packDims))
                    return $"*{name} is [{string.Join(", ", packDims)}] here but [{string.Join(", ", bound)}] elsewhere";
            }
            else bindings.Packs[name] = packDims;
            offset = actual.Rank - fixedCount;
        }

        // First bind bare names, then check (and if need be solve) the expressions.
        var pending = new List<(ExpressionSyntax Expr, int Axis)>();
        for (int i = pack >= 0 ? 1 : 0; i < dims.Length; i++)
        {
            int axis = offset + i - (pack >= 0 ? 1 : 0);
            var expr = ((ExpressionDimension)dims[i]).Expression;
            if (expr is NameExpression n && scope.Lookup(n.Name.Text) == null && !bindings.Dims.ContainsKey(n.Name.Text))
                bindings.Dims[n.Name.Text] = actual[axis];
            else pending.Add((expr, axis));
        }
        foreach (var (expr, axis) in pending)
        {
            var unknown = new List<string>();
            var dim = TryEvaluateDim(expr, scope, bindings, unknown);
            if (dim == null) return $"dimension {axis} cannot be computed";
            if (unknown.Count == 1 && DimSolver.TrySolveLinear(dim, actual[axis], out var variable, out var solved))
            {
                bindings.Dims[variable] = solved;
                continue;
            }
            if (unknown.Count > 0)
                return $"dimension {axis} ({SyntaxPrinter.Print(expr)}) has unknown {string.Join(", ", unknown)}";
            if (!DimEquality.Same(dim, actual[axis]))
            {
                var text = SyntaxPrinter.Print(expr);
                return $"dimension {axis} is {actual[axis]}, expected {dim}" + (text != dim.ToString() ? $" ({text})" : "");
            }
        }
        return null;
    }

    /// <summary>Evaluates a dimension expression; names it cannot resolve are collected and treated as variables.</summary>
    private Dim? TryEvaluateDim(ExpressionSyntax expr, Scope scope, DimBindings bindings, List<string>? unknown)
    {
        switch (expr)
        {
            case IntegerLiteral i:
                return Dim.Const(i.Value);
            case NameExpression n:
                {
                    if (bindings.Dims.TryGetValue(n.Name.Text, out var bound)) return bound;
                    var v = scope.Lookup(n.Name.Text);
                    if (v is IntVal iv) return iv.Value;
                    if (v != null) return null;
                    unknown?.Add(n.Name.Text);
                    return unknown != null ? Dim.Var(n.Name.Text) : null;
                }
            case UnaryExpression { Operator: UnaryOperator.Negate } u:
                return TryEvaluateDim(u.Operand, scope, bindings, unknown) is { } d ? -d : null;
            case BinaryExpression b:
                {
                    var l = TryEvaluateDim(b.Left, scope, bindings, unknown);
                    var r = TryEvaluateDim(b.Right, scope, bindings, unknown);
                    if (l == null || r == null) return null;
                    return b.Operator switch
                    {
                        BinaryOperator.Add => l + r,
                        BinaryOperator.Subtract => l - r,
                        BinaryOperator.Multiply => l * r,
                        BinaryOperator.Divide => Dim.DivideExact(l, r) is { Kind: DivisionKind.Exact or DivisionKind.Unknown } q ? q.Quotient : null,
                        BinaryOperator.Modulo => Dim.Mod(l, r),
                        _ => null,
                    };
                }
            default:
                return null;
        }
    }

    /// <summary>The entry forward's types: unknown names become the graph's symbolic dimensions; *S becomes one dimension S.</summary>
    private object? EvaluateSignatureType(TypeSyntax type, Scope scope, Dictionary<string, Dim> dims, bool bindUnknown)
    {
        switch (type)
        {
            case NamedTypeSyntax n:
                switch (n.Name.Text)
                {
                    case "int": return ScalarKind.Int;
                    case "float": return ScalarKind.Float;
                    case "bool": return ScalarKind.Bool;
                    case "string": return ScalarKind.String;
                }
                Error(DiagnosticDescriptors.UnknownType, n, DTypes.TryParse(n.Name.Text, out _)
                    ? $"{n.Name.Text} is a dtype; write a tensor type such as {n.Name.Text}[N] ({n.Name.Text}[] for a scalar)"
                    : $"unknown type '{n.Name.Text}'");
                return null;
            case TensorTypeSyntax tt:
                {
                    if (!DTypes.TryParse(tt.DType.Text, out var dtype))
                    {
                        Error(DiagnosticDescriptors.UnknownType, tt.DType.Span, $"unknown dtype '{tt.DType.Text}'; dtypes are f16, bf16, f32, f64, i8, i32, i64 and bool");
                        return null;
                    }
                    var shape = ImmutableArray.CreateBuilder<Dim>();
                    var bindings = new DimBindings();
                    foreach (var kv in dims) bindings.Dims[kv.Key] = kv.Value;
                    for (int i = 0; i < tt.Dimensions.Length; i++)
                    {
                        var d = tt.Dimensions[i];
                        if (d is PackDimension p)
                        {
                            if (i != 0)
                            {
                                Error(DiagnosticDescriptors.MisplacedPack, p, "a variadic dimension (*S) may only come first");
                                return null;
                            }
                            if (!dims.TryGetValue(p.Name.Text, out var packDim)) dims[p.Name.Text] = packDim = Dim.Var(p.Name.Text);
                            shape.Add(packDim);
                            continue;
                        }
                        var expr = ((ExpressionDimension)d).Expression;
                        var unknown = new List<string>();
                        var dim = TryEvaluateDim(expr, scope, bindings, unknown);
                        if (dim == null)
                        {
                            Error(DiagnosticDescriptors.ValueKindMismatch, expr, $"dimension {SyntaxPrinter.Print(expr)} is not an int expression");
                            return null;
                        }
                        foreach (var u in unknown)
                        {
                            if (!bindUnknown) continue;
                            dims[u] = Dim.Var(u);
                            bindings.Dims[u] = Dim.Var(u);
                        }
                        if (!CheckDimension(dim, expr)) return null;
                        shape.Add(dim);
                    }
                    return new TensorType(dtype, new Shape(shape.ToImmutable()));
                }
            default:
                Error(DiagnosticDescriptors.ValueKindMismatch, type, "a model's forward inputs must be tensors");
                return null;
        }
    }

    // ------------------------------------------------------------------ statements

    /// <summary>Runs statements until a return; gives the returned value, or null when the block does not return.</summary>
    private Val? ExecuteBlock(BlockSyntax block, Scope scope, out ReturnStatement? returnSyntax)
    {
        returnSyntax = null;
        foreach (var statement in block.Statements)
        {
            var result = Execute(statement, scope, out var ret);
            if (result != null)
            {
                returnSyntax = ret;
                return result;
            }
        }
        return null;
    }

    private Val? Execute(StatementSyntax statement, Scope scope, out ReturnStatement? returnSyntax)
    {
        returnSyntax = null;
        switch (statement)
        {
            case LetStatement let:
                {
                    var value = Eval(let.Value, scope);
                    Bind(let.Targets, let.IsTuple, value, let, scope, declare: true);
                    return null;
                }
            case AssignStatement assign:
                {
                    var value = Eval(assign.Value, scope);
                    Bind(assign.Targets, assign.IsTuple, value, assign, scope, declare: false);
                    return null;
                }
            case ReturnStatement ret:
                returnSyntax = ret;
                return Eval(ret.Value, scope);
            case ExpressionStatement e:
                Eval(e.Expression, scope);
                return null;
            case AssertStatement a:
                ExecuteAssert(a, scope);
                return null;
            case IfStatement i:
                return ExecuteIf(i, scope, out returnSyntax);
            case ForStatement f:
                return ExecuteFor(f, scope, out returnSyntax);
            default:
                return null;
        }
    }

    private void Bind(ImmutableArray<Identifier> targets, bool isTuple, Val value, StatementSyntax at, Scope scope, bool declare)
    {
        if (!isTuple)
        {
            BindOne(targets[0], value, scope, declare);
            if (declare) RecordType(new Location(Source, targets[0].Span), targets[0].Text, value);
            return;
        }
        if (value is TupleVal tuple && tuple.Items.Length == targets.Length)
        {
            for (int i = 0; i < targets.Length; i++)
            {
                BindOne(targets[i], tuple.Items[i], scope, declare);
                if (declare) RecordType(new Location(Source, targets[i].Span), targets[i].Text, tuple.Items[i]);
            }
            return;
        }
        if (value is not ErrorVal)
            Error(DiagnosticDescriptors.TupleArity, at, $"cannot unpack {value.Describe()} into {targets.Length} names");
        foreach (var t in targets) BindOne(t, ErrorVal.Instance, scope, declare);
    }

    private void BindOne(Identifier target, Val value, Scope scope, bool declare)
    {
        if (target.Text.Length == 0) return;
        if (declare)
        {
            scope.Declare(target.Text, value);
            return;
        }
        if (!scope.TryAssign(target.Text, value))
        {
            var existing = scope.Lookup(target.Text);
            Error(DiagnosticDescriptors.AssignToUndeclared, target.Span, existing != null
                ? $"cannot assign to '{target.Text}': it is {existing.Describe()} of the module, not a local; declare a new name with let"
                : $"cannot assign to '{target.Text}': it is not declared; write let {target.Text} = ...");
            scope.Declare(target.Text, ErrorVal.Instance);
        }
    }

    /// <summary>
    /// Records a binding's type for <c>dskc check --types</c>: only in the module being checked
    /// itself (not in the modules it calls), where the types read in its own symbols.
    /// </summary>
    private void RecordType(Location at, string name, Val value)
    {
        if (value is ErrorVal || CurrentInstance() is not { Parent: null } || IsPrelude(at.Source)) return;
        Types.Add(new LetType(at, name, DescribeType(value)));
    }

    private static string DescribeType(Val v) => v switch
    {
        TensorVal t => t.Type.ToString(),
        TupleVal t => "(" + string.Join(", ", t.Items.Select(DescribeType)) + ")",
        _ => v.Describe(),
    };

    private void ExecuteAssert(AssertStatement a, Scope scope)
    {
        var condition = Eval(a.Condition, scope);
        switch (condition)
        {
            case BoolVal { Value: false }:
                {
                    var message = a.Message != null && Eval(a.Message, scope) is StringVal { Value: { } m } ? m : SyntaxPrinter.Print(a.Condition);
                    Error(DiagnosticDescriptors.AssertionFailed, a.Condition, $"assertion failed: {message}");
                    break;
                }
            case BoolVal or ErrorVal:
                break;
            case TensorVal t:
                Error(DiagnosticDescriptors.TensorCondition, a.Condition,
                    $"assert needs a condition known at compile time, but this is a tensor {t.Type}");
                break;
            default:
                Error(DiagnosticDescriptors.ValueKindMismatch, a.Condition, $"assert needs a bool, got {condition.Describe()}");
                break;
        }
    }

    /// <summary>A compile-time condition: true, false, null when unknown (generic checking), or an error reported.</summary>
    private bool? ConditionValue(ExpressionSyntax condition, Scope scope)
    {
        var value = Eval(condition, scope);
        switch (value)
        {
            case BoolVal b:
                return b.Value;
            case ErrorVal:
                return false;
            case TensorVal t:
                {
                    Report(DiagnosticDescriptors.TensorCondition, At(condition),
                        $"an if condition must be known at compile time, but this is a tensor {t.Type}",
                        "to choose between tensors elementwise use where(cond, a, b); to send tokens to different experts use route(...)");
                    return false;
                }
            default:
                Error(DiagnosticDescriptors.ValueKindMismatch, condition, $"a condition must be a bool, got {value.Describe()}");
                return false;
        }
    }

    private Val? ExecuteIf(IfStatement statement, Scope scope, out ReturnStatement? returnSyntax)
    {
        returnSyntax = null;
        var condition = ConditionValue(statement.Condition, scope);
        if (condition == true) return ExecuteBlock(statement.Then, new Scope(scope, isLocal: true), out returnSyntax);
        if (condition == false)
        {
            if (statement.ElseIf != null) return ExecuteIf(statement.ElseIf, scope, out returnSyntax);
            if (statement.Else != null) return ExecuteBlock(statement.Else, new Scope(scope, isLocal: true), out returnSyntax);
            return null;
        }
        // Unknown in generic checking: check both branches; the first one's bindings go on.
        var then = ExecuteBlock(statement.Then, new Scope(scope, isLocal: true), out returnSyntax);
        if (statement.ElseIf != null) ExecuteIf(statement.ElseIf, new Scope(scope, isLocal: true), out _);
        else if (statement.Else != null) ExecuteBlock(statement.Else, new Scope(scope, isLocal: true), out _);
        return then;
    }

    private Val? ExecuteFor(ForStatement statement, Scope scope, out ReturnStatement? returnSyntax)
    {
        returnSyntax = null;
        var items = LoopItems(statement, scope);
        foreach (var item in items)
        {
            var body = new Scope(scope, isLocal: true);
            body.Declare(statement.Variable.Text, item);
            var result = ExecuteBlock(statement.Body, body, out returnSyntax);
            if (result != null) return result;
        }
        return null;
    }

    /// <summary>What a loop runs over: a range of compile-time ints, a module array, a tuple or a list.</summary>
    private IEnumerable<Val> LoopItems(ForStatement statement, Scope scope)
    {
        var source = Eval(statement.Source, scope);
        if (statement.RangeEnd != null)
        {
            var end = Eval(statement.RangeEnd, scope);
            if (source is ErrorVal || end is ErrorVal) return Array.Empty<Val>();
            if (source is not IntVal start || end is not IntVal stop)
            {
                var bad = source is IntVal ? end : source;
                var at = source is IntVal ? statement.RangeEnd : statement.Source;
                if (bad is TensorVal t)
                    Error(DiagnosticDescriptors.TensorCondition, at, $"a loop bound must be known at compile time, but this is a tensor {t.Type}; use where(...) or route(...) for data-dependent choices");
                else
                    Error(DiagnosticDescriptors.ValueKindMismatch, at, $"a range bound must be an int, got {bad.Describe()}");
                return Array.Empty<Val>();
            }
            if (start.IsConstant && stop.IsConstant)
            {
                long a = start.Value.ConstantValue!.Value, b = stop.Value.ConstantValue!.Value;
                return Enumerable.Range(0, (int)Math.Max(0, Math.Min(b - a, 1_000_000))).Select(k => (Val)new IntVal(Dim.Const(a + k)));
            }
            if (_generic) return new Val[] { new IntVal(Dim.Var(statement.Variable.Text)) };
            Error(DiagnosticDescriptors.TensorCondition, statement.Source.Span.Cover(statement.RangeEnd.Span),
                $"a loop range must be known at compile time, but {start.Value}..{stop.Value} depends on input dimensions");
            return Array.Empty<Val>();
        }
        switch (source)
        {
            case ModuleArrayVal array:
                return array.Items.Select(i => (Val)new ModuleVal(i));
            case TupleVal tuple:
                return tuple.Items;
            case ListVal list:
                return list.Items;
            case ErrorVal:
                return Array.Empty<Val>();
            case TensorVal t:
                Error(DiagnosticDescriptors.TensorCondition, statement.Source,
                    $"cannot loop over the values of a tensor {t.Type}: loops are unrolled at compile time; use a range (0..n) or a module array");
                return Array.Empty<Val>();
            default:
                Error(DiagnosticDescriptors.ValueKindMismatch, statement.Source, $"cannot loop over {source.Describe()}; use a range (0..n), a module array or a tuple");
                return Array.Empty<Val>();
        }
    }
}
