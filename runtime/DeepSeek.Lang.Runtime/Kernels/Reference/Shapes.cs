using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterShapes(Dictionary<string, ReferenceKernel> t)
    {
        t["reshape"] = (i, a) => One(i[0].Reshaped(DimsAttr(a, "shape", "reshape")));
        t["transpose"] = (i, a) => One(Transpose(i[0], IntsAttr(a, "perm", "transpose")));
        t["expand"] = (i, a) => One(Expand(i[0], DimsAttr(a, "shape", "expand")));
        t["concat"] = (i, a) => One(Concat(i, a.GetInt("axis")));
        t["stack"] = (i, a) => One(Stack(i, a.GetInt("axis")));
        t["split"] = (i, a) => Split(i[0], a.GetInt("axis"), DimsAttr(a, "sizes", "split"));
        t["squeeze"] = (i, a) => One(Squeeze(i[0], IntsAttr(a, "axes", "squeeze")));
        t["unsqueeze"] = (i, a) => One(Unsqueeze(i[0], IntsAttr(a, "axes", "unsqueeze")));
        t["slice"] = (i, a) => One(Slice(i[0], IntsAttr(a, "axes", "slice"), DimsAttr(a, "starts", "slice"), DimsAttr(a, "stops", "slice"), IntsAttr(a, "steps", "slice")));
    }

    /// <summary>transpose: out.shape[k] = x.shape[perm[k]], out[i] = x[i permuted back].</summary>
    public static Tensor Transpose(Tensor x, long[] perm)
    {
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= x.Rank))
            throw new RuntimeError($"transpose: ({string.Join(", ", perm)}) is not a permutation of the {x.Rank} axes of {x.TypeText()}");
        var inStrides = Strides(x.Shape.AsSpan());
        var outShape = perm.Select(p => x.Shape[(int)p]).ToArray();
        // Reading x through strides permuted like its axes is broadcasting with no stretched axis.
        var map = new long[x.ElementCount];
        var idx = new long[x.Rank];
        var stride = perm.Select(p => inStrides[p]).ToArray();
        long offset = 0;
        for (long n = 0; n < map.LongLength; n++)
        {
            map[n] = offset;
            for (int k = x.Rank - 1; k >= 0; k--)
            {
                idx[k]++;
                offset += stride[k];
                if (idx[k] < outShape[k]) break;
                offset -= stride[k] * idx[k];
                idx[k] = 0;
            }
        }
        return Take(x, outShape, map);
    }

    /// <summary>expand: broadcast to a larger shape (NumPy rules: size-1 axes stretch, new axes on the left).</summary>
    public static Tensor Expand(Tensor x, long[] shape)
    {
        if (shape.Length < x.Rank) throw new RuntimeError($"expand: cannot expand {x.TypeText()} to fewer axes {Tensor.TypeText(x.DType, shape)}");
        for (int k = 0; k < x.Rank; k++)
        {
            long s = x.Shape[k], d = shape[shape.Length - x.Rank + k];
            if (s != d && s != 1) throw new RuntimeError($"expand: cannot expand {x.TypeText()} to {Tensor.TypeText(x.DType, shape)}");
        }
        return Take(x, shape, BroadcastIndex(x.Shape.AsSpan(), shape));
    }

    /// <summary>concat along an existing axis; every other dimension must agree.</summary>
    public static unsafe Tensor Concat(IReadOnlyList<Tensor> xs, long axisAttr)
    {
        var first = xs[0];
        int axis = Axis(axisAttr, first.Rank, "concat");
        long total = 0;
        foreach (var x in xs)
        {
            if (x.DType != first.DType || x.Rank != first.Rank || Enumerable.Range(0, x.Rank).Any(k => k != axis && x.Shape[k] != first.Shape[k]))
                throw new RuntimeError($"concat: cannot join {first.TypeText()} and {x.TypeText()} along axis {axis}");
            total += x.Shape[axis];
        }
        var shape = first.Shape.ToArray();
        shape[axis] = total;
        var result = Tensor.Zeros(first.DType, shape, first.Device);
        long outer = Product(shape, 0, axis);
        long inner = Product(shape, axis + 1);
        int size = first.DType.ByteSize();
        byte* dst = (byte*)result.Data;
        long rowOut = total * inner * size;
        long at = 0;
        foreach (var x in xs)
        {
            long rowIn = x.Shape[axis] * inner * size;
            byte* src = (byte*)x.Data;
            for (long o = 0; o < outer; o++)
                Buffer.MemoryCopy(src + o * rowIn, dst + o * rowOut + at, rowIn, rowIn);
            at += rowIn;
        }
        return result;
    }

    /// <summary>stack: same-shaped tensors joined along a new axis.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> xs, long axisAttr)
    {
        int rank = xs[0].Rank + 1;
        long axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
        if (axis < 0 || axis >= rank) throw new RuntimeError($"stack: axis {axisAttr} is out of range for rank {rank}");
        foreach (var x in xs)
            if (x.DType != xs[0].DType || !x.Shape.SequenceEqual(xs[0].Shape))
                throw new RuntimeError($"stack: cannot stack {xs[0].TypeText()} and {x.TypeText()}");
        var parts = xs.Select(x => Unsqueeze(x, new[] { axis })).ToList();
        try
        {
            return Concat(parts, axis);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>split along an axis into pieces of the given sizes (one output each).</summary>
    public static Tensor[] Split(Tensor x, long axisAttr, long[] sizes)
    {
        int axis = Axis(axisAttr, x.Rank, "split");
        if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[axis])
            throw new RuntimeError($"split: pieces of {string.Join(", ", sizes)} do not add up to dimension {axis} of {x.TypeText()}");
        var result = new Tensor[sizes.Length];
        long start = 0;
        for (int p = 0; p < sizes.Length; p++)
        {
            result[p] = Slice(x, new long[] { axis }, new[] { start }, new[] { start + sizes[p] }, new long[] { 1 });
            start += sizes[p];
        }
        return result;
    }

    /// <summary>squeeze: removes the listed axes, each of size 1.</summary>
    public static Tensor Squeeze(Tensor x, long[] axes)
    {
        var drop = axes.Select(a => Axis(a, x.Rank, "squeeze")).ToHashSet();
        foreach (var a in drop)
            if (x.Shape[a] != 1) throw new RuntimeError($"squeeze: axis {a} of {x.TypeText()} has size {x.Shape[a]}, not 1");
        return x.Reshaped(x.Shape.Where((_, k) => !drop.Contains(k)).ToArray());
    }

    /// <summary>unsqueeze: inserts axes of size 1 at the listed positions of the result.</summary>
    public static Tensor Unsqueeze(Tensor x, long[] axes)
    {
        int rank = x.Rank + axes.Length;
        var at = axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        if (at.Count != axes.Length || at.Any(a => a < 0 || a >= rank))
            throw new RuntimeError($"unsqueeze: cannot insert axes ({string.Join(", ", axes)}) into {x.TypeText()}");
        var shape = new long[rank];
        int src = 0;
        for (int k = 0; k < rank; k++) shape[k] = at.Contains(k) ? 1 : x.Shape[src++];
        return x.Reshaped(shape);
    }

    /// <summary>
    /// slice: for each listed axis, elements start, start + step, … below stop (starts and stops already in
    /// [0, size], steps positive).
    /// </summary>
    public static Tensor Slice(Tensor x, long[] axes, long[] starts, long[] stops, long[] steps)
    {
        if (starts.Length != axes.Length || stops.Length != axes.Length || steps.Length != axes.Length)
            throw new RuntimeError("slice: axes, starts, stops and steps must have the same length");
        var begin = new long[x.Rank];
        var step = Enumerable.Repeat(1L, x.Rank).ToArray();
        var shape = x.Shape.ToArray();
        for (int k = 0; k < axes.Length; k++)
        {
            int axis = Axis(axes[k], x.Rank, "slice");
            long size = x.Shape[axis];
            if (steps[k] <= 0) throw new RuntimeError($"slice: step {steps[k]} must be positive");
            if (starts[k] < 0 || starts[k] > size || stops[k] < 0 || stops[k] > size)
                throw new RuntimeError($"slice: {starts[k]}:{stops[k]} is out of range for axis {axis} of {x.TypeText()}");
            begin[axis] = starts[k];
            step[axis] = steps[k];
            shape[axis] = stops[k] <= starts[k] ? 0 : (stops[k] - starts[k] + steps[k] - 1) / steps[k];
        }
        var inStrides = Strides(x.Shape.AsSpan());
        long count = Product(shape);
        var map = new long[count];
        var idx = new long[x.Rank];
        long baseOffset = 0;
        for (int k = 0; k < x.Rank; k++) baseOffset += begin[k] * inStrides[k];
        for (long n = 0; n < count; n++)
        {
            long offset = baseOffset;
            for (int k = 0; k < x.Rank; k++) offset += idx[k] * step[k] * inStrides[k];
            map[n] = offset;
            for (int k = x.Rank - 1; k >= 0; k--)
            {
                if (++idx[k] < shape[k]) break;
                idx[k] = 0;
            }
        }
        return Take(x, shape, map);
    }
}
