using System.Diagnostics;
using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Repl;

// The commands: lines that start with ':'.
internal sealed partial class ReplSession
{
    /// <summary>Every command: name, how it is written, what it does (for :help and completion).</summary>
    public static readonly (string Name, string Usage, string Help)[] Commands =
    {
        ("help", ":help", "show this help"),
        ("quit", ":quit", "leave the REPL (also Ctrl+D on an empty line)"),
        ("load", ":load FILE", "load a .dsk file and the files it imports"),
        ("type", ":type EXPR", "the type of an expression, a variable, a module or a model; nothing runs"),
        ("params", ":params NAME", "the parameters of a model or a module instance: names, shapes, counts, total"),
        ("ir", ":ir MODEL", "a model's optimised graph IR, with the :dims bound"),
        ("report", ":report MODEL", "parameters, FLOPs, memory and kernels of a model at the :dims"),
        ("bench", ":bench MODEL", "time a model on the compiled and the eager engine at the :dims"),
        ("dims", ":dims [B=2 T=8]", "show or set default sizes of symbolic dims (B= forgets B, :dims clear forgets all)"),
        ("reset", ":reset", "forget every declaration, variable and dim"),
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["q"] = "quit",
        ["exit"] = "quit",
        ["h"] = "help",
        ["?"] = "help",
        ["t"] = "type",
    };

    /// <summary>How many timed runs <c>:bench</c> makes at most per engine, and how long it keeps going.</summary>
    public const int BenchRuns = 5;

    public static readonly TimeSpan BenchBudget = TimeSpan.FromSeconds(2);

    private bool RunCommand(string line, CancellationToken cancellation)
    {
        int space = line.IndexOfAny(new[] { ' ', '\t' });
        var name = (space < 0 ? line[1..] : line[1..space]);
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        if (Aliases.TryGetValue(name, out var alias)) name = alias;
        switch (name)
        {
            case "help":
                Help();
                return true;
            case "quit":
                return false;
            case "load":
                Load(argument);
                return true;
            case "type":
                TypeOf(argument);
                return true;
            case "params":
                Params(Argument(argument, ":params NAME"));
                return true;
            case "ir":
                Ir(Argument(argument, ":ir MODEL"));
                return true;
            case "report":
                Report(Argument(argument, ":report MODEL"));
                return true;
            case "bench":
                Bench(Argument(argument, ":bench MODEL"), cancellation);
                return true;
            case "dims":
                SetDims(argument);
                return true;
            case "reset":
                Reset();
                return true;
        }
        var suggestion = Spelling.Suggest(name, Commands.Select(c => c.Name));
        throw new ReplException($"unknown command ':{name}'" + (suggestion != null ? $"; did you mean ':{suggestion}'?" : "") + " (:help lists the commands)");
    }

    private static string Argument(string argument, string usage)
    {
        if (argument.Length == 0 || argument.Contains(' ')) throw new ReplException($"usage: {usage}");
        return argument;
    }

    private void Help()
    {
        var sb = new StringBuilder();
        sb.Append("Type statements (let x = randn(2, 3); x @ x.T) or declarations (module, const, model, plan, import).\n");
        sb.Append("An open (, [ or { continues the input on the next line; two empty lines end it anyway.\n");
        sb.Append("Commands:\n");
        int width = Commands.Max(c => c.Usage.Length);
        foreach (var (_, usage, help) in Commands) sb.Append("  ").Append(usage.PadRight(width)).Append("  ").Append(help).Append('\n');
        sb.Append("Keys: Up/Down history, Tab completes names, Ctrl+C cancels the input or a running statement, Ctrl+D quits.\n");
        _out.Write(sb.ToString());
    }

    // ------------------------------------------------------------------ :load, :dims, :reset

    private void Load(string path)
    {
        if (path.Length >= 2 && path[0] == '"' && path[^1] == '"') path = path[1..^1];
        if (path.Length == 0) throw new ReplException("usage: :load FILE");
        var sources = SourceLoader.Load(new[] { path }, DiskFileSystem.Instance);
        foreach (var e in sources.LoadErrors) throw new ReplException($"cannot read '{e.Path}': {e.Message}");
        Declare(sources, loaded: path);
    }

