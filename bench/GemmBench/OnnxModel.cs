namespace GemmBench;

/// <summary>
/// Writes the bytes of a one-node ONNX model, Y = MatMul(A, B), by hand: the few protobuf fields of
/// ModelProto, GraphProto, NodeProto, ValueInfoProto, TypeProto and TensorProto it needs (opset 17).
/// With <c>constantB</c>, B is an initializer, which lets ONNX Runtime pre-pack it once.
/// </summary>
internal static class OnnxModel
{
    private const int FloatType = 1; // TensorProto.DataType.FLOAT

    public static byte[] MatMul(int m, int n, int k, float[]? constantB = null)
    {
        var graph = new ProtoWriter();
        var node = new ProtoWriter();
        node.String(1, "A").String(1, "B").String(2, "Y").String(3, "matmul").String(4, "MatMul");
        graph.Message(1, node).String(2, "gemm_bench");
        if (constantB != null)
        {
            var tensor = new ProtoWriter();
            tensor.Int(1, k).Int(1, n).Int(2, FloatType).String(8, "B");
            var raw = new byte[constantB.Length * sizeof(float)];
            Buffer.BlockCopy(constantB, 0, raw, 0, raw.Length);
            tensor.Bytes(9, raw);
            graph.Message(5, tensor);
        }
        graph.Message(11, ValueInfo("A", m, k));
        if (constantB == null) graph.Message(11, ValueInfo("B", k, n));
        graph.Message(12, ValueInfo("Y", m, n));

        var opset = new ProtoWriter().String(1, "").Int(2, 17);
        var model = new ProtoWriter();
        model.Int(1, 8).String(2, "DeepSeek.Lang GemmBench").Message(7, graph).Message(8, opset);
        return model.ToArray();
    }

    private static ProtoWriter ValueInfo(string name, int rows, int cols)
    {
        var shape = new ProtoWriter()
            .Message(1, new ProtoWriter().Int(1, rows))
            .Message(1, new ProtoWriter().Int(1, cols));
        var tensorType = new ProtoWriter().Int(1, FloatType).Message(2, shape);
        var type = new ProtoWriter().Message(1, tensorType);
        return new ProtoWriter().String(1, name).Message(2, type);
    }

    /// <summary>Protobuf wire format: varint (type 0) and length-delimited (type 2) fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _stream = new();

        public ProtoWriter Int(int field, long value)
        {
            Varint((ulong)(field << 3));
            Varint((ulong)value);
            return this;
        }

        public ProtoWriter String(int field, string value) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(value));

        public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public ProtoWriter Bytes(int field, byte[] value)
        {
            Varint((ulong)((field << 3) | 2));
            Varint((ulong)value.Length);
            _stream.Write(value);
            return this;
        }

        public byte[] ToArray() => _stream.ToArray();

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _stream.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _stream.WriteByte((byte)value);
        }
    }
}
