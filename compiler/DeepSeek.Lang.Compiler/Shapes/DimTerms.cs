namespace DeepSeek.Lang.Compiler.Shapes;

// The building blocks of a Dim's normal form. Atoms are ordered variables first (by ordinal name),
// then opaque operations (by printed form); a monomial is a sorted multiset of atoms; monomials are
// ordered by degree, highest first, then atom by atom. That order is graded lexicographic, which is
// compatible with multiplication, so polynomial division by leading terms is valid on it.

/// <summary>A factor of a monomial: a variable or an operation that could not be simplified.</summary>
internal abstract class Atom : IEquatable<Atom>
{
    protected Atom(int hash) => Hash = hash;

    public int Hash { get; }

    public abstract bool Equals(Atom? other);

    public override bool Equals(object? obj) => obj is Atom a && Equals(a);

    public override int GetHashCode() => Hash;

    public static int Compare(Atom x, Atom y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is VariableAtom vx)
        {
            return y is VariableAtom vy ? string.CompareOrdinal(vx.Name, vy.Name) : -1;
        }
        if (y is VariableAtom) return 1;
        var ox = (OpaqueAtom)x;
        var oy = (OpaqueAtom)y;
        int c = string.CompareOrdinal(ox.Text, oy.Text);
        return c != 0 ? c : ox.Kind.CompareTo(oy.Kind);
    }
}

internal sealed class VariableAtom : Atom
{
    private Monomial? _monomial;

    public VariableAtom(string name)
        : base(name.GetHashCode()) => Name = name;

    public string Name { get; }

    /// <summary>The monomial holding just this variable, shared by every Dim built from it.</summary>
    public Monomial Monomial => _monomial ??= new Monomial(new Atom[] { this });

    public override bool Equals(Atom? other) =>
        ReferenceEquals(this, other) || (other is VariableAtom v && Hash == v.Hash && string.Equals(Name, v.Name, StringComparison.Ordinal));

    public override string ToString() => Name;
}

internal enum OpaqueKind
{
    FloorDivide,
    Modulo,
}

/// <summary><c>a / b</c> (floor) or <c>a % b</c> over normalised operands, kept because it did not simplify.</summary>
internal sealed class OpaqueAtom : Atom
{
    private string? _text;

    public OpaqueAtom(OpaqueKind kind, Dim numerator, Dim denominator)
        : base(HashCode.Combine((int)kind, numerator.GetHashCode(), denominator.GetHashCode()))
    {
        Kind = kind;
        Numerator = numerator;
        Denominator = denominator;
    }

    public OpaqueKind Kind { get; }

    public Dim Numerator { get; }

    public Dim Denominator { get; }

    /// <summary>The printed form, cached because atoms are ordered by it.</summary>
    public string Text => _text ??= Print();

    public override bool Equals(Atom? other) =>
        ReferenceEquals(this, other)
        || (other is OpaqueAtom o && Hash == o.Hash && Kind == o.Kind && Numerator.Equals(o.Numerator) && Denominator.Equals(o.Denominator));

    public override string ToString() => Text;

    private string Print()
    {
        var op = Kind == OpaqueKind.FloorDivide ? " / " : " % ";
        return Operand(Numerator) + op + Operand(Denominator);
    }

    // Bare only when nothing can rebind: a single variable or a non-negative constant.
    private static string Operand(Dim d)
    {
        if (d.IsVariable(out var name)) return name;
        if (d.TryGetConstant(out long k) && k >= 0) return d.ToString();
        return "(" + d.ToString() + ")";
    }
}

/// <summary>A sorted multiset of atoms; the empty monomial is the constant 1.</summary>
internal sealed class Monomial : IEquatable<Monomial>
{
    public static readonly Monomial Unit = new(Array.Empty<Atom>());

    public Monomial(Atom[] atoms)
    {
        Atoms = atoms;
        int h = atoms.Length;
        foreach (var a in atoms) h = unchecked(h * 31 + a.Hash);
        Hash = h;
    }

    public Atom[] Atoms { get; }

    public int Hash { get; }

    public int Degree => Atoms.Length;

    public bool IsUnit => Atoms.Length == 0;

    public bool Equals(Monomial? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || Hash != other.Hash || Atoms.Length != other.Atoms.Length) return false;
        for (int i = 0; i < Atoms.Length; i++)
        {
            if (!Atoms[i].Equals(other.Atoms[i])) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is Monomial m && Equals(m);

    public override int GetHashCode() => Hash;

    /// <summary>Negative when <paramref name="x"/> comes first in a normal form (higher degree, then atom order).</summary>
    public static int Compare(Monomial x, Monomial y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x.Atoms.Length != y.Atoms.Length) return y.Atoms.Length.CompareTo(x.Atoms.Length);
        for (int i = 0; i < x.Atoms.Length; i++)
        {
            int c = Atom.Compare(x.Atoms[i], y.Atoms[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    public static Monomial Multiply(Monomial x, Monomial y)
    {
        if (x.IsUnit) return y;
        if (y.IsUnit) return x;
        var xs = x.Atoms;
        var ys = y.Atoms;
        var result = new Atom[xs.Length + ys.Length];
        int i = 0, j = 0, n = 0;
        while (i < xs.Length && j < ys.Length)
        {
            result[n++] = Atom.Compare(xs[i], ys[j]) <= 0 ? xs[i++] : ys[j++];
        }
        while (i < xs.Length) result[n++] = xs[i++];
        while (j < ys.Length) result[n++] = ys[j++];
        return new Monomial(result);
    }

    /// <summary>x / y when y's atoms are a sub-multiset of x's; null otherwise.</summary>
    public static Monomial? TryDivide(Monomial x, Monomial y)
    {
        if (y.IsUnit) return x;
        if (y.Atoms.Length > x.Atoms.Length) return null;
        if (y.Atoms.Length == x.Atoms.Length) return x.Equals(y) ? Unit : null;
        var xs = x.Atoms;
        var ys = y.Atoms;
        var result = new Atom[xs.Length - ys.Length];
        int i = 0, j = 0, n = 0;
        while (i < xs.Length)
        {
            int c = j < ys.Length ? Atom.Compare(xs[i], ys[j]) : -1;
            if (c > 0) return null; // ys[j] is missing from xs
            if (c == 0)
            {
                i++;
                j++;
            }
            else
            {
                if (n == result.Length) return null; // more of xs is left over than y could account for
                result[n++] = xs[i++];
            }
        }
        return j == ys.Length ? new Monomial(result) : null;
    }
}

/// <summary>A monomial with its nonzero coefficient.</summary>
internal readonly struct Term
{
    public Term(Monomial monomial, long coefficient)
    {
        Monomial = monomial;
        Coefficient = coefficient;
    }

    public Monomial Monomial { get; }

    public long Coefficient { get; }
}

internal sealed class TermOrder : IComparer<Term>
{
    public static readonly TermOrder Instance = new();

    public int Compare(Term x, Term y) => Monomial.Compare(x.Monomial, y.Monomial);
}