    private void SetDims(string argument)
    {
        var parts = argument.Split(new[] { ' ', '\t', ',' }, StringSplitOptions.RemoveEmptyEntries);
        if (parts is ["clear"]) Dims.Clear();
        foreach (var part in parts.Where(p => p != "clear"))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            var dim = eq < 0 ? "" : part[..eq];
            if (eq <= 0 || !IsIdentifier(dim)) throw new ReplException($":dims {part}: expected NAME=VALUE, as in :dims B=2 T=8");
            if (eq == part.Length - 1)
            {
                Dims.Remove(dim);
                continue;
            }
            if (!long.TryParse(part[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out long size) || size <= 0)
                throw new ReplException($":dims {part}: the size must be a positive integer");
            Dims[dim] = size;
        }
        _out.WriteLine(Dims.Count == 0 ? "no dims set" : "dims " + DimsText(Dims));
    }

    private static string DimsText(IEnumerable<KeyValuePair<string, long>> dims) =>
        string.Join(", ", dims.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value.ToString(CultureInfo.InvariantCulture)}"));

    private void Reset()
    {
        Dispose();
        Dims.Clear();
        _compilation = Empty();
        _known = new HashSet<string>(StringComparer.Ordinal);
        _draws = 0;
        _out.WriteLine("the session was reset: no declarations, variables or dims");
    }

