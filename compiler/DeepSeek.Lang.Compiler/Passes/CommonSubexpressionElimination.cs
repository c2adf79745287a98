using System.Collections.Immutable;
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
        var seen = new Dictionary<Key, Node>();
        return GraphRewriter.Rewrite(graph, (r, node) =>
        {
            var inputs = r.MapInputs(node);
            var key = new Key(node.Op, inputs, node.Attributes);
            if (seen.TryGetValue(key, out var existing))
            {
                for (int i = 0; i < node.Outputs.Length; i++) r.Replace(node.Outputs[i], existing.Outputs[i]);
                return true;
            }
            r.Keep(node);
            seen[key] = r.ProducerOf(r.Map(node.Outputs[0]))!;
            return true;
        });
    }

    private readonly struct Key : IEquatable<Key>
    {
        private readonly Op _op;
        private readonly ImmutableArray<Value> _inputs;
        private readonly Attributes _attributes;
        private readonly int _hash;

        public Key(Op op, ImmutableArray<Value> inputs, Attributes attributes)
        {
            _op = op;
            _inputs = inputs;
            _attributes = attributes;
            int h = op.Name.GetHashCode() ^ attributes.GetHashCode();
            foreach (var i in inputs) h = unchecked(h * 31 + i.Id);
            _hash = h;
        }

        public bool Equals(Key other)
        {
            if (_hash != other._hash || !ReferenceEquals(_op, other._op) || _inputs.Length != other._inputs.Length) return false;
            for (int i = 0; i < _inputs.Length; i++)
                if (!ReferenceEquals(_inputs[i], other._inputs[i])) return false;
            return _attributes.Equals(other._attributes);
        }

        public override bool Equals(object? obj) => obj is Key k && Equals(k);

        public override int GetHashCode() => _hash;
    }
}
