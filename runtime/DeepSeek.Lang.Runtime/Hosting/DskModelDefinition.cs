using System.Collections.Immutable;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Runtime.Devices;
using DeepSeek.Lang.Runtime.Weights;

namespace DeepSeek.Lang.Runtime.Hosting;

/// <summary>One .dsk source text that a generated model class embeds, with its path relative to the import root.</summary>
public sealed record DskSource(string Path, string Text);

/// <summary>
/// What a class written by the DeepSeek.Lang source generator knows about its model: the model's name
/// and the .dsk sources it was generated from (the file, then the files it imports). The sources are
/// compiled again, with the same <see cref="Compilation"/> API the generator and dskc use, the first
/// time a model is created or its graph is asked for; the result is kept for the life of the process.
/// </summary>
public sealed class DskModelDefinition
{
    /// <summary>The folder the embedded sources are placed under; imports may not leave it.</summary>
    public const string Root = "/dsk";

    private readonly Lazy<(Compilation Compilation, ModelSymbol Model, Graph Graph)> _compiled;
    private readonly Lazy<ImmutableArray<string>> _parameterNames;

    /// <param name="modelName">The model's name in the .dsk source.</param>
    /// <param name="entryPath">The path (relative to <see cref="Root"/>) of the source that declares the model.</param>
    /// <param name="sources">Every source the model needs: the entry and everything it imports.</param>
    public DskModelDefinition(string modelName, string entryPath, params DskSource[] sources)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        ArgumentNullException.ThrowIfNull(entryPath);
        ArgumentNullException.ThrowIfNull(sources);
        ModelName = modelName;
        EntryPath = entryPath;
        Sources = sources.ToImmutableArray();
        _compiled = new Lazy<(Compilation, ModelSymbol, Graph)>(Compile, LazyThreadSafetyMode.ExecutionAndPublication);
        _parameterNames = new Lazy<ImmutableArray<string>>(
            () => Graph.Weights.Where(w => w.Kind == WeightKind.Param).Select(w => w.Name).ToImmutableArray());
    }

    public string ModelName { get; }

    public string EntryPath { get; }

    public ImmutableArray<DskSource> Sources { get; }

    /// <summary>The compilation of the embedded sources (compiled on first use).</summary>
    public Compilation Compilation => _compiled.Value.Compilation;

    public ModelSymbol Model => _compiled.Value.Model;

    /// <summary>The model's graph as elaborated, its dims symbolic.</summary>
    public Graph Graph => _compiled.Value.Graph;

    /// <summary>The names of the learned parameters (buffers excluded), in the graph's order.</summary>
    public IReadOnlyList<string> ParameterNames => _parameterNames.Value;

    /// <summary>A model with every weight initialised from its initializer with <paramref name="seed"/> (see <see cref="WeightSet.Initialize"/>).</summary>
    public DskModelSession Create(Device device, long seed, Engine engine)
    {
        CheckDevice(device);
        var weights = WeightSet.Initialize(Graph, seed);
        return Session(weights, engine);
    }

    /// <summary>A model whose weights come from a safetensors file, checked against the graph (see <see cref="WeightSet.Load(string, Graph)"/>).</summary>
    public DskModelSession Load(string safetensorsPath, Device device, Engine engine)
    {
        ArgumentNullException.ThrowIfNull(safetensorsPath);
        CheckDevice(device);
        var weights = WeightSet.Load(safetensorsPath, Graph);
        return Session(weights, engine);
    }

    private DskModelSession Session(WeightSet weights, Engine engine)
    {
        try
        {
            return new DskModelSession(new ModelRunner(Compilation, Model, weights, engine), weights);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    private static void CheckDevice(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!ReferenceEquals(device, Device.Cpu))
            throw new RuntimeError($"device '{device.Name}' is not supported: models run on Device.Cpu today");
    }

    private (Compilation, ModelSymbol, Graph) Compile()
    {
        var fs = new MemoryFileSystem(Root);
        foreach (var s in Sources) fs.Add(s.Path, s.Text);
        var sources = SourceLoader.Load(new[] { EntryPath }, fs, Root);
        if (sources.LoadErrors.Length > 0)
            throw new RuntimeError($"model {ModelName}: cannot load {sources.LoadErrors[0].Path}: {sources.LoadErrors[0].Message}");
        var compilation = Compilation.Create(sources);
        var model = compilation.Models.FirstOrDefault(m => m.Name == ModelName && m.Source.Path == EntryPath)
            ?? compilation.Models.FirstOrDefault(m => m.Name == ModelName)
            ?? throw new RuntimeError($"the embedded sources declare no model '{ModelName}'");
        var elaborated = compilation.GetModel(model);
        if (elaborated.Graph is not { } graph)
            throw new RuntimeError($"model {ModelName} has errors:\n" +
                string.Join("\n", elaborated.Diagnostics.Where(d => d.IsError).Select(d => d.ToString())));
        return (compilation, model, graph);
    }
}
