using System.Collections;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Weights;

/// <summary>
/// A model's weights by their PyTorch-style names (<c>blocks.3.attn.q_proj.weight</c>), in insertion order.
/// The set owns its tensors: <see cref="Dispose"/> frees them all.
/// </summary>
public sealed class WeightSet : IDisposable, IReadOnlyCollection<KeyValuePair<string, Tensor>>
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);

    /// <summary>String metadata (safetensors' <c>__metadata__</c>), read by <see cref="Load(string)"/> and written by <see cref="Save"/>.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public int Count => _order.Count;

    public IReadOnlyList<string> Names => _order;

    public Tensor this[string name] => _tensors.TryGetValue(name, out var t) ? t : throw new RuntimeError($"there is no weight '{name}'");

    public bool TryGet(string name, out Tensor tensor) => _tensors.TryGetValue(name, out tensor!);

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Adds a tensor, taking ownership; a name already present is an error.</summary>
    public void Add(string name, Tensor tensor)
    {
        if (_tensors.ContainsKey(name)) throw new RuntimeError($"weight '{name}' is already in the set");
        _tensors.Add(name, tensor);
        _order.Add(name);
    }

    /// <summary>Replaces (and disposes) a tensor, or adds it.</summary>
    public void Set(string name, Tensor tensor)
    {
        if (_tensors.TryGetValue(name, out var old))
        {
            if (!ReferenceEquals(old, tensor)) old.Dispose();
            _tensors[name] = tensor;
        }
        else Add(name, tensor);
    }

    /// <summary>
    /// Every weight of <paramref name="graph"/> initialised from its initializer with <paramref name="seed"/>
    /// (see <see cref="Initializers"/>): the same seed gives the same bytes on any machine.
    /// </summary>
    public static WeightSet Initialize(Graph graph, long seed)
    {
        var set = new WeightSet();
        try
        {
            foreach (var w in graph.Weights)
                set.Add(w.Name, Initializers.Create(w.Name, w.Value.Type.DType, ConcreteShape(w), w.Init, seed));
        }
        catch
        {
            set.Dispose();
            throw;
        }
        return set;
    }

    /// <summary>Every tensor of a safetensors file, unchecked.</summary>
    public static WeightSet Load(string path)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        var set = new WeightSet();
        foreach (var (name, t) in tensors) set.Add(name, t);
        foreach (var (k, v) in metadata) set.Metadata[k] = v;
        return set;
    }

    /// <summary>
    /// The weights of <paramref name="graph"/> from a safetensors file, checked: a missing, extra, mis-typed
    /// or mis-shaped tensor is a <see cref="RuntimeError"/> naming it (with the expected and the actual type).
    /// </summary>
    public static WeightSet Load(string path, Graph graph)
    {
        var set = Load(path);
        try
        {
            set.CheckAgainst(graph, $"'{path}'");
        }
        catch
        {
            set.Dispose();
            throw;
        }
        return set;
    }

    /// <summary>Checks that the set holds exactly the graph's weights with their dtypes and shapes.</summary>
    public void CheckAgainst(Graph graph, string where = "the weights")
    {
        var problems = new List<string>();
        foreach (var w in graph.Weights)
        {
            var expected = Tensor.TypeText(w.Value.Type.DType, ConcreteShape(w));
            if (!_tensors.TryGetValue(w.Name, out var t)) problems.Add($"'{w.Name}' is missing (expected {expected})");
            else if (t.DType != w.Value.Type.DType || !t.Shape.AsSpan().SequenceEqual(ConcreteShape(w)))
                problems.Add($"'{w.Name}' is {t.TypeText()}, expected {expected}");
        }
        var known = new HashSet<string>(graph.Weights.Select(w => w.Name), StringComparer.Ordinal);
        foreach (var name in _order)
            if (!known.Contains(name)) problems.Add($"'{name}' is not a weight of model {graph.Name}");
        if (problems.Count == 1) throw new RuntimeError($"{where} do not fit model {graph.Name}: {problems[0]}");
        if (problems.Count > 1)
            throw new RuntimeError($"{where} do not fit model {graph.Name}: {problems.Count} problems:\n  " + string.Join("\n  ", problems.Take(20)) +
                (problems.Count > 20 ? $"\n  … and {problems.Count - 20} more" : ""));
    }

    /// <summary>Writes the set as safetensors, in its order, with <see cref="Metadata"/>.</summary>
    public void Save(string path)
    {
        try
        {
            SafeTensors.Write(path, _order.Select(n => new KeyValuePair<string, Tensor>(n, _tensors[n])), Metadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeError($"cannot write '{path}': {e.Message}", e);
        }
    }

    internal static long[] ConcreteShape(Weight w)
    {
        var shape = w.Value.Type.Shape;
        var dims = new long[shape.Rank];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = shape[i].ConstantValue ?? throw new RuntimeError($"weight '{w.Name}' has a symbolic shape {w.Value.Type}; weights need concrete sizes");
        return dims;
    }

    public void Dispose()
    {
        foreach (var t in _tensors.Values) t.Dispose();
        _tensors.Clear();
        _order.Clear();
    }

    public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator() =>
        _order.Select(n => new KeyValuePair<string, Tensor>(n, _tensors[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
