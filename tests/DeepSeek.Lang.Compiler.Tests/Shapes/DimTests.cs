using System.Numerics;
using CsCheck;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Tests.Shapes;

public class DimTests
{
    private static readonly Dim B = Dim.Var("B");
    private static readonly Dim T = Dim.Var("T");
    private static readonly Dim d = Dim.Var("d");
    private static readonly Dim heads = Dim.Var("heads");

    // ------------------------------------------------------------------ normal form and printing

    [Fact]
    public void Products_commute_and_print_in_atom_order()
    {
        Assert.Equal(B * T, T * B);
        Assert.Equal((B * T).GetHashCode(), (T * B).GetHashCode());
        Assert.Equal("B * T", (T * B).ToString());
    }

    [Fact]
    public void Distribution_is_proved()
    {
        Assert.Equal(2 * d + 2, 2 * (d + 1));
        Assert.Equal("2 * d + 2", (2 * (d + 1)).ToString());
        Assert.True((2 * (d + 1)).Equals(d * 2 + Dim.Const(2)));
    }

    [Theory]
    [InlineData("4 * d")]
    [InlineData("T + 1")]
    [InlineData("B * T - 2")]
    [InlineData("-T + 4")]
    [InlineData("(d + 1) / 2")]
    [InlineData("d / heads")]
    [InlineData("3 * (d / heads)")]
    [InlineData("-(d / heads)")]
    [InlineData("T - d / heads")]
    [InlineData("d * d")]
    [InlineData("B * T * T + 2 * B * T - T + 1")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("T % 2")]
    [InlineData("(T * d) / 3")]
    [InlineData("(2 * d) / (3 * heads)")]
    [InlineData("(T % 4) / 3")]
    [InlineData("d / (heads % 4)")]
    [InlineData("T * (d / heads) + T")]
    public void Canonical_text_round_trips(string text)
    {
        var dim = Parse(text);
        Assert.Equal(text, dim.ToString());
    }

    [Theory]
    [InlineData("d * 4", "4 * d")]
    [InlineData("1 + T", "T + 1")]
    [InlineData("4 - T", "-T + 4")]
    [InlineData("T - T", "0")]
    [InlineData("T * B + B * T", "2 * B * T")]
    [InlineData("(d + 1) * (d - 1)", "d * d - 1")]
    [InlineData("heads * T + d + B", "T * heads + B + d")]
    [InlineData("-(T - d)", "-T + d")]
    public void Printing_is_canonical(string input, string expected)
    {
        Assert.Equal(expected, Parse(input).ToString());
    }

    [Fact]
    public void Small_constants_are_shared()
    {
        Assert.Same(Dim.Const(7), Dim.Const(7));
        Assert.Same(Dim.Zero, Dim.Const(0));
        Assert.Same(Dim.One, Dim.Const(1));
        Assert.Same(Dim.Zero, T - T);
        Assert.Equal(Dim.Const(1L << 40), Dim.Const(1L << 40));
    }

    [Fact]
    public void Queries()
    {
        Assert.True(Dim.Const(3).IsConstant);
        Assert.Equal(3, Dim.Const(3).ConstantValue);
        Assert.Null(T.ConstantValue);
        Assert.True(Dim.Zero.TryGetConstant(out long zero) && zero == 0);
        Assert.True(T.IsVariable(out var name) && name == "T");
        Assert.False((2 * T).IsVariable(out _));
        Assert.False((T + 1).IsVariable(out _));
        Assert.False(Dim.FloorDiv(d, heads).IsVariable(out _));
        Assert.Equal(new[] { "T", "d", "heads" }, (Dim.FloorDiv(d, heads) + T + d).Variables);
        Assert.Empty(Dim.Const(4).Variables);
        Assert.True((Dim.FloorDiv(d, heads) + 1).ContainsVariable("heads"));
        Assert.Equal(2, (B * T + T).Degree);
    }

    // ------------------------------------------------------------------ division

    [Fact]
    public void DivideExact_constants()
    {
        var r = Dim.DivideExact(Dim.Const(6), Dim.Const(4));
        Assert.Equal(DivisionKind.NotDivisible, r.Kind);
        Assert.Equal(2, r.Remainder);
        Assert.Equal(Dim.One, r.Quotient);

        r = Dim.DivideExact(Dim.Const(12), Dim.Const(4));
        Assert.Equal(DivisionKind.Exact, r.Kind);
        Assert.Equal(Dim.Const(3), r.Quotient);
        Assert.Null(r.Remainder);
    }

