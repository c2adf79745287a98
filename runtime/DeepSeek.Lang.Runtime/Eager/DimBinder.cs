using System.Globalization;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Runtime.Eager;

/// <summary>A tensor's dtype and concrete shape, as the binder sees an input.</summary>
public readonly record struct ShapeInfo(DType DType, long[] Shape)
{
    public override string ToString() => Tensors.Tensor.TypeText(DType, Shape);
}

/// <summary>
/// Binds a graph's symbolic dimensions (B, T, N, E) to numbers by matching the actual shapes of its
/// inputs against their types. Given bindings come first; then, input by input and axis by axis, a
/// constant size is checked, a plain name is bound (or checked against its binding), and a dimension
/// written as an expression (<c>T + 1</c>, <c>2 * N</c>) waits until the plain names are bound; it is then
/// checked, or solved for its one unbound name when that name occurs linearly. Every disagreement is a
/// <see cref="RuntimeError"/> naming the input, its expected type with the dims bound so far, and the
/// actual type: <c>input 'x': expected f32[2, 16, 512], got f32[2, 16, 256]</c>.
/// </summary>
public sealed class DimBinder
{
    private readonly Dictionary<string, long> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal);

    /// <summary>The bindings made so far.</summary>
    public IReadOnlyDictionary<string, long> Values => _values;

    /// <summary>Where each binding came from: "given" or "input 'x'".</summary>
    public IReadOnlyDictionary<string, string> Sources => _sources;

    /// <summary>Binds <paramref name="name"/> to <paramref name="value"/> from an outside source ("given", "--dim").</summary>
    public void Give(string name, long value, string source = "given")
    {
        if (value < 0) throw new RuntimeError($"dimension {name} = {value} must not be negative");
        if (_values.TryGetValue(name, out var old) && old != value)
            throw new RuntimeError($"dimension {name} is given as {value} but is already {old} ({_sources[name]})");
        _values[name] = value;
        _sources[name] = source;
    }

    /// <summary>
    /// Binds from the inputs that are present (missing ones are skipped; the interpreter checks presence).
    /// Returns the bindings.
    /// </summary>
    public IReadOnlyDictionary<string, long> BindInputs(Graph graph, IReadOnlyDictionary<string, ShapeInfo> inputs)
    {
        var pending = new List<(GraphInput Input, ShapeInfo Actual, int Axis)>();
        foreach (var input in graph.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var actual)) continue;
            var type = input.Value.Type;
            if (actual.DType != type.DType || actual.Shape.Length != type.Rank)
                throw Mismatch(input, actual, null);
            for (int axis = 0; axis < type.Rank; axis++)
            {
                var d = type.Shape[axis];
                long size = actual.Shape[axis];
                if (d.TryEvaluate(Lookup) is long v)
                {
                    if (v != size) throw Mismatch(input, actual, axis);
                }
                else if (d.IsVariable(out var name))
                {
                    _values[name] = size;
                    _sources[name] = $"input '{input.Name}'";
                }
                else pending.Add((input, actual, axis));
            }
        }

        // Expressions: check those whose names are bound; solve those with one unbound name; repeat.
        bool progress = true;
        while (pending.Count > 0 && progress)
        {
            progress = false;
            for (int i = 0; i < pending.Count; i++)
            {
                var (input, actual, axis) = pending[i];
                var d = input.Value.Type.Shape[axis];
                long size = actual.Shape[axis];
                if (d.TryEvaluate(Lookup) is long v)
                {
                    if (v != size) throw Mismatch(input, actual, axis);
                    pending.RemoveAt(i--);
                    progress = true;
                    continue;
                }
                var partial = d.Substitute(Binding);
                if (DimSolver.TrySolveLinear(partial, Dim.Const(size), out var name, out var solved) && solved.ConstantValue is long value)
                {
                    if (value < 0)
                        throw new RuntimeError($"input '{input.Name}': dimension {axis} is {d} = {size}, which would make {name} = {value}; {Expected(input)} cannot match {actual}");
                    _values[name] = value;
                    _sources[name] = $"input '{input.Name}'";
                    if (d.TryEvaluate(Lookup) != size)
                    {
                        _values.Remove(name);
                        _sources.Remove(name);
                        throw new RuntimeError($"input '{input.Name}': no whole number {name} makes dimension {axis} ({d}) equal {size}; expected {Expected(input)}, got {actual}");
                    }
                    pending.RemoveAt(i--);
                    progress = true;
                }
            }
        }
        if (pending.Count > 0)
        {
            var (input, actual, axis) = pending[0];
            var d = input.Value.Type.Shape[axis];
            var unbound = d.Variables.Where(v => !_values.ContainsKey(v));
            throw new RuntimeError($"input '{input.Name}': cannot work out {string.Join(" and ", unbound)} from dimension {axis} ({d} = {actual.Shape[axis]}); bind {(unbound.Count() == 1 ? "it" : "them")} explicitly");
        }
        return _values;
    }

    private long? Lookup(string name) => _values.TryGetValue(name, out var v) ? v : null;

    private Dim? Binding(string name) => _values.TryGetValue(name, out var v) ? Dim.Const(v) : null;

    /// <summary>A type with the bound dims substituted: <c>f32[2, 16, 512]</c>.</summary>
    public string Substituted(TensorType type) => type.WithShape(type.Shape.Substitute(Binding)).ToString();

    private string Expected(GraphInput input) => Substituted(input.Value.Type);

    private RuntimeError Mismatch(GraphInput input, ShapeInfo actual, int? axis)
    {
        var type = input.Value.Type;
        string detail = "";
        if (actual.DType != type.DType) detail = $": the dtype should be {type.DType.Name()}";
        else if (actual.Shape.Length != type.Rank) detail = $": it should have rank {type.Rank}, not {actual.Shape.Length}";
        else if (axis is int k)
        {
            var d = type.Shape[k];
            var names = d.Variables.Where(_values.ContainsKey).ToList();
            detail = d.IsConstant
                ? $": dimension {k} should be {d}"
                : $": dimension {k} is {d} = {d.TryEvaluate(Lookup)?.ToString(CultureInfo.InvariantCulture)}" +
                  (names.Count > 0 ? " with " + string.Join(", ", names.Select(n => $"{n} = {_values[n]} ({_sources[n]})")) : "");
        }
        return new RuntimeError($"input '{input.Name}': expected {Expected(input)}, got {actual}{detail}");
    }
}
