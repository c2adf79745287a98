using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterIndexing(Dictionary<string, ReferenceKernel> t)
    {
        t["index_select"] = (i, a) => One(IndexSelect(i[0], i[1], a.GetInt("axis")));
        t["gather"] = (i, a) => One(Gather(i[0], i[1], a.GetInt("axis")));
        t["scatter_add"] = (i, a) => One(ScatterAdd(i[0], i[1], DimAttr(a, "size", "scatter_add")));
        t["one_hot"] = (i, a) => One(OneHot(i[0], DimAttr(a, "depth", "one_hot"), a.GetDType("dtype")));
        t["topk"] = (i, a) => TopK(i[0], a.GetInt("k"), a.GetInt("axis"));
    }

    private static long[] Indices(string op, Tensor index)
    {
        if (!index.DType.IsInteger()) throw new RuntimeError($"{op}'s index must be an integer tensor, got {index.TypeText()}");
        return index.ToInt64Array();
    }

    private static RuntimeError OutOfRange(string op, long value, long position, string what, long size) =>
        new($"{op}: index {value} (at position {position} of the index) is out of range for {what} of size {size}; valid indices are 0 to {size - 1}");

    /// <summary>
    /// index_select(x, index, axis): whole slices, numpy take: out.shape = x.shape[:axis] + index.shape +
    /// x.shape[axis+1:]. Indices must be in [0, size) (no negative wrap-around).
    /// </summary>
    public static Tensor IndexSelect(Tensor x, Tensor index, long axisAttr)
    {
        int axis = Axis(axisAttr, x.Rank, "index_select");
        var idx = Indices("index_select", index);
        var (outer, size, inner) = Split3(x, axis);
        for (int j = 0; j < idx.Length; j++)
            if (idx[j] < 0 || idx[j] >= size) throw OutOfRange("index_select", idx[j], j, $"axis {axis} of {x.TypeText()}", size);
        var shape = x.Shape.Take(axis).Concat(index.Shape).Concat(x.Shape.Skip(axis + 1)).ToArray();
        var map = new long[outer * idx.Length * inner];
        long n = 0;
        for (long o = 0; o < outer; o++)
            for (int j = 0; j < idx.Length; j++)
                for (long i = 0; i < inner; i++)
                    map[n++] = (o * size + idx[j]) * inner + i;
        return Take(x, shape, map);
    }

    /// <summary>
    /// gather(x, index, axis), element-wise as PyTorch's gather and ONNX GatherElements:
    /// out[i0, …, ik, …] = x[i0, …, index[i0, …, ik, …], …] along the axis; out has the index's shape.
    /// </summary>
    public static Tensor Gather(Tensor x, Tensor index, long axisAttr)
    {
        int axis = Axis(axisAttr, x.Rank, "gather");
        var idx = Indices("gather", index);
        if (index.Rank != x.Rank) throw new RuntimeError($"gather: index {index.TypeText()} must have the rank of {x.TypeText()}");
        for (int k = 0; k < x.Rank; k++)
            if (k != axis && index.Shape[k] > x.Shape[k])
                throw new RuntimeError($"gather: index {index.TypeText()} is larger than {x.TypeText()} in dimension {k}");
        var xStrides = Strides(x.Shape.AsSpan());
        var map = new long[idx.Length];
        var pos = new long[x.Rank];
        long size = x.Shape[axis];
        for (long n = 0; n < idx.Length; n++)
        {
            long v = idx[n];
            if (v < 0 || v >= size) throw OutOfRange("gather", v, n, $"axis {axis} of {x.TypeText()}", size);
            long offset = 0;
            for (int k = 0; k < x.Rank; k++) offset += (k == axis ? v : pos[k]) * xStrides[k];
            map[n] = offset;
            for (int k = x.Rank - 1; k >= 0; k--)
            {
                if (++pos[k] < index.Shape[k]) break;
                pos[k] = 0;
            }
        }
        return Take(x, index.Shape.AsSpan(), map);
    }

    /// <summary>
    /// scatter_add(src [E, *F], index [E], size): zeros [size, *F] with out[index[e]] += src[e], in order
    /// of e (PyG's sum aggregation). Floats accumulate in double and round once; integers in 64 bits.
    /// </summary>
    public static Tensor ScatterAdd(Tensor src, Tensor index, long size)
    {
        var idx = Indices("scatter_add", index);
        if (index.Rank != 1 || src.Rank < 1 || src.Shape[0] != idx.Length)
            throw new RuntimeError($"scatter_add: source {src.TypeText()} must have one row per entry of the index {index.TypeText()}");
        long inner = Product(src.Shape.AsSpan(), 1);
        var shape = src.Shape.ToArray();
        shape[0] = size;
        for (int e = 0; e < idx.Length; e++)
            if (idx[e] < 0 || idx[e] >= size) throw OutOfRange("scatter_add", idx[e], e, "an output", size);
        if (src.DType.IsFloat())
        {
            var s = src.ToDoubleArray();
            var r = new double[Product(shape)];
            for (int e = 0; e < idx.Length; e++)
                for (long i = 0; i < inner; i++) r[idx[e] * inner + i] += s[e * inner + i];
            return Tensor.FromDoubles(src.DType, shape, r);
        }
        var si = src.ToInt64Array();
        var ri = new long[Product(shape)];
        for (int e = 0; e < idx.Length; e++)
            for (long i = 0; i < inner; i++) ri[idx[e] * inner + i] = unchecked(ri[idx[e] * inner + i] + si[e * inner + i]);
        return Tensor.FromInt64s(src.DType, shape, ri);
    }

    /// <summary>one_hot(ids [*S], depth, dtype) gives [*S, depth] with 1 at each id; ids must be in [0, depth).</summary>
    public static Tensor OneHot(Tensor ids, long depth, DType dtype)
    {
        var idx = Indices("one_hot", ids);
        var shape = ids.Shape.Append(depth).ToArray();
        var result = Tensor.Zeros(dtype, shape);
        for (int n = 0; n < idx.Length; n++)
        {
            if (idx[n] < 0 || idx[n] >= depth)
            {
                result.Dispose();
                throw OutOfRange("one_hot", idx[n], n, "a depth", depth);
            }
            result.SetInt64(n * depth + idx[n], 1);
        }
        return result;
    }

    /// <summary>
    /// topk(x, k, axis) gives (values, indices i64): the k largest along the axis, values descending; equal
    /// values keep the lower index first; NaN counts as larger than every number.
    /// </summary>
    public static Tensor[] TopK(Tensor x, long k, long axisAttr)
    {
        if (x.DType == DType.Bool) throw new RuntimeError($"topk needs a numeric tensor, got {x.TypeText()}");
        int axis = Axis(axisAttr, x.Rank, "topk");
        var (outer, size, inner) = Split3(x, axis);
        if (k < 1 || k > size) throw new RuntimeError($"topk: k = {k} must be between 1 and the size of axis {axis} of {x.TypeText()} ({size})");
        bool isFloat = x.DType.IsFloat();
        var v = isFloat ? x.ToDoubleArray() : null;
        var iv = isFloat ? null : x.ToInt64Array();
        var shape = x.Shape.ToArray();
        shape[axis] = k;
        var outCount = outer * k * inner;
        var valueMap = new long[outCount];
        var indices = new long[outCount];
        var order = new long[size];
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                for (long j = 0; j < size; j++) order[j] = j;
                long O = o, I = i;
                int Compare(long a, long b)
                {
                    long pa = (O * size + a) * inner + I, pb = (O * size + b) * inner + I;
                    int c;
                    if (iv != null) c = iv[pb].CompareTo(iv[pa]);
                    else
                    {
                        double va = v![pa], vb = v[pb];
                        c = double.IsNaN(va) ? (double.IsNaN(vb) ? 0 : -1) : double.IsNaN(vb) ? 1 : vb.CompareTo(va);
                    }
                    return c != 0 ? c : a.CompareTo(b);
                }
                Array.Sort(order, Compare);
                for (long j = 0; j < k; j++)
                {
                    long at = (o * k + j) * inner + i;
                    valueMap[at] = (o * size + order[j]) * inner + i;
                    indices[at] = order[j];
                }
            }
        return new[] { Take(x, shape, valueMap), Tensor.FromInt64s(DType.I64, shape, indices) };
    }
}
