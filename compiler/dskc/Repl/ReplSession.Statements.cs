using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Repl;

// Statements: each top-level statement is compiled as the forward of a module the REPL writes around
// it, whose inputs are the tensors it names and whose constants and members are the session's values
// and module instances; it is elaborated with the session's compilation and run with the eager
// interpreter.
internal sealed partial class ReplSession
{
    private const string ModuleName = ReservedPrefix + "_module";
    private const string ModelName = ReservedPrefix + "_model";
    private const string It = ReservedPrefix + "_it";

    private void SubmitStatements(string text, CancellationToken cancellation)
    {
        var user = new SourceText(NextPath(), text);
        var (statements, offset) = ParseStatements(user);
        foreach (var statement in statements)
            if (!Evaluate(user, statement, offset, cancellation)) break;
    }

    /// <summary>Parses what was typed as the statements of a forward; syntax errors are printed against the user's text.</summary>
    private (ImmutableArray<StatementSyntax> Statements, int Offset) ParseStatements(SourceText user)
    {
        var map = new SourceMap(user).Add($"module {ReservedPrefix}_probe() {{\n  forward() {{\n");
        int offset = map.Position;
        map.Add(new TextSpan(0, user.Length)).Add("\n  }\n}\n");
        var built = new SourceText(user.Path, map.Text);
        var tree = SyntaxTree.Parse(built);
        if (tree.HasErrors)
        {
            Print(tree.Diagnostics.Select(d => map.Map(d, built)));
            return (ImmutableArray<StatementSyntax>.Empty, 0);
        }
        if (tree.Root.Items is not [ModuleDeclaration { Body.Members: [ForwardDeclaration forward] }])
        {
            ReportAt(user, new TextSpan(0, user.Length), "these braces do not match: a statement cannot close a block it did not open");
            return (ImmutableArray<StatementSyntax>.Empty, 0);
        }
        return (forward.Body.Statements, offset);
    }

    private bool Evaluate(SourceText user, StatementSyntax statement, int offset, CancellationToken cancellation)
    {
        TextSpan U(TextSpan s) => new(s.Start - offset, s.Length);
        switch (statement)
        {
            case ReturnStatement r:
                ReportAt(user, U(r.Span), "return belongs in a forward; to see a value, type the expression alone");
                return false;
            case LetStatement { IsTuple: false } let when IsConstructor(let.Value):
                return DefineInstance(user, let.Targets[0].Text, U(let.Value.Span));
            case ExpressionStatement e when IsConstructor(e.Expression):
                return DefineInstance(user, null, U(e.Expression.Span));
            default:
                return Run(user, statement, U, cancellation);
        }
    }

    /// <summary><c>Linear(4, 8)</c> or <c>Expert(8, 16)[4]</c>: a module of the session, not shadowed by a variable.</summary>
    private bool IsConstructor(ExpressionSyntax e)
    {
        if (e is IndexExpression { Items: [ExpressionIndex] } index) e = index.Target;
        return e is CallExpression { Callee: NameExpression name } && !_variables.ContainsKey(name.Name.Text) &&
            _compilation.Symbols.Modules.ContainsKey(name.Name.Text);
    }

    // ------------------------------------------------------------------ the module around a statement

    /// <summary>
    /// Writes the module for one statement: the dims and values it names become constants, the module
    /// instances it names members, the tensors it names forward inputs (typed with their shapes).
    /// <paramref name="defined"/> is a name the statement makes anew, so an older variable of that name is left out.
    /// </summary>
    private SourceMap Build(SourceText user, TextSpan span, string? defined, Action<SourceMap> members, Action<SourceMap> body)
    {
        var named = SyntaxFacts.Tokenize(user.Text.Substring(span.Start, span.Length))
            .Where(t => t.Kind == SyntaxTokenKind.Identifier).Select(t => t.Text).ToHashSet(StringComparer.Ordinal);
        bool Uses(string name) => named.Contains(name) && name != defined;

        var map = new SourceMap(user).Add($"module {ModuleName}() {{\n");
        foreach (var (name, size) in Dims)
            if (Uses(name) && !_variables.ContainsKey(name)) map.Add($"  const {name} = {size}\n");
        var inputs = new List<TensorVariable>();
        foreach (var v in Variables.Where(v => Uses(v.Name)))
        {
            switch (v)
            {
                case ValueVariable value:
                    map.Add($"  const {v.Name} = {Values.Literal(value.Value)}\n");
                    break;
                case InstanceVariable instance:
                    map.Add($"  {v.Name} = {instance.Constructor}\n", v.Name,
                        $"'{v.Name}' is made as {instance.Constructor}, and module {instance.Module} changed since; make it again with let {v.Name} = {instance.Module}(...)");
                    break;
                case TensorVariable tensor:
                    inputs.Add(tensor);
                    break;
            }
        }
        // A model the statement calls is a member made as the model is: Fraud(x, edges) runs the model.
        foreach (var model in _compilation.Models.Where(m => Uses(m.Name) && !_variables.ContainsKey(m.Name)))
            map.Add($"  {model.Name} = {SyntaxPrinter.Print(model.Syntax.Value)}\n");
        members(map);
        map.Add("  forward(" + string.Join(", ", inputs.Select(i => $"{i.Name}: {i.Tensor.TypeText()}")) + ") {\n");
        body(map);
        map.Add("  }\n}\n").Add($"model {ModelName} = {ModuleName}()\n");
        return map;
    }

