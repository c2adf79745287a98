using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>
/// Elaborates one model (or checks one module generically) into a graph. Split by concern over
/// partial files: instantiation, statements, expressions, calls, indexing.
/// </summary>
internal sealed partial class Tracer
{
    /// <summary>A module body or forward being elaborated: whose, from which file, called from where.</summary>
    private sealed record Frame(ModuleInstance? Instance, SourceText Source, Location? CallSite);

    private readonly Elaborator _elaborator;
    private readonly GraphBuilder _graph;
    private readonly List<Frame> _frames = new();
    private readonly bool _generic;
    private int _depth;

    /// <summary>Set while the experts of a route are traced together.</summary>
    private ExpertBatch? _batch;


    public Tracer(Elaborator elaborator, string graphName, bool generic, DiagnosticSink? diagnostics = null)
    {
        _elaborator = elaborator;
        _graph = new GraphBuilder(graphName);
        _generic = generic;
        Diagnostics = diagnostics ?? new DiagnosticSink();
    }

    public DiagnosticSink Diagnostics { get; }

    /// <summary>A REPL submission: the entry forward may return compile-time values, kept in <see cref="Result"/>.</summary>
    public bool IsSubmission { get; init; }

    /// <summary>What the entry forward returned (set for submissions).</summary>
    public Val? Result { get; private set; }

    public List<LetType> Types { get; } = new();

    private ProgramSymbols Symbols => _elaborator.Symbols;

    private Frame Current => _frames[_frames.Count - 1];

    private SourceText Source => Current.Source;

    private Location At(TextSpan span) => new(Source, span);

    private Location At(SyntaxNode node) => new(Source, node.Span);

    // ------------------------------------------------------------------ entry points

    public Graph TraceModel(ModelSymbol model)
    {
        _frames.Add(new Frame(null, model.Source, null));
        var root = InstantiateModel(model);
        if (root != null)
        {
            var forward = root.Module.Forward;
            if (forward == null)
                Report(DiagnosticDescriptors.NoForward, At(model.Syntax.Value),
                    $"model {model.Name} uses module {root.Module.Name}, which has no forward");
            else
                TraceEntryForward(root, forward);
        }
        _frames.RemoveAt(_frames.Count - 1);
        return _graph.ToGraph();
    }

    public void TraceGeneric(ModuleSymbol module)
    {
        using var assumption = DimEquality.AssumeExactDivision();
        _frames.Add(new Frame(null, module.Source, null));
        var arguments = module.Parameters
            .Select(p => new KeyValuePair<string, Val>(p.Name, SymbolicParameter(p)))
            .ToImmutableArray();
        var instance = Instantiate(module, "", arguments, null, module.Location);
        if (instance != null && module.Forward != null) TraceEntryForward(instance, module.Forward);
        _frames.RemoveAt(_frames.Count - 1);
    }

    public Val EvaluateConstant(ConstDeclaration syntax, SourceText source, Scope scope)
    {
        _frames.Add(new Frame(null, source, null));
        var value = Eval(syntax.Value, scope);
        if (value is TensorVal)
        {
            Report(DiagnosticDescriptors.ValueKindMismatch, At(syntax.Value), $"constant '{syntax.Name.Text}' must be a compile-time value, not a tensor");
            value = ErrorVal.Instance;
        }
        value = CheckDeclaredScalarType(value, syntax.Type, syntax.Value);
        _frames.RemoveAt(_frames.Count - 1);
        return value;
    }

    /// <summary>In generic checking, an int parameter is a symbolic dimension named after it; others have unknown values.</summary>
    private static Val SymbolicParameter(ParameterSymbol p) => p.Kind switch
    {
        ScalarKind.Int => new IntVal(Dim.Var(p.Name)),
        ScalarKind.Float => FloatVal.Unknown,
        ScalarKind.Bool => BoolVal.Unknown,
        _ => StringVal.Unknown,
    };

