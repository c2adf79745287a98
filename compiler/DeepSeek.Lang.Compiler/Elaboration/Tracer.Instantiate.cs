using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Instantiation: binding module arguments, evaluating member declarations, creating weights.
internal sealed partial class Tracer
{
    private const int MaxModuleDepth = 64;

    private static readonly string[] InitializerNames = { "normal", "uniform", "zeros", "ones", "xavier", "kaiming", "constant" };

    private readonly Dictionary<ModuleInstance, Scope> _memberScopes = new();

    private ModuleInstance? InstantiateModel(ModelSymbol model)
    {
        var value = model.Syntax.Value;
        if (value is not CallExpression { Callee: NameExpression callee } call)
        {
            Error(DiagnosticDescriptors.NotAModule, value, $"a model is a module with its parameters bound, such as {model.Name} = MyModule(d: 512); got {SyntaxPrinter.Print(value)}");
            return null;
        }
        if (!Symbols.Modules.TryGetValue(callee.Name.Text, out var module))
        {
            ReportUnknownModule(callee.Name, _elaborator.Globals);
            return null;
        }
        var arguments = BindModuleArguments(module, call.Arguments, _elaborator.Globals, call);
        if (arguments.IsDefault) return null;
        return Instantiate(module, "", arguments, null, new Location(model.Source, model.Syntax.Span));
    }

    private void ReportUnknownModule(Identifier name, Scope scope)
    {
        var suggestion = Spelling.Suggest(name.Text, Symbols.Modules.Keys);
        var message = $"unknown module '{name.Text}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : "");
        if (scope.Lookup(name.Text) is { } v && v is not ErrorVal) message = $"'{name.Text}' is {v.Describe()}, not a module";
        Report(DiagnosticDescriptors.UnknownModule, At(name.Span), message);
    }

    /// <summary>Makes an instance: binds its parameters, then evaluates its members in order.</summary>
    private ModuleInstance? Instantiate(ModuleSymbol module, string path, ImmutableArray<KeyValuePair<string, Val>> arguments, ModuleInstance? parent, Location site)
    {
        // The binder has reported modules that contain themselves; instantiating one would not end.
        if (Symbols.Recursive.Contains(module.Name)) return null;
        if (++_depth > MaxModuleDepth)
        {
            _depth--;
            Report(DiagnosticDescriptors.ModuleRecursion, site, $"modules nest more than {MaxModuleDepth} deep here");
            return null;
        }
        var instance = new ModuleInstance(module, path, arguments, parent, site, _generic) { FirstWeight = _graph.WeightCount };
        _frames.Add(new Frame(instance, module.Source, null));
        var body = new Scope(_elaborator.Globals, isLocal: false);
        foreach (var kv in arguments) body.Declare(kv.Key, kv.Value);
        InstantiateMembers(module.Syntax.Body.Members, instance, body);
        instance.WeightEnd = _graph.WeightCount;
        _frames.RemoveAt(_frames.Count - 1);
        _depth--;
        return instance;
    }

    /// <summary>The scope a forward body sees: the instance's members over its parameters.</summary>
    private Scope MemberScope(ModuleInstance instance)
    {
        if (_memberScopes.TryGetValue(instance, out var scope)) return scope;
        var parameters = new Scope(_elaborator.Globals, isLocal: false);
        foreach (var kv in instance.Arguments) parameters.Declare(kv.Key, kv.Value);
        scope = new Scope(parameters, isLocal: false);
        foreach (var kv in instance.Members) scope.Declare(kv.Key, kv.Value);
        _memberScopes[instance] = scope;
        return scope;
    }

