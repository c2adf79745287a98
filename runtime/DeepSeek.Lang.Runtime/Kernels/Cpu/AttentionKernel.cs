using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>A [B, H, T, D] operand with the last axis contiguous and any strides on the others (0 broadcasts).</summary>
public readonly unsafe struct AttentionOperand
{
    public AttentionOperand(float* data, long strideB, long strideH, long strideT)
    {
        Data = data;
        StrideB = strideB;
        StrideH = strideH;
        StrideT = strideT;
    }

    public float* Data { get; }

    public long StrideB { get; }

    public long StrideH { get; }

    public long StrideT { get; }

    public float* Row(long b, long h, long t) => Data + b * StrideB + h * StrideH + t * StrideT;
}

/// <summary>An optional [B, H, Tq, Tk] mask with strides (0 on broadcast axes): bool (true attends) or float (added).</summary>
public readonly unsafe struct AttentionMask
{
    public AttentionMask(void* data, bool isBool, long strideB, long strideH, long strideQ, long strideK)
    {
        Data = data;
        IsBool = isBool;
        StrideB = strideB;
        StrideH = strideH;
        StrideQ = strideQ;
        StrideK = strideK;
    }

    public void* Data { get; }

    public bool IsBool { get; }

    public long StrideB { get; }

    public long StrideH { get; }

    public long StrideQ { get; }

    public long StrideK { get; }

    public bool IsNone => Data == null;
}

/// <summary>
/// Scaled dot-product attention as one kernel, in the manner of FlashAttention: keys are visited
/// in blocks, and a running maximum and sum (online softmax) rescale the output accumulator, so the
/// [Tq, Tk] score matrix is never stored. Grouped-query: query head h reads key/value head
/// h / (H / Hkv). Causal masking keeps keys j &lt;= i (top-left aligned, PyTorch's is_causal). A row
/// whose keys are all masked gives zeros. Operands may be strided views, so the transposes that put
/// heads in front are never materialised.
/// </summary>
public static unsafe class AttentionKernel
{
    private const int KeyBlock = 64;

    public static void Run(AttentionOperand q, AttentionOperand k, AttentionOperand v, AttentionOperand o, AttentionMask mask,
        int batch, int heads, int kvHeads, int tq, int tk, int dh, int dv, float scale, bool causal)
    {
        int group = heads / kvHeads;
        long rows = (long)batch * heads * tq;
        long work = (long)tk * (dh + dv);
        KernelParallel.For(rows, work, (start, end) =>
        {
            float* scores = stackalloc float[KeyBlock];
            float[] accumulator = new float[dv];
            fixed (float* acc = accumulator)
            {
                for (long r = start; r < end; r++)
                {
                    int i = (int)(r % tq);
                    long bh = r / tq;
                    int h = (int)(bh % heads);
                    int b = (int)(bh / heads);
                    int hk = h / group;
                    Row(q.Row(b, h, i), k, v, o.Row(b, h, i), mask, b, h, hk, i, tk, dh, dv, scale, causal, scores, acc);
                }
            }
        });
    }

    private static void Row(float* qi, AttentionOperand k, AttentionOperand v, float* oi, AttentionMask mask, int b, int h, int hk, int i,
        int tk, int dh, int dv, float scale, bool causal, float* scores, float* acc)
    {
        int keys = causal ? Math.Min(tk, i + 1) : tk;
        float max = float.NegativeInfinity;
        float sum = 0f;
        new Span<float>(acc, dv).Clear();
        for (int j0 = 0; j0 < keys; j0 += KeyBlock)
        {
            int count = Math.Min(KeyBlock, keys - j0);
            float blockMax = float.NegativeInfinity;
            for (int jj = 0; jj < count; jj++)
            {
                int j = j0 + jj;
                float s = Dot(qi, k.Row(b, hk, j), dh) * scale;
                if (!mask.IsNone)
                {
                    long at = b * mask.StrideB + h * mask.StrideH + i * mask.StrideQ + j * mask.StrideK;
                    if (mask.IsBool) s = ((byte*)mask.Data)[at] != 0 ? s : float.NegativeInfinity;
                    else s += ((float*)mask.Data)[at];
                }
                scores[jj] = s;
                if (s > blockMax) blockMax = s;
            }
            if (blockMax == float.NegativeInfinity) continue;
            float newMax = Math.Max(max, blockMax);
            float correction = max == float.NegativeInfinity ? 0f : MathF.Exp(max - newMax);
            if (correction != 1f)
            {
                Scale(acc, dv, correction);
                sum *= correction;
            }
            for (int jj = 0; jj < count; jj++)
            {
                float p = scores[jj] == float.NegativeInfinity ? 0f : MathF.Exp(scores[jj] - newMax);
                if (p == 0f) continue;
                sum += p;
                AddScaled(acc, v.Row(b, hk, j0 + jj), p, dv);
            }
            max = newMax;
        }
        if (sum == 0f)
        {
            new Span<float>(oi, dv).Clear();
            return;
        }
        float inv = 1f / sum;
        for (int d = 0; d < dv; d++) oi[d] = acc[d] * inv;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* a, float* b, int n)
    {
        int d = 0;
        float total = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var s = Vector512<float>.Zero;
            for (; d + 16 <= n; d += 16) s = Vector512.FusedMultiplyAdd(Vector512.Load(a + d), Vector512.Load(b + d), s);
            total = Vector512.Sum(s);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var s = Vector256<float>.Zero;
            for (; d + 8 <= n; d += 8) s = Vector256.FusedMultiplyAdd(Vector256.Load(a + d), Vector256.Load(b + d), s);
            total = Vector256.Sum(s);
        }
        for (; d < n; d++) total += a[d] * b[d];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* acc, float* x, float p, int n)
    {
        int d = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var pv = Vector512.Create(p);
            for (; d + 16 <= n; d += 16) Vector512.FusedMultiplyAdd(Vector512.Load(x + d), pv, Vector512.Load(acc + d)).Store(acc + d);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var pv = Vector256.Create(p);
            for (; d + 8 <= n; d += 8) Vector256.FusedMultiplyAdd(Vector256.Load(x + d), pv, Vector256.Load(acc + d)).Store(acc + d);
        }
        for (; d < n; d++) acc[d] += p * x[d];
    }

    private static void Scale(float* acc, int n, float c)
    {
        for (int d = 0; d < n; d++) acc[d] *= c;
    }
}
