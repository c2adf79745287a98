using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.IR;

/// <summary>
/// The attributes of an IR node: a small immutable map from names to compile-time values, kept
/// sorted by name so that equality and hashing are structural (CSE relies on it). Values are one of
/// long, double, bool, string, <see cref="DType"/>, <see cref="Dim"/>, ImmutableArray&lt;long&gt;,
/// ImmutableArray&lt;double&gt; or ImmutableArray&lt;Dim&gt;.
/// </summary>
public sealed class Attributes : IEquatable<Attributes>
{
    public static readonly Attributes Empty = new(Array.Empty<KeyValuePair<string, object>>());

    private readonly KeyValuePair<string, object>[] _items;
    private int _hash;

    private Attributes(KeyValuePair<string, object>[] items)
    {
        _items = items;
    }

    public int Count => _items.Length;

    public IEnumerable<KeyValuePair<string, object>> Items => _items;

    /// <summary>Attributes from name-value pairs; a name given twice keeps its last value (as <see cref="With"/> would).</summary>
    public static Attributes Of(params (string Name, object Value)[] items)
    {
        if (items.Length == 0) return Empty;
        var sorted = new KeyValuePair<string, object>[items.Length];
        int n = 0;
        foreach (var (name, value) in items)
        {
            Validate(name, value);
            // Insertion sort by name: attribute lists are short.
            int i = n;
            while (i > 0 && string.CompareOrdinal(sorted[i - 1].Key, name) > 0) i--;
            if (i > 0 && string.Equals(sorted[i - 1].Key, name, StringComparison.Ordinal))
            {
                sorted[i - 1] = new KeyValuePair<string, object>(name, value);
                continue;
            }
            Array.Copy(sorted, i, sorted, i + 1, n - i);
            sorted[i] = new KeyValuePair<string, object>(name, value);
            n++;
        }
        if (n < sorted.Length) Array.Resize(ref sorted, n);
        return new Attributes(sorted);
    }

    public Attributes With(string name, object value)
    {
        Validate(name, value);
        var list = new List<KeyValuePair<string, object>>(_items.Length + 1);
        bool placed = false;
        foreach (var kv in _items)
        {
            int c = string.CompareOrdinal(kv.Key, name);
            if (c == 0)
            {
                list.Add(new KeyValuePair<string, object>(name, value));
                placed = true;
                continue;
            }
            if (c > 0 && !placed)
            {
                list.Add(new KeyValuePair<string, object>(name, value));
                placed = true;
            }
            list.Add(kv);
        }
        if (!placed) list.Add(new KeyValuePair<string, object>(name, value));
        return new Attributes(list.ToArray());
    }

    public Attributes Without(string name) => new(_items.Where(kv => kv.Key != name).ToArray());

    public bool Has(string name) => Find(name) >= 0;

    public bool TryGet(string name, out object value)
    {
        int i = Find(name);
        value = i >= 0 ? _items[i].Value : null!;
        return i >= 0;
    }

    public long GetInt(string name) => (long)Get(name);

    public long GetInt(string name, long fallback) => TryGet(name, out var v) ? (long)v : fallback;

    public double GetFloat(string name) => Get(name) is long l ? l : (double)Get(name);

    public double GetFloat(string name, double fallback) => TryGet(name, out var v) ? (v is long l ? l : (double)v) : fallback;

    public bool GetBool(string name, bool fallback = false) => TryGet(name, out var v) ? (bool)v : fallback;

    public string GetString(string name) => (string)Get(name);

    public DType GetDType(string name) => (DType)Get(name);

    public Dim GetDim(string name) => (Dim)Get(name);

    public ImmutableArray<long> GetInts(string name) => (ImmutableArray<long>)Get(name);

    public ImmutableArray<double> GetFloats(string name) => (ImmutableArray<double>)Get(name);

    public ImmutableArray<Dim> GetDims(string name) => (ImmutableArray<Dim>)Get(name);

    private object Get(string name)
    {
        int i = Find(name);
        if (i < 0) throw new KeyNotFoundException($"attribute '{name}' is missing");
        return _items[i].Value;
    }

    private int Find(string name)
    {
        for (int i = 0; i < _items.Length; i++)
            if (string.Equals(_items[i].Key, name, StringComparison.Ordinal)) return i;
        return -1;
    }

    private static void Validate(string name, object value)
    {
        if (value is long or double or bool or string or DType or Dim or ImmutableArray<long> or ImmutableArray<double> or ImmutableArray<Dim>)
            return;
        throw new ArgumentException($"attribute '{name}' has unsupported value type {value.GetType().Name}");
    }