    [Theory]
    [InlineData(-7, 2, -4, 1L)]
    [InlineData(7, -2, -4, -1L)]
    [InlineData(-8, -2, 4, null)]
    [InlineData(3_000_000_000_000, 1_000_000, 3_000_000, null)]
    public void DivideExact_constants_floor_as_python_does(long a, long b, long quotient, long? remainder)
    {
        var r = Dim.DivideExact(Dim.Const(a), Dim.Const(b));
        Assert.Equal(remainder == null ? DivisionKind.Exact : DivisionKind.NotDivisible, r.Kind);
        Assert.Equal(Dim.Const(quotient), r.Quotient);
        Assert.Equal(remainder, r.Remainder);
        // Binding a division's variables to these numbers gives the same.
        var bound = Dim.FloorDiv(B, T).Substitute(name => name == "B" ? Dim.Const(a) : Dim.Const(b));
        Assert.Equal(Dim.Const(quotient), bound);
    }

    [Fact]
    public void Substituting_nothing_gives_back_the_same_objects()
    {
        var shape = new Shape(B, T, Dim.Const(4));
        Assert.Same(shape, shape.Substitute(name => name == "X" ? Dim.One : null));
        var attributes = DeepSeek.Lang.Compiler.IR.Attributes.Of(("shape", shape.Dims), ("value", B), ("axis", 1L));
        Assert.Same(attributes, attributes.SubstituteDims(name => name == "X" ? Dim.One : null));
        var bound = attributes.SubstituteDims(name => name == "B" ? Dim.Const(2) : null);
        Assert.Equal("{axis=1, shape=<2, T, 4>, value=<2>}", bound.ToString());
        Assert.Equal(new Shape(Dim.Const(2), T, Dim.Const(4)), shape.Substitute(name => name == "B" ? Dim.Const(2) : null));
    }

    [Fact]
    public void DivideExact_symbolic()
    {
        AssertExact(2 * d, Dim.Const(2), d);
        AssertExact(B * T, T, B);
        AssertExact(2 * d + 2, d + 1, Dim.Const(2));
        AssertExact(d * d - 1, d - 1, d + 1);
        AssertExact(2 * T * d + 2 * T, 2 * T, d + 1);
        AssertExact(4 * d + 6, Dim.Const(2), 2 * d + 3);
        AssertExact(Dim.Zero, heads, Dim.Zero);
        AssertExact(B * T * d, B * d, T);
        AssertExact(-6 * T, Dim.Const(-3), 2 * T);
        var q = Dim.FloorDiv(d, heads);
        AssertExact(B * q, q, B);
    }

    [Fact]
    public void DivideExact_unknown_gives_opaque_quotient()
    {
        var r = Dim.DivideExact(d, heads);
        Assert.Equal(DivisionKind.Unknown, r.Kind);
        Assert.Equal("d / heads", r.Quotient!.ToString());
        Assert.Null(r.Remainder);

        r = Dim.DivideExact(d + 1, Dim.Const(2));
        Assert.Equal(DivisionKind.Unknown, r.Kind);
        Assert.Equal("(d + 1) / 2", r.Quotient!.ToString());

        Assert.Equal(DivisionKind.Unknown, Dim.DivideExact(Dim.Const(6), T).Kind);
        Assert.Equal(DivisionKind.Unknown, Dim.DivideExact(d + 1, 2 * d + 2).Kind);
    }

    [Fact]
    public void DivideExact_provably_inexact()
    {
        var r = Dim.DivideExact(2 * d + 1, Dim.Const(2));
        Assert.Equal(DivisionKind.NotDivisible, r.Kind);
        Assert.Equal(1, r.Remainder);
        Assert.Equal(d, r.Quotient);
    }

    [Fact]
    public void DivideExact_by_zero()
    {
        var r = Dim.DivideExact(T, Dim.Zero);
        Assert.Equal(DivisionKind.DivideByZero, r.Kind);
        Assert.Null(r.Quotient);
        Assert.Equal(DivisionKind.DivideByZero, Dim.DivideExact(Dim.Const(3), T - T).Kind);
    }

