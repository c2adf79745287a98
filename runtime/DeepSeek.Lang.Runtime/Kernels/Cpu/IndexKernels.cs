using System.Runtime.Intrinsics;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// Data-movement kernels of the compiled engine, written into buffers the executor gives them:
/// index_select, scatter_add, top-k and cumulative sums. Out-of-range indices raise a RuntimeError
/// naming the op, as the reference kernels do.
/// </summary>
public static unsafe class IndexKernels
{
    /// <summary>
    /// index_select along an axis: x viewed as [outer, size, inner] elements of <paramref name="elementBytes"/>,
    /// index [count] gives [outer, count, inner]. Rows are copied whole.
    /// </summary>
    public static void IndexSelect(byte* x, long outer, long size, long inner, int elementBytes, long* index, long count, byte* output)
    {
        long rowBytes = inner * elementBytes;
        for (long i = 0; i < count; i++)
            if ((ulong)index[i] >= (ulong)size)
                throw new RuntimeError($"index_select: index {index[i]} is out of range for a dimension of size {size}");
        KernelParallel.For(outer * count, inner, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                long o = r / count, i = r % count;
                Buffer.MemoryCopy(x + (o * size + index[i]) * rowBytes, output + r * rowBytes, rowBytes, rowBytes);
            }
        });
    }

    /// <summary>
    /// scatter_add of f32 rows: output [size, width] = 0, then output[index[e]] += src[e] for each row e.
    /// Threads own disjoint ranges of destination rows, so no two add into the same row.
    /// </summary>
    public static void ScatterAddF32(float* src, long rows, long width, long* index, long size, float* output)
    {
        for (long e = 0; e < rows; e++)
            if ((ulong)index[e] >= (ulong)size)
                throw new RuntimeError($"scatter_add: index {index[e]} is out of range for size {size}");
        new Span<float>(output, checked((int)(size * width))).Clear();
        int threads = KernelParallel.Threads;
        if (rows * width < KernelParallel.MinParallelWork || threads == 1 || size < threads)
        {
            for (long e = 0; e < rows; e++) AddRow(output + index[e] * width, src + e * width, width);
            return;
        }
        KernelParallel.For(threads, rows * width, (start, end) =>
        {
            for (long part = start; part < end; part++)
            {
                long lo = size * part / threads, hi = size * (part + 1) / threads;
                for (long e = 0; e < rows; e++)
                {
                    long d = index[e];
                    if (d >= lo && d < hi) AddRow(output + d * width, src + e * width, width);
                }
            }
        });
    }

    /// <summary>
    /// Message passing in one pass, a sparse-dense product: output [size, width] = 0, then for each edge e,
    /// output[scatter[e]] += scale[e] · x[gather[e]]. Without <paramref name="gather"/> row e of x is the
    /// message itself; without <paramref name="scale"/> the scale is 1. It is
    /// scatter_add(index_select(x, gather) * scale[:, None], scatter) without the [rows, width] messages.
    /// Threads own disjoint ranges of destination rows, so sums are in edge order, as unfused.
    /// </summary>
    public static void GatherScaleScatterF32(float* x, long xRows, long width, long* gather, float* scale, long rows,
        long* scatter, long size, float* output)
    {
        for (long e = 0; e < rows; e++)
        {
            if (gather != null && (ulong)gather[e] >= (ulong)xRows)
                throw new RuntimeError($"index_select: index {gather[e]} is out of range for a dimension of size {xRows}");
            if ((ulong)scatter[e] >= (ulong)size)
                throw new RuntimeError($"scatter_add: index {scatter[e]} is out of range for size {size}");
        }
        new Span<float>(output, checked((int)(size * width))).Clear();
        int threads = KernelParallel.Threads;
        if (rows * width < KernelParallel.MinParallelWork || threads == 1 || size < threads)
        {
            ScatterRange(0, size);
            return;
        }
        KernelParallel.For(threads, rows * width, (start, end) =>
        {
            for (long part = start; part < end; part++) ScatterRange(size * part / threads, size * (part + 1) / threads);
        });

        void ScatterRange(long lo, long hi)
        {
            for (long e = 0; e < rows; e++)
            {
                long d = scatter[e];
                if (d < lo || d >= hi) continue;
                var source = x + (gather != null ? gather[e] : e) * width;
                if (scale != null) AddScaledRow(output + d * width, source, scale[e], width);
                else AddRow(output + d * width, source, width);
            }
        }
    }

    /// <summary>
    /// Sum (or mean) of f32 x viewed as [outer, reduce, inner] over its middle axis, to [outer, inner]:
    /// a reduction over axes that are not the last ones (the top-k axis of a mixture-of-experts combine).
    /// Rows are added in order, so the result does not depend on the threads.
    /// </summary>
    public static void SumMiddleF32(float* x, long outer, long reduce, long inner, float* output, bool mean)
    {
        const long Block = 4096; // floats of a row handled as one work item
        long blocks = (inner + Block - 1) / Block;
        float scale = mean ? 1f / reduce : 1f;
        KernelParallel.For(outer * blocks, reduce * Math.Min(inner, Block), (start, end) =>
        {
            for (long item = start; item < end; item++)
            {
                long o = item / blocks, j0 = item % blocks * Block, n = Math.Min(Block, inner - j0);
                float* destination = output + o * inner + j0;
                float* source = x + o * reduce * inner + j0;
                Buffer.MemoryCopy(source, destination, n * sizeof(float), n * sizeof(float));
                for (long r = 1; r < reduce; r++) AddRow(destination, source + r * inner, n);
                if (mean)
                    for (long j = 0; j < n; j++) destination[j] *= scale;
            }
        });
    }

    /// <summary>
    /// split along an axis: x viewed as [outer, total, inner] elements of <paramref name="elementBytes"/>;
    /// piece p takes <paramref name="sizes"/>[p] of the middle axis into <paramref name="outputs"/>[p]
    /// (a null output is a piece no one reads, skipped).
    /// </summary>
    public static void Split(byte* x, long outer, long total, long inner, int elementBytes, long[] sizes, nint[] outputs)
    {
        long rowBytes = total * inner * elementBytes;
        KernelParallel.For(outer, total * inner, (start, end) =>
        {
            for (long o = start; o < end; o++)
            {
                long offset = 0;
                for (int p = 0; p < sizes.Length; p++)
                {
                    long bytes = sizes[p] * inner * elementBytes;
                    if (outputs[p] != 0) Buffer.MemoryCopy(x + o * rowBytes + offset, (byte*)outputs[p] + o * bytes, bytes, bytes);
                    offset += bytes;
                }
            }
        });
    }

    /// <summary>Sum of i64 x viewed as [outer, reduce, inner] over its middle axis, to [outer, inner] (wrapping, as the reference does).</summary>
    public static void SumMiddleI64(long* x, long outer, long reduce, long inner, long* output)
    {
        KernelParallel.For(outer, reduce * inner, (start, end) =>
        {
            for (long o = start; o < end; o++)
            {
                long* destination = output + o * inner;
                long* source = x + o * reduce * inner;
                for (long j = 0; j < inner; j++) destination[j] = 0;
                for (long r = 0; r < reduce; r++)
                    for (long j = 0; j < inner; j++) destination[j] = unchecked(destination[j] + source[r * inner + j]);
            }
        });
    }

    private static void AddScaledRow(float* destination, float* source, float s, long n)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var sv = Vector512.Create(s);
            for (; j + 16 <= n; j += 16) Vector512.FusedMultiplyAdd(Vector512.Load(source + j), sv, Vector512.Load(destination + j)).Store(destination + j);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var sv = Vector256.Create(s);
            for (; j + 8 <= n; j += 8) Vector256.FusedMultiplyAdd(Vector256.Load(source + j), sv, Vector256.Load(destination + j)).Store(destination + j);
        }
        for (; j < n; j++) destination[j] = MathF.FusedMultiplyAdd(source[j], s, destination[j]);
    }

    private static void AddRow(float* destination, float* source, long n)
    {
        long j = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16) (Vector512.Load(destination + j) + Vector512.Load(source + j)).Store(destination + j);
        else if (Vector256.IsHardwareAccelerated)
            for (; j + 8 <= n; j += 8) (Vector256.Load(destination + j) + Vector256.Load(source + j)).Store(destination + j);
        for (; j < n; j++) destination[j] += source[j];
    }

    /// <summary>
    /// The k largest values of each row of x [rows, n] (last axis), descending, ties to the lower
    /// index; values to <paramref name="values"/>, indices to <paramref name="indices"/>, each [rows, k].
    /// </summary>
    public static void TopKF32(float* x, long rows, int n, int k, float* values, long* indices)
    {
        KernelParallel.For(rows, (long)n * k, (start, end) =>
        {
            for (long r = start; r < end; r++)
            {
                float* row = x + r * n;
                float* v = values + r * k;
                long* ix = indices + r * k;
                int filled = 0;
                for (int j = 0; j < n; j++)
                {
                    float s = row[j];
                    // Insert into the sorted prefix; a later equal value goes after (lower index first).
                    if (filled == k && !Greater(s, v[k - 1])) continue;
                    int p = filled < k ? filled++ : k - 1;
                    while (p > 0 && Greater(s, v[p - 1]))
                    {
                        v[p] = v[p - 1];
                        ix[p] = ix[p - 1];
                        p--;
                    }
                    v[p] = s;
                    ix[p] = j;
                }
            }
        });
    }

    /// <summary>NaN counts as the largest value, as in the reference kernels.</summary>
    private static bool Greater(float a, float b) => float.IsNaN(a) ? !float.IsNaN(b) : a > b;

    /// <summary>Inclusive running sums of i64 along axis 0 of [rows, width].</summary>
    public static void CumSumRowsI64(long* x, long rows, long width, long* output)
    {
        if (rows == 0) return;
        for (long j = 0; j < width; j++) output[j] = x[j];
        for (long r = 1; r < rows; r++)
        {
            long* prev = output + (r - 1) * width;
            long* cur = output + r * width;
            long* src = x + r * width;
            for (long j = 0; j < width; j++) cur[j] = prev[j] + src[j];
        }
    }
}
