using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Expressions: names, literals, operators, member access.
internal sealed partial class Tracer
{
    private Val Eval(ExpressionSyntax expression, Scope scope)
    {
        try
        {
            return EvalCore(expression, scope);
        }
        catch (DimOverflowException e)
        {
            return Error(DiagnosticDescriptors.SizeTooLarge, expression, $"a size here is too large: {e.Message}");
        }
    }

    private Val EvalCore(ExpressionSyntax expression, Scope scope)
    {
        switch (expression)
        {
            case IntegerLiteral i:
                return new IntVal(Dim.Const(i.Value));
            case FloatLiteral f:
                return new FloatVal(f.Value);
            case StringLiteral s:
                return new StringVal(s.Value);
            case BoolLiteral b:
                return BoolVal.Of(b.Value);
            case NoneLiteral:
                return NoneVal.Instance;
            case NameExpression n:
                return EvalName(n, scope);
            case UnaryExpression u:
                return EvalUnary(u, scope);
            case BinaryExpression b:
                return EvalBinary(b, scope);
            case CallExpression c:
                return EvalCall(c, scope);
            case MemberExpression m:
                return EvalMember(m, Eval(m.Target, scope), scope);
            case IndexExpression ix:
                return EvalIndex(ix, scope);
            case TupleExpression t:
                return new TupleVal(EvalAll(t.Elements, scope));
            case ListExpression l:
                return new ListVal(EvalAll(l.Elements, scope));
            default:
                return ErrorVal.Instance;
        }
    }

    // Not a lambda in EvalCore: capturing the scope there would allocate a closure for every expression.
    private ImmutableArray<Val> EvalAll(ImmutableArray<ExpressionSyntax> elements, Scope scope)
    {
        var values = ImmutableArray.CreateBuilder<Val>(elements.Length);
        foreach (var e in elements) values.Add(Eval(e, scope));
        return values.MoveToImmutable();
    }