    [Theory]
    [InlineData(7, 2, 3, 1)]
    [InlineData(-7, 2, -4, 1L)]
    [InlineData(7, -2, -4, -1L)]
    [InlineData(-7, -2, 3, -1)]
    [InlineData(6, 3, 2, 0)]
    public void Floor_division_and_modulo_of_constants(long a, long b, long quotient, long remainder)
    {
        Assert.Equal(Dim.Const(quotient), Dim.FloorDiv(Dim.Const(a), Dim.Const(b)));
        Assert.Equal(Dim.Const(remainder), Dim.Mod(Dim.Const(a), Dim.Const(b)));
    }

    [Fact]
    public void Dividing_the_smallest_long_by_minus_one_overflows()
    {
        Assert.Throws<DimOverflowException>(() => Dim.FloorDiv(Dim.Const(long.MinValue), Dim.Const(-1)));
        Assert.Throws<DimOverflowException>(() => Dim.DivideExact(Dim.Const(long.MinValue), Dim.Const(-1)));
        Assert.Equal(Dim.Zero, Dim.Mod(Dim.Const(long.MinValue), Dim.Const(-1)));
    }

    [Fact]
    public void FloorDiv_and_Mod_simplify_where_provable()
    {
        Assert.Equal(2 * d, Dim.FloorDiv(4 * d, Dim.Const(2)));
        Assert.Equal(Dim.Zero, Dim.Mod(4 * d, Dim.Const(2)));
        Assert.Equal(d, Dim.FloorDiv(2 * d + 1, Dim.Const(2)));
        Assert.Equal(Dim.One, Dim.Mod(2 * d + 1, Dim.Const(2)));
        Assert.Equal(Dim.One, Dim.FloorDiv(T, T));
        Assert.Equal(Dim.Zero, Dim.Mod(B * T, T));
        Assert.Equal("T / 2", Dim.FloorDiv(2 * T, Dim.Const(4)).ToString());
        Assert.Equal("B / 2", Dim.FloorDiv(B * T, 2 * T).ToString());
        Assert.Equal("B + 1 / T", Dim.FloorDiv(B * T + 1, T).ToString());
        Assert.Equal("1 % T", Dim.Mod(B * T + 1, T).ToString());
        Assert.Equal("d + T / 2", Dim.FloorDiv(2 * d + T, Dim.Const(2)).ToString());
        Assert.Equal("T % 2", Dim.Mod(2 * d + T, Dim.Const(2)).ToString());
        Assert.Equal("d / (2 * heads)", Dim.FloorDiv(Dim.FloorDiv(d, heads), Dim.Const(2)).ToString());
        Assert.Equal("T % 4", Dim.Mod(Dim.Mod(T, Dim.Const(4)), Dim.Const(4)).ToString());
        Assert.Equal(Dim.Const(2), Dim.FloorDiv(2 * d + 2, d + 1));
        Assert.Equal(Dim.Zero, Dim.Mod(d * d - 1, d - 1));
        // Denominators keep a positive leading coefficient.
        Assert.Equal("(-T) / 2", Dim.FloorDiv(T, Dim.Const(-2)).ToString());
        Assert.Equal("-((-T) % 2)", Dim.Mod(T, Dim.Const(-2)).ToString());
    }

    [Fact]
    public void Division_by_zero_stays_opaque()
    {
        var q = Dim.FloorDiv(T, Dim.Zero);
        Assert.Equal("T / 0", q.ToString());
        Assert.Null(q.TryEvaluate(_ => 5));
        Assert.Equal("T % 0", Dim.Mod(T, Dim.Zero).ToString());
    }

    // ------------------------------------------------------------------ substitution and evaluation

    [Fact]
    public void Substitution_resimplifies_divisions()
    {
        var q = Dim.FloorDiv(d, heads);
        Assert.Equal(Dim.Const(64), q.Substitute(Bind(("d", 512), ("heads", 8))));
        Assert.Equal("512 / heads", q.Substitute(Bind(("d", 512))).ToString());
        Assert.Equal("B * T + 64", (B * T + q).Substitute(Bind(("d", 512), ("heads", 8))).ToString());
        Assert.Equal(2 * T, Dim.FloorDiv(d, Dim.Const(2)).Substitute(n => n == "d" ? 4 * T : null));
    }

