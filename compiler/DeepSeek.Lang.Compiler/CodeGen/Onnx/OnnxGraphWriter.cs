using System.Collections.Immutable;
using System.Globalization;
using DeepSeek.Lang.Compiler.CodeGen.Onnx.Proto;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;
using Google.Protobuf;
using D = DeepSeek.Lang.Compiler.Diagnostics.DiagnosticDescriptors;

namespace DeepSeek.Lang.Compiler.CodeGen.Onnx;

/// <summary>
/// Builds one GraphProto: names for every value, initializers for weights and constants, the nodes of
/// each IR node (<see cref="Lower"/>, in OnnxGraphWriter.Ops.cs), and the symbolic sizes the nodes need,
/// computed once each from the inputs' shapes.
/// </summary>
internal sealed partial class OnnxGraphWriter
{
    private readonly Graph _graph;
    private readonly Func<string, ReadOnlyMemory<byte>> _weightBytes;
    private readonly OnnxExportOptions _options;
    private readonly GraphProto _proto = new();
    private readonly Dictionary<Value, string> _names = new();
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<Dim, string> _dims = new();
    private readonly Dictionary<(string Tensor, int Axis), string> _axisSizes = new();
    private readonly List<Diagnostic> _diagnostics = new();
    private readonly HashSet<string> _reportedDims = new(StringComparer.Ordinal);
    private Node? _node;
    private int _nodeIndex;
    private int _emitted;
    private int _fresh;

    public OnnxGraphWriter(Graph graph, Func<string, ReadOnlyMemory<byte>> weightBytes, OnnxExportOptions options)
    {
        _graph = graph;
        _weightBytes = weightBytes;
        _options = options;
    }

    private Location GraphLocation => _options.Location ?? new Location(new SourceText("<onnx export>", ""), new TextSpan(0, 0));

