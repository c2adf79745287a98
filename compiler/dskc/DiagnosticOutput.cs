using System.Text.Encodings.Web;
using System.Text.Json;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Imports;

namespace DeepSeek.Lang.Cli;

/// <summary>Prints diagnostics as text on stderr (with excerpts when wanted) or as a JSON array on stdout.</summary>
internal sealed class DiagnosticOutput
{
    private readonly CliConsole _console;
    private readonly bool _json;
    private readonly bool _excerpts;

    public DiagnosticOutput(CliConsole console, string format, bool excerpts)
    {
        _console = console;
        _json = format == "json";
        _excerpts = excerpts || console.ErrorIsTerminal;
    }

    /// <summary>Reports files that could not be read at all; true when there were any (exit 2).</summary>
    public bool ReportLoadErrors(IEnumerable<SourceLoadError> errors)
    {
        bool any = false;
        foreach (var e in errors)
        {
            _console.Error.WriteLine($"dskc: error: cannot read '{e.Path}': {e.Message}");
            any = true;
        }
        return any;
    }

    /// <summary>Prints an error about the command rather than the source: <c>dskc: error DSK4001: ...</c>; gives exit code 1.</summary>
    public int CommandError(DiagnosticDescriptor descriptor, string message)
    {
        _console.Error.WriteLine($"dskc: error {descriptor.Code}: {message}");
        return ExitCodes.Errors;
    }

    public void Print(IReadOnlyCollection<Diagnostic> diagnostics)
    {
        if (_json)
        {
            _console.Out.WriteLine(ToJson(diagnostics));
            return;
        }
        foreach (var d in diagnostics) _console.Error.Write(DiagnosticFormatter.Format(d, _excerpts));
    }

    public static string ToJson(IEnumerable<Diagnostic> diagnostics)
    {
        using var stream = new MemoryStream();
        // Relaxed escaping: messages quote code ('x', "s") and people read this output too.
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartArray();
            foreach (var d in diagnostics)
            {
                w.WriteStartObject();
                w.WriteString("code", d.Code);
                w.WriteString("severity", d.Severity == DiagnosticSeverity.Error ? "error" : "warning");
                WriteLocation(w, d.Location);
                w.WriteString("message", d.Message);
                w.WriteStartArray("notes");
                foreach (var n in d.Notes)
                {
                    w.WriteStartObject();
                    w.WriteString("kind", n.IsHint ? "hint" : "note");
                    if (n.Location is { } at) WriteLocation(w, at);
                    w.WriteString("message", n.Message);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteLocation(Utf8JsonWriter w, Compiler.Text.Location at)
    {
        var start = at.Source.GetLinePosition(at.Span.Start);
        var end = at.Source.GetLinePosition(at.Span.End);
        w.WriteString("path", at.Source.Path);
        w.WriteNumber("line", start.Line);
        w.WriteNumber("column", start.Column);
        w.WriteNumber("endLine", end.Line);
        w.WriteNumber("endColumn", end.Column);
    }
}
