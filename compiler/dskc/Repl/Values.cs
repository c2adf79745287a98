using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Elaboration;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>How the REPL names compile-time values and their types, and writes them back as source.</summary>
internal static class Values
{
    /// <summary>The type as the REPL prints it: <c>int</c>, <c>f32[2, 3]</c>, <c>(int, int)</c>, <c>module Linear</c>.</summary>
    public static string TypeText(Val v) => v switch
    {
        TensorVal t => t.Type.ToString(),
        IntVal => "int",
        FloatVal => "float",
        BoolVal => "bool",
        StringVal => "string",
        DTypeVal => "dtype",
        NoneVal => "None",
        TupleVal t => t.Items.Length == 1 ? $"({TypeText(t.Items[0])},)" : "(" + string.Join(", ", t.Items.Select(TypeText)) + ")",
        ListVal l => "[" + string.Join(", ", l.Items.Select(TypeText)) + "]",
        ModuleVal m => "module " + m.Instance.Module.Name,
        ModuleArrayVal a => $"module {a.Module.Name}[{a.Count}]",
        _ => v.Describe(),
    };

    /// <summary>True when the value holds no tensor and can be written as source (so a later statement can use it).</summary>
    public static bool IsLiteral(Val v) => v switch
    {
        IntVal i => i.IsConstant,
        FloatVal f => f.Value != null,
        BoolVal b => b.Value != null,
        StringVal s => s.Value != null,
        DTypeVal or NoneVal => true,
        TupleVal t => t.Items.All(IsLiteral),
        ListVal l => l.Items.All(IsLiteral),
        _ => false,
    };

    /// <summary>The value as .dsk source (for <see cref="IsLiteral"/> values): <c>64</c>, <c>0.5</c>, <c>"gelu"</c>, <c>(2, 3)</c>.</summary>
    public static string Literal(Val v) => v switch
    {
        IntVal i => i.Value.ToString(),
        FloatVal { Value: { } f } => FloatLiteral(f),
        BoolVal { Value: { } b } => b ? "true" : "false",
        StringVal { Value: { } s } => StringLiteral(s),
        DTypeVal d => d.Value.Name(),
        NoneVal => "None",
        TupleVal t => t.Items.Length == 1 ? $"({Literal(t.Items[0])},)" : "(" + string.Join(", ", t.Items.Select(Literal)) + ")",
        ListVal l => "[" + string.Join(", ", l.Items.Select(Literal)) + "]",
        _ => throw new InvalidOperationException($"{v.Describe()} has no literal"),
    };

    /// <summary>How a compile-time value is shown: as its literal, except floats, which show as Python shows them.</summary>
    public static string Display(Val v) => v switch
    {
        FloatVal { Value: { } f } => FloatText(f),
        TupleVal t => t.Items.Length == 1 ? $"({Display(t.Items[0])},)" : "(" + string.Join(", ", t.Items.Select(Display)) + ")",
        ListVal l => "[" + string.Join(", ", l.Items.Select(Display)) + "]",
        ModuleVal m => m.Instance.Describe(),
        ModuleArrayVal a when a.Items.Length > 0 => $"{a.Items[0].Describe()}[{a.Count}]",
        _ when IsLiteral(v) => Literal(v),
        _ => v.Describe(),
    };

    /// <summary>A float as a literal the lexer reads back exactly; infinities and NaN as expressions that give them.</summary>
    public static string FloatLiteral(double f)
    {
        if (double.IsNaN(f)) return "log(-1.0)";
        if (double.IsPositiveInfinity(f)) return "exp(1000.0)";
        if (double.IsNegativeInfinity(f)) return "-exp(1000.0)";
        return FloatText(f);
    }

    /// <summary>Shortest round-trip text with a point or exponent: <c>0.5</c>, <c>64.0</c>, <c>1e-05</c>.</summary>
    public static string FloatText(double f)
    {
        if (double.IsNaN(f)) return "nan";
        if (double.IsInfinity(f)) return f > 0 ? "inf" : "-inf";
        var text = f.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
        if (text.Contains('e'))
        {
            // 1e-05 is read back as a float only with a point or an exponent; the exponent is there.
            var mantissa = text[..text.IndexOf('e')];
            var exponent = text[(text.IndexOf('e') + 1)..];
            return mantissa + "e" + (exponent.StartsWith('+') ? exponent[1..] : exponent);
        }
        return text.Contains('.') ? text : text + ".0";
    }

    public static string StringLiteral(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ => c.ToString(),
            });
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A module instance as the member declaration that makes it again: <c>Linear(in_features: 4, out_features: 8, bias: true)</c>.</summary>
    public static string Constructor(ModuleInstance instance) =>
        $"{instance.Module.Name}({string.Join(", ", instance.Arguments.Select(a => $"{a.Key}: {Literal(a.Value)}"))})";

    /// <summary>Grouped digits, as people read parameter counts: 33,538.</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Bytes in binary units: 512 B, 131.0 KiB, 2.5 GiB.</summary>
    public static string Bytes(long n)
    {
        string[] units = { "KiB", "MiB", "GiB", "TiB" };
        if (n < 1024) return n.ToString(CultureInfo.InvariantCulture) + " B";
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return v.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[u];
    }

    /// <summary>A duration: 0.052 ms, 12.3 ms, 1.25 s.</summary>
    public static string Duration(double seconds)
    {
        double ms = seconds * 1000;
        if (ms < 1) return ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms";
        if (ms < 100) return ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";
        if (ms < 1000) return ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";
        return seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
    }
}
