namespace DeepSeek.Lang.Compiler.Elaboration;

/// <summary>
/// Names visible at a point of elaboration, innermost first: forward locals, then a module's
/// members, then its parameters, then file-level constants and built-in names. Only local scopes
/// take re-binding (<c>x = ...</c>).
/// </summary>
internal sealed class Scope
{
    // Most scopes hold a handful of names: they live in two small arrays, searched in order, and
    // move to a dictionary past SmallCount. Either way names keep the order they were declared in.
    private const int SmallCount = 8;
    private string[]? _keys;
    private Val[]? _values;
    private int _count;
    private Dictionary<string, Val>? _names;
    private readonly Func<string, Val?>? _fallback;
    private readonly Func<IEnumerable<string>>? _fallbackNames;

    public Scope(Scope? parent, bool isLocal)
    {
        Parent = parent;
        IsLocal = isLocal;
    }

    /// <summary>A root scope that resolves names through a function (file-level constants, built-ins).</summary>
    public Scope(Func<string, Val?> fallback, Func<IEnumerable<string>> fallbackNames)
    {
        _fallback = fallback;
        _fallbackNames = fallbackNames;
    }

    public Scope? Parent { get; }

    public bool IsLocal { get; }

    public void Declare(string name, Val value)
    {
        if (_names != null)
        {
            _names[name] = value;
            return;
        }
        int i = IndexOf(name);
        if (i >= 0)
        {
            _values![i] = value;
            return;
        }
        if (_count == SmallCount)
        {
            _names = new Dictionary<string, Val>(2 * SmallCount, StringComparer.Ordinal);
            for (int k = 0; k < _count; k++) _names.Add(_keys![k], _values![k]);
            _names.Add(name, value);
            _keys = null;
            _values = null;
            return;
        }
        if (_keys == null || _count == _keys.Length)
        {
            int size = _keys == null ? 2 : _keys.Length * 2;
            Array.Resize(ref _keys, size);
            Array.Resize(ref _values, size);
        }
        _keys[_count] = name;
        _values![_count++] = value;
    }

    public bool DeclaresHere(string name) => TryGetHere(name, out _);

    private int IndexOf(string name)
    {
        for (int i = 0; i < _count; i++)
            if (string.Equals(_keys![i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    private bool TryGetHere(string name, out Val value)
    {
        if (_names != null) return _names.TryGetValue(name, out value!);
        int i = IndexOf(name);
        value = i >= 0 ? _values![i] : null!;
        return i >= 0;
    }

    public Val? Lookup(string name)
    {
        for (var s = this; s != null; s = s.Parent)
        {
            if (s.TryGetHere(name, out var v)) return v;
            if (s._fallback != null && s._fallback(name) is { } f) return f;
        }
        return null;
    }

    /// <summary>Re-binds a local declared in this or an enclosing local scope; false when there is none.</summary>
    public bool TryAssign(string name, Val value)
    {
        for (var s = this; s != null && s.IsLocal; s = s.Parent)
        {
            if (s.TryGetHere(name, out _))
            {
                s.Declare(name, value);
                return true;
            }
        }
        return false;
    }

    /// <summary>Every visible name, for "did you mean" suggestions.</summary>
    public IEnumerable<string> AllNames()
    {
        for (var s = this; s != null; s = s.Parent)
        {
            if (s._names != null)
                foreach (var n in s._names.Keys) yield return n;
            else
                for (int i = 0; i < s._count; i++) yield return s._keys![i];
            if (s._fallbackNames != null)
                foreach (var n in s._fallbackNames()) yield return n;
        }
    }
}

/// <summary>Suggestions for misspelt names.</summary>
public static class Spelling
{
    /// <summary>The closest candidate within a small edit distance, or null.</summary>
    public static string? Suggest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        int limit = Math.Max(1, name.Length / 3);
        foreach (var c in candidates.Distinct())
        {
            if (c == name || c.Length == 0) continue;
            int d = Distance(name, c);
            if (string.Equals(name, c, StringComparison.OrdinalIgnoreCase)) d = 0;
            if (d <= limit && (d < bestDistance || (d == bestDistance && string.CompareOrdinal(c, best) < 0)))
            {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>Damerau–Levenshtein (optimal string alignment) distance.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}