    /// <summary>Substitutes symbolic dimensions in every Dim-valued attribute; these attributes themselves when nothing changes.</summary>
    public Attributes SubstituteDims(Func<string, Dim?> binding)
    {
        KeyValuePair<string, object>[]? copy = null;
        for (int i = 0; i < _items.Length; i++)
        {
            object? substituted = null;
            switch (_items[i].Value)
            {
                case Dim d:
                    {
                        var after = d.Substitute(binding);
                        if (!ReferenceEquals(after, d)) substituted = after;
                        break;
                    }
                case ImmutableArray<Dim> ds:
                    {
                        var after = Substitute(ds, binding);
                        if (after != ds) substituted = after;
                        break;
                    }
            }
            if (substituted == null)
            {
                if (copy != null) copy[i] = _items[i];
                continue;
            }
            if (copy == null)
            {
                copy = new KeyValuePair<string, object>[_items.Length];
                Array.Copy(_items, copy, i);
            }
            copy[i] = new KeyValuePair<string, object>(_items[i].Key, substituted);
        }
        return copy == null ? this : new Attributes(copy);
    }

    // The same array when no dimension changes.
    private static ImmutableArray<Dim> Substitute(ImmutableArray<Dim> dims, Func<string, Dim?> binding)
    {
        Dim[]? result = null;
        for (int i = 0; i < dims.Length; i++)
        {
            var d = dims[i].Substitute(binding);
            if (result == null)
            {
                if (ReferenceEquals(d, dims[i])) continue;
                result = new Dim[dims.Length];
                for (int j = 0; j < i; j++) result[j] = dims[j];
            }
            result[i] = d;
        }
        return result == null ? dims : ImmutableCollectionsMarshal.AsImmutableArray(result);
    }

    public bool Equals(Attributes? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (_items.Length != other._items.Length) return false;
        for (int i = 0; i < _items.Length; i++)
        {
            if (_items[i].Key != other._items[i].Key) return false;
            if (!ValueEquals(_items[i].Value, other._items[i].Value)) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as Attributes);

    public override int GetHashCode()
    {
        if (_hash != 0) return _hash;
        int h = 19;
        foreach (var kv in _items) h = unchecked(h * 31 + kv.Key.GetHashCode() * 7 + ValueHash(kv.Value));
        return _hash = h == 0 ? 1 : h;
    }

    private static bool ValueEquals(object a, object b) => (a, b) switch
    {
        (ImmutableArray<long> x, ImmutableArray<long> y) => x.SequenceEqual(y),
        (ImmutableArray<double> x, ImmutableArray<double> y) => x.SequenceEqual(y),
        (ImmutableArray<Dim> x, ImmutableArray<Dim> y) => x.SequenceEqual(y),
        (double x, double y) => x.Equals(y),
        _ => a.Equals(b),
    };

    private static int ValueHash(object v) => v switch
    {
        ImmutableArray<long> x => x.Aggregate(23, (h, e) => unchecked(h * 31 + e.GetHashCode())),
        ImmutableArray<double> x => x.Aggregate(29, (h, e) => unchecked(h * 31 + e.GetHashCode())),
        ImmutableArray<Dim> x => x.Aggregate(37, (h, e) => unchecked(h * 31 + e.GetHashCode())),
        _ => v.GetHashCode(),
    };

    /// <summary><c>{axis=-1, keepdim=true}</c>, or empty text when there are no attributes.</summary>
    public override string ToString()
    {
        if (_items.Length == 0) return "";
        var sb = new StringBuilder("{");
        for (int i = 0; i < _items.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(_items[i].Key).Append('=').Append(FormatValue(_items[i].Value));
        }
        return sb.Append('}').ToString();
    }

    public static string FormatValue(object v) => v switch
    {
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        bool b => b ? "true" : "false",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\t", "\\t") + "\"",
        DType t => t.Name(),
        Dim d => "<" + d + ">",
        ImmutableArray<long> xs => "[" + string.Join(", ", xs.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]",
        ImmutableArray<double> xs => "[" + string.Join(", ", xs.Select(FormatDouble)) + "]",
        ImmutableArray<Dim> xs => "<" + string.Join(", ", xs.Select(x => x.ToString())) + (xs.Length == 1 ? ",>" : ">"),
        _ => v.ToString() ?? "",
    };

    /// <summary>Shortest round-tripping text, always with a '.' or exponent so it reads back as a float.</summary>
    public static string FormatDouble(double d)
    {
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (double.IsNaN(d)) return "nan";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? s : s + ".0";
    }
}