    private Val EvalName(NameExpression n, Scope scope)
    {
        var name = n.Name.Text;
        if (name.Length == 0) return ErrorVal.Instance;
        if (scope.Lookup(name) is { } value) return PerExpertWeight(value);
        if (Symbols.Modules.ContainsKey(name))
            return Error(DiagnosticDescriptors.ModuleInForward, n,
                $"'{name}' is a module; declare it as a member (my_{name.ToLowerInvariant()} = {name}(...)) and call the member");
        if (Builtins.Contains(name))
            return Error(DiagnosticDescriptors.NotCallable, n, $"'{name}' is a built-in function; call it: {name}(...)");
        var suggestion = Spelling.Suggest(name, scope.AllNames());
        return Error(DiagnosticDescriptors.UnknownName, n, $"unknown name '{name}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : ""));
    }

    /// <summary>While experts are traced together, the first expert's weights stand for all experts' (stacked).</summary>
    private Val PerExpertWeight(Val value) =>
        _batch != null && value is TensorVal t && _batch.Stacked(t.Value) is { } stacked ? stacked : value;

    private Val EvalUnary(UnaryExpression u, Scope scope)
    {
        var operand = Eval(u.Operand, scope);
        switch (u.Operator, operand)
        {
            case (_, ErrorVal):
                return operand;
            case (UnaryOperator.Plus, IntVal or FloatVal or TensorVal):
                return operand;
            case (UnaryOperator.Negate, IntVal i):
                return new IntVal(-i.Value);
            case (UnaryOperator.Negate, FloatVal f):
                return new FloatVal(-f.Value);
            case (UnaryOperator.Negate, TensorVal t):
                return Emit(Ops.Neg, u, Attributes.Empty, t.Value);
            case (UnaryOperator.Not, BoolVal b):
                return b.Value is { } v ? BoolVal.Of(!v) : BoolVal.Unknown;
            case (UnaryOperator.Not, TensorVal t):
                return Emit(Ops.Not, u, Attributes.Empty, t.Value);
        }
        var op = u.Operator switch { UnaryOperator.Not => "'not'", UnaryOperator.Negate => "'-'", _ => "'+'" };
        return Error(DiagnosticDescriptors.ValueKindMismatch, u, $"cannot apply {op} to {operand.Describe()}");
    }

    private Val EvalBinary(BinaryExpression b, Scope scope)
    {
        if (b.Operator is BinaryOperator.And or BinaryOperator.Or) return EvalLogical(b, scope);
        var left = Eval(b.Left, scope);
        var right = Eval(b.Right, scope);
        if (left is ErrorVal || right is ErrorVal) return ErrorVal.Instance;
        // "x == None" asks whether an optional argument was given; it never compares values.
        if ((left is NoneVal || right is NoneVal) && b.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual)
            return BoolVal.Of((left is NoneVal && right is NoneVal) == (b.Operator == BinaryOperator.Equal));
        if (left is TensorVal || right is TensorVal) return EvalTensorBinary(b, left, right);

        switch (left, right)
        {
            case (IntVal l, IntVal r):
                return IntBinary(b, l.Value, r.Value);
            case (IntVal or FloatVal, IntVal or FloatVal):
                return FloatBinary(b, ToDouble(left), ToDouble(right));
            case (BoolVal l, BoolVal r) when b.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual:
                return l.Value is { } x && r.Value is { } y ? BoolVal.Of((x == y) == (b.Operator == BinaryOperator.Equal)) : BoolVal.Unknown;
            case (StringVal l, StringVal r) when b.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual:
                return l.Value != null && r.Value != null ? BoolVal.Of((l.Value == r.Value) == (b.Operator == BinaryOperator.Equal)) : BoolVal.Unknown;
            case (StringVal l, StringVal r) when b.Operator is BinaryOperator.Add:
                return l.Value != null && r.Value != null ? new StringVal(l.Value + r.Value) : StringVal.Unknown;
            case (DTypeVal l, DTypeVal r) when b.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual:
                return BoolVal.Of((l.Value == r.Value) == (b.Operator == BinaryOperator.Equal));
        }
        return Error(DiagnosticDescriptors.ValueKindMismatch, b,
            $"cannot {Verb(b.Operator)} {left.Describe()} and {right.Describe()}");
    }

    private Val EvalLogical(BinaryExpression b, Scope scope)
    {
        bool isAnd = b.Operator == BinaryOperator.And;
        var left = Eval(b.Left, scope);
        if (left is BoolVal { Value: { } l } && l != isAnd) return BoolVal.Of(l); // short-circuit
        var right = Eval(b.Right, scope);
        if (left is ErrorVal || right is ErrorVal) return ErrorVal.Instance;
        if (left is BoolVal lb && right is BoolVal rb)
        {
            if (rb.Value is { } r && lb.Value is { } x) return BoolVal.Of(isAnd ? x && r : x || r);
            if (rb.Value is { } r2 && r2 != isAnd) return BoolVal.Of(r2);
            return BoolVal.Unknown;
        }
        if (left is TensorVal || right is TensorVal) return EvalTensorBinary(b, left, right);
        return Error(DiagnosticDescriptors.ValueKindMismatch, b, $"'{(isAnd ? "and" : "or")}' needs bools, got {left.Describe()} and {right.Describe()}");
    }

    private Val IntBinary(BinaryExpression b, Dim l, Dim r)
    {
        switch (b.Operator)
        {
            case BinaryOperator.Add: return new IntVal(l + r);
            case BinaryOperator.Subtract: return new IntVal(l - r);
            case BinaryOperator.Multiply: return new IntVal(l * r);
            case BinaryOperator.Modulo:
                if (r.IsConstant && r.ConstantValue == 0) return Error(DiagnosticDescriptors.InvalidArgumentValue, b, $"{SyntaxPrinter.Print(b)} divides by zero");
                return new IntVal(Dim.Mod(l, r));
            case BinaryOperator.Divide:
                {
                    var q = Dim.DivideExact(l, r);
                    switch (q.Kind)
                    {
                        case DivisionKind.Exact:
                        case DivisionKind.Unknown:
                            return new IntVal(q.Quotient!);
                        case DivisionKind.DivideByZero:
                            return Error(DiagnosticDescriptors.InvalidArgumentValue, b, $"{SyntaxPrinter.Print(b)} divides by zero");
                        default:
                            return Error(DiagnosticDescriptors.NotDivisible, b, DivisibilityMessage(b, l, r));
                    }
                }
            case BinaryOperator.Power:
                if (r.IsConstant && r.ConstantValue >= 0 && r.ConstantValue <= 64)
                {
                    var result = Dim.One;
                    for (long i = 0; i < r.ConstantValue; i++) result *= l;
                    return new IntVal(result);
                }
                if (l.IsConstant && r.IsConstant) return new FloatVal(Math.Pow(l.ConstantValue!.Value, r.ConstantValue!.Value));
                return Error(DiagnosticDescriptors.InvalidArgumentValue, b, $"cannot raise {l} to the power {r}: an int exponent must be a constant between 0 and 64");
            case BinaryOperator.MatMul:
                return Error(DiagnosticDescriptors.ValueKindMismatch, b, $"'@' multiplies tensors; {l} and {r} are ints");
            default:
                return Compare(b.Operator, l, r);
        }
    }

    /// <summary>"d / heads is not exact: 512 is not divisible by 6 (d = 512, heads = 6)".</summary>
    private static string DivisibilityMessage(BinaryExpression b, Dim l, Dim r)
    {
        var text = SyntaxPrinter.Print(b);
        var names = new List<string>();
        if (b.Left is NameExpression ln) names.Add($"{ln.Name.Text} = {l}");
        if (b.Right is NameExpression rn) names.Add($"{rn.Name.Text} = {r}");
        var remainder = l.IsConstant && r.IsConstant ? $" (remainder {((l.ConstantValue % r.ConstantValue) + r.ConstantValue) % r.ConstantValue})" : "";
        return $"{text} is not a whole number: {l} is not divisible by {r}{remainder}" + (names.Count > 0 ? $"; here {string.Join(", ", names)}" : "");
    }

    private static BoolVal Compare(BinaryOperator op, Dim l, Dim r)
    {
        var diff = l - r;
        if (diff.IsConstant)
        {
            long d = diff.ConstantValue!.Value;
            return BoolVal.Of(op switch
            {
                BinaryOperator.Equal => d == 0,
                BinaryOperator.NotEqual => d != 0,
                BinaryOperator.Less => d < 0,
                BinaryOperator.LessOrEqual => d <= 0,
                BinaryOperator.Greater => d > 0,
                _ => d >= 0,
            });
        }
        return BoolVal.Unknown;
    }

    private Val FloatBinary(BinaryExpression b, double? l, double? r)
    {
        if (b.Operator == BinaryOperator.MatMul)
            return Error(DiagnosticDescriptors.ValueKindMismatch, b, "'@' multiplies tensors, not numbers");
        if (l is not { } x || r is not { } y)
            return b.Operator is BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
                or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual ? BoolVal.Unknown : FloatVal.Unknown;
        switch (b.Operator)
        {
            case BinaryOperator.Add: return new FloatVal(x + y);
            case BinaryOperator.Subtract: return new FloatVal(x - y);
            case BinaryOperator.Multiply: return new FloatVal(x * y);
            case BinaryOperator.Divide:
                if (y == 0) return Error(DiagnosticDescriptors.InvalidArgumentValue, b, $"{SyntaxPrinter.Print(b)} divides by zero");
                return new FloatVal(x / y);
            case BinaryOperator.Modulo: return new FloatVal(x - Math.Floor(x / y) * y);
            case BinaryOperator.Power: return new FloatVal(Math.Pow(x, y));
            case BinaryOperator.Equal: return BoolVal.Of(x == y);
            case BinaryOperator.NotEqual: return BoolVal.Of(x != y);
            case BinaryOperator.Less: return BoolVal.Of(x < y);
            case BinaryOperator.LessOrEqual: return BoolVal.Of(x <= y);
            case BinaryOperator.Greater: return BoolVal.Of(x > y);
            default: return BoolVal.Of(x >= y);
        }
    }

    private static double? ToDouble(Val v) => v switch
    {
        IntVal { Value: var d } when d.IsConstant => d.ConstantValue,
        FloatVal f => f.Value,
        _ => null,
    };

    private static string Verb(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "add",
        BinaryOperator.Subtract => "subtract",
        BinaryOperator.Multiply => "multiply",
        BinaryOperator.Divide => "divide",
        BinaryOperator.Modulo => "take the remainder of",
        BinaryOperator.MatMul => "multiply",
        BinaryOperator.Power => "raise",
        BinaryOperator.And => "combine with 'and'",
        BinaryOperator.Or => "combine with 'or'",
        _ => "compare",
    };

    private static Op BinaryOp(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => Ops.Add,
        BinaryOperator.Subtract => Ops.Sub,
        BinaryOperator.Multiply => Ops.Mul,
        BinaryOperator.Divide => Ops.Div,
        BinaryOperator.Modulo => Ops.Mod,
        BinaryOperator.Power => Ops.Pow,
        BinaryOperator.MatMul => Ops.MatMul,
        BinaryOperator.Equal => Ops.Eq,
        BinaryOperator.NotEqual => Ops.Ne,
        BinaryOperator.Less => Ops.Lt,
        BinaryOperator.LessOrEqual => Ops.Le,
        BinaryOperator.Greater => Ops.Gt,
        BinaryOperator.GreaterOrEqual => Ops.Ge,
        BinaryOperator.And => Ops.And,
        _ => Ops.Or,
    };

    private Val EvalTensorBinary(BinaryExpression b, Val left, Val right)
    {
        var op = BinaryOp(b.Operator);
        if (b.Operator == BinaryOperator.MatMul && (left is not TensorVal || right is not TensorVal))
            return Error(DiagnosticDescriptors.ValueKindMismatch, b, $"'@' multiplies tensors; got {left.Describe()} and {right.Describe()}");
        var l = AsTensor(left, right, b);
        var r = AsTensor(right, left, b);
        if (l == null || r == null) return ErrorVal.Instance;
        return Emit(op, b, Attributes.Empty, l, r);
    }

    /// <summary>
    /// A tensor operand: a tensor as it is, or a number turned into a scalar of the other operand's
    /// dtype ("literals adapt"). A float literal never adapts to an integer tensor.
    /// </summary>
    private Value? AsTensor(Val value, Val other, SyntaxNode at)
    {
        if (value is TensorVal t) return t.Value;
        var dtype = other is TensorVal o ? o.Type.DType : DType.F32;
        switch (value)
        {
            case IntVal i when dtype != DType.Bool:
                return DimScalar(i.Value, dtype, At(at));
            case FloatVal f when dtype.IsFloat():
                return Scalar(f.Value ?? 0, dtype, At(at));
            case FloatVal when !dtype.IsFloat():
                Error(DiagnosticDescriptors.DTypeMismatch, at, $"cannot combine {other.Describe()} with a float: cast the tensor to a floating-point dtype first");
                return null;
            case BoolVal bv when dtype == DType.Bool:
                return Scalar(bv.Value == true ? 1 : 0, dtype, At(at));
            case ErrorVal:
                return null;
        }
        Error(DiagnosticDescriptors.ValueKindMismatch, at, $"cannot combine {other.Describe()} with {value.Describe()}");
        return null;
    }

    // ------------------------------------------------------------------ member access

    private Val EvalMember(MemberExpression m, Val target, Scope scope)
    {
        var name = m.Member.Text;
        switch (target)
        {
            case ErrorVal:
                return target;
            case TensorVal t:
                switch (name)
                {
                    case "T":
                        return Emit(Ops.Transpose, m, Attributes.Of(("perm", Enumerable.Range(0, t.Type.Rank).Reverse().Select(i => (long)i).ToImmutableArray())), t.Value);
                    case "shape":
                        return new TupleVal(t.Type.Shape.Dims.Select(d => (Val)new IntVal(d)).ToImmutableArray());
                    case "ndim":
                        return new IntVal(Dim.Const(t.Type.Rank));
                    case "dtype":
                        return new DTypeVal(t.Type.DType);
                }
                if (Builtins.Contains(name) || Builtins.IsMethod(name))
                    return Error(DiagnosticDescriptors.NotCallable, m, $"{name} is a method; call it: x.{name}(...)");
                return Error(DiagnosticDescriptors.UnknownMember, m.Member.Span, $"a tensor has no member '{name}'; tensors have .T, .shape, .ndim, .dtype and methods such as .reshape(...)");
            case ModuleVal mv:
                {
                    if (mv.Instance.TryGetMember(name, out var member)) return PerExpertWeight(member);
                    if (mv.Instance.Argument(name) is { } arg) return arg;
                    var names = mv.Instance.Members.Keys.Concat(mv.Instance.Arguments.Select(a => a.Key));
                    var suggestion = Spelling.Suggest(name, names);
                    return Error(DiagnosticDescriptors.UnknownMember, m.Member.Span,
                        $"module {mv.Instance.Module.Name} has no member '{name}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : ""));
                }
            case TupleVal tuple when name == "len":
                return new IntVal(Dim.Const(tuple.Items.Length));
        }
        return Error(DiagnosticDescriptors.UnknownMember, m.Member.Span, $"{target.Describe()} has no member '{name}'");
    }
}
