using DeepSeek.Lang.Runtime.Eager;

namespace DeepSeek.Lang.Cli.Commands.Bench;

/// <summary>How far one engine's outputs are from the reference's.</summary>
internal static class OutputComparison
{
    /// <summary>Above this relative error the bench prints a warning (it does not fail: float rounding differs between engines).</summary>
    public const double WarningThreshold = 1e-3;

    /// <summary>
    /// The largest relative error ‖a − b‖ / ‖b‖ (Euclidean norms over all elements) over the outputs, b the
    /// reference. When ‖b‖ is 0 the error is ‖a − b‖ itself. Elements equal in both (the same infinity,
    /// NaN in both) count as equal; a NaN in one only makes the error NaN. An output missing or of
    /// another shape is an error of +∞.
    /// </summary>
    public static double MaxRelativeError(RunResult actual, RunResult reference)
    {
        double worst = 0;
        foreach (var expected in reference.Outputs)
        {
            var a = actual.Outputs.FirstOrDefault(o => o.Name == expected.Name)?.Tensor;
            var b = expected.Tensor;
            double error = a == null || !a.Shape.SequenceEqual(b.Shape) ? double.PositiveInfinity : RelativeError(a, b);
            // Math.Max keeps a NaN, so a NaN anywhere shows in the result.
            worst = Math.Max(worst, error);
        }
        return worst;
    }

    private static double RelativeError(Runtime.Tensors.Tensor a, Runtime.Tensors.Tensor b)
    {
        double diff = 0, norm = 0;
        for (long i = 0; i < b.ElementCount; i++)
        {
            double x = a.Get(i), y = b.Get(i);
            if (!(x == y || (double.IsNaN(x) && double.IsNaN(y))))
            {
                double d = x - y;
                diff += d * d;
            }
            if (double.IsFinite(y)) norm += y * y;
        }
        diff = Math.Sqrt(diff);
        norm = Math.Sqrt(norm);
        return norm == 0 ? diff : diff / norm;
    }
}
