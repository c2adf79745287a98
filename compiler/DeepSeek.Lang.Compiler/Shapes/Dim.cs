using System.Globalization;
using System.Text;

namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>
/// A tensor dimension: an integer polynomial with <see cref="long"/> coefficients over variables and
/// opaque floor divisions and moduli, kept in a normal form so that <see cref="Equals(Dim)"/> proves equality.
/// Immutable; arithmetic is checked and throws <see cref="DimOverflowException"/> rather than wrapping.
/// </summary>
public sealed partial class Dim : IEquatable<Dim>
{
    private const long SmallMin = -128;
    private const long SmallMax = 1024;

    // Shapes are full of small constants; share them.
    private static readonly Dim[] SmallConstants = CreateSmallConstants();

    /// <summary>The constant 0.</summary>
    public static readonly Dim Zero = SmallConstants[-SmallMin];

    /// <summary>The constant 1.</summary>
    public static readonly Dim One = SmallConstants[1 - SmallMin];

    // Terms in normal-form order, each coefficient nonzero. Zero has none.
    private readonly Term[] _terms;
    private readonly int _hash;
    private string? _text;
    private string[]? _variables;

    private Dim(Term[] terms)
    {
        _terms = terms;
        int h = terms.Length;
        foreach (var t in terms) h = HashCode.Combine(h, t.Monomial.Hash, t.Coefficient);
        _hash = h;
    }

    internal Term[] Terms => _terms;

    /// <summary>A constant dimension.</summary>
    public static Dim Const(long value)
    {
        if (value >= SmallMin && value <= SmallMax) return SmallConstants[value - SmallMin];
        return new Dim(new[] { new Term(Monomial.Unit, value) });
    }

