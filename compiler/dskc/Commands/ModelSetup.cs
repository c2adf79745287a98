using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Tensors;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>What <see cref="ModelSetup"/> needs from the command line (run and bench share these options).</summary>
internal sealed record ModelSetupOptions(string File, string? Model, IReadOnlyList<string> Dims, long Seed, string? Weights,
    IReadOnlyList<string> Inputs, bool Excerpts, string? Root);

/// <summary>Where an input tensor came from: a <c>--input</c> file (Detail is its path) or the seed (Detail says how it was drawn).</summary>
internal sealed record InputOrigin(bool FromFile, string Detail);

/// <summary>
/// Everything a command needs to run one model: the compiled file, the chosen model, its dims bound,
/// every input (read from <c>--input</c> files or random from the seed) and the weights (loaded or
/// initialised). <c>dskc run</c> and <c>dskc bench</c> both start here, so they bind dims and make inputs
/// the same way. Owns the tensors and the weights.
/// </summary>
internal sealed class ModelSetup : IDisposable
{
    private readonly Dictionary<string, Tensor> _inputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InputOrigin> _origins = new(StringComparer.Ordinal);

    private ModelSetup(Compilation compilation, ModelSymbol symbol, Graph graph)
    {
        Compilation = compilation;
        Symbol = symbol;
        Graph = graph;
    }

    public Compilation Compilation { get; }

    public ModelSymbol Symbol { get; }

    /// <summary>The model's graph as elaborated, dims symbolic.</summary>
    public Graph Graph { get; }

    /// <summary>Every symbolic dim of the model, bound.</summary>
    public IReadOnlyDictionary<string, long> Dims { get; private set; } = new Dictionary<string, long>();

    public IReadOnlyDictionary<string, Tensor> Inputs => _inputs;

    public IReadOnlyDictionary<string, InputOrigin> Origins => _origins;

    public WeightSet Weights { get; private set; } = null!;

    /// <summary>True when the weights came from <c>--weights</c>, false when they were initialised from the seed.</summary>
    public bool WeightsFromFile { get; private set; }

    /// <summary>
    /// Sets a model up. Problems with the source are printed as diagnostics and give null with the exit
    /// code (2 when the file cannot be read, 1 otherwise); problems with the arguments (an unknown model,
    /// a bad <c>--dim</c> or <c>--input</c>, weights that do not fit) are a <see cref="RuntimeError"/>.
    /// </summary>
    public static ModelSetup? Create(CliConsole console, ModelSetupOptions o, out int exit)
    {
        exit = ExitCodes.Success;
        var output = new DiagnosticOutput(console, "text", o.Excerpts);
        var sources = SourceLoader.Load(new[] { o.File }, DiskFileSystem.Instance, o.Root);
        if (output.ReportLoadErrors(sources.LoadErrors))
        {
            exit = ExitCodes.Usage;
            return null;
        }
        var compilation = Compilation.Create(sources);
        if (sources.HasErrors)
        {
            output.Print(sources.Diagnostics);
            exit = ExitCodes.Errors;
            return null;
        }
        var symbol = PickModel(compilation, o);
        var elaborated = compilation.GetModel(symbol);
        if (elaborated.Diagnostics.Length > 0) output.Print(elaborated.Diagnostics);
        if (elaborated.Graph is not { } graph || elaborated.Diagnostics.Any(d => d.IsError))
        {
            exit = ExitCodes.Errors;
            return null;
        }

        var setup = new ModelSetup(compilation, symbol, graph);
        try
        {
            setup.Bind(o);
            return setup;
        }
        catch
        {
            setup.Dispose();
            throw;
        }
    }

    /// <summary><c>--model NAME</c>, which may be left out when the file defines exactly one model.</summary>
    private static ModelSymbol PickModel(Compilation compilation, ModelSetupOptions o)
    {
        var models = compilation.Models;
        var available = models.Length == 0 ? "it defines no model" : "its models are " + string.Join(", ", models.Select(m => m.Name));
        if (o.Model == null)
            return models.Length == 1 ? models[0] : throw new RuntimeError($"say which model to run with --model NAME; {o.File}: {available}");
        return models.FirstOrDefault(m => m.Name == o.Model) ?? throw new RuntimeError($"{o.File} has no model '{o.Model}'; {available}");
    }

    /// <summary>Binds the dims (from <c>--dim</c>, then from the input files' shapes), makes the inputs and the weights.</summary>
    private void Bind(ModelSetupOptions o)
    {
        var binder = new DimBinder();
        foreach (var (name, size) in DimArguments.Parse(o.Dims, Graph)) binder.Give(name, size, "--dim");

        foreach (var text in o.Inputs)
        {
            var (name, path) = DimArguments.SplitPair(text, "--input", "NAME=PATH.npy");
            if (!Graph.Inputs.Any(i => i.Name == name))
                throw new RuntimeError($"--input {text}: model {Graph.Name} has no input '{name}'; its inputs are {string.Join(", ", Graph.Inputs.Select(i => i.Name))}");
            if (_inputs.ContainsKey(name)) throw new RuntimeError($"--input {name} is given twice");
            _inputs[name] = Npy.Read(path);
            _origins[name] = new InputOrigin(true, path);
        }
        binder.BindInputs(Graph, _inputs.ToDictionary(kv => kv.Key, kv => new ShapeInfo(kv.Value.DType, kv.Value.Shape.ToArray())));
        var unbound = Graph.SymbolicDims.OrderBy(d => d, StringComparer.Ordinal).Where(d => !binder.Values.ContainsKey(d)).ToList();
        if (unbound.Count > 0)
            throw new RuntimeError(unbound.Count == 1
                ? $"dimension {unbound[0]} of model {Graph.Name} is not bound; give it with --dim {unbound[0]}=VALUE"
                : $"dimensions {string.Join(", ", unbound)} of model {Graph.Name} are not bound; give them with {string.Join(" ", unbound.Select(u => $"--dim {u}=VALUE"))}");
        var bound = binder.Values.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Dims = bound;

        foreach (var input in Graph.Inputs)
        {
            if (_inputs.ContainsKey(input.Name)) continue;
            var shape = EagerInterpreter.Evaluate(input.Value.Type.Shape, bound);
            _inputs[input.Name] = RandomInputs.Make(Graph, input, shape, o.Seed, bound);
            _origins[input.Name] = new InputOrigin(false, input.Value.Type.DType.IsFloat()
                ? "random N(0, 1)"
                : input.Value.Type.DType == DType.Bool ? "random bools" : $"random integers in [0, {RandomInputs.IntegerBound(Graph, input, bound)})");
        }

        WeightsFromFile = o.Weights != null;
        Weights = o.Weights != null ? WeightSet.Load(o.Weights, Graph) : WeightSet.Initialize(Graph, o.Seed);
    }

    public void Dispose()
    {
        Weights?.Dispose();
        foreach (var t in _inputs.Values) t.Dispose();
        _inputs.Clear();
    }
}
