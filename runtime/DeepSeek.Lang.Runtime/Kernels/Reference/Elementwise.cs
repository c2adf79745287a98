using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.Kernels.Reference;

public static partial class ReferenceKernels
{
    private static void RegisterElementwise(Dictionary<string, ReferenceKernel> t)
    {
        void Float(string name, Func<double, double> f) => t[name] = (i, _) => One(MapFloat(name, i[0], f));
        Float("exp", Math.Exp);
        Float("log", Math.Log);
        Float("sqrt", Math.Sqrt);
        Float("rsqrt", x => 1.0 / Math.Sqrt(x));
        Float("tanh", Math.Tanh);
        Float("sigmoid", Sigmoid);
        Float("silu", x => x * Sigmoid(x));
        Float("erf", Erf);
        Float("sin", Math.Sin);
        Float("cos", Math.Cos);
        t["gelu"] = (i, a) =>
        {
            bool tanh = a.TryGet("approximate", out var mode) && mode is string s && s == "tanh";
            return One(MapFloat("gelu", i[0], tanh ? GeluTanh : GeluExact));
        };
        t["relu"] = (i, _) => One(MapNumeric("relu", i[0], x => x > 0 ? x : (double.IsNaN(x) ? x : 0), x => Math.Max(x, 0)));
        t["abs"] = (i, _) => One(MapNumeric("abs", i[0], Math.Abs, x => x == long.MinValue ? x : Math.Abs(x)));
        t["neg"] = (i, _) => One(MapNumeric("neg", i[0], x => -x, x => unchecked(-x)));
        t["not"] = (i, _) => One(MapBool("not", i[0]));
        t["cast"] = (i, a) => One(Cast(i[0], a.GetDType("dtype")));
        t["clamp"] = (i, a) => One(Clamp(i[0], a));

        t["add"] = (i, _) => One(Binary("add", i[0], i[1], null, (x, y) => x + y, (x, y) => unchecked(x + y)));
        t["sub"] = (i, _) => One(Binary("sub", i[0], i[1], null, (x, y) => x - y, (x, y) => unchecked(x - y)));
        t["mul"] = (i, _) => One(Binary("mul", i[0], i[1], null, (x, y) => x * y, (x, y) => unchecked(x * y)));
        t["div"] = (i, _) => One(Binary("div", i[0], i[1], null, (x, y) => x / y, null));
        t["mod"] = (i, _) => One(Binary("mod", i[0], i[1], null, FloorMod, FloorMod));
        t["pow"] = (i, _) => One(Binary("pow", i[0], i[1], null, Math.Pow, null));
        t["maximum"] = (i, _) => One(Binary("maximum", i[0], i[1], null, Math.Max, Math.Max));
        t["minimum"] = (i, _) => One(Binary("minimum", i[0], i[1], null, Math.Min, Math.Min));
        t["eq"] = (i, _) => One(Binary("eq", i[0], i[1], DType.Bool, (x, y) => x == y ? 1 : 0, (x, y) => x == y ? 1 : 0));
        t["ne"] = (i, _) => One(Binary("ne", i[0], i[1], DType.Bool, (x, y) => x != y ? 1 : 0, (x, y) => x != y ? 1 : 0));
        t["lt"] = (i, _) => One(Binary("lt", i[0], i[1], DType.Bool, (x, y) => x < y ? 1 : 0, (x, y) => x < y ? 1 : 0));
        t["le"] = (i, _) => One(Binary("le", i[0], i[1], DType.Bool, (x, y) => x <= y ? 1 : 0, (x, y) => x <= y ? 1 : 0));
        t["gt"] = (i, _) => One(Binary("gt", i[0], i[1], DType.Bool, (x, y) => x > y ? 1 : 0, (x, y) => x > y ? 1 : 0));
        t["ge"] = (i, _) => One(Binary("ge", i[0], i[1], DType.Bool, (x, y) => x >= y ? 1 : 0, (x, y) => x >= y ? 1 : 0));
        t["and"] = (i, _) => One(Binary("and", i[0], i[1], DType.Bool, null, (x, y) => x != 0 && y != 0 ? 1 : 0));
        t["or"] = (i, _) => One(Binary("or", i[0], i[1], DType.Bool, null, (x, y) => x != 0 || y != 0 ? 1 : 0));
        t["where"] = (i, _) => One(Where(i[0], i[1], i[2]));
    }

