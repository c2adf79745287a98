using System.CommandLine;
using DeepSeek.Lang.Runtime;
using DeepSeek.Lang.Cli.Commands;
using System.Globalization;
using System.Reflection;
using System.Text;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// <c>dskc repl [FILE...] [--seed N] [--dim NAME=VALUE ...] [--no-echo]</c>: an interactive session.
/// On a terminal it edits lines with history and completion; otherwise it reads plain lines (so
/// <c>dskc repl &lt; session.txt</c> works), echoes each one after its prompt so that the output reads as
/// the session would on a terminal, and exits 0 at the end of the input.
/// </summary>
internal static class ReplCommand
{
    public const string Prompt = "dsk> ";
    public const string ContinuationPrompt = "...> ";

    public static Command Create(CliConsole console)
    {
        var files = new Argument<string[]>("files") { Description = "Files to load first, as :load does.", Arity = ArgumentArity.ZeroOrMore };
        var seed = new Option<long>("--seed") { Description = "Seed for weights and for randn without a seed (default 0).", DefaultValueFactory = _ => 0 };
        var dims = CommonOptions.Dims();
        var noEcho = new Option<bool>("--no-echo") { Description = "When the input is not a terminal, do not repeat each line after its prompt." };
        var command = new Command("repl", "Start an interactive session: statements run as they are typed; declarations persist.")
        {
            files, seed, dims, noEcho,
        };
        command.SetAction(parse =>
        {
            Dictionary<string, long> bound;
            try
            {
                bound = DimArguments.Parse(parse.GetValue(dims) ?? Array.Empty<string>());
            }
            catch (RuntimeError e)
            {
                console.Error.WriteLine($"dskc: error: {e.Message}");
                return ExitCodes.Usage;
            }
            using var session = new ReplSession(console.Out, console.Error, new ReplOptions(parse.GetValue(seed), console.OutputIsTerminal));
            foreach (var (name, size) in bound) session.Dims[name] = size;
            bool interactive = console.InputIsTerminal && console.OutputIsTerminal;
            if (interactive) console.Out.WriteLine(Banner());
            foreach (var file in parse.GetValue(files) ?? Array.Empty<string>())
                session.Submit(":load " + file);
            if (interactive) RunInteractive(session, new SystemTerminal(), new ReplHistory(ReplHistory.DefaultPath()));
            else RunPlain(session, console, echo: !parse.GetValue(noEcho));
            return ExitCodes.Success;
        });
        return command;
    }

    public static string Banner()
    {
        var version = typeof(ReplCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0) version = version[..plus];
        return $"dskc {version} REPL for .dsk: statements run as you type them; modules, models and constants persist.\n" +
               ":help lists the commands; :quit or Ctrl+D leaves.";
    }

    /// <summary>Plain lines from <see cref="CliConsole.In"/>, each echoed after its prompt (unless <paramref name="echo"/> is false).</summary>
    public static void RunPlain(ReplSession session, CliConsole console, bool echo)
    {
        var pending = new PendingInput();
        while (true)
        {
            var prompt = pending.IsEmpty ? Prompt : ContinuationPrompt;
            var line = console.In.ReadLine();
            if (line == null)
            {
                if (!pending.IsEmpty) session.Submit(pending.Take());
                return;
            }
            if (echo) console.Out.WriteLine((prompt + line).TrimEnd());
            var submission = pending.Add(line);
            if (submission != null && !session.Submit(submission)) return;
        }
    }

    /// <summary>Lines from the line editor; Ctrl+C gives up the input, or cancels the statement that is running.</summary>
    public static void RunInteractive(ReplSession session, ITerminal terminal, ReplHistory history)
    {
        var editor = new LineEditor(terminal, history, (line, cursor) => ReplCompleter.Complete(session, line, cursor));
        var pending = new PendingInput();
        while (true)
        {
            var read = editor.ReadLine(pending.IsEmpty ? Prompt : ContinuationPrompt);
            if (read.Status == ReadStatus.EndOfInput) return;
            if (read.Status == ReadStatus.Cancelled)
            {
                pending.Clear();
                continue;
            }
            history.Add(read.Text);
            var submission = pending.Add(read.Text);
            if (submission == null) continue;

            using var cancellation = new CancellationTokenSource();
            ConsoleCancelEventHandler handler = (_, e) =>
            {
                e.Cancel = true;
                cancellation.Cancel();
            };
            Console.CancelKeyPress += handler;
            try
            {
                if (!session.Submit(submission, cancellation.Token)) return;
            }
            finally
            {
                Console.CancelKeyPress -= handler;
            }
        }
    }
}

/// <summary>
/// Lines typed so far of a submission that is not complete yet (an open bracket or brace). A command
/// (a first line starting with ':') is complete at once; two empty lines end any input, so that a
/// missing brace cannot swallow the rest of a session.
/// </summary>
internal sealed class PendingInput
{
    private readonly StringBuilder _text = new();
    private int _blankLines;

    public bool IsEmpty => _text.Length == 0;

    public void Clear()
    {
        _text.Clear();
        _blankLines = 0;
    }

    /// <summary>Adds a line; gives the submission when it is complete, else null.</summary>
    public string? Add(string line)
    {
        if (IsEmpty && line.TrimStart().StartsWith(':')) return line;
        if (IsEmpty && line.Trim().Length == 0) return null;
        if (!IsEmpty) _text.Append('\n');
        _text.Append(line);
        _blankLines = line.Trim().Length == 0 ? _blankLines + 1 : 0;
        var text = _text.ToString();
        if (SyntaxFacts.IsCompleteSubmission(text) || _blankLines >= 2) return Take();
        return null;
    }

    public string Take()
    {
        var text = _text.ToString();
        Clear();
        return text;
    }
}
