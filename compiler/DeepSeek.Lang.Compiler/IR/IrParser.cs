using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>Thrown for malformed IR text, with the line it was found on.</summary>
public sealed class IrParseException : Exception
{
    public IrParseException(int line, string message) : base($"line {line}: {message}")
    {
        Line = line;
    }

    public int Line { get; }
}

/// <summary>Reads the text that <see cref="IrPrinter"/> writes. Every node is typed again by its op's rule, and the
/// printed types must agree.</summary>
public sealed class IrParser
{
    private readonly string _text;
    private int _pos;
    private int _line = 1;

    private IrParser(string text)
    {
        _text = text;
    }

    public static Graph Parse(string text) => new IrParser(text).ParseGraph();

    private Graph ParseGraph()
    {
        Keyword("graph");
        var builder = new GraphBuilder(Identifier());
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        Expect('(');
        if (!TryConsume(')'))
        {
            do
            {
                var name = Identifier();
                Expect(':');
                values[name] = builder.AddInput(name, ParseType());
            } while (TryConsume(','));
            Expect(')');
        }
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (TryConsume('}')) break;
            if (TryKeyword("param") || TryKeyword("buffer"))
            {
                var kind = _lastKeyword == "param" ? WeightKind.Param : WeightKind.Buffer;
                var name = Identifier();
                Expect(':');
                var type = ParseType();
                Expect('=');
                var initName = Identifier();
                var args = ImmutableArray<double>.Empty;
                if (TryConsume('('))
                {
                    var list = new List<double>();
                    if (!TryConsume(')'))
                    {
                        do list.Add(ParseNumber()); while (TryConsume(','));
                        Expect(')');
                    }
                    args = list.ToImmutableArray();
                }
                values[name] = builder.AddWeight(name, kind, type, new Initializer(initName, args));
                continue;
            }
            if (TryKeyword("routing"))
            {
                Expect('(');
                Keyword("top_k");
                Expect('=');
                int topK = (int)ParseInteger();
                Expect(',');
                Keyword("experts");
                Expect('=');
                int experts = (int)ParseInteger();
                Expect(',');
                Keyword("rows");
                Expect('=');
                var rows = (Dim)ParseAttributeValue();
                Expect(',');
                Keyword("useful");
                Expect('=');
                var useful = (Dim)ParseAttributeValue();
                Expect(')');
                var names = new List<string>();
                do names.Add(Identifier()); while (TryConsume(','));
                builder.AddRouting(new RoutingGroup(topK, experts, rows, useful, names.ToImmutableArray()));
                continue;
            }
            if (TryKeyword("output"))
            {
                var name = Identifier();
                Expect('=');
                builder.AddOutput(name, Reference(values));
                continue;
            }
            ParseNode(builder, values);
        }
        return builder.ToGraph();
    }

    private string _lastKeyword = "";

    private void ParseNode(GraphBuilder builder, Dictionary<string, Value> values)
    {
        var outputNames = new List<string>();
        if (TryConsume('('))
        {
            Expect(')');
        }
        else
        {
            do
            {
                Expect('%');
                outputNames.Add(Word());
            } while (TryConsume(','));
        }
        Expect('=');
        var opName = Identifier();
        var op = Ops.Find(opName) ?? throw Error($"unknown op '{opName}'");
        Expect('(');
        var inputs = new List<Value>();
        if (!TryConsume(')'))
        {
            do inputs.Add(Reference(values)); while (TryConsume(','));
            Expect(')');
        }
        var attrs = Attributes.Empty;
        if (TryConsume('{'))
        {
            if (!TryConsume('}'))
            {
                do
                {
                    var key = Identifier();
                    Expect('=');
                    attrs = attrs.With(key, ParseAttributeValue());
                } while (TryConsume(','));
                Expect('}');
            }
        }
        Expect(':');
        var types = new List<TensorType>();
        do types.Add(ParseType()); while (TryConsume(','));
        int group = -1;
        if (TryKeyword("routed"))
        {
            Expect('(');
            group = (int)ParseInteger();
            Expect(')');
        }

        var typing = op.Type(inputs.Select(i => i.Type).ToArray(), attrs);
        if (!typing.Ok) throw Error($"{opName}: {typing.Message}");
        if (typing.Outputs.Length != types.Count || !typing.Outputs.SequenceEqual(types))
            throw Error($"{opName} gives {string.Join(", ", typing.Outputs)}, but the text says {string.Join(", ", types)}");
        if (outputNames.Count != types.Count) throw Error($"{opName} defines {types.Count} values but names {outputNames.Count}");
        builder.CurrentRoutingGroup = group;
        var node = builder.AddTyped(op, inputs.ToImmutableArray(), attrs, typing.Outputs);
        builder.CurrentRoutingGroup = -1;
        for (int k = 0; k < outputNames.Count; k++)
        {
            if (values.ContainsKey(outputNames[k])) throw Error($"%{outputNames[k]} is defined twice");
            values[outputNames[k]] = node.Outputs[k];
        }
    }

    private Value Reference(Dictionary<string, Value> values)
    {
        Expect('%');
        var name = Word();
        return values.TryGetValue(name, out var v) ? v : throw Error($"%{name} is used before it is defined");
    }

    // ------------------------------------------------------------------ types and values

    private TensorType ParseType()
    {
        var name = Identifier();
        if (!DTypes.TryParse(name, out var dtype)) throw Error($"unknown dtype '{name}'");
        Expect('[');
        var dims = new List<Dim>();
        if (!TryConsume(']'))
        {
            do dims.Add(ParseDim()); while (TryConsume(','));
            Expect(']');
        }
        return new TensorType(dtype, new Shape(dims.ToImmutableArray()));
    }

    private object ParseAttributeValue()
    {
        SkipSpace();
        char c = Peek();
        if (c == '"') return ParseString();
        if (c == '<')
        {
            // <d> is one Dim; a list has commas: <>, <d,>, <a, b>.
            _pos++;
            var dims = new List<Dim>();
            bool comma = false;
            while (!TryConsume('>'))
            {
                dims.Add(ParseDim());
                if (TryConsume(',')) comma = true;
                else
                {
                    Expect('>');
                    break;
                }
            }
            return dims.Count == 1 && !comma ? (object)dims[0] : dims.ToImmutableArray();
        }
        if (c == '[')
        {
            _pos++;
            var items = new List<string>();
            if (!TryConsume(']'))
            {
                do items.Add(NumberText()); while (TryConsume(','));
                Expect(']');
            }
            if (items.Any(IsFloatText)) return items.Select(ToDouble).ToImmutableArray();
            return items.Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToImmutableArray();
        }
        if (char.IsLetter(c))
        {
            var word = Identifier();
            if (word == "true") return true;
            if (word == "false") return false;
            if (word is "inf" or "nan") return ToDouble(word);
            if (DTypes.TryParse(word, out var t)) return t;
            throw Error($"unexpected attribute value '{word}'");
        }
        var text = NumberText();
        return IsFloatText(text) ? (object)ToDouble(text) : long.Parse(text, CultureInfo.InvariantCulture);
    }

    private static bool IsFloatText(string s) => s.IndexOfAny(new[] { '.', 'e', 'E', 'i', 'n' }) >= 0;

    private static double ToDouble(string s) => s switch
    {
        "inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private double ParseNumber() => ToDouble(NumberText());

    private long ParseInteger() => long.Parse(NumberText(), CultureInfo.InvariantCulture);

    private string NumberText()
    {
        SkipSpace();
        int start = _pos;
        if (Peek() == '-' || Peek() == '+') _pos++;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '.' ||
               ((_text[_pos] == '-' || _text[_pos] == '+') && (_text[_pos - 1] == 'e' || _text[_pos - 1] == 'E'))))
            _pos++;
        if (start == _pos) throw Error("expected a number");
        return _text.Substring(start, _pos - start);
    }

    private string ParseString()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (_pos < _text.Length && _text[_pos] != '"')
        {
            char c = _text[_pos++];
            if (c == '\\' && _pos < _text.Length)
            {
                char e = _text[_pos++];
                sb.Append(e switch { 'n' => '\n', 't' => '\t', _ => e });
            }
            else sb.Append(c);
        }
        Expect('"');
        return sb.ToString();
    }

    // Dimension expressions: sums of products of atoms; atoms are integers, names,
    // parenthesised expressions, and a / b or a % b (floor division and remainder).
    private Dim ParseDim()
    {
        var d = ParseTerm();
        while (true)
        {
            SkipSpace();
            if (TryConsume('+')) d += ParseTerm();
            else if (Peek() == '-' ) { _pos++; d -= ParseTerm(); }
            else return d;
        }
    }

    private Dim ParseTerm()
    {
        var d = ParseFactor();
        while (true)
        {
            SkipSpace();
            if (TryConsume('*')) d *= ParseFactor();
            else if (TryConsume('/')) d = Dim.FloorDiv(d, ParseFactor());
            else if (TryConsume('%')) d = Dim.Mod(d, ParseFactor());
            else return d;
        }
    }

    private Dim ParseFactor()
    {
        SkipSpace();
        if (TryConsume('-')) return -ParseFactor();
        if (TryConsume('('))
        {
            var inner = ParseDim();
            Expect(')');
            return inner;
        }
        if (char.IsDigit(Peek())) return Dim.Const(ParseInteger());
        return Dim.Var(Identifier());
    }

    // ------------------------------------------------------------------ lexing

    private void SkipSpace()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n') { _line++; _pos++; }
            else if (char.IsWhiteSpace(c)) _pos++;
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
            }
            else break;
        }
    }

    private char Peek()
    {
        SkipSpace();
        return _pos < _text.Length ? _text[_pos] : '\0';
    }

    private bool TryConsume(char c)
    {
        if (Peek() != c) return false;
        _pos++;
        return true;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c)) throw Error($"expected '{c}'");
    }

    private string Word()
    {
        SkipSpace();
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_' || _text[_pos] == '.')) _pos++;
        if (start == _pos) throw Error("expected a name");
        return _text.Substring(start, _pos - start);
    }

    private string Identifier()
    {
        SkipSpace();
        if (_pos >= _text.Length || !(char.IsLetter(_text[_pos]) || _text[_pos] == '_')) throw Error("expected a name");
        return Word();
    }

    private bool TryKeyword(string keyword)
    {
        SkipSpace();
        if (string.CompareOrdinal(_text, _pos, keyword, 0, keyword.Length) != 0) return false;
        int end = _pos + keyword.Length;
        if (end < _text.Length && (char.IsLetterOrDigit(_text[end]) || _text[end] == '_' || _text[end] == '.')) return false;
        _pos = end;
        _lastKeyword = keyword;
        return true;
    }

    private void Keyword(string keyword)
    {
        if (!TryKeyword(keyword)) throw Error($"expected '{keyword}'");
    }

    private IrParseException Error(string message) => new(_line, message);
}