    [Fact]
    public void Substitution_with_nothing_bound_returns_the_same_instance()
    {
        var dim = B * T + Dim.FloorDiv(d, heads) + 3;
        Assert.Same(dim, dim.Substitute(_ => null));
    }

    [Fact]
    public void Substitution_records_inexact_divisions_and_keeps_the_floor_quotient()
    {
        var issues = new List<DimIssue>();
        var result = (T + Dim.FloorDiv(d, heads)).Substitute(Bind(("d", 10), ("heads", 4)), issues);
        Assert.Equal(T + 2, result);
        var issue = Assert.Single(issues);
        Assert.Equal(new DimIssue(Dim.Const(10), Dim.Const(4), DimIssueKind.NotDivisible, 2), issue);

        issues.Clear();
        result = Dim.FloorDiv(d, heads).Substitute(Bind(("heads", 0)), issues);
        Assert.Equal("d / 0", result.ToString());
        Assert.Equal(DimIssueKind.DivideByZero, Assert.Single(issues).Kind);

        issues.Clear();
        result = Dim.Mod(d, heads).Substitute(Bind(("d", 10), ("heads", 4)), issues);
        Assert.Equal(Dim.Const(2), result);
        Assert.Empty(issues);

        issues.Clear();
        Dim.Mod(d, heads).Substitute(Bind(("heads", 0)), issues);
        Assert.Equal(DimIssueKind.DivideByZero, Assert.Single(issues).Kind);

        // Nested: the inner division is reported too.
        issues.Clear();
        Dim.FloorDiv(Dim.FloorDiv(d, heads) + 1, T).Substitute(Bind(("d", 9), ("heads", 2), ("T", 2)), issues);
        Assert.Equal(2, issues.Count);
    }

    [Fact]
    public void Evaluation()
    {
        var dim = B * T + Dim.FloorDiv(d, heads) - 1;
        Assert.Equal(2 * 3 + 64 - 1, dim.TryEvaluate(Values(("B", 2), ("T", 3), ("d", 512), ("heads", 8))));
        Assert.Null(dim.TryEvaluate(Values(("B", 2), ("T", 3))));
        Assert.Null(Dim.FloorDiv(d, heads).TryEvaluate(Values(("d", 2), ("heads", 0))));
        Assert.Equal(-4, Dim.FloorDiv(-d, Dim.Const(2)).TryEvaluate(Values(("d", 7))));
    }

    // ------------------------------------------------------------------ sign

    [Fact]
    public void Sign_proofs()
    {
        Assert.False((T - T).IsProvablyPositive);
        Assert.True((T - T).IsProvablyNonNegative);
        Assert.False(Dim.Const(3 - 5).IsProvablyNonNegative);
        Assert.True((T + 1).IsProvablyPositive);
        Assert.True((B * T).IsProvablyPositive);
        Assert.False((T - 1).IsProvablyPositive);
        Assert.True((T - 1).IsProvablyNonNegative);
        Assert.True((2 * T - 1).IsProvablyPositive);
        Assert.False((T - 2).IsProvablyNonNegative);
        Assert.False((-T).IsProvablyNonNegative);
        Assert.True(Dim.FloorDiv(d, heads).IsProvablyNonNegative);
        Assert.False(Dim.FloorDiv(d, heads).IsProvablyPositive);
        Assert.True((Dim.FloorDiv(d, heads) + 1).IsProvablyPositive);
        Assert.True(Dim.FloorDiv(2 * d + 2, Dim.Const(4)).IsProvablyPositive); // (d + 1) / 2 >= 1
        Assert.True(Dim.Mod(d, heads).IsProvablyNonNegative);
        Assert.False(Dim.Mod(d, heads - 1).IsProvablyNonNegative);
        Assert.False(Dim.FloorDiv(d - 2, heads).IsProvablyNonNegative);
        Assert.True((Dim.Const(long.MaxValue) * T * B + T).IsProvablyPositive);
    }

    // ------------------------------------------------------------------ overflow