    // ------------------------------------------------------------------ scalar functions

    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    /// <summary>gelu(x) = x Φ(x) = 0.5 x (1 + erf(x / √2)).</summary>
    public static double GeluExact(double x) => 0.5 * x * (1.0 + Erf(x / Math.Sqrt(2.0)));

    /// <summary>gelu with approximate="tanh": 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));

    /// <summary>
    /// The error function to double precision: erf x = (2/√π) e^(-x²) Σ 2^n x^(2n+1) / (1·3···(2n+1)),
    /// a series of positive terms (no cancellation); ±1 beyond |x| ≥ 6.
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax >= 6) return x > 0 ? 1.0 : -1.0;
        double x2 = ax * ax;
        double term = ax, sum = ax;
        for (int n = 1; n < 500; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        double r = 2.0 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        r = Math.Min(r, 1.0);
        return x < 0 ? -r : r;
    }

    /// <summary>Floor modulo as Python's %: the result has the divisor's sign. x mod 0 is NaN for floats.</summary>
    public static double FloorMod(double x, double y)
    {
        double r = x % y; // C#'s % on doubles is C's fmod (truncated)
        if (double.IsNaN(r)) return r;
        if (r != 0)
        {
            if ((r < 0) != (y < 0)) r += y;
        }
        else r = y < 0 ? -0.0 : 0.0;
        return r;
    }

    /// <summary>Floor modulo for integers; a zero divisor is a RuntimeError.</summary>
    public static long FloorMod(long x, long y)
    {
        if (y == 0) throw new RuntimeError("mod: integer division by zero");
        if (y == -1) return 0;
        long r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return r;
    }

    // ------------------------------------------------------------------ maps

    private static Tensor MapFloat(string op, Tensor x, Func<double, double> f)
    {
        if (!x.DType.IsFloat()) throw new RuntimeError($"{op} needs a floating-point tensor, got {x.TypeText()}");
        var v = x.ToDoubleArray();
        for (int i = 0; i < v.Length; i++) v[i] = f(v[i]);
        return Tensor.FromDoubles(x.DType, x.Shape.AsSpan(), v);
    }

    private static Tensor MapNumeric(string op, Tensor x, Func<double, double> f, Func<long, long> g)
    {
        if (x.DType == DType.Bool) throw new RuntimeError($"{op} needs a numeric tensor, got {x.TypeText()}");
        if (x.DType.IsFloat()) return MapFloat(op, x, f);
        var v = x.ToInt64Array();
        for (int i = 0; i < v.Length; i++) v[i] = g(v[i]);
        return Tensor.FromInt64s(x.DType, x.Shape.AsSpan(), v);
    }

    private static Tensor MapBool(string op, Tensor x)
    {
        if (x.DType != DType.Bool) throw new RuntimeError($"{op} needs a bool tensor, got {x.TypeText()}");
        var v = x.ToInt64Array();
        for (int i = 0; i < v.Length; i++) v[i] = v[i] != 0 ? 0 : 1;
        return Tensor.FromInt64s(DType.Bool, x.Shape.AsSpan(), v);
    }

    /// <summary>
    /// cast to <paramref name="dtype"/>: float to float rounds to nearest even; float to integer truncates
    /// toward zero (NaN gives 0; values beyond the i64 range saturate, then wrap to the width); integer to
    /// integer wraps (two's complement); anything to bool is <c>x != 0</c> (NaN is true); bool is 0 or 1.
    /// </summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        var result = Tensor.Zeros(dtype, x.Shape.AsSpan(), x.Device);
        bool fromFloat = x.DType.IsFloat();
        for (long i = 0; i < x.ElementCount; i++)
        {
            if (fromFloat)
            {
                double v = x.Get(i);
                if (dtype == DType.Bool) result.SetInt64(i, v != 0 || double.IsNaN(v) ? 1 : 0);
                else result.Set(i, v);
            }
            else
            {
                long v = x.GetInt64(i);
                if (dtype == DType.F32) result.AsSpan<float>()[(int)i] = v; // direct long → float rounding
                else result.SetInt64(i, v);
            }
        }
        return result;
    }

    /// <summary>
    /// clamp into [min, max] (attrs min and/or max, floats): max(x, min) then min(·, max), so min &gt; max
    /// gives max everywhere and NaN stays NaN. Integer tensors use ceil(min) and floor(max).
    /// </summary>
    public static Tensor Clamp(Tensor x, Attributes a)
    {
        bool hasMin = a.TryGet("min", out var mn), hasMax = a.TryGet("max", out var mx);
        double lo = hasMin ? ToDouble(mn) : double.NegativeInfinity;
        double hi = hasMax ? ToDouble(mx) : double.PositiveInfinity;
        if (x.DType == DType.Bool) throw new RuntimeError($"clamp needs a numeric tensor, got {x.TypeText()}");
        if (x.DType.IsFloat())
            return MapFloat("clamp", x, v => double.IsNaN(v) ? v : Math.Min(Math.Max(v, lo), hi));
        long ilo = hasMin ? Tensor.DoubleToInt64(Math.Ceiling(lo)) : long.MinValue;
        long ihi = hasMax ? Tensor.DoubleToInt64(Math.Floor(hi)) : long.MaxValue;
        return MapNumeric("clamp", x, v => v, v => Math.Min(Math.Max(v, ilo), ihi));
    }

    private static double ToDouble(object v) => v switch
    {
        double d => d,
        long l => l,
        _ => throw new RuntimeError($"expected a number, got {Attributes.FormatValue(v)}"),
    };

    /// <summary>
    /// An elementwise binary op with NumPy broadcasting. Floats compute in double and round once to the
    /// result dtype; integers and bools compute in 64 bits and wrap to the result width.
    /// </summary>
    private static Tensor Binary(string op, Tensor a, Tensor b, DType? result, Func<double, double, double>? f, Func<long, long, long>? g)
    {
        if (a.DType != b.DType) throw new RuntimeError($"{op}: dtypes differ: {a.TypeText()} and {b.TypeText()}");
        var shape = BroadcastShapes(op, a, b);
        var ia = BroadcastIndex(a.Shape.AsSpan(), shape);
        var ib = BroadcastIndex(b.Shape.AsSpan(), shape);
        var dtype = result ?? a.DType;
        if (a.DType.IsFloat())
        {
            if (f == null) throw new RuntimeError($"{op} does not take {a.DType.Name()} tensors");
            var x = a.ToDoubleArray();
            var y = b.ToDoubleArray();
            var r = new double[ia.Length];
            for (int i = 0; i < r.Length; i++) r[i] = f(x[ia[i]], y[ib[i]]);
            return Tensor.FromDoubles(dtype, shape, r);
        }
        if (g == null) throw new RuntimeError($"{op} does not take {a.DType.Name()} tensors");
        var xi = a.ToInt64Array();
        var yi = b.ToInt64Array();
        var ri = new long[ia.Length];
        for (int i = 0; i < ri.Length; i++) ri[i] = g(xi[ia[i]], yi[ib[i]]);
        return Tensor.FromInt64s(dtype, shape, ri);
    }

    /// <summary>where(cond, a, b): a where cond is true, else b; all three broadcast.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        if (cond.DType != DType.Bool) throw new RuntimeError($"where's condition must be bool, got {cond.TypeText()}");
        if (a.DType != b.DType) throw new RuntimeError($"where: dtypes differ: {a.TypeText()} and {b.TypeText()}");
        var shape = BroadcastShapes("where", cond, a, b);
        var ic = BroadcastIndex(cond.Shape.AsSpan(), shape);
        var ia = BroadcastIndex(a.Shape.AsSpan(), shape);
        var ib = BroadcastIndex(b.Shape.AsSpan(), shape);
        var c = cond.AsSpan<byte>();
        var fromA = Take(a, shape, ia);
        var fromB = Take(b, shape, ib);
        try
        {
            var result = fromA.Clone();
            int size = a.DType.ByteSize();
            var rb = result.AsBytes();
            var bb = fromB.AsBytes();
            for (int i = 0; i < ic.Length; i++)
                if (c[(int)ic[i]] == 0) bb.Slice(i * size, size).CopyTo(rb.Slice(i * size, size));
            return result;
        }
        finally
        {
            fromA.Dispose();
            fromB.Dispose();
        }
    }
}
