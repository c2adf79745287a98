using System.Collections.Immutable;

namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>The first place two shapes fail to broadcast, numbered as in the result shape.</summary>
public readonly record struct BroadcastFailure(int Axis, Dim Left, Dim Right);

/// <summary>
/// NumPy broadcasting on symbolic shapes: shapes align from the right; a dimension of constant 1
/// stretches; otherwise dimensions must be provably equal. A symbolic dimension never stretches,
/// since the compiler cannot know it is 1.
/// </summary>
public static class Broadcasting
{
    public static bool TryBroadcast(Shape a, Shape b, out Shape result, out BroadcastFailure failure)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new Dim[rank];
        for (int k = 0; k < rank; k++)
        {
            int ia = a.Rank - 1 - k, ib = b.Rank - 1 - k;
            var da = ia >= 0 ? a[ia] : Dim.One;
            var db = ib >= 0 ? b[ib] : Dim.One;
            Dim d;
            if (DimEquality.Same(da, db)) d = da;
            else if (IsOne(da)) d = db;
            else if (IsOne(db)) d = da;
            else
            {
                result = Shape.Scalar;
                failure = new BroadcastFailure(rank - 1 - k, da, db);
                return false;
            }
            dims[rank - 1 - k] = d;
        }
        result = new Shape(ImmutableArray.Create(dims));
        failure = default;
        return true;
    }

    /// <summary>True when <paramref name="from"/> broadcasts to exactly <paramref name="to"/>.</summary>
    public static bool BroadcastsTo(Shape from, Shape to) =>
        TryBroadcast(from, to, out var r, out _) && DimEquality.Same(r, to);

    private static bool IsOne(Dim d) => d.IsConstant && d.ConstantValue == 1;
}