    private static bool IsIdentifier(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    // ------------------------------------------------------------------ :type

    private void TypeOf(string text)
    {
        if (text.Length == 0) throw new ReplException("usage: :type EXPR, as in :type x @ x.T");
        if (IsIdentifier(text) && TypeOfName(text)) return;
        var user = new SourceText(NextPath(), text);
        var (statements, offset) = ParseStatements(user);
        if (statements.IsEmpty) return;
        if (statements is not [ExpressionStatement e])
        {
            ReportAt(user, new TextSpan(0, user.Length), ":type takes one expression");
            return;
        }
        var span = new TextSpan(e.Expression.Span.Start - offset, e.Expression.Span.Length);
        SourceMap map;
        if (IsConstructor(e.Expression))
            map = Build(user, span, It, m => m.Add($"  {It} = ").Add(span).Add("\n"), m => m.Add($"    return ({It},)\n"));
        else
            map = Build(user, span, null, _ => { }, m => m.Add($"    let {It} = ").Add(span).Add($"\n    return ({It},)\n"));
        if (Elaborate(map)?.Elaborated.Result is TupleVal { Items: [var value] })
            _out.WriteLine(value switch
            {
                ModuleVal mv => "module " + Values.Constructor(mv.Instance),
                ModuleArrayVal { Items.Length: > 0 } a => $"module {Values.Constructor(a.Items[0])}[{a.Count}]",
                _ => Values.TypeText(value),
            });
    }

    /// <summary>:type of a variable, a model or a module: what it is and, for modules, the forward's signature.</summary>
    private bool TypeOfName(string name)
    {
        ModuleSymbol? module = null;
        if (_variables.TryGetValue(name, out var v))
        {
            _out.WriteLine($"{name}: {v.TypeText}");
            if (v is InstanceVariable instance) _compilation.Symbols.Modules.TryGetValue(instance.Module, out module);
        }
        else if (_compilation.Symbols.FindModel(name) is { } model)
        {
            _out.WriteLine($"model {name} = {SyntaxPrinter.Print(model.Syntax.Value)}");
            if (model.Syntax.Value is CallExpression { Callee: NameExpression callee }) _compilation.Symbols.Modules.TryGetValue(callee.Name.Text, out module);
        }
        else if (_compilation.Symbols.Modules.TryGetValue(name, out module))
            _out.WriteLine("module " + module.Signature);
        else return false;
        if (module?.Forward is { } f)
        {
            var parameters = f.Parameters.Select(p => $"{p.Name.Text}: {SyntaxPrinter.Print(p.Type)}" + (p.Default != null ? " = " + SyntaxPrinter.Print(p.Default) : ""));
            _out.WriteLine($"  forward({string.Join(", ", parameters)})" + (f.ReturnType != null ? " -> " + SyntaxPrinter.Print(f.ReturnType) : ""));
        }
        return true;
    }

    // ------------------------------------------------------------------ :params, :ir, :report

    private Graph Graph(Compilation compilation, ModelSymbol model)
    {
        var elaborated = compilation.GetModel(model);
        if (elaborated.Graph is { } graph) return graph;
        Print(elaborated.Diagnostics.Where(d => !_known.Contains(Key(d))));
        throw new ReplException($"{model.Name} does not compile");
    }

    private void Params(string name)
    {
        if (_variables.TryGetValue(name, out var v) && v is InstanceVariable instance)
        {
            // An instance (an array of them too) as the only member of a module, its weights named name.*.
            var text = $"module {ModuleName}() {{\n  {name} = {instance.Constructor}\n  forward() {{\n    return ()\n  }}\n}}\nmodel {ModelName} = {ModuleName}()\n";
            var compilation = _compilation.ContinueWith(SyntaxTree.Parse(new SourceText(NextPath(), text)));
            var elaborated = compilation.ElaborateSubmission(compilation.Symbols.FindModel(ModelName)!);
            if (elaborated.Graph is not { } weights)
            {
                Print(elaborated.Diagnostics.Where(d => !_known.Contains(Key(d))));
                throw new ReplException($"{name} does not compile");
            }
            ParamsTable.Write(_out, _options.OutputIsTerminal, $"{name}: {instance.Constructor}", ParamsTable.Rows(weights, instance.Constructor.EndsWith(']') ? "" : name + "."), ParamsTable.Active(weights));
            return;
        }
        var (modelCompilation, model, _) = ResolveModel(name, ":params");
        var graph = Graph(modelCompilation, model);
        ParamsTable.Write(_out, _options.OutputIsTerminal, $"model {name} = {SyntaxPrinter.Print(model.Syntax.Value)}", ParamsTable.Rows(graph), ParamsTable.Active(graph));
    }

    /// <summary>The session's dims that the model has (the others would be an error for it).</summary>
    private Dictionary<string, long> DimsOf(Graph graph)
    {
        var names = graph.SymbolicDims.ToHashSet(StringComparer.Ordinal);
        return Dims.Where(kv => names.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    private CompiledModel Compile(string name, string command)
    {
        var (compilation, model, _) = ResolveModel(name, command);
        var dims = DimsOf(Graph(compilation, model));
        var (compiled, diagnostics, error) = CompiledModel.Compile(compilation, model, dims);
        if (error != null) throw new ReplException($"{error.Descriptor.Code}: {error.Message}");
        if (compiled == null)
        {
            Print(diagnostics.Where(d => !_known.Contains(Key(d))));
            throw new ReplException($"{name} does not compile");
        }
        return compiled;
    }

    private void Ir(string name) => _out.Write(IrPrinter.Print(Compile(name, ":ir").Graph));

    private void Report(string name)
    {
        var r = Compile(name, ":report").Report;
        var sb = new StringBuilder();
        sb.Append($"{name}").Append(r.Dims.Count > 0 ? "  dims " + DimsText(r.Dims) : "").Append('\n');
        if (r.DefaultedDims.Length > 0)
            sb.Append($"  (no size for {string.Join(", ", r.DefaultedDims)}: counted as 1; set sizes with :dims {string.Join(" ", r.DefaultedDims.Select(d => d + "=..."))})\n");
        sb.Append($"  parameters   {Values.Count(r.TotalParameters)}" + (r.ActiveParameters != r.TotalParameters ? $" ({Values.Count(r.ActiveParameters)} active per token)" : "") + "\n");
        sb.Append($"  FLOPs        {Values.Count(r.ForwardFlops)} forward, {Values.Count(r.FlopsPerToken)} per token" +
            (r.ExecutedFlops != r.ForwardFlops ? $", {Values.Count(r.ExecutedFlops)} executed" : "") + "\n");
        sb.Append($"  weights      {Values.Bytes(r.WeightsBytes)}\n");
        sb.Append($"  activations  {Values.Bytes(r.PeakActivationBytes)} at the peak ({Values.Bytes(r.UnplannedActivationBytes)} without reuse)\n");
        sb.Append($"  kernels      {r.FusedKernels} fused ({r.UnfusedKernels} unfused), {r.Ops} ops\n");
        _out.Write(sb.ToString());
    }

    // ------------------------------------------------------------------ :bench

    private void Bench(string name, CancellationToken cancellation)
    {
        var (compilation, model, instance) = ResolveModel(name, ":bench");
        var graph = Graph(compilation, model);
        var dims = DimsOf(graph);
        var unbound = graph.SymbolicDims.Where(d => !dims.ContainsKey(d)).OrderBy(d => d, StringComparer.Ordinal).ToList();
        if (unbound.Count > 0)
            throw new ReplException($":bench runs {name} at the :dims; set {string.Join(", ", unbound)} first, as in :dims {string.Join(" ", unbound.Select(d => d + "=4"))}");

        CheckMemory(graph.Weights.Sum(w => Bytes(w, dims)) + graph.Inputs.Sum(i => Bytes(new Weight(i.Name, WeightKind.Buffer, i.Value, Initializer.Zeros), dims)),
            $"{name}'s weights and inputs at {(dims.Count > 0 ? DimsText(dims) : "these sizes")}");
        var weights = new WeightSet();
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var w in graph.Weights)
            {
                if (instance != null && instance.Weights.TryGet(name + "." + w.Name, out var kept) && Fits(kept, w)) weights.Add(w.Name, kept.Clone());
                else weights.Add(w.Name, Initializers.Create(w.Name, w.Value.Type.DType, EagerInterpreter.Evaluate(w.Value.Type.Shape, dims), w.Init, _options.Seed));
            }
            foreach (var input in graph.Inputs)
                inputs[input.Name] = RandomInputs.Make(graph, input, EagerInterpreter.Evaluate(input.Value.Type.Shape, dims), _options.Seed, dims);

            using var compiled = new ModelRunner(compilation, model, weights, Engine.Compiled);
            var clock = Stopwatch.StartNew();
            compiled.Plan(dims);
            var build = clock.Elapsed.TotalSeconds;
            var (compiledTime, compiledRuns) = Time(() => compiled.Run(inputs, dims), cancellation);
            using var eager = new ModelRunner(compilation, model, weights, Engine.Eager);
            var (eagerTime, eagerRuns) = Time(() => eager.Run(inputs, dims, cancellation), cancellation);

            var runs = compiledRuns == eagerRuns ? $"median of {compiledRuns} runs" : $"median of {compiledRuns} and {eagerRuns} runs";
            _out.WriteLine($"{name}" + (dims.Count > 0 ? "  dims " + DimsText(dims) : "") + $"  ({runs})");
            _out.WriteLine($"  compiled  {Values.Duration(compiledTime),10}   (plan built in {Values.Duration(build)})");
            _out.WriteLine($"  eager     {Values.Duration(eagerTime),10}");
            double ratio = eagerTime / compiledTime;
            _out.WriteLine(ratio >= 1
                ? $"  compiled is {ratio.ToString("0.0", CultureInfo.InvariantCulture)}x faster than eager"
                : $"  compiled is {(1 / ratio).ToString("0.0", CultureInfo.InvariantCulture)}x slower than eager");
        }
        finally
        {
            weights.Dispose();
            foreach (var t in inputs.Values) t.Dispose();
        }
    }

    /// <summary>One warm-up run, then up to <see cref="BenchRuns"/> timed runs within <see cref="BenchBudget"/>; the median.</summary>
    private static (double Seconds, int Runs) Time(Func<RunResult> run, CancellationToken cancellation)
    {
        run().Dispose();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < BenchRuns && (times.Count == 0 || total.Elapsed < BenchBudget))
        {
            cancellation.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            run().Dispose();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return (times[times.Count / 2], times.Count);
    }
}
