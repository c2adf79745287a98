using System.CommandLine;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Imports;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Cli.Commands;

/// <summary>
/// <c>dskc fmt FILE...</c>: print the canonical formatting, or rewrite files (<c>--write</c>), or
/// list files that are not formatted and exit 1 (<c>--check</c>). Files with syntax errors are never
/// rewritten; and before writing, the formatted text is parsed again and must give the same tree.
/// </summary>
internal static class FmtCommand
{
    public static Command Create(CliConsole console)
    {
        var files = CommonOptions.Files("The .dsk files to format.");
        var write = new Option<bool>("--write") { Description = "Rewrite the files in place." };
        var check = new Option<bool>("--check") { Description = "Print the files that are not formatted and exit 1 if there are any; change nothing." };
        var excerpts = CommonOptions.Excerpts();
        var command = new Command("fmt", "Format .dsk files canonically (comments are kept).") { files, write, check, excerpts };
        command.Validators.Add(r =>
        {
            if (r.GetValue(write) && r.GetValue(check)) r.AddError("--write and --check cannot be used together");
        });
        command.SetAction(parse =>
        {
            var output = new DiagnosticOutput(console, "text", parse.GetValue(excerpts));
            int exit = ExitCodes.Success;
            foreach (var path in parse.GetValue(files)!)
            {
                var file = DiskFileSystem.Instance.Read(DiskFileSystem.Instance.GetFullPath(path));
                if (file.Text == null && file.InvalidUtf8Offset < 0)
                {
                    output.ReportLoadErrors(new[] { new SourceLoadError(path, file.Error ?? "cannot read") });
                    return ExitCodes.Usage;
                }
                var (tree, diagnostics) = SourceLoader.Parse(path, file);
                if (diagnostics.Any(d => d.IsError))
                {
                    output.Print(diagnostics);
                    exit = ExitCodes.Errors;
                    continue;
                }

                var formatted = SyntaxPrinter.Print(tree.Root);
                var reparsed = SyntaxTree.Parse(new SourceText(path, formatted));
                if (reparsed.HasErrors || SyntaxDump.Dump(reparsed.Root) != SyntaxDump.Dump(tree.Root))
                {
                    console.Error.WriteLine(new Diagnostic(DiagnosticDescriptors.InternalError, new Location(tree.Text, default),
                        "formatting would change the meaning of this file; it was left as it is (please report this)",
                        default).ToString());
                    exit = ExitCodes.Errors;
                    continue;
                }

                if (parse.GetValue(check))
                {
                    if (formatted != file.Text)
                    {
                        console.Out.WriteLine($"{path}: not formatted");
                        exit = ExitCodes.Errors;
                    }
                }
                else if (parse.GetValue(write))
                {
                    if (formatted != file.Text) File.WriteAllText(path, formatted);
                }
                else
                {
                    console.Out.Write(formatted);
                }
            }
            return exit;
        });
        return command;
    }
}
