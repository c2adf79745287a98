using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Tests.Elaboration;

// Copies of a module array after the first are made from the first (its weights renamed, its
// instance tree copied); they must come out as if each had been instantiated on its own.
public class ModuleArrayTests
{
    private const string Nested = """
        module Block(d: int, n: int) {
          const wide = d * 2
          up = Linear(d, wide)
          if n > 1 {
            inner = Linear(wide, wide, bias: false)[n]
          } else {
            inner = Linear(wide, wide, bias: false)[1]
          }
          down = Linear(wide, d, bias: false)
          buffer scale: f32[d] = ones

          forward(x: f32[B, d]) -> f32[B, d] {
            let h = up(x)
            for layer in inner {
              h = layer(h)
            }
            return down(h) * scale
          }
        }

        module Net(d: int) {
          blocks = Block(d, 2)[3]

          forward(x: f32[B, d]) -> f32[B, d] {
            for b in blocks {
              x = b(x)
            }
            return x
          }
        }

        model M = Net(4)
        """;

    [Fact]
    public void Copies_have_their_own_weights_named_by_path_in_instantiation_order()
    {
        var graph = Compile.Graph(Nested);
        var expected = Enumerable.Range(0, 3).SelectMany(i => new[]
        {
            $"blocks.{i}.up.weight", $"blocks.{i}.up.bias", $"blocks.{i}.inner.0.weight", $"blocks.{i}.inner.1.weight",
            $"blocks.{i}.down.weight", $"blocks.{i}.scale",
        });
        Assert.Equal(expected, graph.Weights.Select(w => w.Name));
        Assert.Equal(graph.Weights.Length, graph.Weights.Select(w => w.Value).Distinct().Count());
        Assert.Equal(new[] { "f32[8, 4]", "f32[8]", "f32[8, 8]", "f32[8, 8]", "f32[4, 8]", "f32[4]" },
            graph.Weights.Take(6).Select(w => w.Value.Type.ToString()));
        for (int i = 6; i < graph.Weights.Length; i++)
        {
            Assert.Equal(graph.Weights[i % 6].Value.Type, graph.Weights[i].Value.Type);
            Assert.Equal(graph.Weights[i % 6].Init, graph.Weights[i].Init);
            Assert.Equal(graph.Weights[i % 6].Kind, graph.Weights[i].Kind);
        }
    }

    [Fact]
    public void Each_copy_computes_with_its_own_weights()
    {
        var graph = Compile.Graph(Nested);
        // Every weight is read, and the blocks read theirs in order: block 0's before block 1's.
        var firstUse = graph.Weights.ToDictionary(w => w.Value, _ => -1);
        for (int n = 0; n < graph.Nodes.Length; n++)
            foreach (var input in graph.Nodes[n].Inputs)
                if (firstUse.TryGetValue(input, out var at) && at < 0) firstUse[input] = n;
        Assert.All(graph.Weights, w => Assert.True(firstUse[w.Value] >= 0, $"{w.Name} is never read"));
        var blockStarts = Enumerable.Range(0, 3).Select(i => firstUse[graph.Weights.Single(w => w.Name == $"blocks.{i}.up.weight").Value]).ToList();
        Assert.Equal(blockStarts.OrderBy(x => x), blockStarts);
        Assert.Equal(3, blockStarts.Distinct().Count());
    }

    [Fact]
    public void Copies_give_the_same_graph_as_modules_written_out_one_by_one()
    {
        // The same network with its three blocks as separate members: nothing is copied there.
        var written = Nested.Replace("""
              blocks = Block(d, 2)[3]

              forward(x: f32[B, d]) -> f32[B, d] {
                for b in blocks {
                  x = b(x)
                }
                return x
              }
            """, """
              blocks = Block(d, 2)[1]
              more = Block(d, 2)[1]
              last = Block(d, 2)[1]

              forward(x: f32[B, d]) -> f32[B, d] {
                for b in blocks {
                  x = b(x)
                }
                for b in more {
                  x = b(x)
                }
                for b in last {
                  x = b(x)
                }
                return x
              }
            """);
        Assert.NotEqual(Nested, written);
        static string Text(Graph g) => IrPrinter.Print(g).Replace("more.0.", "blocks.1.").Replace("last.0.", "blocks.2.");
        var copied = Compile.Graph(Nested);
        var separate = Compile.Graph(written);
        Assert.Equal(Text(separate), Text(copied));
    }
}