    /// <summary>The model's (or generically checked module's) forward: its inputs become graph inputs.</summary>
    private void TraceEntryForward(ModuleInstance root, ForwardDeclaration forward)
    {
        _frames.Add(new Frame(root, root.Module.Source, null));
        var scope = new Scope(MemberScope(root), isLocal: true);
        var dims = new Dictionary<string, Dim>(StringComparer.Ordinal);
        var inputs = new List<Val>();
        bool ok = true;
        foreach (var p in forward.Parameters)
        {
            var type = EvaluateSignatureType(p.Type, scope, dims, bindUnknown: true);
            if (type is TensorType t)
            {
                var value = new TensorVal(_graph.AddInput(p.Name.Text, t));
                scope.Declare(p.Name.Text, value);
                inputs.Add(value);
            }
            else if (type is ScalarKind kind && p.Default != null && !_generic)
            {
                scope.Declare(p.Name.Text, Eval(p.Default, scope));
            }
            else if (type is ScalarKind k2 && _generic)
            {
                scope.Declare(p.Name.Text, k2 switch
                {
                    ScalarKind.Int => new IntVal(Dim.Var(p.Name.Text)),
                    ScalarKind.Float => FloatVal.Unknown,
                    ScalarKind.Bool => BoolVal.Unknown,
                    _ => StringVal.Unknown,
                });
            }
            else
            {
                if (type != null)
                    Report(DiagnosticDescriptors.ValueKindMismatch, At(p),
                        $"the model's forward input '{p.Name.Text}' must be a tensor (or have a default value)");
                scope.Declare(p.Name.Text, ErrorVal.Instance);
                ok = false;
            }
        }
        foreach (var kv in dims)
            if (!scope.DeclaresHere(kv.Key)) scope.Declare(kv.Key, new IntVal(kv.Value));

        var result = ExecuteForwardBody(forward, scope, dims);
        if (IsSubmission)
        {
            if (ok && result is not ErrorVal)
            {
                Result = result;
                AddSubmissionOutputs(result);
            }
        }
        else if (ok && result is not ErrorVal)
            AddGraphOutputs(result, forward);
        _frames.RemoveAt(_frames.Count - 1);
    }

    private void AddGraphOutputs(Val result, ForwardDeclaration forward)
    {
        switch (result)
        {
            case TensorVal t:
                _graph.AddOutput("output", t.Value);
                break;
            case TupleVal tuple when tuple.Items.All(i => i is TensorVal):
                for (int i = 0; i < tuple.Items.Length; i++) _graph.AddOutput($"output{i}", ((TensorVal)tuple.Items[i]).Value);
                break;
            case TupleVal or null:
                Report(DiagnosticDescriptors.ValueKindMismatch, At(forward.KeywordSpan), "a model's forward must return a tensor or a tuple of tensors");
                break;
            default:
                Report(DiagnosticDescriptors.ValueKindMismatch, At(forward.KeywordSpan), $"a model's forward must return tensors, not {result.Describe()}");
                break;
        }
    }

    /// <summary>Every tensor in a submission's result is an output: output0, output1… in the order they appear.</summary>
    private void AddSubmissionOutputs(Val result)
    {
        int next = 0;
        void Walk(Val v)
        {
            switch (v)
            {
                case TensorVal t:
                    _graph.AddOutput($"output{next++}", t.Value);
                    break;
                case TupleVal tuple:
                    foreach (var item in tuple.Items) Walk(item);
                    break;
                case ListVal list:
                    foreach (var item in list.Items) Walk(item);
                    break;
            }
        }
        Walk(result);
    }

    // ------------------------------------------------------------------ diagnostics

    /// <summary>
    /// Reports at <paramref name="location"/>, or, when that lies inside the prelude, at the user's
    /// code that led there; adds the chain of instantiations as notes.
    /// </summary>
    private void Report(DiagnosticDescriptor descriptor, Location location, string message, string? hint = null)
    {
        var notes = new List<DiagnosticNote>();
        if (hint != null) notes.Add(new DiagnosticNote(hint, null, IsHint: true));
        var primary = location;
        if (IsPrelude(location.Source))
        {
            for (int i = _frames.Count - 1; i >= 0; i--)
            {
                var site = _frames[i].CallSite ?? _frames[i].Instance?.Site;
                if (site is { } s && !IsPrelude(s.Source))
                {
                    primary = s;
                    break;
                }
            }
            if (!primary.Equals(location)) notes.Add(new DiagnosticNote("inside the prelude, here", location));
        }

        var instance = CurrentInstance();
        for (var inst = instance; inst != null; inst = inst.Parent)
        {
            var what = inst.Parent == null
                ? (inst.IsGeneric ? $"while checking {inst.Describe()} with symbolic parameters" : $"in {inst.Describe()}, the model's root")
                : $"in {inst.Describe()} as '{inst.Path}'";
            notes.Add(new DiagnosticNote(what, inst.IsGeneric && inst.Parent == null ? null : inst.Site));
        }
        Diagnostics.Add(new Diagnostic(descriptor, primary, message, notes.ToImmutableArray()));
    }

    private ModuleInstance? CurrentInstance()
    {
        for (int i = _frames.Count - 1; i >= 0; i--)
            if (_frames[i].Instance != null) return _frames[i].Instance;
        return null;
    }