    [Fact]
    public void Overflow_throws_instead_of_wrapping()
    {
        var big = Dim.Const(long.MaxValue / 2 + 1);
        var e = Assert.Throws<DimOverflowException>(() => big * big);
        Assert.Contains("multiplication", e.Message);
        Assert.Throws<DimOverflowException>(() => big * 2);
        Assert.Throws<DimOverflowException>(() => 4 * (big * T));
        Assert.Contains("addition", Assert.Throws<DimOverflowException>(() => Dim.Const(long.MaxValue) + 1).Message);
        Assert.Contains("subtraction", Assert.Throws<DimOverflowException>(() => Dim.Const(long.MinValue) - T * 0 - 1).Message);
        Assert.Contains("negation", Assert.Throws<DimOverflowException>(() => -Dim.Const(long.MinValue)).Message);
        Assert.Throws<DimOverflowException>(() => (big * T + big * T).ToString());
        Assert.Throws<DimOverflowException>(() => (big * T).TryEvaluate(_ => 2));
    }

    // ------------------------------------------------------------------ solving

    [Fact]
    public void Solver()
    {
        var X = Dim.Var("X");
        Assert.True(DimSolver.TrySolveLinear(T + 1, X, out var v, out var value));
        Assert.Equal("T", v);
        Assert.Equal(X - 1, value);

        Assert.True(DimSolver.TrySolveLinear(2 * T, Dim.Const(8), out v, out value));
        Assert.Equal(("T", Dim.Const(4)), (v, value));

        Assert.True(DimSolver.TrySolveLinear(-T + 10, Dim.Const(4), out _, out value));
        Assert.Equal(Dim.Const(6), value);

        Assert.True(DimSolver.TrySolveLinear(3 * T + 3, 3 * X, out _, out value));
        Assert.Equal(X - 1, value);

        Assert.True(DimSolver.TrySolveLinear(T + d, X, n => n == "T", out v, out value));
        Assert.Equal(("T", X - d), (v, value));

        Assert.False(DimSolver.TrySolveLinear(2 * T, Dim.Const(7), out _, out _));
        Assert.False(DimSolver.TrySolveLinear(2 * T, X, out _, out _));
        Assert.False(DimSolver.TrySolveLinear(T * T, Dim.Const(4), out _, out _));
        Assert.False(DimSolver.TrySolveLinear(T + d, X, out _, out _));
        Assert.False(DimSolver.TrySolveLinear(Dim.Const(3), X, out _, out _));
        Assert.False(DimSolver.TrySolveLinear(Dim.FloorDiv(T, Dim.Const(2)), X, out _, out _));
        Assert.False(DimSolver.TrySolveLinear(T + Dim.FloorDiv(T, Dim.Const(2)), X, out _, out _));
        Assert.False(DimSolver.TrySolveLinear(B * T, X, n => n == "T", out _, out _));
    }

    [Fact]
    public void Solver_solutions_satisfy_the_equation() =>
        Gen.Select(Gen.Long[-4, 4], GenPolynomial(new[] { "B", "d" }), GenPolynomial(new[] { "B", "d", "X" }))
            .Sample((c, rest, actual) =>
            {
                var pattern = c * T + rest;
                if (!DimSolver.TrySolveLinear(pattern, actual, n => n == "T", out var v, out var value))
                {
                    Assert.True(c == 0 || Dim.DivideExact(actual - rest, Dim.Const(c)).Kind != DivisionKind.Exact);
                    return;
                }
                Assert.Equal("T", v);
                Assert.Equal(actual, pattern.Substitute(n => n == "T" ? value : null));
            }, iter: 2000);

    // ------------------------------------------------------------------ properties

    [Fact]
    public void Ring_laws_hold_by_Equals() =>
        Gen.Select(GenDim, GenDim, GenDim).Sample((a, b, c) =>
        {
            AssertSame(a + b, b + a);
            AssertSame(a * b, b * a);
            AssertSame((a + b) + c, a + (b + c));
            AssertSame((a * b) * c, a * (b * c));
            AssertSame(a * (b + c), a * b + a * c);
            AssertSame(a - b, a + -b);
            AssertSame(Dim.Zero, a - a);
            AssertSame(a, a + Dim.Zero);
            AssertSame(a, a * Dim.One);
            AssertSame(Dim.Zero, a * Dim.Zero);
            AssertSame(-(-a), a);
        }, iter: 2000);

