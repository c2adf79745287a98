using System.Globalization;
using System.Text;

namespace DeepSeek.Lang.Compiler.Analysis;

/// <summary>A small streaming JSON writer (the compiler also runs on netstandard2.0, without System.Text.Json).</summary>
public sealed class JsonWriter
{
    private readonly StringBuilder _sb = new();
    private readonly Stack<bool> _first = new();
    private int _depth;

    public JsonWriter BeginObject(string? name = null) => Open(name, '{');

    public JsonWriter EndObject() => Close('}');

    public JsonWriter BeginArray(string? name = null) => Open(name, '[');

    public JsonWriter EndArray() => Close(']');

    public JsonWriter Value(string? name, string value) => Raw(name, Quote(value));

    public JsonWriter Value(string? name, long value) => Raw(name, value.ToString(CultureInfo.InvariantCulture));

    public JsonWriter Value(string? name, double value) =>
        Raw(name, double.IsNaN(value) || double.IsInfinity(value) ? "null" : value.ToString("R", CultureInfo.InvariantCulture));

    public JsonWriter Value(string? name, bool value) => Raw(name, value ? "true" : "false");

    public override string ToString() => _sb.ToString();

    private JsonWriter Open(string? name, char bracket)
    {
        Prefix(name);
        _sb.Append(bracket);
        _first.Push(true);
        _depth++;
        return this;
    }

    private JsonWriter Close(char bracket)
    {
        bool empty = _first.Pop();
        _depth--;
        if (!empty)
        {
            _sb.Append('\n');
            Indent();
        }
        _sb.Append(bracket);
        return this;
    }

    private JsonWriter Raw(string? name, string text)
    {
        Prefix(name);
        _sb.Append(text);
        return this;
    }

    private void Prefix(string? name)
    {
        if (_first.Count > 0)
        {
            if (!_first.Peek()) _sb.Append(',');
            _first.Pop();
            _first.Push(false);
            _sb.Append('\n');
            Indent();
        }
        if (name != null) _sb.Append(Quote(name)).Append(": ");
    }

    private void Indent() => _sb.Append(' ', _depth * 2);

    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
