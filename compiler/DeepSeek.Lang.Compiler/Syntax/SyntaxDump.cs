using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// A text rendering of an AST without spans: two trees that mean the same and carry the same
/// comments dump to the same text. <c>dskc fmt</c> uses it to prove that formatting changed only
/// layout, and tests use it for parse → print → parse round trips.
/// </summary>
public static class SyntaxDump
{
    public static string Dump(object node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case string s:
                sb.Append('"').Append(s.Replace("\\", "\\\\").Replace("\"", "\\\"")).Append('"');
                return;
            case double d:
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            case bool or long or int or Enum:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case Identifier id:
                sb.Append(id.Text);
                return;
            case IEnumerable list:
                sb.Append('[');
                bool first = true;
                foreach (var item in list)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
                return;
        }

        var type = value.GetType();
        sb.Append(type.Name).Append('(');
        bool firstProp = true;
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.Name == "EqualityContract" || p.Name.EndsWith("Span", StringComparison.Ordinal) || p.GetIndexParameters().Length > 0)
                continue;
            if (!firstProp) sb.Append(", ");
            firstProp = false;
            sb.Append(p.Name).Append('=');
            Write(sb, p.GetValue(value));
        }
        sb.Append(')');
    }
}