    [Fact]
    public void Evaluation_commutes_with_every_operation() =>
        Gen.Select(GenExpr, GenExpr, GenValues).Sample((x, y, values) =>
        {
            long? ex = Eval(x, values), ey = Eval(y, values);
            var a = ToDim(x);
            var b = ToDim(y);
            long? Of(Dim dim) => dim.TryEvaluate(n => values[n]);
            if (ex is null || ey is null) return;
            Assert.Equal(ex, Of(a));
            Assert.Equal(ey, Of(b));
            Assert.Equal(ex + ey, Of(a + b));
            Assert.Equal(ex - ey, Of(a - b));
            Assert.Equal(ex * ey, Of(a * b));
            Assert.Equal(-ex, Of(-a));
            if (ey == 0) return;
            Assert.Equal(RefFloorDiv(ex.Value, ey.Value), Of(Dim.FloorDiv(a, b)));
            Assert.Equal(RefMod(ex.Value, ey.Value), Of(Dim.Mod(a, b)));
            var r = Dim.DivideExact(a, b);
            switch (r.Kind)
            {
                case DivisionKind.Exact:
                    Assert.Equal(a, r.Quotient! * b);
                    Assert.Equal(ex / ey, Of(r.Quotient!));
                    Assert.True(ex % ey == 0);
                    break;
                case DivisionKind.NotDivisible:
                    Assert.Equal(RefMod(ex.Value, ey.Value), r.Remainder);
                    Assert.True(r.Remainder != 0);
                    Assert.Equal(RefFloorDiv(ex.Value, ey.Value), Of(r.Quotient!));
                    break;
                case DivisionKind.Unknown:
                    Assert.Equal(RefFloorDiv(ex.Value, ey.Value), Of(r.Quotient!));
                    break;
                default:
                    Assert.Fail("a nonzero value was divided by zero");
                    break;
            }
        }, iter: 5000, print: t => $"{t.Item1} | {t.Item2} | B={t.Item3["B"]} T={t.Item3["T"]} d={t.Item3["d"]}");

    [Fact]
    public void Exact_division_undoes_multiplication() =>
        Gen.Select(GenPolynomial(Vars3), GenPolynomial(Vars3)).Sample((a, b) =>
        {
            if (b.IsZero) return;
            var r = Dim.DivideExact(a * b, b);
            Assert.Equal(DivisionKind.Exact, r.Kind);
            Assert.Equal(a, r.Quotient);
            Assert.Equal(a, Dim.FloorDiv(a * b, b));
            Assert.Equal(Dim.Zero, Dim.Mod(a * b, b));
        }, iter: 2000);

    [Fact]
    public void Constant_floor_division_matches_its_definition() =>
        Gen.Select(Gen.Long, Gen.Long.Where(v => v != 0)).Sample((a, b) =>
        {
            if (a == long.MinValue && b == -1) return;
            var q = Dim.FloorDiv(Dim.Const(a), Dim.Const(b)).ConstantValue!.Value;
            var r = Dim.Mod(Dim.Const(a), Dim.Const(b)).ConstantValue!.Value;
            // a == q * b + r with r between 0 and b (exclusive), on b's side of zero, defines floor division.
            Assert.Equal((BigInteger)a, (BigInteger)q * b + r);
            Assert.True(b > 0 ? r >= 0 && r < b : r <= 0 && r > b);
            var exact = Dim.DivideExact(Dim.Const(a), Dim.Const(b));
            Assert.Equal(r == 0 ? DivisionKind.Exact : DivisionKind.NotDivisible, exact.Kind);
        }, iter: 5000);

    [Fact]
    public void Printed_text_parses_back_to_the_same_dim() =>
        GenExpr.Sample(x =>
        {
            var dim = ToDim(x);
            var text = dim.ToString();
            Assert.Equal(dim, Parse(text));
            Assert.Equal(text, Parse(text).ToString());
        }, iter: 1500);