    /// <summary>A symbolic dimension or module parameter named <paramref name="name"/>.</summary>
    public static Dim Var(string name)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("A dimension variable needs a name.", nameof(name));
        return new Dim(new[] { new Term(new VariableAtom(name).Monomial, 1) });
    }

    /// <summary>True for 0.</summary>
    public bool IsZero => _terms.Length == 0;

    /// <summary>True when no variable or opaque operation is left.</summary>
    public bool IsConstant => _terms.Length == 0 || (_terms.Length == 1 && _terms[0].Monomial.IsUnit);

    /// <summary>The value when <see cref="IsConstant"/>, else null.</summary>
    public long? ConstantValue => TryGetConstant(out long v) ? v : null;

    /// <summary>The highest number of atoms in a term (0 for constants).</summary>
    public int Degree => _terms.Length == 0 ? 0 : _terms[0].Monomial.Degree;

    public bool TryGetConstant(out long value)
    {
        if (_terms.Length == 0)
        {
            value = 0;
            return true;
        }
        if (_terms.Length == 1 && _terms[0].Monomial.IsUnit)
        {
            value = _terms[0].Coefficient;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>True when this is exactly one variable, with coefficient 1.</summary>
    public bool IsVariable(out string name)
    {
        if (_terms.Length == 1 && _terms[0].Coefficient == 1 && _terms[0].Monomial.Degree == 1
            && _terms[0].Monomial.Atoms[0] is VariableAtom v)
        {
            name = v.Name;
            return true;
        }
        name = "";
        return false;
    }

    /// <summary>Every variable name, including those inside opaque divisions, distinct and in ordinal order.</summary>
    public IReadOnlyList<string> Variables => _variables ??= CollectVariables();

    /// <summary>True when some term holds a division or remainder that could not be simplified (<c>d / heads</c>).</summary>
    public bool HasOpaqueParts
    {
        get
        {
            foreach (var t in _terms)
                foreach (var a in t.Monomial.Atoms)
                    if (a is OpaqueAtom) return true;
            return false;
        }
    }

    /// <summary>True when <paramref name="name"/> occurs anywhere in this dimension.</summary>
    public bool ContainsVariable(string name)
    {
        foreach (var v in Variables)
        {
            if (string.Equals(v, name, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ arithmetic

    public static Dim operator +(Dim a, Dim b) => AddCore(a, b, subtract: false);

    public static Dim operator -(Dim a, Dim b) => AddCore(a, b, subtract: true);

    public static Dim operator +(Dim a, long b) => AddCore(a, Const(b), subtract: false);

    public static Dim operator +(long a, Dim b) => AddCore(Const(a), b, subtract: false);

    public static Dim operator -(Dim a, long b) => AddCore(a, Const(b), subtract: true);

    public static Dim operator -(long a, Dim b) => AddCore(Const(a), b, subtract: true);

    public static Dim operator -(Dim a)
    {
        if (a.TryGetConstant(out long v)) return Const(Neg(v));
        var result = new Term[a._terms.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new Term(a._terms[i].Monomial, Neg(a._terms[i].Coefficient));
        }
        return new Dim(result);
    }

    public static Dim operator *(Dim a, long b) => Scale(a, b);

    public static Dim operator *(long a, Dim b) => Scale(b, a);

    public static Dim operator *(Dim a, Dim b)
    {
        if (a.TryGetConstant(out long ka)) return Scale(b, ka);
        if (b.TryGetConstant(out long kb)) return Scale(a, kb);
        var ta = a._terms;
        var tb = b._terms;
        var products = new Term[ta.Length * tb.Length];
        int n = 0;
        foreach (var x in ta)
        {
            foreach (var y in tb)
            {
                products[n++] = new Term(Monomial.Multiply(x.Monomial, y.Monomial), Mul(x.Coefficient, y.Coefficient));
            }
        }
        return FromUnsorted(products);
    }

    public static bool operator ==(Dim? a, Dim? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Dim? a, Dim? b) => !(a == b);

    private static Dim AddCore(Dim a, Dim b, bool subtract)
    {
        if (b.IsZero) return a;
        if (a.IsZero) return subtract ? -b : b;
        var ta = a._terms;
        var tb = b._terms;
        var result = new Term[ta.Length + tb.Length];
        int i = 0, j = 0, n = 0;
        while (i < ta.Length && j < tb.Length)
        {
            int c = Monomial.Compare(ta[i].Monomial, tb[j].Monomial);
            if (c < 0)
            {
                result[n++] = ta[i++];
            }
            else if (c > 0)
            {
                result[n++] = subtract ? new Term(tb[j].Monomial, Neg(tb[j].Coefficient)) : tb[j];
                j++;
            }
            else
            {
                long k = subtract ? Sub(ta[i].Coefficient, tb[j].Coefficient) : Add(ta[i].Coefficient, tb[j].Coefficient);
                if (k != 0) result[n++] = new Term(ta[i].Monomial, k);
                i++;
                j++;
            }
        }
        while (i < ta.Length) result[n++] = ta[i++];
        for (; j < tb.Length; j++)
        {
            result[n++] = subtract ? new Term(tb[j].Monomial, Neg(tb[j].Coefficient)) : tb[j];
        }
        return Create(result, n);
    }

    private static Dim Scale(Dim a, long k)
    {
        if (k == 1) return a;
        if (k == 0 || a.IsZero) return Zero;
        if (a.TryGetConstant(out long v)) return Const(Mul(v, k));
        var result = new Term[a._terms.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new Term(a._terms[i].Monomial, Mul(a._terms[i].Coefficient, k));
        }
        return new Dim(result);
    }

    /// <summary>Sorts and merges terms that may repeat monomials or hold zero coefficients.</summary>
    internal static Dim FromUnsorted(Term[] terms)
    {
        if (terms.Length > 1) Array.Sort(terms, TermOrder.Instance);
        int n = 0;
        for (int i = 0; i < terms.Length; i++)
        {
            var t = terms[i];
            if (n > 0 && terms[n - 1].Monomial.Equals(t.Monomial))
            {
                long k = Add(terms[n - 1].Coefficient, t.Coefficient);
                if (k == 0) n--;
                else terms[n - 1] = new Term(t.Monomial, k);
            }
            else if (t.Coefficient != 0)
            {
                terms[n++] = t;
            }
        }
        return Create(terms, n);
    }

    /// <summary>Wraps the first <paramref name="n"/> terms, already in normal form.</summary>
    internal static Dim Create(Term[] terms, int n)
    {
        if (n == 0) return Zero;
        if (n == 1 && terms[0].Monomial.IsUnit) return Const(terms[0].Coefficient);
        if (n < terms.Length) Array.Resize(ref terms, n);
        return new Dim(terms);
    }

    internal static Dim FromTerm(Monomial monomial, long coefficient) =>
        monomial.IsUnit ? Const(coefficient) : coefficient == 0 ? Zero : new Dim(new[] { new Term(monomial, coefficient) });

    internal static Dim FromAtom(Atom atom) =>
        atom is VariableAtom v ? new Dim(new[] { new Term(v.Monomial, 1) }) : new Dim(new[] { new Term(new Monomial(new[] { atom }), 1) });

    // ------------------------------------------------------------------ checked long arithmetic

    internal static long Add(long x, long y)
    {
        long r = unchecked(x + y);
        if (((x ^ r) & (y ^ r)) < 0) throw Overflow("addition", x, "+", y);
        return r;
    }

    internal static long Sub(long x, long y)
    {
        long r = unchecked(x - y);
        if (((x ^ y) & (x ^ r)) < 0) throw Overflow("subtraction", x, "-", y);
        return r;
    }

    internal static long Mul(long x, long y)
    {
        try
        {
            return checked(x * y);
        }
        catch (OverflowException)
        {
            throw Overflow("multiplication", x, "*", y);
        }
    }

    internal static long Neg(long x)
    {
        if (x == long.MinValue) throw new DimOverflowException("Dimension arithmetic overflowed in negation: -(" + Str(x) + ") does not fit in 64 bits.");
        return -x;
    }

    /// <summary>Floor division, as Python's <c>//</c>.</summary>
    internal static long FloorDivide(long x, long y)
    {
        if (x == long.MinValue && y == -1) throw Overflow("division", x, "/", y);
        long q = x / y;
        if (q * y != x && ((x < 0) != (y < 0))) q--;
        return q;
    }

    /// <summary>Floor modulo, as Python's <c>%</c>: the result has the sign of <paramref name="y"/>.</summary>
    internal static long FloorModulo(long x, long y)
    {
        if (y == -1) return 0;
        long r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }

    private static DimOverflowException Overflow(string operation, long x, string op, long y) =>
        new("Dimension arithmetic overflowed in " + operation + ": " + Str(x) + " " + op + " " + Str(y) + " does not fit in 64 bits.");

    private static string Str(long x) => x.ToString(CultureInfo.InvariantCulture);

    // ------------------------------------------------------------------ evaluation

    /// <summary>
    /// The value under <paramref name="values"/>; null when a variable has no value or a divisor is zero.
    /// Throws <see cref="DimOverflowException"/> when the value does not fit in 64 bits.
    /// </summary>
    public long? TryEvaluate(Func<string, long?> values)
    {
        long sum = 0;
        foreach (var t in _terms)
        {
            long p = t.Coefficient;
            foreach (var atom in t.Monomial.Atoms)
            {
                long? v = EvaluateAtom(atom, values);
                if (v is null) return null;
                p = Mul(p, v.Value);
            }
            sum = Add(sum, p);
        }
        return sum;
    }

    private static long? EvaluateAtom(Atom atom, Func<string, long?> values)
    {
        if (atom is VariableAtom v) return values(v.Name);
        var o = (OpaqueAtom)atom;
        long? n = o.Numerator.TryEvaluate(values);
        if (n is null) return null;
        long? d = o.Denominator.TryEvaluate(values);
        if (d is null || d.Value == 0) return null;
        return o.Kind == OpaqueKind.FloorDivide ? FloorDivide(n.Value, d.Value) : FloorModulo(n.Value, d.Value);
    }

    // ------------------------------------------------------------------ substitution

    /// <summary>Replaces the variables that <paramref name="binding"/> maps (null: left alone) and re-simplifies.</summary>
    public Dim Substitute(Func<string, Dim?> binding) => SubstituteCore(binding, null) ?? this;

    /// <summary>
    /// Replaces the variables that <paramref name="binding"/> maps and re-simplifies divisions; never throws for
    /// a division that became inexact or zero-denominated, but records it in <paramref name="issues"/> and keeps
    /// the floor quotient (or, for a zero denominator, the opaque operation).
    /// </summary>
    public Dim Substitute(Func<string, Dim?> binding, List<DimIssue>? issues) => SubstituteCore(binding, issues) ?? this;

    // Null when nothing changed, so that unbound dims are returned without allocating.
    private Dim? SubstituteCore(Func<string, Dim?> binding, List<DimIssue>? issues)
    {
        Dim? result = null;
        for (int i = 0; i < _terms.Length; i++)
        {
            var t = _terms[i];
            var replaced = SubstituteMonomial(t.Monomial, binding, issues);
            if (replaced is null && result is null) continue;
            if (result is null)
            {
                var before = new Term[i];
                Array.Copy(_terms, before, i);
                result = Create(before, i);
            }
            result += replaced is null ? FromTerm(t.Monomial, t.Coefficient) : replaced * t.Coefficient;
        }
        return result;
    }

    private static Dim? SubstituteMonomial(Monomial m, Func<string, Dim?> binding, List<DimIssue>? issues)
    {
        Dim? product = null;
        var atoms = m.Atoms;
        for (int i = 0; i < atoms.Length; i++)
        {
            var replaced = atoms[i] is VariableAtom v ? binding(v.Name) : SubstituteOpaque((OpaqueAtom)atoms[i], binding, issues);
            if (replaced is null && product is null) continue;
            if (product is null)
            {
                var before = new Atom[i];
                Array.Copy(atoms, before, i);
                product = FromTerm(new Monomial(before), 1);
            }
            product *= replaced ?? FromAtom(atoms[i]);
        }
        return product;
    }

    private static Dim? SubstituteOpaque(OpaqueAtom o, Func<string, Dim?> binding, List<DimIssue>? issues)
    {
        var n = o.Numerator.SubstituteCore(binding, issues);
        var d = o.Denominator.SubstituteCore(binding, issues);
        if (n is null && d is null) return null;
        n ??= o.Numerator;
        d ??= o.Denominator;
        if (d.IsZero)
        {
            issues?.Add(new DimIssue(n, d, DimIssueKind.DivideByZero, null));
            return Opaque(o.Kind, n, d);
        }
        if (o.Kind == OpaqueKind.Modulo) return Mod(n, d);
        var r = DivideExact(n, d);
        if (r.Kind == DivisionKind.NotDivisible) issues?.Add(new DimIssue(n, d, DimIssueKind.NotDivisible, r.Remainder));
        return r.Quotient!;
    }

    // ------------------------------------------------------------------ sign

    /// <summary>
    /// True when the value is at least 1 for every assignment of variables at least 1 (variables are sizes).
    /// </summary>
    public bool IsProvablyPositive => LowerBound() is long lb && lb >= 1;

    /// <summary>True when the value is at least 0 for every assignment of variables at least 1.</summary>
    public bool IsProvablyNonNegative => LowerBound() is long lb && lb >= 0;

    // A lower bound over variables >= 1, or null when a term may be negative. Terms with positive
    // coefficients over nonnegative atoms are monotone in each variable, so the bound is the value
    // with every variable at 1. Positive parts saturate: a bound is still a bound.
    private long? LowerBound()
    {
        long sum = 0;
        long constant = 0;
        foreach (var t in _terms)
        {
            if (t.Monomial.IsUnit)
            {
                constant = t.Coefficient;
                continue;
            }
            if (t.Coefficient < 0) return null;
            long m = 1;
            foreach (var atom in t.Monomial.Atoms)
            {
                long? a = AtomLowerBound(atom);
                if (a is null) return null;
                m = SaturatingMul(m, a.Value);
            }
            sum = SaturatingAdd(sum, SaturatingMul(m, t.Coefficient));
        }
        return constant < 0 ? sum + constant : SaturatingAdd(sum, constant);
    }

    private static long? AtomLowerBound(Atom atom)
    {
        if (atom is VariableAtom) return 1;
        var o = (OpaqueAtom)atom;
        if (!o.Denominator.IsProvablyPositive) return null;
        if (o.Kind == OpaqueKind.Modulo) return 0;
        long? n = o.Numerator.LowerBound();
        if (n is null || n.Value < 0) return null;
        return o.Denominator.TryGetConstant(out long d) ? n.Value / d : 0;
    }

    private static long SaturatingAdd(long x, long y) // both >= 0
    {
        long r = unchecked(x + y);
        return r < 0 ? long.MaxValue : r;
    }

    private static long SaturatingMul(long x, long y) // both >= 0
    {
        if (x == 0 || y == 0) return 0;
        return x > long.MaxValue / y ? long.MaxValue : x * y;
    }

    // ------------------------------------------------------------------ equality and printing

    public bool Equals(Dim? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || _hash != other._hash || _terms.Length != other._terms.Length) return false;
        for (int i = 0; i < _terms.Length; i++)
        {
            if (_terms[i].Coefficient != other._terms[i].Coefficient || !_terms[i].Monomial.Equals(other._terms[i].Monomial)) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => obj is Dim d && Equals(d);

    public override int GetHashCode() => _hash;

    /// <summary>
    /// The canonical text, in .dsk syntax: higher-degree terms first, coefficients first, the constant last,
    /// opaque operations parenthesised wherever they would otherwise bind differently.
    /// </summary>
    public override string ToString() => _text ??= Print();

    private string Print()
    {
        if (_terms.Length == 0) return "0";
        var sb = new StringBuilder();
        for (int i = 0; i < _terms.Length; i++)
        {
            var t = _terms[i];
            bool negative = t.Coefficient < 0;
            if (i == 0)
            {
                if (negative) sb.Append('-');
            }
            else
            {
                sb.Append(negative ? " - " : " + ");
            }
            // The magnitude as text: long.MinValue has no positive counterpart.
            var magnitude = Str(t.Coefficient);
            if (negative) magnitude = magnitude.Substring(1);
            AppendTerm(sb, magnitude, t.Monomial, unaryMinus: i == 0 && negative);
        }
        return sb.ToString();
    }

    private static void AppendTerm(StringBuilder sb, string magnitude, Monomial m, bool unaryMinus)
    {
        if (m.IsUnit)
        {
            sb.Append(magnitude);
            return;
        }
        bool coefficient = magnitude != "1";
        // A lone opaque atom may stand bare; next to a factor or a unary minus, `a / b` would regroup.
        bool bare = !coefficient && !unaryMinus && m.Degree == 1;
        if (coefficient) sb.Append(magnitude);
        for (int i = 0; i < m.Atoms.Length; i++)
        {
            if (coefficient || i > 0) sb.Append(" * ");
            var atom = m.Atoms[i];
            if (atom is OpaqueAtom o && !bare) sb.Append('(').Append(o.Text).Append(')');
            else sb.Append(atom.ToString());
        }
    }

    private string[] CollectVariables()
    {
        var names = new List<string>();
        Collect(this, names);
        if (names.Count == 0) return Array.Empty<string>();
        names.Sort(StringComparer.Ordinal);
        int n = 1;
        for (int i = 1; i < names.Count; i++)
        {
            if (!string.Equals(names[i], names[n - 1], StringComparison.Ordinal)) names[n++] = names[i];
        }
        names.RemoveRange(n, names.Count - n);
        return names.ToArray();

        static void Collect(Dim d, List<string> names)
        {
            foreach (var t in d._terms)
            {
                foreach (var atom in t.Monomial.Atoms)
                {
                    if (atom is VariableAtom v) names.Add(v.Name);
                    else
                    {
                        var o = (OpaqueAtom)atom;
                        names.AddRange(o.Numerator.Variables);
                        names.AddRange(o.Denominator.Variables);
                    }
                }
            }
        }
    }

    private static Dim[] CreateSmallConstants()
    {
        var result = new Dim[SmallMax - SmallMin + 1];
        for (long v = SmallMin; v <= SmallMax; v++)
        {
            result[v - SmallMin] = v == 0 ? new Dim(Array.Empty<Term>()) : new Dim(new[] { new Term(Monomial.Unit, v) });
        }
        return result;
    }
}
