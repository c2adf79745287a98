using System.Collections.Immutable;
using System.Text;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// Builds the source the REPL compiles for one statement (a module around what the user typed) and
/// maps positions in it back to the user's text, so that diagnostics point into what was typed:
/// pieces of the user's text are copied verbatim and remembered as segments.
/// </summary>
internal sealed class SourceMap
{
    private readonly StringBuilder _text = new();
    private readonly List<(int Synthetic, int User, int Length)> _segments = new();
    private readonly List<(TextSpan Span, string Name, string Note)> _labels = new();

    public SourceMap(SourceText user)
    {
        User = user;
    }

    /// <summary>What the user typed, under the path diagnostics show (<c>&lt;repl:3&gt;</c>).</summary>
    public SourceText User { get; }

    public string Text => _text.ToString();

    /// <summary>Where the next character will be.</summary>
    public int Position => _text.Length;

    public SourceMap Add(string synthetic)
    {
        _text.Append(synthetic);
        return this;
    }

    /// <summary>Copies <paramref name="span"/> of the user's text.</summary>
    public SourceMap Add(TextSpan span)
    {
        _segments.Add((_text.Length, span.Start, span.Length));
        _text.Append(User.Text, span.Start, span.Length);
        return this;
    }

    /// <summary>
    /// Adds text the REPL made on behalf of a variable (a member that makes a module instance again): an
    /// error in it is shown at the variable's first use in the user's text, with <paramref name="note"/>.
    /// </summary>
    public SourceMap Add(string synthetic, string name, string note)
    {
        _labels.Add((new TextSpan(_text.Length, synthetic.Length), name, note));
        return Add(synthetic);
    }

    /// <summary>The user's span for a span of the built text; null when it starts in text the REPL made.</summary>
    public TextSpan? Map(TextSpan span)
    {
        foreach (var (synthetic, user, length) in _segments)
        {
            if (span.Start < synthetic || span.Start > synthetic + length) continue;
            int start = user + span.Start - synthetic;
            int end = Math.Min(user + length, start + span.Length);
            return TextSpan.FromBounds(start, end);
        }
        return null;
    }

    /// <summary>
    /// A diagnostic of the built text as the user should read it: located in their text; notes about the
    /// module the REPL made are dropped, and other notes in it lose their location.
    /// </summary>
    public Diagnostic Map(Diagnostic d, SourceText built)
    {
        var location = d.Location;
        var notes = ImmutableArray.CreateBuilder<DiagnosticNote>();
        if (location.Source == built)
        {
            var mapped = Map(location.Span);
            if (mapped == null && _labels.FirstOrDefault(l => l.Span.Contains(location.Span)) is { Name: not null } label)
            {
                var use = SyntaxFacts.Tokenize(User.Text).FirstOrDefault(t => t.Kind == SyntaxTokenKind.Identifier && t.Text == label.Name);
                mapped = use.Text != null ? use.Span : null;
                notes.Add(new DiagnosticNote(label.Note));
            }
            location = new Location(User, mapped ?? new TextSpan(0, 0));
        }
        foreach (var note in d.Notes)
        {
            if (note.Message.Contains(ReplSession.ReservedPrefix, StringComparison.Ordinal)) continue;
            if (note.Location is { } at && at.Source == built)
            {
                var mapped = Map(at.Span);
                notes.Add(mapped is { } m ? note with { Location = new Location(User, m) } : note with { Location = null });
            }
            else notes.Add(note);
        }
        return new Diagnostic(d.Descriptor, location, d.Message, notes.ToImmutable());
    }
}
