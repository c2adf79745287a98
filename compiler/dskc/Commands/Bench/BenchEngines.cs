using System.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Runtime.Compiled;
using DeepSeek.Lang.Runtime.Eager;
using DeepSeek.Lang.Runtime.Tensors;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace DeepSeek.Lang.Cli.Commands.Bench;

/// <summary>
/// One way of running the model that <c>dskc bench</c> times. <see cref="Prepare"/> does the one-time
/// work (building the compiled plan, creating the ORT session), which is timed apart from the runs.
/// </summary>
internal abstract class BenchEngine : IDisposable
{
    /// <summary>The name on the command line (<c>--engines</c>) and in the report.</summary>
    public abstract string Name { get; }

    public virtual void Prepare()
    {
    }

    /// <summary>
    /// Runs the model once and returns how long the run took. With <paramref name="keep"/> the outputs come
    /// back too (for the comparison), converted after the clock stopped; otherwise they are freed.
    /// </summary>
    public abstract TimeSpan Run(bool keep, out RunResult? outputs);

    public virtual void Dispose()
    {
    }
}

/// <summary>The eager interpreter or the compiled engine, through <see cref="ModelRunner"/> as <c>dskc run</c> uses them.</summary>
internal sealed class RunnerEngine : BenchEngine
{
    private readonly ModelRunner _runner;
    private readonly IReadOnlyDictionary<string, Tensor> _inputs;
    private readonly IReadOnlyDictionary<string, long> _dims;

    public RunnerEngine(ModelSetup setup, Engine engine)
    {
        _runner = new ModelRunner(setup.Compilation, setup.Symbol, setup.Weights, engine);
        _inputs = setup.Inputs;
        _dims = setup.Dims;
    }

    public override string Name => _runner.Engine == Engine.Eager ? BenchCommand.Eager : BenchCommand.Compiled;

    /// <summary>The compiled engine optimises, fuses, lowers and compiles its kernels here (the eager one has nothing to do).</summary>
    public override void Prepare()
    {
        if (_runner.Engine == Engine.Compiled) _runner.Plan(_dims);
    }

    public override TimeSpan Run(bool keep, out RunResult? outputs)
    {
        var clock = Stopwatch.StartNew();
        var result = _runner.Run(_inputs, _dims);
        var elapsed = clock.Elapsed;
        if (keep) outputs = result;
        else
        {
            result.Dispose();
            outputs = null;
        }
        return elapsed;
    }

    /// <summary>How many runs <see cref="Profile"/> times kernel by kernel (the compiled engine only).</summary>
    public int ProfileRuns { get; init; }

    /// <summary>Runs the compiled plan <see cref="ProfileRuns"/> times, timing each step (not counted in the bench's times).</summary>
    public ExecutionProfile Profile()
    {
        var profile = new ExecutionProfile();
        var plan = _runner.Plan(_dims);
        for (int i = 0; i < ProfileRuns; i++) plan.Run(_inputs, profile).Dispose();
        return profile;
    }

    public override void Dispose() => _runner.Dispose();
}

/// <summary>
/// ONNX Runtime on the model exported in memory (same weights, same inputs): all graph optimisations on,
/// <c>--threads</c> intra-op threads, and the inputs handed over without copies.
/// </summary>
internal sealed class OnnxRuntimeEngine : BenchEngine
{
    private readonly byte[] _model;
    private readonly Graph _graph;
    private readonly IReadOnlyDictionary<string, Tensor> _inputs;
    private readonly int _threads;
    private InferenceSession? _session;
    private RunOptions? _runOptions;
    private OrtValue[] _values = Array.Empty<OrtValue>();
    private string[] _inputNames = Array.Empty<string>();
    private string[] _outputNames = Array.Empty<string>();

    /// <param name="model">The exported ModelProto.</param>
    /// <param name="graph">The graph it was exported from: its inputs and outputs name the model's.</param>
    public OnnxRuntimeEngine(byte[] model, Graph graph, IReadOnlyDictionary<string, Tensor> inputs, int threads)
    {
        _model = model;
        _graph = graph;
        _inputs = inputs;
        _threads = threads;
    }

    public override string Name => BenchCommand.OnnxRuntime;

    public override void Prepare()
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = _threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        _session = new InferenceSession(_model, options);
        _runOptions = new RunOptions();
        _inputNames = _graph.Inputs.Select(i => i.Name).ToArray();
        _outputNames = _graph.Outputs.Select(o => o.Name).ToArray();
        _values = _inputNames.Select(n => Wrap(_inputs[n])).ToArray();
    }

    public override TimeSpan Run(bool keep, out RunResult? outputs)
    {
        var clock = Stopwatch.StartNew();
        using var results = _session!.Run(_runOptions!, _inputNames, _values, _outputNames);
        var elapsed = clock.Elapsed;
        outputs = keep ? new RunResult(results.Select((v, i) => new NamedTensor(_outputNames[i], ToTensor(v, _graph.Outputs[i].Value.Type.DType))).ToList(),
            new Dictionary<string, long>()) : null;
        return elapsed;
    }

    /// <summary>An ORT tensor over the runtime tensor's own memory (the tensor outlives the session's runs).</summary>
    private static OrtValue Wrap(Tensor t) =>
        OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, ElementType(t.DType), t.Shape.ToArray(), t.Data, t.ByteCount);

    private static Tensor ToTensor(OrtValue v, DType expected)
    {
        var info = v.GetTensorTypeAndShape();
        if (info.ElementDataType != ElementType(expected))
            throw new OnnxRuntimeBenchError($"ONNX Runtime returned {info.ElementDataType} where the model gives {expected.Name()}");
        var t = Tensor.Zeros(expected, info.Shape);
        v.GetTensorMutableRawData().CopyTo(t.AsBytes());
        return t;
    }

    private static TensorElementType ElementType(DType t) => t switch
    {
        DType.Bool => TensorElementType.Bool,
        DType.I8 => TensorElementType.Int8,
        DType.I32 => TensorElementType.Int32,
        DType.I64 => TensorElementType.Int64,
        DType.F16 => TensorElementType.Float16,
        DType.BF16 => TensorElementType.BFloat16,
        DType.F32 => TensorElementType.Float,
        DType.F64 => TensorElementType.Double,
        _ => throw new OnnxRuntimeBenchError($"no ONNX element type for {t.Name()}"),
    };

    public override void Dispose()
    {
        foreach (var v in _values) v.Dispose();
        _runOptions?.Dispose();
        _session?.Dispose();
    }
}

/// <summary>ONNX Runtime could not take or run the model: the bench reports it and goes on without it.</summary>
internal sealed class OnnxRuntimeBenchError : Exception
{
    public OnnxRuntimeBenchError(string message)
        : base(message)
    {
    }
}
