using DeepSeek.Lang.Cli;

return Cli.Run(args, CliConsole.System);
