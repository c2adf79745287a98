using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Passes;

/// <summary>
/// Gives one node to every computation made twice: same op, same inputs, same attributes. Every op
/// is a pure function of those (randn included: its seed is an attribute), so this is always sound.
/// </summary>
public sealed class CommonSubexpressionElimination : IPass
{
    public string Name => "cse";

    public Graph Run(Graph graph)
    {
        var seen = new NodeTable(graph.Nodes.Length);
        try
        {
            return GraphRewriter.Rewrite(graph, (r, node) =>
            {
                var inputs = r.MapInputs(node);
                int hash = Hash(node.Op, inputs, node.Attributes);
                if (seen.Find(hash, node.Op, inputs, node.Attributes) is { } existing)
                {
                    for (int i = 0; i < node.Outputs.Length; i++) r.Replace(node.Outputs[i], existing.Outputs[i]);
                    return true;
                }
                r.Keep(node);
                seen.Add(hash, r.ProducerOf(r.Map(node.Outputs[0]))!);
                return true;
            });
        }
        finally
        {
            seen.Release();
        }
    }

    private static int Hash(Op op, ImmutableArray<Value> inputs, Attributes attributes)
    {
        int h = RuntimeHelpers.GetHashCode(op) ^ attributes.GetHashCode();
        foreach (var i in inputs) h = unchecked(h * 31 + i.Id);
        return h;
    }

    /// <summary>
    /// The nodes kept so far (of the graph being built), found by op, inputs and attributes: open
    /// addressing over pooled arrays, since a graph has thousands of nodes and a dictionary of them
    /// would be allocated afresh, and on the large object heap, by every run.
    /// </summary>
    private sealed class NodeTable
    {
        private readonly Node?[] _nodes;
        private readonly int[] _hashes;
        private readonly int _mask;

        public NodeTable(int count)
        {
            int size = 16;
            while (size < 2 * count) size *= 2;
            _nodes = ArrayPool<Node?>.Shared.Rent(size);
            _hashes = ArrayPool<int>.Shared.Rent(size);
            Array.Clear(_nodes, 0, size);
            _mask = size - 1;
        }

        public Node? Find(int hash, Op op, ImmutableArray<Value> inputs, Attributes attributes)
        {
            for (int i = hash & _mask; ; i = (i + 1) & _mask)
            {
                var n = _nodes[i];
                if (n == null) return null;
                if (_hashes[i] == hash && Same(n, op, inputs, attributes)) return n;
            }
        }

        public void Add(int hash, Node node)
        {
            int i = hash & _mask;
            while (_nodes[i] != null) i = (i + 1) & _mask;
            _nodes[i] = node;
            _hashes[i] = hash;
        }

        public void Release()
        {
            ArrayPool<Node?>.Shared.Return(_nodes, clearArray: true);
            ArrayPool<int>.Shared.Return(_hashes);
        }

        private static bool Same(Node n, Op op, ImmutableArray<Value> inputs, Attributes attributes)
        {
            if (!ReferenceEquals(n.Op, op) || n.Inputs.Length != inputs.Length) return false;
            for (int i = 0; i < inputs.Length; i++)
                if (!ReferenceEquals(n.Inputs[i], inputs[i])) return false;
            return n.Attributes.Equals(attributes);
        }
    }
}