    private static bool IsPrelude(SourceText source) => source.Path.StartsWith(Prelude.PathPrefix, StringComparison.Ordinal);

    private Val Error(DiagnosticDescriptor descriptor, SyntaxNode at, string message)
    {
        Report(descriptor, At(at), message);
        return ErrorVal.Instance;
    }

    private Val Error(DiagnosticDescriptor descriptor, TextSpan at, string message)
    {
        Report(descriptor, At(at), message);
        return ErrorVal.Instance;
    }

    // ------------------------------------------------------------------ emitting ops

    /// <summary>Types and adds an op; a type error is reported at <paramref name="at"/> and gives <see cref="ErrorVal"/>.</summary>
    private Val Emit(Op op, SyntaxNode at, Attributes attributes, params Value[] inputs) => EmitAt(op, At(at), attributes, inputs);

    private Val EmitAt(Op op, Location at, Attributes attributes, params Value[] inputs)
    {
        if (_batch != null && inputs.Any(_batch.IsPerExpert)) return EmitPerExpert(op, at, attributes, inputs);
        var outputs = EmitMany(op, at, attributes, inputs);
        if (outputs.IsDefault) return ErrorVal.Instance;
        return outputs.Length == 1 ? new TensorVal(outputs[0]) : new TupleVal(outputs.Select(o => (Val)new TensorVal(o)).ToImmutableArray());
    }

    /// <summary>Types an op as the program sees it (one expert's tensors), then emits it for all experts.</summary>
    private Val EmitPerExpert(Op op, Location at, Attributes attributes, Value[] inputs)
    {
        var seen = inputs.Select(_batch!.TypeOf).ToArray();
        var typing = op.Type(seen, attributes);
        if (!typing.Ok)
        {
            Report(typing.Error!, at, typing.Message!);
            return ErrorVal.Instance;
        }
        var results = _batch!.Emit(op, attributes, inputs, typing.Outputs);
        return results.Length == 1 ? results[0] : new TupleVal(results);
    }

    private ImmutableArray<Value> EmitMany(Op op, Location at, Attributes attributes, params Value[] inputs)
    {
        OpTyping typing;
        try
        {
            typing = op.Type(inputs.Select(i => i.Type).ToArray(), attributes);
        }
        catch (DimOverflowException e)
        {
            Report(DiagnosticDescriptors.SizeTooLarge, at, $"a size in {op.Name} is too large: {e.Message}");
            return default;
        }
        if (!typing.Ok)
        {
            Report(typing.Error!, at, typing.Message!);
            return default;
        }
        if (!CheckPositive(typing.Outputs, at, op.Name)) return default;
        var node = _graph.AddTyped(op, inputs.ToImmutableArray(), attributes, typing.Outputs, at);
        return node.Outputs;
    }

    /// <summary>Rejects results with a dimension that is provably zero or negative (T - T, 3 - 5).</summary>
    private bool CheckPositive(ImmutableArray<TensorType> types, Location at, string what)
    {
        foreach (var t in types)
        {
            foreach (var d in t.Shape.Dims)
            {
                if (d.IsConstant ? d.ConstantValue < 0 : !d.IsProvablyNonNegative && NegativeForAllSizes(d))
                {
                    Report(DiagnosticDescriptors.NonPositiveDimension, at, $"{what} would make {t}, whose dimension {d} is negative");
                    return false;
                }
            }
        }
        return true;
    }

    private static bool NegativeForAllSizes(Dim d) => d.TryEvaluate(_ => 1) is { } v && v < 0 && d.TryEvaluate(_ => 1000) is { } w && w < 0;

    /// <summary>A scalar constant of the dtype it meets ("literals adapt").</summary>
    private Value Scalar(double value, DType dtype, Location at)
    {
        var attrs = Attributes.Of(("dtype", dtype), ("shape", ImmutableArray<Dim>.Empty), ("value", value));
        return _graph.AddTyped(Ops.Full, ImmutableArray<Value>.Empty, attrs, new[] { TensorType.Scalar(dtype) }, at).Output;
    }

    /// <summary>The run-time value of a symbolic dimension, as a scalar tensor.</summary>
    private Value DimScalar(Dim value, DType dtype, Location at)
    {
        if (value.IsConstant) return Scalar(value.ConstantValue!.Value, dtype, at);
        var attrs = Attributes.Of(("dtype", dtype), ("shape", ImmutableArray<Dim>.Empty), ("value", value));
        return _graph.AddTyped(Ops.Full, ImmutableArray<Value>.Empty, attrs, new[] { TensorType.Scalar(dtype) }, at).Output;
    }
}