    public OnnxExportResult Write()
    {
        long weightBytes = OnnxExporter.WeightBytes(_graph);
        if (weightBytes > OnnxExporter.MaxModelBytes - (64L << 20))
        {
            Report(D.OnnxModelTooLarge, GraphLocation, _graph.Name,
                $"its weights take {weightBytes:N0} bytes, and an ONNX file without external data holds less than 2 GiB; export it at a smaller size");
            return Done(null);
        }

        _proto.Name = _graph.Name;
        _proto.DocString = $"{_graph.Name}, exported by {_options.ProducerName} from the DeepSeek.Lang graph IR";
        foreach (var o in _graph.Outputs) _taken.Add(o.Name);
        foreach (var input in _graph.Inputs)
        {
            var name = Claim(input.Name);
            _names[input.Value] = name;
            _proto.Input.Add(ValueInfo(name, input.Value.Type));
        }
        foreach (var w in _graph.Weights) AddWeight(w);

        for (_nodeIndex = 0; _nodeIndex < _graph.Nodes.Length; _nodeIndex++)
        {
            _node = _graph.Nodes[_nodeIndex];
            _emitted = 0;
            string[] results;
            try
            {
                var inputs = _node.Inputs.Select(v => _names.TryGetValue(v, out var n) ? n : throw new InvalidOperationException($"value %{v.Id} is used before it is defined")).ToArray();
                results = Lower(_node, inputs) ?? Placeholders(_node);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Report(D.InternalError, _node.Origin ?? GraphLocation, $"ONNX export of {_node.Op.Name} failed: {e.Message}");
                results = Placeholders(_node);
            }
            if (results.Length != _node.Outputs.Length)
            {
                Report(D.InternalError, _node.Origin ?? GraphLocation, $"ONNX export of {_node.Op.Name} gave {results.Length} results for {_node.Outputs.Length} outputs");
                results = Placeholders(_node);
            }
            for (int k = 0; k < results.Length; k++) _names[_node.Outputs[k]] = results[k];
        }
        _node = null;

        foreach (var o in _graph.Outputs)
        {
            EmitNamed("Identity", new[] { _names[o.Value] }, new[] { o.Name });
            _proto.Output.Add(ValueInfo(o.Name, o.Value.Type));
        }

        if (_diagnostics.Any(d => d.IsError)) return Done(null);

        var model = new ModelProto
        {
            IrVersion = OnnxExporter.IrVersion,
            ProducerName = _options.ProducerName,
            ProducerVersion = _options.ProducerVersion ?? typeof(OnnxExporter).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = _proto,
        };
        if (_options.DocString != null) model.DocString = _options.DocString;
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExporter.Opset });
        if (_options.Metadata != null)
            foreach (var kv in _options.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                model.MetadataProps.Add(new StringStringEntryProto { Key = kv.Key, Value = kv.Value });

        long size = model.CalculateSize();
        if (size < 0 || size > OnnxExporter.MaxModelBytes)
        {
            Report(D.OnnxModelTooLarge, GraphLocation, _graph.Name, "the model does not fit in one protobuf message (2 GiB); export it at a smaller size");
            return Done(null);
        }
        return Done(model.ToByteArray());
    }

    private OnnxExportResult Done(byte[]? model) => new(model, _diagnostics.ToImmutableArray());

    private void AddWeight(Weight w)
    {
        var type = w.Value.Type;
        var name = Claim(w.Name);
        _names[w.Value] = name;
        var dims = type.Shape.Dims.Select(d => d.ConstantValue).ToArray();
        if (dims.Any(d => d is null))
        {
            Report(D.OnnxWeightData, GraphLocation, _graph.Name, $"weight '{w.Name}' has a symbolic shape {type}");
            return;
        }
        long count = dims.Aggregate(1L, (p, d) => p * d!.Value);
        long expected = count * type.DType.ByteSize();
        ReadOnlyMemory<byte> data;
        try
        {
            data = _weightBytes(w.Name);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Report(D.OnnxWeightData, GraphLocation, _graph.Name, $"no data for weight '{w.Name}' ({type}): {e.Message}");
            return;
        }
        if (data.Length != expected)
        {
            Report(D.OnnxWeightData, GraphLocation, _graph.Name, $"weight '{w.Name}' ({type}) needs {expected:N0} bytes, got {data.Length:N0}");
            return;
        }
        var tensor = new TensorProto { Name = name, DataType = OnnxTypes.ElementType(type.DType), RawData = UnsafeByteOperations.UnsafeWrap(data) };
        tensor.Dims.AddRange(dims.Select(d => d!.Value));
        _proto.Initializer.Add(tensor);
    }

    private string[] Placeholders(Node node) => node.Outputs.Select(_ => Fresh()).ToArray();

    // ------------------------------------------------------------------ diagnostics

    private void Report(DiagnosticDescriptor descriptor, Location at, params object[] args) =>
        _diagnostics.Add(new Diagnostic(descriptor, at, descriptor.Format(args), ImmutableArray<DiagnosticNote>.Empty));

    /// <summary>Reports that the current node cannot be exported; the caller returns null.</summary>
    private string[]? Unsupported(string reason)
    {
        var node = _node!;
        Report(D.OnnxUnsupportedOp, node.Origin ?? GraphLocation, $"{node.Op.Name} (node {_nodeIndex} of {_graph.Name})", reason);
        return null;
    }

    // ------------------------------------------------------------------ names

    /// <summary>A name for a graph input, weight or output: the wanted one, or with a suffix if taken.</summary>
    private string Claim(string wanted)
    {
        var name = wanted;
        for (int k = 1; !_taken.Add(name); k++) name = wanted + "_" + k.ToString(CultureInfo.InvariantCulture);
        return name;
    }

    private string Fresh()
    {
        string name;
        do name = "t" + (_fresh++).ToString(CultureInfo.InvariantCulture);
        while (!_taken.Add(name));
        return name;
    }

    private string NodeName(string opType)
    {
        int k = _emitted++;
        if (_node == null) return $"{_graph.Name}/{opType}_{_proto.Node.Count}";
        if (!_options.OriginsInNodeNames) return $"n{_nodeIndex}/{opType}_{k}";
        var origin = _node.Origin is { } at ? $" {Path.GetFileName(at.Source.Path)}({at.Start.Line},{at.Start.Column})" : "";
        return $"{_node.Op.Name}#{_nodeIndex}{origin}/{opType}_{k}";
    }

    // ------------------------------------------------------------------ nodes

    private string[] Emit(string opType, IReadOnlyList<string> inputs, int outputs, params AttributeProto[] attributes)
    {
        var names = new string[outputs];
        for (int i = 0; i < outputs; i++) names[i] = Fresh();
        EmitNamed(opType, inputs, names, attributes);
        return names;
    }

    private string Emit1(string opType, params string[] inputs) => Emit(opType, inputs, 1)[0];

    private string Emit1(string opType, string[] inputs, params AttributeProto[] attributes) => Emit(opType, inputs, 1, attributes)[0];

    private void EmitNamed(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = NodeName(opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        if (_node?.Origin is { } at) node.DocString = DiagnosticFormatter.FormatLocation(at);
        _proto.Node.Add(node);
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    private static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    private static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static AttributeProto TensorAttribute(string name, TensorProto value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    private static ValueInfoProto ValueInfo(string name, TensorType type)
    {
        var shape = new TensorShapeProto();
        foreach (var d in type.Shape.Dims)
            shape.Dim.Add(d.TryGetConstant(out long v)
                ? new TensorShapeProto.Types.Dimension { DimValue = v }
                : new TensorShapeProto.Types.Dimension { DimParam = d.ToString() });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = OnnxTypes.ElementType(type.DType), Shape = shape } },
        };
    }

    // ------------------------------------------------------------------ constants

    /// <summary>An initializer holding a constant tensor, shared by every use of the same value.</summary>
    private string Constant(DType dtype, long[] shape, byte[] data)
    {
        var key = $"{dtype.Name()}[{string.Join(",", shape)}]:{Convert.ToBase64String(data)}";
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var name = Claim(ConstantName(dtype, shape, data));
        var tensor = new TensorProto { Name = name, DataType = OnnxTypes.ElementType(dtype), RawData = ByteString.CopyFrom(data) };
        tensor.Dims.AddRange(shape);
        _proto.Initializer.Add(tensor);
        return _constants[key] = name;
    }

    private static string ConstantName(DType dtype, long[] shape, byte[] data)
    {
        long count = shape.Aggregate(1L, (p, d) => p * d);
        if (count <= 8 && (dtype == DType.I64 || dtype.IsFloat()))
        {
            var values = OnnxTypes.Decode(dtype, data).Select(v => dtype == DType.F64
                ? v.ToString("R", CultureInfo.InvariantCulture)
                : ((float)v).ToString(CultureInfo.InvariantCulture));
            var text = string.Join(",", values);
            return shape.Length == 0 ? $"const/{dtype.Name()}:{text}" : $"const/{dtype.Name()}[{text}]";
        }
        return $"const/{dtype.Name()}[{string.Join(",", shape)}]";
    }

    /// <summary>A 1-D int64 tensor.</summary>
    private string I64s(params long[] values) => Constant(DType.I64, new long[] { values.Length }, OnnxTypes.EncodeInt64(DType.I64, values));

    /// <summary>A scalar (rank 0) of <paramref name="dtype"/>.</summary>
    private string Scalar(DType dtype, double value) => Constant(dtype, Array.Empty<long>(), OnnxTypes.Encode(dtype, new[] { value }));

    private string ScalarI64(long value) => Constant(DType.I64, Array.Empty<long>(), OnnxTypes.EncodeInt64(DType.I64, new[] { value }));

    private static TensorProto OneValue(DType dtype, byte[] data)
    {
        var t = new TensorProto { DataType = OnnxTypes.ElementType(dtype), RawData = ByteString.CopyFrom(data) };
        t.Dims.Add(1);
        return t;
    }

    // ------------------------------------------------------------------ sizes

    /// <summary>The size of one axis of a tensor as an int64 [1], by Shape at run time.</summary>
    private string AxisSize(string tensor, int axis)
    {
        if (_axisSizes.TryGetValue((tensor, axis), out var name)) return name;
        name = Emit1("Shape", new[] { tensor }, Int("start", axis), Int("end", axis + 1));
        return _axisSizes[(tensor, axis)] = name;
    }

    /// <summary>A dimension as an int64 [1]: a constant, or computed from the inputs' shapes.</summary>
    private string DimTensor(Dim d)
    {
        if (d.TryGetConstant(out long c)) return I64s(c);
        if (_dims.TryGetValue(d, out var cached)) return cached;
        string? sum = null;
        foreach (var term in d.Terms)
        {
            string? product = null;
            foreach (var atom in term.Monomial.Atoms)
            {
                var factor = atom switch
                {
                    VariableAtom v => Symbol(v.Name),
                    OpaqueAtom o => Opaque(o),
                    _ => throw new InvalidOperationException($"unknown dimension atom {atom}"),
                };
                product = product == null ? factor : Emit1("Mul", product, factor);
            }
            if (product == null) product = I64s(term.Coefficient);
            else if (term.Coefficient != 1) product = Emit1("Mul", product, I64s(term.Coefficient));
            sum = sum == null ? product : Emit1("Add", sum, product);
        }
        return _dims[d] = sum ?? I64s(0);
    }

    /// <summary>Floor division and modulo as in Dim: Mod with fmod = 0 is Python's %, and (n - n % d) / d is exact.</summary>
    private string Opaque(OpaqueAtom o)
    {
        var n = DimTensor(o.Numerator);
        var d = DimTensor(o.Denominator);
        var mod = Emit1("Mod", new[] { n, d }, Int("fmod", 0));
        return o.Kind == OpaqueKind.Modulo ? mod : Emit1("Div", Emit1("Sub", n, mod), d);
    }

    /// <summary>
    /// A symbolic dimension: the size of the first input axis that is exactly that name, or else solved
    /// from an axis whose size is linear in it alone (<c>2 * T + 1</c>), as the runtime's DimBinder does.
    /// </summary>
    private string Symbol(string name)
    {
        foreach (var input in _graph.Inputs)
        {
            var dims = input.Value.Type.Shape.Dims;
            for (int axis = 0; axis < dims.Length; axis++)
                if (dims[axis].IsVariable(out var n) && n == name) return AxisSize(_names[input.Value], axis);
        }
        foreach (var input in _graph.Inputs)
        {
            var dims = input.Value.Type.Shape.Dims;
            for (int axis = 0; axis < dims.Length; axis++)
            {
                var d = dims[axis];
                if (d.Degree != 1 || d.HasOpaqueParts || d.Variables.Count != 1 || d.Variables[0] != name) continue;
                long a = d.Terms.First(t => t.Monomial.Degree == 1).Coefficient;
                long b = d.Terms.Where(t => t.Monomial.Degree == 0).Sum(t => t.Coefficient);
                var size = AxisSize(_names[input.Value], axis);
                if (b != 0) size = Emit1("Sub", size, I64s(b));
                return a == 1 ? size : Emit1("Div", size, I64s(a));
            }
        }
        if (_reportedDims.Add(name))
            Report(D.OnnxUnboundDimension, _node?.Origin ?? GraphLocation, _graph.Name,
                $"dimension {name} is not the size of an axis of any input, nor solvable from one, so the exported graph cannot compute it; bind it (dskc compile --dim {name}=VALUE)");
        return I64s(1);
    }

    /// <summary>A list of dimensions as an int64 [n].</summary>
    private string ShapeTensor(IReadOnlyList<Dim> dims)
    {
        if (dims.All(d => d.IsConstant)) return I64s(dims.Select(d => d.ConstantValue!.Value).ToArray());
        if (dims.Count == 1) return DimTensor(dims[0]);
        return Emit1("Concat", dims.Select(DimTensor).ToArray(), Int("axis", 0));
    }

    /// <summary>A dimension as an int64 scalar.</summary>
    private string DimScalar(Dim d)
    {
        if (d.TryGetConstant(out long c)) return ScalarI64(c);
        return Emit1("Squeeze", DimTensor(d), I64s(0));
    }
}
