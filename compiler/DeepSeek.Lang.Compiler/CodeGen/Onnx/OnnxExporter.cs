using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.CodeGen.Onnx;

/// <summary>How <see cref="OnnxExporter.Export"/> labels the model it writes.</summary>
public sealed class OnnxExportOptions
{
    public static readonly OnnxExportOptions Default = new();

    /// <summary>ModelProto.producer_name.</summary>
    public string ProducerName { get; init; } = "dskc";

    /// <summary>ModelProto.producer_version; the compiler's version when left out.</summary>
    public string? ProducerVersion { get; init; }

    /// <summary>ModelProto.doc_string.</summary>
    public string? DocString { get; init; }

    /// <summary>ModelProto.metadata_props (for example where the weights came from).</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>
    /// Where to report problems that belong to no node (a dimension no input gives, a model too large):
    /// usually the <c>model</c> declaration. Left out, they are reported at <c>&lt;onnx export&gt;(1,1)</c>.
    /// </summary>
    public Location? Location { get; init; }

    /// <summary>Put each IR node's op, index and .dsk origin into the names of the ONNX nodes made from it.</summary>
    public bool OriginsInNodeNames { get; init; } = true;
}

/// <summary>The serialized <c>ModelProto</c>, or the diagnostics that say why there is none.</summary>
public sealed class OnnxExportResult
{
    internal OnnxExportResult(byte[]? model, ImmutableArray<Diagnostic> diagnostics)
    {
        Model = model;
        Diagnostics = diagnostics;
    }

    /// <summary>The ONNX model (protobuf bytes), null when an error was reported.</summary>
    public byte[]? Model { get; }

    public ImmutableArray<Diagnostic> Diagnostics { get; }

    public bool Success => Model != null;
}

/// <summary>
/// Writes a graph as an ONNX model (opset 17, IR version 8) that ONNX Runtime runs: weights become
/// initializers under their PyTorch-style names, inputs keep the names of the forward parameters,
/// outputs are <c>output</c> or <c>output0</c>, <c>output1</c>…, and every op of the primitive set is
/// expressed with standard ONNX operators (docs/onnx.md has the table). Symbolic dimensions stay
/// symbolic: input and output types carry them as <c>dim_param</c>, and sizes the ops need (reshape
/// targets, <c>full</c> shapes, <c>arange</c> bounds) are computed in the graph from the inputs' shapes.
/// A node that cannot be expressed (<c>randn</c>) is an error diagnostic, never an exception.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The default-domain opset the exported models import.</summary>
    public const int Opset = 17;

    /// <summary>ModelProto.ir_version: 8, the version that goes with opset 17.</summary>
    public const int IrVersion = 8;

    /// <summary>A protobuf message, and so a model without external data, cannot reach 2 GiB.</summary>
    public const long MaxModelBytes = int.MaxValue;

    /// <summary>The ops of <see cref="Ops.All"/> that cannot be exported, with the reason.</summary>
    public static IReadOnlyDictionary<string, string> Unsupported { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["randn"] = "ONNX's RandomNormal has no portable seed semantics, so the exported model could not reproduce the values; pass the random tensor as an input instead",
    };

    /// <summary>
    /// Exports <paramref name="graph"/>. <paramref name="weightBytes"/> gives each weight's data by name:
    /// little-endian, row-major, a bool one byte, exactly the type's size (as the runtime's tensors hold
    /// it). The memory is read during the call only.
    /// </summary>
    public static OnnxExportResult Export(Graph graph, Func<string, ReadOnlyMemory<byte>> weightBytes, OnnxExportOptions? options = null)
    {
        options ??= OnnxExportOptions.Default;
        var writer = new OnnxGraphWriter(graph, weightBytes, options);
        return writer.Write();
    }

    /// <summary>The bytes of every weight together, from the types alone.</summary>
    public static long WeightBytes(Graph graph)
    {
        long total = 0;
        foreach (var w in graph.Weights)
        {
            var count = w.Value.Type.Shape.ElementCount.ConstantValue;
            if (count is long n) total += n * w.Value.Type.DType.ByteSize();
        }
        return total;
    }
}
