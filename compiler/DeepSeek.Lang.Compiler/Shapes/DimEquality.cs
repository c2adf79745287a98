namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>
/// Equality of dimensions as the checker uses it. Normally two dimensions are equal when their
/// normal forms are. While a module is checked generically (its parameters symbolic), an equality
/// that differs only by a division or remainder of parameters, such as <c>head_dim - head_dim / 2</c>
/// against <c>head_dim / 2</c>, is assumed: it holds whenever the divisions the program writes are
/// exact, and instantiation with numbers checks exactly that.
/// </summary>
public static class DimEquality
{
    [ThreadStatic]
    private static int _assumeExactDivision;

    public static bool Same(Dim a, Dim b)
    {
        if (a.Equals(b)) return true;
        if (_assumeExactDivision == 0) return false;
        var difference = a - b;
        return !difference.IsConstant && difference.HasOpaqueParts;
    }

    public static bool Same(Shape a, Shape b)
    {
        if (a.Rank != b.Rank) return false;
        for (int i = 0; i < a.Rank; i++)
            if (!Same(a[i], b[i])) return false;
        return true;
    }

    public static bool Same(TensorType a, TensorType b) => a.DType == b.DType && Same(a.Shape, b.Shape);

    /// <summary>Assumes written divisions are exact until the returned scope is disposed (generic checking).</summary>
    public static IDisposable AssumeExactDivision()
    {
        _assumeExactDivision++;
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _assumeExactDivision--;
        }
    }
}
