using System.Diagnostics;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary>
/// onnx.checker.check_model(full_check=True) from Debian's python3-onnx, in one Python process kept for
/// all the tests (starting Python and importing onnx for each model would cost more than the tests).
/// </summary>
internal static class OnnxChecker
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import sys
        try:
            import onnx, onnx.checker
        except Exception as e:
            print("missing " + str(e).replace("\n", " "), flush=True)
            sys.exit(0)
        print("ready", flush=True)
        for line in sys.stdin:
            try:
                onnx.checker.check_model(onnx.load(line.rstrip("\n")), full_check=True)
                print("ok", flush=True)
            except Exception as e:
                print("error " + str(e).replace("\n", " | "), flush=True)
        """;

    private static readonly object Gate = new();
    private static Process? _process;
    private static string? _missing;

    /// <summary>Why the checker cannot run (no Python, no onnx module), or null when it can.</summary>
    public static string? Missing
    {
        get
        {
            lock (Gate)
            {
                Start();
                return _missing;
            }
        }
    }

    /// <summary>Null when the file passes (or the checker is missing); the checker's message when it fails.</summary>
    public static string? Check(string path)
    {
        lock (Gate)
        {
            Start();
            if (_process == null) return null;
            _process.StandardInput.WriteLine(path);
            _process.StandardInput.Flush();
            var answer = _process.StandardOutput.ReadLine() ?? "error the checker process ended";
            return answer == "ok" ? null : answer.StartsWith("error ", StringComparison.Ordinal) ? answer[6..] : answer;
        }
    }

    private static void Start()
    {
        if (_process != null || _missing != null) return;
        if (!File.Exists(Python))
        {
            _missing = $"{Python} is not installed";
            return;
        }
        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(Script);
        var process = Process.Start(info)!;
        var first = process.StandardOutput.ReadLine() ?? "missing the Python process ended";
        if (first != "ready")
        {
            process.WaitForExit();
            process.Dispose();
            _missing = $"Python's onnx is not installed (apt-get install python3-onnx): {first["missing ".Length..]}";
            return;
        }
        _process = process;
        // Closing its input ends the loop; the test host's exit does the same if this does not run.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.StandardInput.Close();
                process.WaitForExit(2000);
            }
            catch (InvalidOperationException)
            {
            }
        };
    }
}
