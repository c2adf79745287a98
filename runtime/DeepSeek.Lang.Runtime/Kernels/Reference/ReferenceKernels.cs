using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

/// <summary>
/// Runs one op: inputs and attributes (every Dim attribute already evaluated to a constant) give new
/// output tensors, which the caller owns. Inputs are never changed.
/// </summary>
public delegate Tensor[] ReferenceKernel(IReadOnlyList<Tensor> inputs, Attributes attributes);

/// <summary>
/// Simple, obviously correct kernels for every op of <see cref="Ops.All"/>: the numerical reference
/// for every faster path. Floating-point work is done in double and rounded once to the output dtype
/// (so an f32 add is the correctly rounded f32 add); integer work is done in 64 bits and wrapped to the
/// output width. Sums, means, products, norms, softmax and attention accumulate in double. Indices out
/// of range are a <see cref="RuntimeError"/> naming the op and the index. Semantics, op by op, are in
/// the XML documentation of each kernel and in docs/runtime.md.
/// </summary>
public static partial class ReferenceKernels
{
    private static readonly Dictionary<string, ReferenceKernel> Table = CreateTable();

    /// <summary>The ops that have a kernel (all of <see cref="Ops.All"/>).</summary>
    public static IEnumerable<string> OpNames => Table.Keys;

    public static bool TryGet(string op, out ReferenceKernel kernel) => Table.TryGetValue(op, out kernel!);

    /// <summary>Runs <paramref name="op"/>; a RuntimeError for bad input values, names the op.</summary>
    public static Tensor[] Run(Op op, IReadOnlyList<Tensor> inputs, Attributes attributes)
    {
        if (!Table.TryGetValue(op.Name, out var kernel)) throw new RuntimeError($"the reference runtime has no kernel for '{op.Name}'");
        if (inputs.Count < op.MinInputs || inputs.Count > op.MaxInputs)
            throw new RuntimeError($"{op.Name} takes {op.MinInputs}{(op.MaxInputs != op.MinInputs ? " to " + (op.MaxInputs == int.MaxValue ? "any number of" : op.MaxInputs.ToString(System.Globalization.CultureInfo.InvariantCulture)) : "")} inputs, got {inputs.Count}");
        return kernel(inputs, attributes);
    }

    /// <summary>Runs one op by name with the given attributes.</summary>
    public static Tensor[] Run(string op, IReadOnlyList<Tensor> inputs, Attributes? attributes = null) =>
        Run(Ops.Find(op) ?? throw new RuntimeError($"unknown op '{op}'"), inputs, attributes ?? Attributes.Empty);

    /// <summary>Runs a one-output op by name.</summary>
    public static Tensor Run1(string op, Attributes? attributes, params Tensor[] inputs) => Run(op, inputs, attributes)[0];

    private static Dictionary<string, ReferenceKernel> CreateTable()
    {
        var t = new Dictionary<string, ReferenceKernel>(StringComparer.Ordinal);
        RegisterSources(t);
        RegisterElementwise(t);
        RegisterReductions(t);
        RegisterShapes(t);
        RegisterIndexing(t);
        RegisterNetwork(t);
        return t;
    }

    private static Tensor[] One(Tensor t) => new[] { t };

    // ------------------------------------------------------------------ attribute helpers

    /// <summary>A Dim attribute that must be a constant by now.</summary>
    internal static long DimAttr(Attributes a, string name, string op)
    {
        if (!a.TryGet(name, out var v)) throw new RuntimeError($"{op}: attribute '{name}' is missing");
        return v switch
        {
            Dim d => d.ConstantValue ?? throw new RuntimeError($"{op}: attribute '{name}' = {d} is not bound to a number"),
            long l => l,
            _ => throw new RuntimeError($"{op}: attribute '{name}' must be a size, got {Attributes.FormatValue(v)}"),
        };
    }

