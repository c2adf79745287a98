namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>Solves a callee's dimension pattern against an argument's dimension, for one linear unknown.</summary>
public static class DimSolver
{
    /// <summary>
    /// Solves <c>pattern == actual</c> when <paramref name="pattern"/> has exactly one variable, occurring only
    /// linearly (<c>c * x</c> plus terms without x) and <c>actual - rest</c> divides exactly by c:
    /// <c>T + 1 == X</c> gives <c>T = X - 1</c>, <c>2 * T == 8</c> gives <c>T = 4</c>.
    /// The solution is not checked to be a valid size; callers do that.
    /// </summary>
    public static bool TrySolveLinear(Dim pattern, Dim actual, out string variable, out Dim value) =>
        TrySolveLinear(pattern, actual, static _ => true, out variable, out value);

    /// <summary>
    /// As <see cref="TrySolveLinear(Dim, Dim, out string, out Dim)"/>, solving for the one pattern variable that
    /// <paramref name="isUnknown"/> accepts; the pattern's other variables are known symbols.
    /// </summary>
    public static bool TrySolveLinear(Dim pattern, Dim actual, Func<string, bool> isUnknown, out string variable, out Dim value)
    {
        variable = "";
        value = Dim.Zero;
        string? unknown = null;
        foreach (var name in pattern.Variables)
        {
            if (!isUnknown(name)) continue;
            if (unknown is not null) return false;
            unknown = name;
        }
        if (unknown is null) return false;

        // pattern == c * unknown + rest, where rest must not mention the unknown.
        long c = 0;
        var terms = pattern.Terms;
        var rest = new Term[terms.Length];
        int n = 0;
        foreach (var t in terms)
        {
            var atoms = t.Monomial.Atoms;
            if (atoms.Length == 1 && atoms[0] is VariableAtom v && string.Equals(v.Name, unknown, StringComparison.Ordinal))
            {
                c = t.Coefficient;
                continue;
            }
            foreach (var atom in atoms)
            {
                if (atom is VariableAtom va ? string.Equals(va.Name, unknown, StringComparison.Ordinal) : Dim.FromAtom(atom).ContainsVariable(unknown))
                {
                    return false;
                }
            }
            rest[n++] = t;
        }
        if (c == 0) return false;

        var result = Dim.DivideExact(actual - Dim.Create(rest, n), Dim.Const(c));
        if (!result.IsExact) return false;
        variable = unknown;
        value = result.Quotient!;
        return true;
    }
}