    /// <summary>Compiles a built module with the session's declarations; prints its new diagnostics (unless quiet).</summary>
    private (ModelGraph Elaborated, SourceText Built)? Elaborate(SourceMap map, bool quiet = false)
    {
        var built = new SourceText(map.User.Path, map.Text);
        var tree = SyntaxTree.Parse(built);
        if (tree.HasErrors)
        {
            if (!quiet) Print(tree.Diagnostics.Select(d => map.Map(d, built)));
            return null;
        }
        var compilation = _compilation.ContinueWith(tree);
        var elaborated = compilation.ElaborateSubmission(compilation.Symbols.FindModel(ModelName)!);
        if (!quiet) Print(elaborated.Diagnostics.Where(d => !_known.Contains(Key(d))).Select(d => Suggest(map.Map(d, built))));
        return elaborated.Graph == null || elaborated.Result == null ? null : (elaborated, built);
    }

    /// <summary>
    /// An unknown name for which the compiler had no suggestion gets one from the session's names that
    /// the statement did not use (and so were not in its scope): "did you mean 'attn'?".
    /// </summary>
    private Diagnostic Suggest(Diagnostic d)
    {
        if (d.Code != "DSK1001" || d.Message.Contains("did you mean", StringComparison.Ordinal) || d.Location.Span.Length == 0) return d;
        var name = d.Location.Source.Text.Substring(d.Location.Span.Start, d.Location.Span.Length);
        // One or two letters are a distance of one or two from any other short name: no guess there.
        var candidates = _order.Concat(Dims.Keys).Where(c => name.Length >= 3 || string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
        var suggestion = Spelling.Suggest(name, candidates);
        if (suggestion != null) return new Diagnostic(d.Descriptor, d.Location, d.Message + $"; did you mean '{suggestion}'?", d.Notes);
        // B, T, N: a dim the statement expects to have a size.
        if (name.Length <= 3 && name.All(char.IsAsciiLetterUpper))
            return new Diagnostic(d.Descriptor, d.Location, d.Message + $"; to use {name} as a size, give it one with :dims {name}=...", d.Notes);
        return d;
    }

    /// <summary>The value of an expression of the session (a constant's value), or null; nothing is printed.</summary>
    private Val? EvaluateQuietly(string expression)
    {
        var user = new SourceText("<repl>", expression);
        var span = new TextSpan(0, expression.Length);
        var map = Build(user, span, null, _ => { }, m => m.Add("    return (").Add(span).Add(",)\n"));
        return Elaborate(map, quiet: true)?.Elaborated.Result is TupleVal { Items: [var value] } ? value : null;
    }

    // ------------------------------------------------------------------ module instances

    /// <summary><c>let attn = MultiheadAttention(64, 4)</c>: makes the instance and its weights (from the session's seed).</summary>
    private bool DefineInstance(SourceText user, string? name, TextSpan value)
    {
        var member = name ?? It;
        var map = Build(user, value, member, m => m.Add($"  {member} = ").Add(value).Add("\n"), m => m.Add($"    return ({member},)\n"));
        if (Elaborate(map) is not ({ Result: TupleVal { Items: [var result] } } elaborated, _)) return false;
        string constructor, module;
        switch (result)
        {
            case ModuleVal mv:
                (constructor, module) = (Values.Constructor(mv.Instance), mv.Instance.Module.Name);
                break;
            case ModuleArrayVal { Items.Length: > 0 } array:
                (constructor, module) = (Values.Constructor(array.Items[0]) + $"[{array.Count}]", array.Module.Name);
                break;
            default:
                ReportAt(user, value, $"this makes {result.Describe()}; an array of modules needs at least one copy");
                return false;
        }

        var own = elaborated.Graph!.Weights.Where(w => w.Name.StartsWith(member + ".", StringComparison.Ordinal)).ToList();
        CheckMemory(own.Sum(w => Bytes(w)), $"the weights of {constructor}");
        var weights = new WeightSet();
        long parameters = 0;
        foreach (var w in own)
        {
            weights.Add(w.Name, CreateWeight(w));
            if (w.Kind == WeightKind.Param) parameters += weights[w.Name].ElementCount;
        }
        var line = $"module {constructor} with {Values.Count(parameters)} parameter{(parameters == 1 ? "" : "s")}";
        if (name == null)
        {
            weights.Dispose();
            _out.WriteLine(line);
            return true;
        }
        Replace(new InstanceVariable(name, module, constructor, weights));
        _out.WriteLine($"{name}: {line}");
        return true;
    }

    /// <summary>
    /// How much memory the REPL lets the weights of one instance, model or benchmark take: half of what the
    /// machine has, so that :bench Mixtral8x7B says it does not fit rather than swapping the machine to death.
    /// </summary>
    public static long MemoryBudget { get; set; } = Math.Max(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2);

    /// <summary>Refuses to make tensors of <paramref name="bytes"/> in all when that is over <see cref="MemoryBudget"/>.</summary>
    private static void CheckMemory(long bytes, string what)
    {
        if (bytes > MemoryBudget)
            throw new ReplException($"{what} would take {Values.Bytes(bytes)} of memory; the REPL makes at most {Values.Bytes(MemoryBudget)} at once (half of this machine's memory)");
    }

    /// <summary>The most memory the eager interpreter holds at once for the values a graph computes (it frees each after its last use).</summary>
    private static long PeakBytes(Graph graph)
    {
        var lastUse = new Dictionary<Value, int>();
        for (int n = 0; n < graph.Nodes.Length; n++)
            foreach (var v in graph.Nodes[n].Inputs) lastUse[v] = n;
        foreach (var o in graph.Outputs) lastUse[o.Value] = int.MaxValue;
        long live = 0, peak = 0;
        for (int n = 0; n < graph.Nodes.Length; n++)
        {
            foreach (var o in graph.Nodes[n].Outputs) live = Saturate(live, Bytes(o));
            peak = Math.Max(peak, live);
            foreach (var o in graph.Nodes[n].Outputs)
                if (!lastUse.TryGetValue(o, out var last) || last <= n) live -= Bytes(o);
            foreach (var v in graph.Nodes[n].Inputs.Distinct())
                if (lastUse[v] == n && graph.ProducerOf(v) != null) live -= Bytes(v);
        }
        return peak;
    }

    private static long Saturate(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long Bytes(Weight w, IReadOnlyDictionary<string, long>? dims = null) => Bytes(w.Value, dims);

    private static long Bytes(Value value, IReadOnlyDictionary<string, long>? dims = null)
    {
        long n = 1;
        foreach (var d in value.Type.Shape.Dims)
        {
            long size = d.TryEvaluate(name => dims != null && dims.TryGetValue(name, out var v) ? v : null) ?? 0;
            n = size > 0 && n > long.MaxValue / size ? long.MaxValue / 8 : n * size;
        }
        return n > long.MaxValue / 8 ? long.MaxValue : n * value.Type.DType.ByteSize();
    }

    /// <summary>A weight from its initializer and the session's seed; its random stream is named <paramref name="name"/> (by default its own name).</summary>
    private Tensor CreateWeight(Weight w, string? name = null)
    {
        var shape = w.Value.Type.Shape.Dims.Select(d => d.ConstantValue ?? throw new ReplException($"weight {w.Name} has a symbolic size {d}")).ToArray();
        return Initializers.Create(name ?? w.Name, w.Value.Type.DType, shape, w.Init, _options.Seed);
    }

    // ------------------------------------------------------------------ other statements

    private bool Run(SourceText user, StatementSyntax statement, Func<TextSpan, TextSpan> U, CancellationToken cancellation)
    {
        bool isExpression = statement is ExpressionStatement;
        var exports = isExpression
            ? new List<string> { It }
            : (statement is LetStatement let ? let.Targets.Select(t => t.Text) : SyntaxWalk.AssignedNames(statement).Where(_variables.ContainsKey))
                .Where(n => n.Length > 0).Distinct().ToList();
        var span = U(statement.Span);
        var map = Build(user, span, null, _ => { }, m =>
        {
            m.Add("    ");
            if (statement is ExpressionStatement e) m.Add($"let {It} = ").Add(U(e.Expression.Span));
            else m.Add(span);
            m.Add("\n    return (" + string.Join(", ", exports) + (exports.Count == 1 ? "," : "") + ")\n");
        });
        if (Elaborate(map) is not ({ Result: TupleVal result } elaborated, var built)) return false;

        if (!isExpression)
        {
            for (int i = 0; i < exports.Count; i++)
            {
                if (CannotKeep(exports[i], result.Items[i]) is not { } problem) continue;
                var target = statement is LetStatement l ? l.Targets.First(t => t.Text == exports[i]).Span : statement.Span;
                ReportAt(user, U(target), problem);
                return false;
            }
        }

        var outputs = new List<Tensor>();
        var graph = elaborated.Graph!;
        if (graph.Outputs.Length > 0)
        {
            graph = Prepare(graph, map, built, SeedlessRandn(statement, U));
            CheckMemory(PeakBytes(graph), "this statement");
            var inputs = graph.Inputs.ToDictionary(i => i.Name, i => ((TensorVariable)_variables[i.Name]).Tensor, StringComparer.Ordinal);
            var run = new EagerInterpreter(graph).Run(inputs, Borrow(graph), null, cancellation);
            outputs.AddRange(run.Outputs.Select(o => o.Tensor));
        }

        int next = 0;
        try
        {
            for (int i = 0; i < exports.Count; i++)
            {
                var value = result.Items[i];
                if (isExpression) Show(null, value, outputs, ref next);
                else if (value is TensorVal)
                {
                    var tensor = outputs[next];
                    outputs[next++] = null!;
                    Replace(new TensorVariable(exports[i], tensor));
                    ShowTensor(exports[i], tensor);
                }
                else
                {
                    Replace(new ValueVariable(exports[i], value));
                    _out.WriteLine($"{exports[i]}: {Values.TypeText(value)} = {Values.Display(value)}");
                }
            }
        }
        finally
        {
            foreach (var t in outputs) t?.Dispose();
        }
        return true;
    }

    /// <summary>Why a let cannot keep a value (a module, a tuple holding tensors), or null when it can.</summary>
    private static string? CannotKeep(string name, Val value) => value switch
    {
        TensorVal => null,
        ModuleVal or ModuleArrayVal => $"'{name}' would be {Values.TypeText(value)}; a variable holds a module only when the statement makes it, as in let {name} = Linear(4, 8)",
        TupleVal or ListVal when !Values.IsLiteral(value) => $"'{name}' would hold {Values.TypeText(value)}; unpack it into one name each, as in let (a, b) = ...",
        _ when Values.IsLiteral(value) => null,
        _ => $"'{name}' would be {value.Describe()}, which a variable cannot hold",
    };

    /// <summary>Prints the value of an expression: tensors with their values, the rest as type = value.</summary>
    private void Show(string? label, Val value, List<Tensor> outputs, ref int next)
    {
        switch (value)
        {
            case TensorVal:
                ShowTensor(label, outputs[next++]);
                break;
            case TupleVal or ListVal when !Values.IsLiteral(value):
                {
                    var items = value is TupleVal tuple ? tuple.Items : ((ListVal)value).Items;
                    _out.WriteLine(Values.TypeText(value));
                    for (int i = 0; i < items.Length; i++) Show((label ?? "") + $"[{i}]", items[i], outputs, ref next);
                    break;
                }
            default:
                _out.WriteLine((label != null ? label + ": " : "") + $"{Values.TypeText(value)} = {Values.Display(value)}");
                break;
        }
    }

    private void ShowTensor(string? label, Tensor t)
    {
        var preview = TensorPreview.Format(t);
        var head = label != null ? $"{label}: {t.TypeText()}" : t.TypeText();
        if (!preview.Contains('\n') && head.Length + 3 + preview.Length <= TensorPreview.LineWidth) _out.WriteLine($"{head} = {preview}");
        else
        {
            _out.WriteLine(head);
            _out.WriteLine(preview);
        }
    }

    /// <summary>Adds or replaces a variable (the old one's memory is freed); a new name goes last.</summary>
    private void Replace(Variable variable)
    {
        if (_variables.Remove(variable.Name, out var old)) old.Dispose();
        else _order.Add(variable.Name);
        _variables[variable.Name] = variable;
    }

    // ------------------------------------------------------------------ running

    /// <summary>The spans of <c>randn(...)</c> calls without <c>seed:</c>: each run of one draws fresh numbers.</summary>
    private HashSet<TextSpan> SeedlessRandn(StatementSyntax statement, Func<TextSpan, TextSpan> U) =>
        _variables.ContainsKey("randn")
            ? new HashSet<TextSpan>()
            : SyntaxWalk.Expressions(statement).OfType<CallExpression>()
                .Where(c => c.Callee is NameExpression { Name.Text: "randn" } && !c.Arguments.Any(a => a.Name?.Text == "seed"))
                .Select(c => U(c.Span)).ToHashSet();

    /// <summary>
    /// The graph as it runs: node origins point into the user's text (for run-time errors), and each
    /// seedless randn gets the session's next seed.
    /// </summary>
    private Graph Prepare(Graph graph, SourceMap map, SourceText built, HashSet<TextSpan> seedless)
    {
        var nodes = graph.Nodes.Select(node =>
        {
            var origin = node.Origin;
            if (origin is { } o && o.Source == built)
                origin = map.Map(o.Span) is { } s ? new Location(map.User, s) : null;
            var attributes = node.Attributes;
            if (node.Op == Ops.Randn && origin is { } u && u.Source == map.User && seedless.Contains(u.Span))
                attributes = attributes.With("seed", _options.Seed * 1_000_000 + ++_draws);
            return new Node(node.Op, node.Inputs, attributes, node.Outputs, origin, node.RoutingGroup);
        }).ToImmutableArray();
        return new Graph(graph.Name, graph.Inputs, graph.Weights, nodes, graph.Outputs, graph.Routing);
    }

    /// <summary>
    /// The weights of a graph, lent by the instances that own them (the set is never disposed). An
    /// instance whose module changed since it was made gets new weights for what no longer fits.
    /// </summary>
    private WeightSet Borrow(Graph graph)
    {
        var missing = graph.Weights.Where(w =>
        {
            int dot = w.Name.IndexOf('.', StringComparison.Ordinal);
            return !(dot > 0 && _variables.TryGetValue(w.Name[..dot], out var v) && v is InstanceVariable i && i.Weights.Contains(w.Name)) &&
                !(dot > 0 && _modelWeights.TryGetValue(w.Name[..dot], out var m) && m.Contains(w.Name));
        });
        CheckMemory(missing.Sum(w => Bytes(w)), "the weights this statement needs");
        var set = new WeightSet();
        var renewed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var w in graph.Weights)
        {
            int dot = w.Name.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0 && _variables.TryGetValue(w.Name[..dot], out var v) && v is InstanceVariable instance)
            {
                if (!instance.Weights.TryGet(w.Name, out var t) || !Fits(t, w))
                {
                    t = CreateWeight(w);
                    instance.Weights.Set(w.Name, t);
                    renewed.Add(instance.Name);
                }
                set.Add(w.Name, t);
            }
            else if (dot > 0 && _compilation.Symbols.FindModel(w.Name[..dot]) != null)
            {
                // A model's weights are named as dskc run names them (without the model's name), so that
                // Fraud(x, edges) here computes what dskc run computes with the same seed and inputs.
                var model = w.Name[..dot];
                if (!_modelWeights.TryGetValue(model, out var weights)) _modelWeights[model] = weights = new WeightSet();
                if (!weights.TryGet(w.Name, out var t) || !Fits(t, w))
                {
                    t = CreateWeight(w, w.Name[(dot + 1)..]);
                    weights.Set(w.Name, t);
                }
                set.Add(w.Name, t);
            }
            else set.Add(w.Name, CreateWeight(w));
        }
        foreach (var name in renewed)
            _err.WriteLine($"note: {name}'s module changed since {name} was made; the weights that no longer fit were initialised again");
        return set;
    }

    private static bool Fits(Tensor t, Weight w) =>
        t.DType == w.Value.Type.DType && t.Shape.SequenceEqual(w.Value.Type.Shape.Dims.Select(d => d.ConstantValue ?? -1));
}
