using DeepSeek.Lang.Compiler.Planning;

namespace DeepSeek.Lang.Compiler.Tests.Passes;

public class PlacedBlocksTests
{
    // The memory planner's first fit, as it was written first: every placed block is scanned for each new one.
    private static long[] Reference(IReadOnlyList<(long Size, int First, int Last)> blocks)
    {
        var placed = new List<(long Offset, long Size, int First, int Last)>();
        var offsets = new long[blocks.Count];
        for (int i = 0; i < blocks.Count; i++)
        {
            var (size, f, l) = blocks[i];
            long offset = 0;
            foreach (var p in placed.Where(p => p.First <= l && f <= p.Last).OrderBy(p => p.Offset))
            {
                if (offset + size <= p.Offset) break;
                offset = Math.Max(offset, p.Offset + p.Size);
            }
            placed.Add((offset, size, f, l));
            offsets[i] = offset;
        }
        return offsets;
    }

    [Theory]
    [InlineData(1, 1, 50)]
    [InlineData(2, 7, 200)]
    [InlineData(3, 64, 500)]
    [InlineData(4, 1000, 800)]
    [InlineData(5, 3, 300)]
    public void First_fit_places_blocks_where_scanning_every_block_would(int seed, int steps, int count)
    {
        var random = new Random(seed);
        var blocks = new List<(long Size, int First, int Last)>();
        for (int i = 0; i < count; i++)
        {
            int first = random.Next(steps);
            // Mostly short lifetimes, some long ones, as in real graphs.
            int length = random.Next(10) == 0 ? random.Next(steps) : random.Next(Math.Min(steps, 4));
            int last = Math.Min(steps - 1, first + length);
            long size = 64L * (1 + random.Next(random.Next(3) == 0 ? 100 : 4));
            blocks.Add((size, first, last));
        }
        // The planner places the largest first; test that order and the raw one.
        Assert.Equal(Reference(blocks), PlacedBlocks.FirstFit(blocks, steps));
        var sorted = blocks.OrderByDescending(b => b.Size).ThenBy(b => b.First).ToList();
        Assert.Equal(Reference(sorted), PlacedBlocks.FirstFit(sorted, steps));
    }
}