    [Fact]
    public void Substitution_then_evaluation_equals_evaluation_of_the_combined_binding() =>
        Gen.Select(GenExpr, GenPositivePolynomial, GenValues).Sample((x, boundB, values) =>
        {
            var dim = ToDim(x);
            var substituted = dim.Substitute(n => n == "B" ? boundB : null, new List<DimIssue>());
            Assert.DoesNotContain("B", substituted.Variables);
            var combined = new Dictionary<string, long>(values) { ["B"] = boundB.TryEvaluate(n => values[n])!.Value };
            // Simplification assumes divisors are nonzero, so it may define what had a zero divisor.
            long? expected = dim.TryEvaluate(n => combined[n]);
            if (expected is null) return;
            Assert.Equal(expected, substituted.TryEvaluate(n => values[n]));
        }, iter: 3000);

    [Fact]
    public void Substituting_constants_for_every_variable_gives_the_value() =>
        Gen.Select(GenExpr, GenValues).Sample((x, values) =>
        {
            var dim = ToDim(x);
            var issues = new List<DimIssue>();
            var substituted = dim.Substitute(n => Dim.Const(values[n]), issues);
            long? value = dim.TryEvaluate(n => values[n]);
            // Where a divisor is zero there is no value to compare with (simplification assumes divisors are
            // nonzero, so `0 * (x % 0)` is 0); zero divisors are reported, as unit tests check.
            if (value is not null) Assert.Equal(Dim.Const(value.Value), substituted);
        }, iter: 3000);

    // ------------------------------------------------------------------ helpers

    private static void AssertExact(Dim a, Dim b, Dim expected)
    {
        var r = Dim.DivideExact(a, b);
        Assert.Equal(DivisionKind.Exact, r.Kind);
        Assert.Equal(expected, r.Quotient);
    }

    private static void AssertSame(Dim expected, Dim actual)
    {
        Assert.Equal(expected, actual);
        Assert.Equal(expected.GetHashCode(), actual.GetHashCode());
        Assert.Equal(expected.ToString(), actual.ToString());
    }

    private static Func<string, Dim?> Bind(params (string Name, long Value)[] values) =>
        n =>
        {
            foreach (var (name, value) in values)
            {
                if (name == n) return Dim.Const(value);
            }
            return null;
        };

    private static Func<string, long?> Values(params (string Name, long Value)[] values) =>
        n =>
        {
            foreach (var (name, value) in values)
            {
                if (name == n) return value;
            }
            return null;
        };

    /// <summary>Parses printed dims with the .dsk parser, mapping the AST back onto Dim operations.</summary>
    private static Dim Parse(string text)
    {
        var tree = SyntaxTree.Parse("const x = " + text);
        Assert.Empty(tree.Diagnostics);
        var decl = Assert.IsType<ConstDeclaration>(Assert.Single(tree.Root.Items));
        return FromSyntax(decl.Value);
    }

    private static Dim FromSyntax(ExpressionSyntax e) => e switch
    {
        IntegerLiteral i => Dim.Const(i.Value),
        NameExpression n => Dim.Var(n.Name.Text),
        UnaryExpression { Operator: UnaryOperator.Negate } u => -FromSyntax(u.Operand),
        BinaryExpression b => b.Operator switch
        {
            BinaryOperator.Add => FromSyntax(b.Left) + FromSyntax(b.Right),
            BinaryOperator.Subtract => FromSyntax(b.Left) - FromSyntax(b.Right),
            BinaryOperator.Multiply => FromSyntax(b.Left) * FromSyntax(b.Right),
            BinaryOperator.Divide => Dim.FloorDiv(FromSyntax(b.Left), FromSyntax(b.Right)),
            BinaryOperator.Modulo => Dim.Mod(FromSyntax(b.Left), FromSyntax(b.Right)),
            _ => throw new InvalidOperationException("not a dimension operator: " + b.Operator),
        },
        _ => throw new InvalidOperationException("not a dimension expression: " + e),
    };

    // Expression trees built independently of Dim, with their own (unsimplified) evaluation.
    private abstract record Expr;

    private sealed record Lit(long Value) : Expr
    {
        public override string ToString() => Value.ToString();
    }

    private sealed record Name(string Text) : Expr
    {
        public override string ToString() => Text;
    }

    private sealed record Neg(Expr Operand) : Expr
    {
        public override string ToString() => "-(" + Operand + ")";
    }

    private sealed record Bin(char Op, Expr Left, Expr Right) : Expr
    {
        public override string ToString() => "(" + Left + " " + Op + " " + Right + ")";
    }

