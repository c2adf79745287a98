using DeepSeek.Lang.Runtime.Kernels.Cpu;

namespace DeepSeek.Lang.Kernels.Tests;

/// <summary>Naive double-precision GEMM and activations: the oracle of the kernel tests.</summary>
internal static class Reference
{
    public static double Activate(Activation act, double x) => act switch
    {
        Activation.None => x,
        Activation.Relu => Math.Max(x, 0),
        Activation.GeluErf => 0.5 * x * Erfc(-x / Math.Sqrt(2)),
        Activation.GeluTanh => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        Activation.Silu => x / (1 + Math.Exp(-x)),
        Activation.Sigmoid => 1 / (1 + Math.Exp(-x)),
        Activation.Tanh => Math.Tanh(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>erfc to ~1e-15: Taylor series of erf below 2.5, Laplace's continued fraction above.</summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 2.5)
        {
            double sum = 0, term = x;
            for (int n = 0; n < 200; n++)
            {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-18) break;
                term *= -x * x / (n + 1);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * sum;
        }
        double f = x;
        for (int n = 300; n >= 1; n--) f = x + n / 2.0 / f;
        return Math.Exp(-x * x) / (Math.Sqrt(Math.PI) * f);
    }

    /// <summary>
    /// C ← act(alpha·op(A)·op(B) + beta·C + bias) + residual (or with the residual inside act), for one
    /// batch item, in double. Returns the m×n result densely.
    /// </summary>
    public static double[] Gemm(bool transA, bool transB, int m, int n, int k, float alpha, float beta,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> c, int ldc,
        BiasKind biasKind, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, int ldr,
        Activation act, bool residualBefore)
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                double v = alpha * s;
                if (beta != 0) v += (double)beta * c[i * ldc + j];
                if (biasKind == BiasKind.PerColumn) v += bias[j];
                if (biasKind == BiasKind.PerRow) v += bias[i];
                double r = residual.IsEmpty ? 0 : residual[i * ldr + j];
                result[i * n + j] = residualBefore ? Activate(act, v + r) : Activate(act, v) + r;
            }
        return result;
    }

    /// <summary>‖x − y‖₂ / ‖y‖₂ over the m×n window of x (stride ldx) against dense y.</summary>
    public static double RelativeError(ReadOnlySpan<float> x, int ldx, double[] y, int m, int n)
    {
        double num = 0, den = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double d = x[i * ldx + j] - y[i * n + j];
                num += d * d;
                den += y[i * n + j] * y[i * n + j];
            }
        if (double.IsNaN(num)) return double.NaN;
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-30);
    }
}
