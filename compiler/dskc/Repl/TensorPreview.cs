using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// A tensor's values as NumPy prints them: nested brackets, one row a line, blank lines between
/// matrices, elements right-aligned to a common width, long rows wrapped at 80 columns. Tensors of
/// more than <see cref="Threshold"/> elements are cut: each axis longer than 6 shows its first and last
/// 3 entries around <c>...</c>. Floats get 4 decimals (<c>-1.2345</c>), or scientific notation when
/// every value is below 0.001 or one is 1e6 or more; floats that are all whole numbers print as
/// <c>3.</c>.
/// </summary>
internal static class TensorPreview
{
    public const int Threshold = 200;
    public const int EdgeItems = 3;
    public const int LineWidth = 80;

    public static string Format(Tensor t)
    {
        bool cut = t.ElementCount > Threshold;
        var strides = new long[t.Rank];
        long s = 1;
        for (int a = t.Rank - 1; a >= 0; a--)
        {
            strides[a] = s;
            s *= t.Shape[a];
        }
        var shown = new List<long>();
        Collect(t, cut, strides, 0, 0, shown);
        var format = ChooseFormat(t, shown);
        int width = shown.Count == 0 ? 0 : shown.Max(i => format(i).Length);
        string Element(long i) => format(i).PadLeft(width);
        if (t.Rank == 0) return Element(0).Trim();
        return Block(t, cut, strides, 0, 0, 0, Element);
    }

    private static List<long> Indices(long n, bool cut)
    {
        var list = new List<long>();
        if (cut && n > 2 * EdgeItems)
        {
            for (long i = 0; i < EdgeItems; i++) list.Add(i);
            list.Add(-1);
            for (long i = n - EdgeItems; i < n; i++) list.Add(i);
        }
        else
        {
            for (long i = 0; i < n; i++) list.Add(i);
        }
        return list;
    }

    private static void Collect(Tensor t, bool cut, long[] strides, int axis, long offset, List<long> into)
    {
        if (axis == t.Rank)
        {
            into.Add(offset);
            return;
        }
        foreach (var i in Indices(t.Shape[axis], cut))
            if (i >= 0) Collect(t, cut, strides, axis + 1, offset + i * strides[axis], into);
    }

    private static string Block(Tensor t, bool cut, long[] strides, int axis, long offset, int indent, Func<long, string> element)
    {
        var indices = Indices(t.Shape[axis], cut);
        var sb = new StringBuilder("[");
        if (axis == t.Rank - 1)
        {
            int column = indent + 1;
            for (int k = 0; k < indices.Count; k++)
            {
                var text = indices[k] < 0 ? "..." : element(offset + indices[k] * strides[axis]);
                if (k > 0)
                {
                    sb.Append(',');
                    column++;
                    if (column + 1 + text.Length + 2 > LineWidth)
                    {
                        sb.Append('\n').Append(' ', indent + 1);
                        column = indent + 1;
                    }
                    else
                    {
                        sb.Append(' ');
                        column++;
                    }
                }
                sb.Append(text);
                column += text.Length;
            }
            return sb.Append(']').ToString();
        }
        var separator = ",\n" + new string('\n', t.Rank - axis - 2) + new string(' ', indent + 1);
        for (int k = 0; k < indices.Count; k++)
        {
            if (k > 0) sb.Append(separator);
            sb.Append(indices[k] < 0 ? "..." : Block(t, cut, strides, axis + 1, offset + indices[k] * strides[axis], indent + 1, element));
        }
        return sb.Append(']').ToString();
    }

    private static Func<long, string> ChooseFormat(Tensor t, List<long> shown)
    {
        if (t.DType == DType.Bool) return i => t.GetInt64(i) != 0 ? "true" : "false";
        if (!t.DType.IsFloat()) return i => t.GetInt64(i).ToString(CultureInfo.InvariantCulture);

        var finite = shown.Select(t.Get).Where(double.IsFinite).ToList();
        double max = finite.Count == 0 ? 0 : finite.Max(Math.Abs);
        bool whole = finite.All(v => v == Math.Floor(v)) && max < 1e6;
        bool scientific = !whole && max > 0 && (max >= 1e6 || max < 1e-3);
        return i =>
        {
            double v = t.Get(i);
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            if (whole) return (v == 0 && double.IsNegative(v) ? "-0" : v.ToString("0", CultureInfo.InvariantCulture)) + ".";
            if (scientific) return v.ToString("0.0000e+00", CultureInfo.InvariantCulture);
            return v.ToString("0.0000", CultureInfo.InvariantCulture);
        };
    }
}