    private void InstantiateMembers(ImmutableArray<DeclarationSyntax> members, ModuleInstance instance, Scope body)
    {
        foreach (var member in members)
        {
            switch (member)
            {
                case ConstDeclaration c:
                    {
                        var value = Eval(c.Value, body);
                        if (value is TensorVal)
                            value = Error(DiagnosticDescriptors.ValueKindMismatch, c.Value, $"constant '{c.Name.Text}' must be a compile-time value, not a tensor");
                        value = CheckDeclaredScalarType(value, c.Type, c.Value);
                        instance.SetMember(c.Name.Text, value);
                        // Parameters keep their meaning in the body; a constant of the same name is a member.
                        if (instance.Argument(c.Name.Text) == null) body.Declare(c.Name.Text, value);
                        break;
                    }
                case SubmoduleDeclaration s:
                    InstantiateSubmodule(s, instance, body);
                    break;
                case TensorDeclaration t:
                    DeclareWeight(t, instance, body);
                    break;
                case MemberIfDeclaration mi:
                    InstantiateMemberIf(mi, instance, body);
                    break;
            }
        }
    }

    private void InstantiateMemberIf(MemberIfDeclaration mi, ModuleInstance instance, Scope body)
    {
        var condition = ConditionValue(mi.Condition, body);
        if (condition == true || condition == null) InstantiateMembers(mi.Then.Members, instance, body);
        if (condition == false || condition == null)
        {
            if (mi.ElseIf != null) InstantiateMemberIf(mi.ElseIf, instance, body);
            else if (mi.Else != null) InstantiateMembers(mi.Else.Members, instance, body);
        }
    }

    private void InstantiateSubmodule(SubmoduleDeclaration s, ModuleInstance instance, Scope body)
    {
        if (!Symbols.Modules.TryGetValue(s.Module.Text, out var module))
        {
            if (s.Module.Text.Length > 0) ReportUnknownModule(s.Module, body);
            instance.SetMember(s.Name.Text, ErrorVal.Instance);
            return;
        }
        var arguments = BindModuleArguments(module, s.Arguments, body, s);
        if (arguments.IsDefault)
        {
            instance.SetMember(s.Name.Text, ErrorVal.Instance);
            return;
        }
        var site = At(s);
        var path = instance.Qualify(s.Name.Text);
        if (s.Count == null)
        {
            var child = Instantiate(module, path, arguments, instance, site);
            instance.SetMember(s.Name.Text, child != null ? new ModuleVal(child) : ErrorVal.Instance);
            return;
        }

        var count = Eval(s.Count, body);
        if (count is not IntVal { Value: var n })
        {
            if (count is not ErrorVal)
                Error(DiagnosticDescriptors.ValueKindMismatch, s.Count, $"the number of copies must be an int, got {count.Describe()}");
            instance.SetMember(s.Name.Text, ErrorVal.Instance);
            return;
        }
        if (n.IsConstant && n.ConstantValue < 0)
        {
            Error(DiagnosticDescriptors.InvalidArgumentValue, s.Count, $"the number of copies is {n}; it must not be negative");
            instance.SetMember(s.Name.Text, ErrorVal.Instance);
            return;
        }
        // A symbolic count (generic checking) is represented by one copy that stands for all.
        long copies = n.IsConstant ? n.ConstantValue!.Value : 1;
        var items = ImmutableArray.CreateBuilder<ModuleInstance>();
        InstanceTemplate? template = null;
        for (long i = 0; i < copies; i++)
        {
            if (template != null)
            {
                items.Add(template.Copy($"{path}.{i}"));
                continue;
            }
            var effects = i == 0 && copies > 1 ? ObservableEffects() : default;
            var child = Instantiate(module, $"{path}.{i}", arguments, instance, site);
            if (child == null) break;
            items.Add(child);
            if (i == 0 && copies > 1 && ObservableEffects() == effects) template = InstanceTemplate.TryCreate(this, child);
        }
        instance.SetMember(s.Name.Text, new ModuleArrayVal(module, items.ToImmutable(), n, path));
    }

    /// <summary>What instantiating a module may do besides adding weights: report, add nodes or routing groups, record types.</summary>
    private (int Diagnostics, int Nodes, int Routing, int Types) ObservableEffects() =>
        (Diagnostics.ToImmutable().Length, _graph.NodeCount, _graph.RoutingGroupCount, Types.Count);

