using System.Collections.Immutable;
using System.Globalization;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Diagnostics;

public enum DiagnosticSeverity
{
    Error,
    Warning,
}

/// <summary>What a diagnostic code means: its code, severity and message template. Defined once, in <see cref="DiagnosticDescriptors"/>.</summary>
public sealed class DiagnosticDescriptor
{
    public DiagnosticDescriptor(string code, DiagnosticSeverity severity, string title, string messageFormat)
    {
        Code = code;
        Severity = severity;
        Title = title;
        MessageFormat = messageFormat;
    }

    /// <summary>The code users search for, such as DSK2003.</summary>
    public string Code { get; }

    public DiagnosticSeverity Severity { get; }

    /// <summary>A short name of the class of problem, for documentation and IDE rule lists.</summary>
    public string Title { get; }

    /// <summary>A composite format string ({0}, {1}, …) for the message.</summary>
    public string MessageFormat { get; }

    public string Format(object?[] args) =>
        args.Length == 0 ? MessageFormat : string.Format(CultureInfo.InvariantCulture, MessageFormat, args);

    public override string ToString() => Code;
}

/// <summary>Extra information attached to a diagnostic: where a module was instantiated, or a hint.</summary>
public sealed record DiagnosticNote(string Message, Location? Location = null, bool IsHint = false);

/// <summary>One problem in the user's source, with its code, location and message.</summary>
public sealed class Diagnostic
{
    public Diagnostic(DiagnosticDescriptor descriptor, Location location, string message, ImmutableArray<DiagnosticNote> notes)
    {
        Descriptor = descriptor;
        Location = location;
        Message = message;
        Notes = notes.IsDefault ? ImmutableArray<DiagnosticNote>.Empty : notes;
    }

    public DiagnosticDescriptor Descriptor { get; }

    public string Code => Descriptor.Code;

    public DiagnosticSeverity Severity => Descriptor.Severity;

    public bool IsError => Severity == DiagnosticSeverity.Error;

    public Location Location { get; }

    public string Message { get; }

    public ImmutableArray<DiagnosticNote> Notes { get; }

    public Diagnostic WithNotes(IEnumerable<DiagnosticNote> notes) => new(Descriptor, Location, Message, Notes.AddRange(notes));

    /// <summary>The first line of the canonical form: <c>path(line,col): error DSKnnnn: message</c>.</summary>
    public override string ToString() => DiagnosticFormatter.FormatHeadline(this);
}
