namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>How <see cref="Dim.DivideExact"/> answered.</summary>
public enum DivisionKind
{
    /// <summary>The numerator is the quotient times the denominator, for every value of the variables.</summary>
    Exact,

    /// <summary>The division leaves a nonzero remainder for every value of the variables.</summary>
    NotDivisible,

    /// <summary>Neither could be proved; the quotient is an opaque floor division.</summary>
    Unknown,

    /// <summary>The denominator is zero.</summary>
    DivideByZero,
}

/// <summary>The outcome of <see cref="Dim.DivideExact"/>.</summary>
public readonly struct DivisionResult
{
    public DivisionResult(DivisionKind kind, Dim? quotient, long? remainder)
    {
        Kind = kind;
        Quotient = quotient;
        Remainder = remainder;
    }

    public DivisionKind Kind { get; }

    /// <summary>
    /// Exact: the quotient. NotDivisible and Unknown: the floor quotient (an opaque <c>a / b</c> where
    /// nothing simplifies), so that checking can go on. DivideByZero: null.
    /// </summary>
    public Dim? Quotient { get; }

    /// <summary>NotDivisible: the floor remainder, the same for every value of the variables. Otherwise null.</summary>
    public long? Remainder { get; }

    public bool IsExact => Kind == DivisionKind.Exact;

    public override string ToString() => Kind + (Quotient is null ? "" : " " + Quotient) + (Remainder is null ? "" : " rem " + Remainder);
}

/// <summary>What went wrong with a division that <see cref="Dim.Substitute(Func{string, Dim?}, List{DimIssue}?)"/> re-simplified.</summary>
public enum DimIssueKind
{
    NotDivisible,
    DivideByZero,
}

/// <summary>
/// A division that substitution made provably inexact or zero-denominated: <c>Numerator / Denominator</c>
/// (or <c>%</c>) after substitution, and for NotDivisible its remainder.
/// </summary>
public sealed record DimIssue(Dim Numerator, Dim Denominator, DimIssueKind Kind, long? Remainder);

/// <summary>Dimension arithmetic left the range of a 64-bit integer; callers report the size as too large.</summary>
public sealed class DimOverflowException : Exception
{
    public DimOverflowException(string message)
        : base(message)
    {
    }

    public DimOverflowException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