    /// <summary>
    /// The first copy of a module array, made into a pattern for the others. Copies have the same
    /// module and arguments, so instantiating one again gives the same members, sub-modules and
    /// weight types; only the path, and with it the weight names and values, differ. When the first
    /// copy did nothing but add weights (no diagnostics, nodes or routing groups) and its members are
    /// plain values, each further copy is made by adding its weights and copying the instance tree,
    /// without evaluating the module again.
    /// </summary>
    private sealed class InstanceTemplate
    {
        private readonly Tracer _t;
        private readonly ModuleInstance _first;
        private readonly Dictionary<Value, int> _weightOffsets = new();

        private InstanceTemplate(Tracer tracer, ModuleInstance first)
        {
            _t = tracer;
            _first = first;
            for (int i = first.FirstWeight; i < first.WeightEnd; i++) _weightOffsets[tracer._graph.WeightAt(i).Value] = i - first.FirstWeight;
        }

        public static InstanceTemplate? TryCreate(Tracer tracer, ModuleInstance first)
        {
            // Every weight must be named under the copy's path, so that renaming the path renames it.
            var prefix = first.Path + ".";
            for (int i = first.FirstWeight; i < first.WeightEnd; i++)
                if (!tracer._graph.WeightAt(i).Name.StartsWith(prefix, StringComparison.Ordinal)) return null;
            var template = new InstanceTemplate(tracer, first);
            return template.CanCopy(first, new HashSet<ModuleInstance>()) ? template : null;
        }

        // A tree: each sub-module instance is a member of its parent only, and once.
        private bool CanCopy(ModuleInstance instance, HashSet<ModuleInstance> seen)
        {
            if (!seen.Add(instance) || !instance.Path.StartsWith(_first.Path, StringComparison.Ordinal)) return false;
            foreach (var kv in instance.Members)
                if (!CanCopy(kv.Value, instance, seen)) return false;
            return true;
        }

        private bool CanCopy(Val v, ModuleInstance holder, HashSet<ModuleInstance> seen) => v switch
        {
            IntVal or FloatVal or BoolVal or StringVal or DTypeVal or NoneVal => true,
            TensorVal t => !t.IsPerExpert && _weightOffsets.ContainsKey(t.Value),
            ModuleVal m => ReferenceEquals(m.Instance.Parent, holder) && CanCopy(m.Instance, seen),
            ModuleArrayVal a => a.Path.StartsWith(_first.Path, StringComparison.Ordinal) &&
                a.Items.All(i => ReferenceEquals(i.Parent, holder) && CanCopy(i, seen)),
            TupleVal t => t.Items.All(i => CanCopy(i, holder, seen)),
            ListVal l => l.Items.All(i => CanCopy(i, holder, seen)),
            _ => false,
        };

        // The copy being made: its path, its weights (in the first copy's order), and how far its weight range is shifted.
        private string _path = "";
        private Value[] _weights = Array.Empty<Value>();
        private int _shift;

        /// <summary>Adds the weights of the copy at <paramref name="path"/>, in the first copy's order, and copies its instance tree.</summary>
        public ModuleInstance Copy(string path)
        {
            var graph = _t._graph;
            var weights = new Value[_first.WeightEnd - _first.FirstWeight];
            _shift = graph.WeightCount - _first.FirstWeight;
            for (int i = 0; i < weights.Length; i++)
            {
                var w = graph.WeightAt(_first.FirstWeight + i);
                weights[i] = graph.AddWeight(path + w.Name.Substring(_first.Path.Length), w.Kind, w.Value.Type, w.Init);
            }
            _path = path;
            _weights = weights;
            return Copy(_first, _first.Parent);
        }

        private ModuleInstance Copy(ModuleInstance source, ModuleInstance? parent)
        {
            var members = source.MemberTable;
            var copy = new ModuleInstance(source.Module, Rename(source.Path, _path), source.Arguments, parent, source.Site, source.IsGeneric, members.Count)
            {
                FirstWeight = source.FirstWeight + _shift,
                WeightEnd = source.WeightEnd + _shift,
            };
            foreach (var kv in members) copy.SetMember(kv.Key, Copy(kv.Value, copy));
            return copy;
        }

