using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary>ONNX Runtime sessions and tensors for the ONNX tests.</summary>
internal static class OrtUtil
{
    /// <summary>One thread (the machine is shared; results do not depend on it) and errors only in the log.</summary>
    public static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        return new InferenceSession(model, options);
    }

    public static OrtValue ToOrt(Tensor t)
    {
        var shape = t.Shape.ToArray();
        return t.DType switch
        {
            DType.F32 => OrtValue.CreateTensorValueFromMemory(t.ToArray<float>(), shape),
            DType.F64 => OrtValue.CreateTensorValueFromMemory(t.ToArray<double>(), shape),
            DType.I64 => OrtValue.CreateTensorValueFromMemory(t.ToArray<long>(), shape),
            DType.I32 => OrtValue.CreateTensorValueFromMemory(t.ToArray<int>(), shape),
            DType.Bool => OrtValue.CreateTensorValueFromMemory(t.AsSpan<byte>().ToArray().Select(b => b != 0).ToArray(), shape),
            _ => throw new NotSupportedException($"no ORT input for {t.TypeText()}"),
        };
    }

    public static double[] FromOrt(OrtValue v, DType dtype) => dtype switch
    {
        DType.F32 => v.GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x).ToArray(),
        DType.F64 => v.GetTensorDataAsSpan<double>().ToArray(),
        DType.I64 => v.GetTensorDataAsSpan<long>().ToArray().Select(x => (double)x).ToArray(),
        DType.I32 => v.GetTensorDataAsSpan<int>().ToArray().Select(x => (double)x).ToArray(),
        DType.Bool => v.GetTensorDataAsSpan<bool>().ToArray().Select(x => x ? 1.0 : 0.0).ToArray(),
        _ => throw new NotSupportedException($"no ORT output for {dtype.Name()}"),
    };

    /// <summary>Runs a model on named inputs; the outputs as doubles, in the order asked for.</summary>
    public static double[][] Run(byte[] model, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<(string Name, DType DType)> outputs)
    {
        using var session = Session(model);
        var names = inputs.Keys.ToArray();
        var values = names.Select(n => ToOrt(inputs[n])).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, outputs.Select(o => o.Name).ToArray());
            return results.Select((r, i) => FromOrt(r, outputs[i].DType)).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
