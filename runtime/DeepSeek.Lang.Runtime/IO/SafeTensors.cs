using System.Text;
using System.Text.Json;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;

namespace DeepSeek.Lang.Runtime.IO;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …, "__metadata__": {"k": "v"}}</c>
/// (padded with spaces to a multiple of 8), then the little-endian, row-major data; offsets count from
/// the start of the data. Dtypes F64, F32, F16, BF16, I64, I32, I8, BOOL. A malformed file is a
/// <see cref="RuntimeError"/> that says what is wrong, never a crash.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public static string DTypeName(DType t) => t switch
    {
        DType.F64 => "F64",
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I64 => "I64",
        DType.I32 => "I32",
        DType.I8 => "I8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool TryParseDType(string name, out DType t)
    {
        switch (name)
        {
            case "F64": t = DType.F64; return true;
            case "F32": t = DType.F32; return true;
            case "F16": t = DType.F16; return true;
            case "BF16": t = DType.BF16; return true;
            case "I64": t = DType.I64; return true;
            case "I32": t = DType.I32; return true;
            case "I8": t = DType.I8; return true;
            case "BOOL": t = DType.Bool; return true;
            default: t = default; return false;
        }
    }

    /// <summary>Writes tensors (in the order given) and optional string metadata.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
        {
            if (name == "__metadata__") throw new RuntimeError("a tensor cannot be named __metadata__ in a safetensors file");
            if (!names.Add(name)) throw new RuntimeError($"tensor '{name}' appears twice");
        }

        byte[] header;
        using (var ms = new MemoryStream())
        {
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                if (metadata is { Count: > 0 })
                {
                    w.WriteStartObject("__metadata__");
                    foreach (var (k, v) in metadata) w.WriteString(k, v);
                    w.WriteEndObject();
                }
                long offset = 0;
                foreach (var (name, t) in list)
                {
                    w.WriteStartObject(name);
                    w.WriteString("dtype", DTypeName(t.DType));
                    w.WriteStartArray("shape");
                    foreach (var d in t.Shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteStartArray("data_offsets");
                    w.WriteNumberValue(offset);
                    w.WriteNumberValue(offset + t.ByteCount);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    offset += t.ByteCount;
                }
                w.WriteEndObject();
            }
            header = ms.ToArray();
        }
        int padded = (header.Length + 7) / 8 * 8;

        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        f.Write(len);
        f.Write(header);
        for (int i = header.Length; i < padded; i++) f.WriteByte((byte)' ');
        foreach (var (_, t) in list) WriteData(f, t);
    }

    internal static unsafe void WriteData(Stream f, Tensor t)
    {
        CheckLittleEndian();
        byte* p = (byte*)t.Data;
        for (long done = 0; done < t.ByteCount;)
        {
            int chunk = (int)Math.Min(1 << 24, t.ByteCount - done);
            f.Write(new ReadOnlySpan<byte>(p + done, chunk));
            done += chunk;
        }
    }

    internal static unsafe void ReadData(Stream f, Tensor t, string path, string what)
    {
        CheckLittleEndian();
        byte* p = (byte*)t.Data;
        for (long done = 0; done < t.ByteCount;)
        {
            int chunk = (int)Math.Min(1 << 24, t.ByteCount - done);
            int n = f.ReadAtLeast(new Span<byte>(p + done, chunk), chunk, throwOnEndOfStream: false);
            if (n < chunk) throw new RuntimeError($"'{path}' is truncated: the data of {what} ends early");
            done += chunk;
        }
    }

    private static void CheckLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new RuntimeError("tensor files are little-endian; this machine is not");
    }

    /// <summary>A tensor's entry in the header.</summary>
    public sealed record Entry(string Name, DType DType, long[] Shape, long Begin, long End);

    /// <summary>Reads the header only: the entries in file order and the metadata.</summary>
    public static (List<Entry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(Stream f, string path)
    {
        long fileLength = f.Length;
        if (fileLength < 8) throw Corrupt(path, $"it has {fileLength} bytes, fewer than the 8 of the header length");
        Span<byte> len = stackalloc byte[8];
        f.ReadExactly(len);
        ulong n = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n > (ulong)(fileLength - 8)) throw Corrupt(path, $"the header length {n} is larger than the rest of the file ({fileLength - 8} bytes)");
        if (n > MaxHeaderBytes) throw Corrupt(path, $"the header length {n} is over the limit of {MaxHeaderBytes} bytes");
        if (n < 2) throw Corrupt(path, $"the header length {n} is too small for a JSON object");
        var headerBytes = new byte[n];
        f.ReadExactly(headerBytes);
        long dataStart = 8 + (long)n;
        long dataLength = fileLength - dataStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes.AsMemory().TrimEnd((byte)' '));
        }
        catch (JsonException e)
        {
            throw Corrupt(path, "the header is not valid JSON: " + e.Message);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Corrupt(path, "the header is not a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Corrupt(path, $"'{prop.Name}' appears twice in the header");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Corrupt(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Corrupt(path, $"metadata '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(prop, path, dataLength));
            }
        }
        return (entries, metadata, dataStart);
    }

    private static Entry ParseEntry(JsonProperty prop, string path, long dataLength)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Corrupt(path, $"the entry of '{name}' is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Corrupt(path, $"'{name}' has no dtype");
        if (!TryParseDType(dt.GetString()!, out var dtype))
            throw new RuntimeError($"'{path}': tensor '{name}' has dtype {dt.GetString()}, which the runtime does not support (F64, F32, F16, BF16, I64, I32, I8, BOOL)");
        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Corrupt(path, $"'{name}' has no shape");
        var shape = new List<long>();
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long x) || x < 0) throw Corrupt(path, $"'{name}' has a bad shape {sh.GetRawText()}");
            shape.Add(x);
        }
        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Corrupt(path, $"'{name}' has no data_offsets [begin, end]");
        if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Corrupt(path, $"'{name}' has bad data_offsets {off.GetRawText()}");
        if (end > dataLength)
            throw Corrupt(path, $"the data of '{name}' ({begin} to {end}) lies outside the file's {dataLength} data bytes");
        long count = Tensor.CountElements(dtype, shape.ToArray());
        if (end - begin != count * dtype.ByteSize())
            throw Corrupt(path, $"'{name}' is {Tensor.TypeText(dtype, shape.ToArray())} ({count * dtype.ByteSize()} bytes) but its data_offsets span {end - begin} bytes");
        return new Entry(name, dtype, shape.ToArray(), begin, end);
    }

    /// <summary>Reads every tensor, in file order, and the metadata. The caller owns the tensors.</summary>
    public static (List<KeyValuePair<string, Tensor>> Tensors, Dictionary<string, string> Metadata) Read(string path)
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
        using (f)
        {
            var (entries, metadata, dataStart) = ReadHeader(f, path);
            var result = new List<KeyValuePair<string, Tensor>>();
            try
            {
                foreach (var e in entries)
                {
                    var t = Tensor.Zeros(e.DType, e.Shape);
                    result.Add(new(e.Name, t));
                    f.Seek(dataStart + e.Begin, SeekOrigin.Begin);
                    ReadData(f, t, path, $"'{e.Name}'");
                }
            }
            catch
            {
                foreach (var (_, t) in result) t.Dispose();
                throw;
            }
            return (result, metadata);
        }
    }

    private static RuntimeError Corrupt(string path, string why) => new($"'{path}' is not a valid safetensors file: {why}");
}