        private Val Copy(Val v, ModuleInstance owner)
        {
            switch (v)
            {
                case TensorVal t:
                    return new TensorVal(_weights[_weightOffsets[t.Value]]);
                case ModuleVal m:
                    return new ModuleVal(Copy(m.Instance, owner));
                case ModuleArrayVal a:
                    {
                        var items = ImmutableArray.CreateBuilder<ModuleInstance>(a.Items.Length);
                        foreach (var item in a.Items) items.Add(Copy(item, owner));
                        return new ModuleArrayVal(a.Module, items.MoveToImmutable(), a.Count, Rename(a.Path, _path));
                    }
                case TupleVal t:
                    return new TupleVal(CopyAll(t.Items, owner));
                case ListVal l:
                    return new ListVal(CopyAll(l.Items, owner));
                default:
                    return v;
            }
        }

        private ImmutableArray<Val> CopyAll(ImmutableArray<Val> values, ModuleInstance owner)
        {
            var items = ImmutableArray.CreateBuilder<Val>(values.Length);
            foreach (var v in values) items.Add(Copy(v, owner));
            return items.MoveToImmutable();
        }

        private string Rename(string sourcePath, string path) => path + sourcePath.Substring(_first.Path.Length);
    }

    private void DeclareWeight(TensorDeclaration t, ModuleInstance instance, Scope body)
    {
        var kind = t.Kind == TensorKind.Param ? WeightKind.Param : WeightKind.Buffer;
        if (t.Type is not TensorTypeSyntax typeSyntax)
        {
            var what = kind == WeightKind.Param ? "param" : "buffer";
            Error(DiagnosticDescriptors.UnknownType, t.Type, t.Type is NamedTypeSyntax n && DTypes.TryParse(n.Name.Text, out _)
                ? $"a {what} needs a shape: {n.Name.Text}[d, ...] ({n.Name.Text}[] for a scalar)"
                : $"a {what} needs a tensor type such as f32[d]");
            instance.SetMember(t.Name.Text, ErrorVal.Instance);
            return;
        }
        var type = EvaluateTensorType(typeSyntax, body);
        var init = t.Init == null
            ? (kind == WeightKind.Param ? new Initializer("normal", ImmutableArray.Create(0.02)) : Initializer.Zeros)
            : EvaluateInitializer(t.Init, body);
        if (type == null || init == null)
        {
            instance.SetMember(t.Name.Text, ErrorVal.Instance);
            return;
        }
        try
        {
            _ = type.Shape.ElementCount * Dim.Const(type.DType.ByteSize());
        }
        catch (DimOverflowException)
        {
            Error(DiagnosticDescriptors.SizeTooLarge, t.Type, $"{t.Name.Text} would have {string.Join(" × ", type.Shape.Dims)} elements, more than 64 bits can count");
            instance.SetMember(t.Name.Text, ErrorVal.Instance);
            return;
        }
        var value = _graph.AddWeight(instance.Qualify(t.Name.Text), kind, type, init);
        instance.SetMember(t.Name.Text, new TensorVal(value));
    }

    /// <summary>A weight's type: every dimension must be a known size (never a forward dimension).</summary>
    private TensorType? EvaluateTensorType(TensorTypeSyntax syntax, Scope scope)
    {
        if (!DTypes.TryParse(syntax.DType.Text, out var dtype))
        {
            Error(DiagnosticDescriptors.UnknownType, syntax.DType.Span, $"unknown dtype '{syntax.DType.Text}'; dtypes are f16, bf16, f32, f64, i8, i32, i64 and bool");
            return null;
        }
        var dims = ImmutableArray.CreateBuilder<Dim>();
        foreach (var d in syntax.Dimensions)
        {
            if (d is not ExpressionDimension e)
            {
                Error(DiagnosticDescriptors.MisplacedPack, d, "a weight's shape cannot have a variadic dimension");
                return null;
            }
            var v = Eval(e.Expression, scope);
            if (v is not IntVal iv)
            {
                if (v is not ErrorVal) Error(DiagnosticDescriptors.ValueKindMismatch, e, $"a dimension must be an int, got {v.Describe()}");
                return null;
            }
            if (!CheckDimension(iv.Value, e.Expression)) return null;
            dims.Add(iv.Value);
        }
        return new TensorType(dtype, new Shape(dims.ToImmutable()));
    }

