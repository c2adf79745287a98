using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Random;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Eager;

/// <summary>
/// Random inputs for a model run without data (<c>dskc run</c>, the REPL). Input <c>x</c> draws from the stream
/// <see cref="DeterministicRandom"/>(seed, "x") in row-major order: float inputs are N(0, 1); integer inputs
/// are uniform in [0, bound) where the bound is the smallest valid range of the places the input indexes
/// (see <see cref="IndexBound"/>), or [0, <see cref="DefaultIntegerBound"/>) when it indexes nothing; bool
/// inputs are true or false with probability ½.
/// </summary>
public static class RandomInputs
{
    /// <summary>The range of an integer input that is not used as an index: [0, 10).</summary>
    public const long DefaultIntegerBound = 10;

    /// <summary>
    /// The smallest index range among the uses of <paramref name="input"/>, or null when it indexes nothing.
    /// The input is followed through ops that move values without changing them (reshape, transpose, expand,
    /// squeeze, unsqueeze, slice, split, concat, stack, cast, where's branches, and the data operand of
    /// index_select and gather) to its uses as an index: index_select and gather (the size of the indexed
    /// axis), scatter_add (its size), one_hot (its depth) and grouped_matmul (the number of groups).
    /// </summary>
    public static long? IndexBound(Graph graph, GraphInput input, IReadOnlyDictionary<string, long> dims)
    {
        var users = new Dictionary<Value, List<(Node Node, int Slot)>>();
        foreach (var n in graph.Nodes)
            for (int s = 0; s < n.Inputs.Length; s++)
            {
                if (!users.TryGetValue(n.Inputs[s], out var list)) users[n.Inputs[s]] = list = new();
                list.Add((n, s));
            }
        long? Eval(Dim d) => d.TryEvaluate(x => dims.TryGetValue(x, out var v) ? v : null);
        long? bound = null;
        void Bound(long? b)
        {
            if (b is long v) bound = bound is long old ? Math.Min(old, v) : v;
        }

        var seen = new HashSet<Value>();
        var work = new Stack<Value>();
        work.Push(input.Value);
        while (work.Count > 0)
        {
            var v = work.Pop();
            if (!seen.Add(v) || !users.TryGetValue(v, out var uses)) continue;
            foreach (var (node, slot) in uses)
            {
                var a = node.Attributes;
                switch (node.Op.Name, slot)
                {
                    case ("index_select", 1):
                    case ("gather", 1):
                    {
                        var x = node.Inputs[0].Type;
                        long axis = a.GetInt("axis");
                        if (axis < 0) axis += x.Rank;
                        if (axis >= 0 && axis < x.Rank) Bound(Eval(x.Shape[(int)axis]));
                        break;
                    }
                    case ("scatter_add", 1):
                        Bound(Eval(a.GetDim("size")));
                        break;
                    case ("one_hot", 0):
                        Bound(Eval(a.GetDim("depth")));
                        break;
                    case ("grouped_matmul", 2):
                        Bound(Eval(node.Inputs[1].Type.Shape[0]));
                        break;
                    case ("reshape" or "transpose" or "expand" or "squeeze" or "unsqueeze" or "slice" or "split" or "concat" or "stack" or "cast", _):
                    case ("index_select" or "gather", 0):
                    case ("where", 1 or 2):
                        foreach (var o in node.Outputs) work.Push(o);
                        break;
                }
            }
        }
        return bound;
    }

    /// <summary>A random tensor for <paramref name="input"/> with the given concrete shape.</summary>
    public static Tensor Make(Graph graph, GraphInput input, long[] shape, long seed, IReadOnlyDictionary<string, long> dims)
    {
        var dtype = input.Value.Type.DType;
        var rng = new DeterministicRandom(seed, input.Name);
        var t = Tensor.Zeros(dtype, shape);
        if (dtype.IsFloat())
        {
            for (long i = 0; i < t.ElementCount; i++) t.Set(i, rng.NextNormal());
            return t;
        }
        long bound = dtype == DType.Bool ? 2 : IndexBound(graph, input, dims) ?? DefaultIntegerBound;
        if (dtype == DType.I8) bound = Math.Min(bound, 128);
        if (bound <= 0)
        {
            if (t.ElementCount == 0) return t;
            t.Dispose();
            throw new RuntimeError($"input '{input.Name}' indexes an axis of size 0, so no valid random index exists; give it with --input");
        }
        for (long i = 0; i < t.ElementCount; i++) t.SetInt64(i, rng.NextInt64(bound));
        return t;
    }

    /// <summary>The range [0, bound) that <see cref="Make"/> draws an integer or bool input from.</summary>
    public static long IntegerBound(Graph graph, GraphInput input, IReadOnlyDictionary<string, long> dims) =>
        input.Value.Type.DType == DType.Bool ? 2 : Math.Min(IndexBound(graph, input, dims) ?? DefaultIntegerBound, input.Value.Type.DType == DType.I8 ? 128 : long.MaxValue);
}
