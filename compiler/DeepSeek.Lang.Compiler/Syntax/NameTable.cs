namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// Interns the names of one file: a name written a thousand times is one string. Saves the parser
/// most of its string allocations and keeps the AST small (a large AST costs garbage collection).
/// </summary>
internal sealed class NameTable
{
    private string?[] _slots = new string?[256];
    private int _count;

    public string Intern(string text, int start, int length)
    {
        if (length == 0) return "";
        uint hash = 2166136261;
        for (int i = 0; i < length; i++) hash = (hash ^ text[start + i]) * 16777619;
        int mask = _slots.Length - 1;
        int slot = (int)(hash & (uint)mask);
        while (true)
        {
            var existing = _slots[slot];
            if (existing == null) break;
            if (existing.Length == length && string.CompareOrdinal(existing, 0, text, start, length) == 0) return existing;
            slot = (slot + 1) & mask;
        }
        var name = text.Substring(start, length);
        _slots[slot] = name;
        if (++_count * 2 > _slots.Length) Grow();
        return name;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new string?[old.Length * 2];
        int mask = _slots.Length - 1;
        foreach (var name in old)
        {
            if (name == null) continue;
            uint hash = 2166136261;
            foreach (char c in name) hash = (hash ^ c) * 16777619;
            int slot = (int)(hash & (uint)mask);
            while (_slots[slot] != null) slot = (slot + 1) & mask;
            _slots[slot] = name;
        }
    }
}