    /// <summary>Sizes must be positive: reports 0 and negative values where they are written.</summary>
    private bool CheckDimension(Dim d, ExpressionSyntax at)
    {
        if (d.IsConstant && d.ConstantValue <= 0)
        {
            var text = SyntaxPrinter.Print(at);
            Error(DiagnosticDescriptors.NonPositiveDimension, at,
                text == d.ToString() ? $"size {d} is not positive" : $"size {text} is {d}; sizes must be positive");
            return false;
        }
        return true;
    }

    private Initializer? EvaluateInitializer(ExpressionSyntax init, Scope scope)
    {
        string? name = init switch
        {
            NameExpression n => n.Name.Text,
            CallExpression { Callee: NameExpression n } => n.Name.Text,
            _ => null,
        };
        if (name == null || Array.IndexOf(InitializerNames, name) < 0)
        {
            var suggestion = name != null ? Spelling.Suggest(name, InitializerNames) : null;
            Error(DiagnosticDescriptors.InvalidArgumentValue, init,
                $"unknown initializer {SyntaxPrinter.Print(init)}; use normal(std), uniform(lo, hi), zeros, ones, xavier, kaiming or constant(value)" +
                (suggestion != null ? $" (did you mean '{suggestion}'?)" : ""));
            return null;
        }
        var args = ImmutableArray.CreateBuilder<double>();
        if (init is CallExpression call)
        {
            foreach (var a in call.Arguments)
            {
                var v = Eval(a.Value, scope);
                switch (v)
                {
                    case FloatVal { Value: { } f }: args.Add(f); break;
                    case IntVal { Value: var d } when d.IsConstant: args.Add(d.ConstantValue!.Value); break;
                    case FloatVal or IntVal when _generic: args.Add(0); break;
                    case ErrorVal: return null;
                    default:
                        Error(DiagnosticDescriptors.InvalidArgumentValue, a, $"initializer arguments must be numbers, got {v.Describe()}");
                        return null;
                }
            }
        }
        // normal(std) or normal(mean, std); uniform(lo, hi); constant(v); xavier may take a gain.
        var (least, most, form) = name switch
        {
            "normal" => (1, 2, "normal(std) or normal(mean, std)"),
            "uniform" => (2, 2, "uniform(lo, hi)"),
            "constant" => (1, 1, "constant(value)"),
            "xavier" => (0, 1, "xavier or xavier(gain)"),
            _ => (0, 0, name),
        };
        if (args.Count < least || args.Count > most)
        {
            Error(DiagnosticDescriptors.ArgumentCount, init, $"{name} takes {(least == most ? least.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{least} or {most}")} argument{(most == 1 ? "" : "s")}, got {args.Count}: write {form}");
            return null;
        }
        return new Initializer(name, args.ToImmutable());
    }

    /// <summary>Binds call arguments to a module's parameters, checks their kinds, fills defaults.</summary>
    private ImmutableArray<KeyValuePair<string, Val>> BindModuleArguments(ModuleSymbol module, ImmutableArray<ArgumentSyntax> arguments, Scope scope, SyntaxNode call)
    {
        var values = new Val?[module.Parameters.Length];
        var syntaxes = new ArgumentSyntax?[module.Parameters.Length];
        bool ok = true;
        bool seenNamed = false;
        int position = 0;
        foreach (var a in arguments)
        {
            int index;
            if (a.Name is { } n)
            {
                seenNamed = true;
                index = module.Parameters.IndexOf(module.Parameters.FirstOrDefault(p => p.Name == n.Text)!);
                if (index < 0)
                {
                    var suggestion = Spelling.Suggest(n.Text, module.Parameters.Select(p => p.Name));
                    Error(DiagnosticDescriptors.UnknownArgumentName, n.Span,
                        $"{module.Name} has no parameter named '{n.Text}'" + (suggestion != null ? $"; did you mean '{suggestion}'?" : $"; its parameters: {module.Signature}"));
                    ok = false;
                    continue;
                }
            }
            else
            {
                if (seenNamed)
                {
                    Error(DiagnosticDescriptors.PositionalAfterNamed, a, "positional arguments must come before named ones");
                    ok = false;
                    continue;
                }
                index = position++;
                if (index >= module.Parameters.Length)
                {
                    Error(DiagnosticDescriptors.ArgumentCount, a,
                        $"{module.Name} takes {module.Parameters.Length} argument{(module.Parameters.Length == 1 ? "" : "s")}, got {arguments.Length}: {module.Signature}");
                    ok = false;
                    break;
                }
            }
            if (values[index] != null)
            {
                Error(DiagnosticDescriptors.DuplicateArgument, a, $"argument '{module.Parameters[index].Name}' of {module.Name} is given twice");
                ok = false;
                continue;
            }
            values[index] = Eval(a.Value, scope);
            syntaxes[index] = a;
        }
        if (!ok) return default;

        // Defaults may refer to earlier parameters (kv_heads: int = heads), so evaluate them in order.
        var defaults = new Scope(_elaborator.Globals, isLocal: false);
        var result = ImmutableArray.CreateBuilder<KeyValuePair<string, Val>>(module.Parameters.Length);
        for (int i = 0; i < module.Parameters.Length; i++)
        {
            var p = module.Parameters[i];
            Val value;
            if (values[i] != null)
            {
                value = CoerceArgument(values[i]!, p, module, syntaxes[i]!);
            }
            else if (p.Default != null)
            {
                _frames.Add(new Frame(null, module.Source, At(call)));
                value = CoerceArgument(Eval(p.Default, defaults), p, module, p.Default);
                _frames.RemoveAt(_frames.Count - 1);
            }
            else
            {
                Error(DiagnosticDescriptors.MissingArgument, call, $"{module.Name} needs a value for parameter '{p.Name}' ({SyntaxPrinter.Print(p.Syntax.Type)}): {module.Signature}");
                ok = false;
                value = ErrorVal.Instance;
            }
            if (value is ErrorVal) ok = false;
            defaults.Declare(p.Name, value);
            result.Add(new KeyValuePair<string, Val>(p.Name, value));
        }
        return ok ? result.MoveToImmutable() : default;
    }

    /// <summary>Checks an argument against a parameter's kind; an int is accepted where a float is expected.</summary>
    private Val CoerceArgument(Val value, ParameterSymbol p, ModuleSymbol module, SyntaxNode at)
    {
        switch (p.Kind, value)
        {
            case (_, ErrorVal):
            case (ScalarKind.Int, IntVal):
            case (ScalarKind.Float, FloatVal):
            case (ScalarKind.Bool, BoolVal):
            case (ScalarKind.String, StringVal):
                return value;
            case (ScalarKind.Float, IntVal { Value: var d }):
                return d.IsConstant ? new FloatVal(d.ConstantValue!.Value) : FloatVal.Unknown;
        }
        var expected = p.Kind.ToString().ToLowerInvariant();
        return Error(DiagnosticDescriptors.ArgumentTypeMismatch, at, $"argument '{p.Name}' of {module.Name} expects {expected}, got {value.Describe()}");
    }

    /// <summary>Checks a constant against its declared type (<c>const n: int = 4</c>).</summary>
    private Val CheckDeclaredScalarType(Val value, TypeSyntax? type, SyntaxNode at)
    {
        if (type == null || value is ErrorVal) return value;
        var name = type is NamedTypeSyntax n ? n.Name.Text : "";
        bool ok = (name, value) switch
        {
            ("int", IntVal) => true,
            ("float", FloatVal or IntVal) => true,
            ("bool", BoolVal) => true,
            ("string", StringVal) => true,
            _ => false,
        };
        if (ok) return name == "float" && value is IntVal { Value: var d } && d.IsConstant ? new FloatVal(d.ConstantValue!.Value) : value;
        return Error(DiagnosticDescriptors.ArgumentTypeMismatch, at, $"expected {SyntaxPrinter.Print(type)}, got {value.Describe()}");
    }
}