    private static readonly string[] Vars3 = { "B", "T", "d" };

    private static readonly Gen<Expr> GenLeaf = Gen.Frequency(
        (2, Gen.Long[-4, 9].Select(v => (Expr)new Lit(v))),
        (3, Gen.OneOfConst(Vars3).Select(n => (Expr)new Name(n))));

    private static Gen<Expr> GenExprOfDepth(int depth) =>
        depth == 0
            ? GenLeaf
            : Gen.Frequency(
                (2, GenLeaf),
                (4, Gen.Select(Gen.OneOfConst('+', '-', '*', '/', '%', '/', '%'), GenExprOfDepth(depth - 1), GenExprOfDepth(depth - 1),
                    (op, l, r) => (Expr)new Bin(op, l, r))),
                (1, GenExprOfDepth(depth - 1).Select(x => (Expr)new Neg(x))));

    private static readonly Gen<Expr> GenExpr = GenExprOfDepth(3);

    private static readonly Gen<Dim> GenDim = GenExpr.Select(ToDim);

    private static readonly Gen<Dictionary<string, long>> GenValues =
        Gen.Select(Gen.Long[1, 12], Gen.Long[1, 12], Gen.Long[1, 12], (b, t, dv) => new Dictionary<string, long> { ["B"] = b, ["T"] = t, ["d"] = dv });

    // Random small polynomials: up to four terms, coefficients in [-5, 5], exponents up to 2.
    private static Gen<Dim> GenPolynomial(string[] vars) =>
        Gen.Select(Gen.Long[-5, 5], Gen.Int[0, 2].Array[vars.Length]).Array[0, 4].Select(terms =>
        {
            var sum = Dim.Zero;
            foreach (var (coefficient, exponents) in terms)
            {
                var term = Dim.Const(coefficient);
                for (int i = 0; i < vars.Length; i++)
                {
                    for (int k = 0; k < exponents[i]; k++) term *= Dim.Var(vars[i]);
                }
                sum += term;
            }
            return sum;
        });

    // Values for B that are sizes whatever T and d are, as the simplifier assumes of every variable.
    private static readonly Gen<Dim> GenPositivePolynomial =
        Gen.Select(Gen.Long[1, 4], Gen.Long[0, 3], Gen.Long[0, 2], Gen.Long[0, 2],
            (c, t, dv, td) => c + t * Dim.Var("T") + dv * Dim.Var("d") + td * Dim.Var("T") * Dim.Var("d"));

    private static Dim ToDim(Expr e) => e switch
    {
        Lit l => Dim.Const(l.Value),
        Name n => Dim.Var(n.Text),
        Neg n => -ToDim(n.Operand),
        Bin { Op: '+' } b => ToDim(b.Left) + ToDim(b.Right),
        Bin { Op: '-' } b => ToDim(b.Left) - ToDim(b.Right),
        Bin { Op: '*' } b => ToDim(b.Left) * ToDim(b.Right),
        Bin { Op: '/' } b => Dim.FloorDiv(ToDim(b.Left), ToDim(b.Right)),
        Bin { Op: '%' } b => Dim.Mod(ToDim(b.Left), ToDim(b.Right)),
        _ => throw new InvalidOperationException(e.ToString()),
    };

    // Null where a divisor is zero.
    private static long? Eval(Expr e, Dictionary<string, long> values)
    {
        switch (e)
        {
            case Lit l:
                return l.Value;
            case Name n:
                return values[n.Text];
            case Neg n:
                return -Eval(n.Operand, values);
        }
        var b = (Bin)e;
        long? x = Eval(b.Left, values), y = Eval(b.Right, values);
        if (x is null || y is null) return null;
        return b.Op switch
        {
            '+' => x + y,
            '-' => x - y,
            '*' => x * y,
            '/' => y == 0 ? null : RefFloorDiv(x.Value, y.Value),
            _ => y == 0 ? null : RefMod(x.Value, y.Value),
        };
    }

    // Python's floor division and modulo, computed through decimal to stay independent of the code under test.
    private static long RefFloorDiv(long x, long y) => (long)Math.Floor((decimal)x / y);

    private static long RefMod(long x, long y) => x - y * RefFloorDiv(x, y);
}
