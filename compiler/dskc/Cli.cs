using System.CommandLine;
using DeepSeek.Lang.Cli.Commands;

namespace DeepSeek.Lang.Cli;

/// <summary>The <c>dskc</c> command line: one subcommand a job, exit codes as in <see cref="ExitCodes"/>.</summary>
public static class Cli
{
    public static int Run(string[] args, CliConsole console)
    {
        var root = new RootCommand("dskc: the DeepSeek.Lang compiler for .dsk model files.");
        root.Subcommands.Add(CheckCommand.Create(console));
        root.Subcommands.Add(FmtCommand.Create(console));
        root.Subcommands.Add(CompileCommand.Create(console));
        root.Subcommands.Add(RunCommand.Create(console));
        root.Subcommands.Add(Repl.ReplCommand.Create(console));
        root.Subcommands.Add(Commands.Bench.BenchCommand.Create(console));

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) console.Error.WriteLine($"dskc: error: {error.Message}");
            console.Error.WriteLine("Run 'dskc --help' for usage.");
            return ExitCodes.Usage;
        }
        var config = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        return parse.Invoke(config);
    }
}