    internal static long[] DimsAttr(Attributes a, string name, string op)
    {
        if (!a.TryGet(name, out var v)) throw new RuntimeError($"{op}: attribute '{name}' is missing");
        return v switch
        {
            ImmutableArray<Dim> ds => ds.Select(d => d.ConstantValue ?? throw new RuntimeError($"{op}: attribute '{name}' has {d}, which is not bound to a number")).ToArray(),
            ImmutableArray<long> ls => ls.ToArray(),
            _ => throw new RuntimeError($"{op}: attribute '{name}' must be a list of sizes, got {Attributes.FormatValue(v)}"),
        };
    }

    internal static long[] IntsAttr(Attributes a, string name, string op)
    {
        if (!a.TryGet(name, out var v)) throw new RuntimeError($"{op}: attribute '{name}' is missing");
        return v switch
        {
            ImmutableArray<long> ls => ls.ToArray(),
            ImmutableArray<Dim> ds => DimsAttr(a, name, op),
            _ => throw new RuntimeError($"{op}: attribute '{name}' must be a list of integers, got {Attributes.FormatValue(v)}"),
        };
    }

    internal static int Axis(long axis, int rank, string op)
    {
        long n = axis < 0 ? axis + rank : axis;
        if (n < 0 || n >= rank) throw new RuntimeError($"{op}: axis {axis} is out of range for rank {rank}");
        return (int)n;
    }

    // ------------------------------------------------------------------ shape helpers

    internal static long Product(ReadOnlySpan<long> dims, int from = 0, int to = -1)
    {
        if (to < 0) to = dims.Length;
        long p = 1;
        for (int i = from; i < to; i++) p *= dims[i];
        return p;
    }

    /// <summary>Row-major strides in elements.</summary>
    internal static long[] Strides(ReadOnlySpan<long> shape)
    {
        var s = new long[shape.Length];
        long acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /// <summary>NumPy broadcasting of concrete shapes; a mismatch names the op and both shapes.</summary>
    internal static long[] BroadcastShapes(string op, params Tensor[] tensors)
    {
        int rank = tensors.Max(t => t.Rank);
        var result = new long[rank];
        for (int k = 0; k < rank; k++)
        {
            long d = 1;
            foreach (var t in tensors)
            {
                int i = t.Rank - rank + k;
                long s = i >= 0 ? t.Shape[i] : 1;
                if (s == d || s == 1) continue;
                if (d == 1) d = s;
                else throw new RuntimeError($"{op}: cannot broadcast {string.Join(" and ", tensors.Select(x => x.TypeText()))}: dimension {k} is {d} and {s}");
            }
            result[k] = d;
        }
        return result;
    }

    /// <summary>For each element of <paramref name="outShape"/> (row-major), the element of <paramref name="input"/> it reads under broadcasting.</summary>
    internal static long[] BroadcastIndex(ReadOnlySpan<long> inShape, ReadOnlySpan<long> outShape)
    {
        int rank = outShape.Length;
        var inStrides = Strides(inShape);
        var stride = new long[rank];
        for (int k = 0; k < rank; k++)
        {
            int i = inShape.Length - rank + k;
            stride[k] = i >= 0 && inShape[i] != 1 ? inStrides[i] : 0;
        }
        long count = Product(outShape);
        var map = new long[count];
        var idx = new long[rank];
        long offset = 0;
        for (long n = 0; n < count; n++)
        {
            map[n] = offset;
            for (int k = rank - 1; k >= 0; k--)
            {
                idx[k]++;
                offset += stride[k];
                if (idx[k] < outShape[k]) break;
                offset -= stride[k] * idx[k];
                idx[k] = 0;
            }
        }
        return map;
    }

    /// <summary>A new tensor whose element i is element <c>map[i]</c> of <paramref name="source"/> (raw copy, any dtype).</summary>
    internal static unsafe Tensor Take(Tensor source, ReadOnlySpan<long> outShape, long[] map)
    {
        var result = Tensor.Zeros(source.DType, outShape, source.Device);
        int size = source.DType.ByteSize();
        byte* src = (byte*)source.Data, dst = (byte*)result.Data;
        for (long i = 0; i < map.LongLength; i++)
            Buffer.MemoryCopy(src + map[i] * size, dst + i * size, size, size);
        return result;
    }

    internal static bool IsFloat(Tensor t) => t.DType.IsFloat();
}
