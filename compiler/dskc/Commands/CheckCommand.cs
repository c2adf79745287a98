using System.CommandLine;
using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Imports;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary><c>dskc check FILE...</c>: parse, resolve imports, bind and type-check; print diagnostics.</summary>
internal static class CheckCommand
{
    public static Command Create(CliConsole console)
    {
        var files = CommonOptions.Files();
        var excerpts = CommonOptions.Excerpts();
        var format = CommonOptions.Format();
        var root = CommonOptions.Root();
        var types = new Option<bool>("--types") { Description = "Print the type of every let binding and forward result (what an editor shows on hover)." };
        var command = new Command("check", "Check .dsk files and their imports; exit 0 when there are no errors, 1 when there are.")
        {
            files, excerpts, format, root, types,
        };
        command.SetAction(parse =>
        {
            var output = new DiagnosticOutput(console, parse.GetValue(format)!, parse.GetValue(excerpts));
            var sources = SourceLoader.Load(parse.GetValue(files)!, DiskFileSystem.Instance, parse.GetValue(root));
            if (output.ReportLoadErrors(sources.LoadErrors)) return ExitCodes.Usage;
            var compilation = Compilation.Create(sources);
            var diagnostics = compilation.Diagnostics;
            output.Print(diagnostics);
            if (parse.GetValue(types) && !sources.HasErrors)
            {
                foreach (var t in compilation.Types.OrderBy(t => t.Location.Source.Path, StringComparer.Ordinal).ThenBy(t => t.Location.Span.Start))
                {
                    var p = t.Location.Start;
                    console.Out.WriteLine($"{t.Location.Source.Path}({p.Line},{p.Column}): {t.Name}: {t.Type}");
                }
            }
            return diagnostics.Any(d => d.IsError) ? ExitCodes.Errors : ExitCodes.Success;
        });
        return command;
    }
}
