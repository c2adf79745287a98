namespace DeepSeek.Lang.Compiler.Shapes;

// Division and modulo. Both keep floor semantics (Python's // and %), and canonicalise what they
// cannot compute into an opaque atom whose operands are already reduced, so that building the same
// division again (say, from its printed form) gives the same atom.
public sealed partial class Dim
{
    // Polynomial long division gives up after this many steps (it always terminates, but may be slow).
    private const int MaxDivisionSteps = 10_000;

    /// <summary>
    /// Divides <paramref name="a"/> by <paramref name="b"/> where that is provably exact, says when it provably
    /// is not, and otherwise answers Unknown with an opaque floor quotient so that checking can go on.
    /// </summary>
    public static DivisionResult DivideExact(Dim a, Dim b)
    {
        if (b.IsZero) return new DivisionResult(DivisionKind.DivideByZero, null, null);
        if (a.IsZero) return new DivisionResult(DivisionKind.Exact, Zero, null);
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y))
        {
            // Numbers (what specialisation leaves): the general path below gives the same, with more work.
            long remainder = FloorModulo(x, y);
            return remainder == 0
                ? new DivisionResult(DivisionKind.Exact, Const(FloorDivide(x, y)), null)
                : new DivisionResult(DivisionKind.NotDivisible, Const(FloorDivide(x, y)), remainder);
        }
        if (b.TryGetConstant(out long c))
        {
            Split(a, b._terms[0], out var q, out var r);
            if (r.IsZero) return new DivisionResult(DivisionKind.Exact, q, null);
            if (r.TryGetConstant(out long rc))
            {
                // Every other term is a multiple of c, so the remainder is the same for all values.
                return new DivisionResult(DivisionKind.NotDivisible, q + FloorDivide(rc, c), FloorModulo(rc, c));
            }
            return new DivisionResult(DivisionKind.Unknown, FloorDiv(a, b), null);
        }
        var exact = TryDividePolynomial(a, b);
        return exact is null
            ? new DivisionResult(DivisionKind.Unknown, FloorDiv(a, b), null)
            : new DivisionResult(DivisionKind.Exact, exact, null);
    }

    /// <summary>
    /// Floor division. Exact for constants; simplified where provable (<c>(4 * d) / 2</c> is <c>2 * d</c>);
    /// otherwise an opaque <c>a / b</c>. A zero divisor gives an opaque atom too, which never evaluates.
    /// </summary>
    public static Dim FloorDiv(Dim a, Dim b)
    {
        if (b.IsZero) return Opaque(OpaqueKind.FloorDivide, a, b);
        if (a.IsZero) return Zero;
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y)) return Const(FloorDivide(x, y));
        if (b._terms[0].Coefficient < 0)
        {
            // floor(a / b) == floor(-a / -b): keep denominators' leading coefficients positive.
            a = -a;
            b = -b;
        }
        RemoveCommonFactor(ref a, ref b);
        if (b._terms.Length > 1) return TryDividePolynomial(a, b) ?? Opaque(OpaqueKind.FloorDivide, a, b);

        // floor((b * q + r) / b) == q + floor(r / b) for integer q.
        Split(a, b._terms[0], out var quotient, out var rest);
        if (rest.IsZero) return quotient;
        if (b.TryGetConstant(out long c) && rest.TryGetConstant(out long rc)) return quotient + FloorDivide(rc, c);
        if (rest.IsSingleOpaque(OpaqueKind.FloorDivide, out var inner)
            && b.IsProvablyPositive && inner.Denominator.IsProvablyPositive
            && TryMultiply(inner.Denominator, b, out var denominator))
        {
            // floor(floor(n / p) / b) == floor(n / (p * b)) for positive p and b.
            return quotient + FloorDiv(inner.Numerator, denominator);
        }
        return quotient + Opaque(OpaqueKind.FloorDivide, rest, b);
    }

    /// <summary>
    /// Floor modulo (the result has the sign of <paramref name="b"/>). Exact for constants; simplified where
    /// provable (<c>(4 * d) % 2</c> is 0); otherwise an opaque <c>a % b</c>.
    /// </summary>
    public static Dim Mod(Dim a, Dim b)
    {
        if (b.IsZero) return Opaque(OpaqueKind.Modulo, a, b);
        if (a.IsZero) return Zero;
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y)) return Const(FloorModulo(x, y));
        if (b._terms[0].Coefficient < 0) return -Mod(-a, -b); // a mod b == -((-a) mod (-b))
        if (b._terms.Length > 1) return TryDividePolynomial(a, b) is null ? Opaque(OpaqueKind.Modulo, a, b) : Zero;

        // (b * q + r) mod b == r mod b for integer q.
        Split(a, b._terms[0], out _, out var rest);
        if (rest.IsZero) return Zero;
        if (b.TryGetConstant(out long c) && rest.TryGetConstant(out long rc)) return Const(FloorModulo(rc, c));
        if (rest.IsSingleOpaque(OpaqueKind.Modulo, out var inner) && inner.Denominator.Equals(b)) return rest;
        return Opaque(OpaqueKind.Modulo, rest, b);
    }

    /// <summary>An opaque <c>a / b</c> or <c>a % b</c>, taken as it is.</summary>
    private static Dim Opaque(OpaqueKind kind, Dim a, Dim b) => FromAtom(new OpaqueAtom(kind, a, b));

    private bool IsSingleOpaque(OpaqueKind kind, out OpaqueAtom atom)
    {
        if (_terms.Length == 1 && _terms[0].Coefficient == 1 && _terms[0].Monomial.Degree == 1
            && _terms[0].Monomial.Atoms[0] is OpaqueAtom o && o.Kind == kind)
        {
            atom = o;
            return true;
        }
        atom = null!;
        return false;
    }

    private static bool TryMultiply(Dim a, Dim b, out Dim product)
    {
        try
        {
            product = a * b;
            return true;
        }
        catch (DimOverflowException)
        {
            product = Zero;
            return false;
        }
    }

    /// <summary>
    /// Splits <paramref name="a"/> into the terms that <paramref name="divisor"/> divides (divided by it) and
    /// the rest, so that <c>a == divisor * quotient + rest</c>.
    /// </summary>
    private static void Split(Dim a, Term divisor, out Dim quotient, out Dim rest)
    {
        var terms = a._terms;
        Term[]? q = null;
        Term[]? r = null;
        int nq = 0, nr = 0;
        foreach (var t in terms)
        {
            var m = Monomial.TryDivide(t.Monomial, divisor.Monomial);
            if (m is not null && FloorModulo(t.Coefficient, divisor.Coefficient) == 0)
            {
                q ??= new Term[terms.Length];
                q[nq++] = new Term(m, FloorDivide(t.Coefficient, divisor.Coefficient));
            }
            else
            {
                r ??= new Term[terms.Length];
                r[nr++] = t;
            }
        }
        if (nq > 0) Array.Resize(ref q, nq);
        quotient = q is null ? Zero : divisor.Monomial.IsUnit ? Create(q, nq) : FromUnsorted(q!);
        rest = r is null ? Zero : nq == 0 ? a : Create(r, nr);
    }

    /// <summary>
    /// Cancels the positive integer and the variables common to every term of both sides:
    /// floor(g * x / (g * y)) == floor(x / y) for any nonzero g, and variables are sizes, never zero.
    /// </summary>
    private static void RemoveCommonFactor(ref Dim a, ref Dim b)
    {
        ulong g = 0;
        foreach (var t in a._terms) g = Gcd(g, Magnitude(t.Coefficient));
        foreach (var t in b._terms) g = Gcd(g, Magnitude(t.Coefficient));
        if (g > long.MaxValue) g = 1;

        var common = CommonVariables(b._terms[0].Monomial.Atoms, a._terms);
        if (common.Length > 0) common = CommonVariables(common, b._terms);
        if (g == 1 && common.Length == 0) return;

        var divisor = new Term(common.Length == 0 ? Monomial.Unit : new Monomial(common), (long)g);
        Split(a, divisor, out a, out _);
        Split(b, divisor, out b, out _);
    }

    // The variables (with multiplicity) of `atoms` that occur in every one of `terms`.
    private static Atom[] CommonVariables(Atom[] atoms, Term[] terms)
    {
        int n = 0;
        while (n < atoms.Length && atoms[n] is VariableAtom) n++;
        if (n == 0) return Array.Empty<Atom>();
        var common = new Atom[n];
        Array.Copy(atoms, common, n);
        foreach (var t in terms)
        {
            n = Intersect(common, n, t.Monomial.Atoms);
            if (n == 0) return Array.Empty<Atom>();
        }
        if (n < common.Length) Array.Resize(ref common, n);
        return common;
    }

    // Keeps in common[0..n) the multiset intersection with the sorted `atoms`; returns the new count.
    private static int Intersect(Atom[] common, int n, Atom[] atoms)
    {
        int i = 0, j = 0, k = 0;
        while (i < n && j < atoms.Length)
        {
            int c = Atom.Compare(common[i], atoms[j]);
            if (c == 0)
            {
                common[k++] = common[i];
                i++;
                j++;
            }
            else if (c < 0)
            {
                i++;
            }
            else
            {
                j++;
            }
        }
        return k;
    }

    /// <summary>
    /// The polynomial q with <c>a == q * b</c>, by long division on leading terms, or null when there is none
    /// with integer coefficients. With a single divisor this finds q whenever it exists.
    /// </summary>
    private static Dim? TryDividePolynomial(Dim a, Dim b)
    {
        var lead = b._terms[0];
        var quotient = new List<Term>();
        var remainder = a;
        try
        {
            for (int step = 0; !remainder.IsZero; step++)
            {
                if (step == MaxDivisionSteps) return null;
                var t = remainder._terms[0];
                var m = Monomial.TryDivide(t.Monomial, lead.Monomial);
                if (m is null || FloorModulo(t.Coefficient, lead.Coefficient) != 0) return null;
                var q = FromTerm(m, FloorDivide(t.Coefficient, lead.Coefficient));
                quotient.Add(q._terms[0]);
                remainder -= q * b;
            }
        }
        catch (DimOverflowException)
        {
            return null;
        }
        return FromUnsorted(quotient.ToArray());
    }

    private static ulong Magnitude(long x) => x < 0 ? (ulong)(-(x + 1)) + 1 : (ulong)x;

    private static ulong Gcd(ulong x, ulong y)
    {
        while (y != 0)
        {
            var t = x % y;
            x = y;
            y = t;
        }
        return x;
    }
}
