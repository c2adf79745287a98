using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.IO;

/// <summary>
/// NumPy's .npy format: the magic <c>\x93NUMPY</c>, a version (1.0, 2.0 or 3.0 are read; 1.0 is written), the
/// header length (2 bytes in v1, 4 in v2 and v3), a Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> padded with spaces and a newline so the
/// data starts at a multiple of 64, then the data. Dtypes: <c>&lt;f4</c> f32, <c>&lt;f8</c> f64, <c>&lt;f2</c> f16,
/// <c>&lt;i4</c> i32, <c>&lt;i8</c> i64, <c>|i1</c> i8, <c>|b1</c> bool; little-endian and C order only (Fortran order
/// or big-endian data is a clear error). bf16 has no NumPy dtype and cannot be written.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public static string Descr(DType t) => t switch
    {
        DType.F32 => "<f4",
        DType.F64 => "<f8",
        DType.F16 => "<f2",
        DType.I32 => "<i4",
        DType.I64 => "<i8",
        DType.I8 => "|i1",
        DType.Bool => "|b1",
        _ => throw new RuntimeError($"a {t.Name()} tensor cannot be written as .npy: NumPy has no {t.Name()} dtype; cast it to f32 first"),
    };

    private static DType ParseDescr(string descr, string path) => descr switch
    {
        "<f4" => DType.F32,
        "<f8" => DType.F64,
        "<f2" => DType.F16,
        "<i4" => DType.I32,
        "<i8" => DType.I64,
        "|i1" or "<i1" or "i1" => DType.I8,
        "|b1" or "<b1" or "b1" => DType.Bool,
        _ when descr.StartsWith('>') => throw new RuntimeError($"'{path}' holds big-endian data ({descr}); save it little-endian (arr.astype(arr.dtype.newbyteorder('<')))"),
        _ => throw new RuntimeError($"'{path}' has dtype {descr}, which the runtime does not read; use float32, float64, float16, int32, int64, int8 or bool"),
    };

    public static void Write(string path, Tensor t)
    {
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(f, t);
    }

    /// <summary>Writes version 1.0.</summary>
    public static void Write(Stream f, Tensor t)
    {
        string shape = t.Rank switch
        {
            0 => "()",
            1 => $"({t.Shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string dict = $"{{'descr': '{Descr(t.DType)}', 'fortran_order': False, 'shape': {shape}, }}";
        int preamble = Magic.Length + 2 + 2;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - preamble - 1) + "\n";
        if (header.Length > ushort.MaxValue) throw new RuntimeError($"the .npy header for {t.TypeText()} is too long for version 1.0");
        f.Write(Magic);
        f.WriteByte(1);
        f.WriteByte(0);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        f.Write(len);
        f.Write(Encoding.ASCII.GetBytes(header));
        SafeTensors.WriteData(f, t);
    }

    public static Tensor Read(string path)
    {
        FileStream f;
        try
        {
            f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new RuntimeError($"cannot read '{path}': {e.Message}", e);
        }
        using (f) return Read(f, path);
    }

    public static Tensor Read(Stream f, string path)
    {
        Span<byte> start = stackalloc byte[8];
        if (f.ReadAtLeast(start, 8, throwOnEndOfStream: false) < 8 || !start[..6].SequenceEqual(Magic))
            throw new RuntimeError($"'{path}' is not a .npy file (it does not start with \\x93NUMPY)");
        int major = start[6];
        long headerLength;
        if (major == 1)
        {
            Span<byte> len = stackalloc byte[2];
            if (f.ReadAtLeast(len, 2, throwOnEndOfStream: false) < 2) throw Bad(path, "the file ends inside the header length");
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(len);
        }
        else if (major is 2 or 3)
        {
            Span<byte> len = stackalloc byte[4];
            if (f.ReadAtLeast(len, 4, throwOnEndOfStream: false) < 4) throw Bad(path, "the file ends inside the header length");
            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(len);
        }
        else throw new RuntimeError($"'{path}' is .npy version {major}.{start[7]}; the runtime reads versions 1.0, 2.0 and 3.0");
        if (headerLength > 1_000_000 || headerLength > f.Length - f.Position) throw Bad(path, $"the header length {headerLength} does not fit the file");
        var headerBytes = new byte[headerLength];
        f.ReadExactly(headerBytes);
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);

        var dict = HeaderParser.Parse(header, path);
        if (!dict.TryGetValue("descr", out var d) || d is not string descr) throw Bad(path, "the header has no 'descr'");
        if (!dict.TryGetValue("fortran_order", out var fo) || fo is not bool fortran) throw Bad(path, "the header has no 'fortran_order'");
        if (!dict.TryGetValue("shape", out var s) || s is not List<long> shape) throw Bad(path, "the header has no 'shape'");
        var dtype = ParseDescr(descr, path);
        if (fortran && shape.Count > 1 && shape.Count(x => x != 1) > 1)
            throw new RuntimeError($"'{path}' is in Fortran (column-major) order; save it in C order (np.ascontiguousarray)");
        if (shape.Any(x => x < 0)) throw Bad(path, "the shape has a negative size");
        long count = Tensor.CountElements(dtype, shape.ToArray());
        long bytes = count * dtype.ByteSize();
        if (f.Length - f.Position < bytes)
            throw Bad(path, $"it holds {f.Length - f.Position} data bytes but {Tensor.TypeText(dtype, shape.ToArray())} needs {bytes}");
        var t = Tensor.Zeros(dtype, shape.ToArray());
        try
        {
            SafeTensors.ReadData(f, t, path, "the array");
            if (dtype == DType.Bool)
            {
                var b = t.AsSpan<byte>();
                for (int i = 0; i < b.Length; i++)
                    if (b[i] > 1) b[i] = 1;
            }
        }
        catch
        {
            t.Dispose();
            throw;
        }
        return t;
    }

    private static RuntimeError Bad(string path, string why) => new($"'{path}' is not a valid .npy file: {why}");

    /// <summary>The header's Python literal: a dict of str keys to str, bool, int or tuple-of-int values.</summary>
    private sealed class HeaderParser
    {
        private readonly string _s;
        private readonly string _path;
        private int _i;

        private HeaderParser(string s, string path)
        {
            _s = s;
            _path = path;
        }

        public static Dictionary<string, object> Parse(string s, string path) => new HeaderParser(s, path).Dict();

        private Dictionary<string, object> Dict()
        {
            var d = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                Space();
                if (Peek() == '}')
                {
                    _i++;
                    return d;
                }
                var key = Str();
                Expect(':');
                d[key] = Value();
                Space();
                if (Peek() == ',') _i++;
                else if (Peek() != '}') throw Error("expected ',' or '}'");
            }
        }

        private object Value()
        {
            Space();
            char c = Peek();
            if (c is '\'' or '"') return Str();
            if (c == '(')
            {
                _i++;
                var list = new List<long>();
                while (true)
                {
                    Space();
                    if (Peek() == ')')
                    {
                        _i++;
                        return list;
                    }
                    int start = _i;
                    while (_i < _s.Length && (char.IsDigit(_s[_i]) || _s[_i] == '-')) _i++;
                    if (start == _i || !long.TryParse(_s.AsSpan(start, _i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                        throw Error("expected a size in the shape");
                    // NumPy writes Python ints; some writers add an L suffix.
                    if (_i < _s.Length && _s[_i] == 'L') _i++;
                    list.Add(v);
                    Space();
                    if (Peek() == ',') _i++;
                    else if (Peek() != ')') throw Error("expected ',' or ')' in the shape");
                }
            }
            if (Word("True")) return true;
            if (Word("False")) return false;
            throw Error("unexpected value");
        }

        private bool Word(string w)
        {
            if (string.CompareOrdinal(_s, _i, w, 0, w.Length) != 0) return false;
            _i += w.Length;
            return true;
        }

        private string Str()
        {
            Space();
            char q = Peek();
            if (q is not ('\'' or '"')) throw Error("expected a string");
            int start = ++_i;
            while (_i < _s.Length && _s[_i] != q) _i++;
            if (_i >= _s.Length) throw Error("unterminated string");
            return _s.Substring(start, _i++ - start);
        }

        private void Expect(char c)
        {
            Space();
            if (Peek() != c) throw Error($"expected '{c}'");
            _i++;
        }

        private char Peek() => _i < _s.Length ? _s[_i] : '\0';

        private void Space()
        {
            while (_i < _s.Length && char.IsWhiteSpace(_s[_i])) _i++;
        }

        private RuntimeError Error(string what) => Bad(_path, $"cannot read the header ({what} at character {_i})");
    }
}
