using System.Buffers;

namespace DeepSeek.Lang.Compiler.Planning;

/// <summary>
/// The blocks the memory planner has placed, each an address range with a lifetime in steps
/// [first, last], indexed by lifetime so that finding the blocks alive at the same time as a new one
/// costs about what there is to find, not a scan of every block placed so far:
/// <list type="bullet">
/// <item>a segment tree over steps lists each block at the nodes that exactly cover its lifetime,
/// so the blocks alive at step <c>f</c> are those listed on the path from leaf <c>f</c> to the root;</item>
/// <item>a list per step holds the blocks that start there, for those starting within (f, l].</item>
/// </list>
/// Lists are linked through pooled arrays, given back by <see cref="Dispose"/>.
/// </summary>
internal sealed class PlacedBlocks : IDisposable
{
    private readonly int _leaves;
    private readonly int[] _coverHead;
    private readonly int[] _startHead;
    private int[] _entryBlock;
    private int[] _entryNext;
    private int _entries;
    private readonly List<(long Offset, long Size)> _blocks = new();

    public PlacedBlocks(int steps)
    {
        int leaves = 1;
        while (leaves < steps) leaves *= 2;
        _leaves = leaves;
        _coverHead = ArrayPool<int>.Shared.Rent(2 * leaves);
        _coverHead.AsSpan(0, 2 * leaves).Fill(-1);
        _startHead = ArrayPool<int>.Shared.Rent(Math.Max(steps, 1));
        _startHead.AsSpan(0, Math.Max(steps, 1)).Fill(-1);
        _entryBlock = ArrayPool<int>.Shared.Rent(1024);
        _entryNext = ArrayPool<int>.Shared.Rent(1024);
    }

    /// <summary>
    /// Places blocks in the order given, each at the lowest offset where it fits between the blocks
    /// already placed whose lifetimes meet its own (scanning those by offset, from 0, for the first
    /// gap). Lifetimes are steps in [0, <paramref name="steps"/>).
    /// </summary>
    public static long[] FirstFit(IReadOnlyList<(long Size, int First, int Last)> blocks, int steps)
    {
        var offsets = new long[blocks.Count];
        using var placed = new PlacedBlocks(steps);
        var alive = new List<int>();
        var byOffset = new List<(long Offset, long End)>();
        for (int i = 0; i < blocks.Count; i++)
        {
            var (size, first, last) = blocks[i];
            alive.Clear();
            placed.Overlapping(first, last, alive);
            byOffset.Clear();
            foreach (int b in alive) byOffset.Add((placed.OffsetOf(b), placed.OffsetOf(b) + placed.SizeOf(b)));
            // Blocks at the same offset may come in any order: once one of them is passed, none can end the scan.
            byOffset.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
            long offset = 0;
            foreach (var p in byOffset)
            {
                if (offset + size <= p.Offset) break;
                offset = Math.Max(offset, p.End);
            }
            placed.Add(offset, size, first, last);
            offsets[i] = offset;
        }
        return offsets;
    }

    public long OffsetOf(int block) => _blocks[block].Offset;

    public long SizeOf(int block) => _blocks[block].Size;

    public void Add(long offset, long size, int first, int last)
    {
        int block = _blocks.Count;
        _blocks.Add((offset, size));
        for (int lo = first + _leaves, hi = last + _leaves + 1; lo < hi; lo >>= 1, hi >>= 1)
        {
            if ((lo & 1) == 1) Link(ref _coverHead[lo++], block);
            if ((hi & 1) == 1) Link(ref _coverHead[--hi], block);
        }
        Link(ref _startHead[first], block);
    }

    /// <summary>Adds to <paramref name="result"/> every block whose lifetime meets [first, last], each once.</summary>
    public void Overlapping(int first, int last, List<int> result)
    {
        for (int node = first + _leaves; node >= 1; node >>= 1)
            for (int e = _coverHead[node]; e >= 0; e = _entryNext[e]) result.Add(_entryBlock[e]);
        for (int step = first + 1; step <= last; step++)
            for (int e = _startHead[step]; e >= 0; e = _entryNext[e]) result.Add(_entryBlock[e]);
    }

    private void Link(ref int head, int block)
    {
        if (_entries == _entryBlock.Length)
        {
            _entryBlock = Grow(_entryBlock);
            _entryNext = Grow(_entryNext);
        }
        _entryBlock[_entries] = block;
        _entryNext[_entries] = head;
        head = _entries++;
    }

    private static int[] Grow(int[] array)
    {
        var larger = ArrayPool<int>.Shared.Rent(array.Length * 2);
        Array.Copy(array, larger, array.Length);
        ArrayPool<int>.Shared.Return(array);
        return larger;
    }

    public void Dispose()
    {
        ArrayPool<int>.Shared.Return(_coverHead);
        ArrayPool<int>.Shared.Return(_startHead);
        ArrayPool<int>.Shared.Return(_entryBlock);
        ArrayPool<int>.Shared.Return(_entryNext);
    }
}
