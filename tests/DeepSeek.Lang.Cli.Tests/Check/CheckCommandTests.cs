using System.Diagnostics;
using System.Text.Json;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Check;

/// <summary>`dskc check`: exit codes, output formats, paths and imports, as a user sees them.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Bad = "module M(d: int) {\n  forward(x: f32[N, d]) -> f32[N, d] {\n    return x +\n  }\n}\n";

    [Fact]
    public void A_clean_file_exits_0_and_prints_nothing()
    {
        var result = CliRunner.Run("check", RepoPaths.Combine("examples", "sparse_moe.dsk"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public void Every_example_checks_clean()
    {
        var examples = RepoPaths.DskFiles("examples");
        Assert.Contains(examples, f => f.EndsWith("fraud_gcn.dsk", StringComparison.Ordinal));
        // Each example is a program of its own (two may define a module of the same name).
        foreach (var example in examples)
        {
            var result = CliRunner.Run("check", example);
            Assert.True(result.ExitCode == 0, example + ": " + result);
        }
    }

    [Fact]
    public void A_file_with_errors_exits_1_with_one_line_a_diagnostic()
    {
        var path = _temp.Write("bad.dsk", Bad);
        var result = CliRunner.Run("check", path);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.Equal([$"{path}(3,15): error DSK0001: expected an expression, found end of line"], result.ErrorLines);
    }

    [Fact]
    public void A_missing_file_exits_2_and_names_it()
    {
        var path = _temp.Combine("nowhere.dsk");
        var result = CliRunner.Run("check", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"dskc: error: cannot read '{path}': no such file"], result.ErrorLines);
    }

    [Fact]
    public void A_directory_exits_2()
    {
        var result = CliRunner.Run("check", _temp.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal([$"dskc: error: cannot read '{_temp.Path}': it is a directory"], result.ErrorLines);
    }

    [Fact]
    public void A_missing_file_among_good_ones_still_exits_2()
    {
        var good = _temp.Write("good.dsk", "const d = 1\n");
        var result = CliRunner.Run("check", good, _temp.Combine("missing.dsk"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no such file", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "Required command was not provided.")]
    [InlineData(new[] { "check" }, "Required argument missing for command: 'check'.")]
    [InlineData(new[] { "check", "--format", "xml", "x.dsk" }, "Argument 'xml' not recognized.")]
    [InlineData(new[] { "check", "x.dsk", "--root" }, "Required argument missing for option: '--root'.")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'.")]
    public void Usage_errors_exit_2(string[] args, string message)
    {
        var result = CliRunner.Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"dskc: error: {message}", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("Run 'dskc --help' for usage.\n", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_format_prints_every_field_of_every_diagnostic_on_stdout()
    {
        var path = _temp.Write("bad.dsk", "const a = (1\nconst b = \"x\\q\"\n");
        var result = CliRunner.Run("check", "--format", "json", path);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Error);

        using var json = JsonDocument.Parse(result.Out);
        var items = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(2, items.Count);

        var first = items[0];
        Assert.Equal(["code", "severity", "path", "line", "column", "endLine", "endColumn", "message", "notes"],
            first.EnumerateObject().Select(p => p.Name));
        Assert.Equal("DSK0001", first.GetProperty("code").GetString());
        Assert.Equal("error", first.GetProperty("severity").GetString());
        Assert.Equal(path, first.GetProperty("path").GetString());
        Assert.Equal(1, first.GetProperty("line").GetInt32());
        Assert.Equal(13, first.GetProperty("column").GetInt32());
        Assert.Equal(2, first.GetProperty("endLine").GetInt32());
        Assert.Equal(1, first.GetProperty("endColumn").GetInt32());
        Assert.Equal("expected ',' or ')', found end of line", first.GetProperty("message").GetString());
        Assert.Equal(0, first.GetProperty("notes").GetArrayLength());

        var second = items[1];
        Assert.Equal("DSK0007", second.GetProperty("code").GetString());
        Assert.Equal(2, second.GetProperty("line").GetInt32());
        Assert.Equal(13, second.GetProperty("column").GetInt32());
        Assert.Equal(2, second.GetProperty("endLine").GetInt32());
        Assert.Equal(15, second.GetProperty("endColumn").GetInt32());
        Assert.Equal("unknown escape sequence '\\q' in string; use \\\", \\\\, \\n or \\t", second.GetProperty("message").GetString());
    }

    [Fact]
    public void Json_format_for_a_clean_file_is_an_empty_array_and_exit_0()
    {
        var result = CliRunner.Run("check", "--format", "json", _temp.Write("ok.dsk", "const d = 1\n"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(result.Out).RootElement.ValueKind);
        Assert.Equal(0, JsonDocument.Parse(result.Out).RootElement.GetArrayLength());
    }

    [Fact]
    public void Excerpts_appear_only_with_the_option_when_stderr_is_redirected()
    {
        var path = _temp.Write("bad.dsk", Bad);
        var plain = CliRunner.Run("check", path);
        Assert.Single(plain.ErrorLines);

        var withOption = CliRunner.Run("check", "--excerpts", path);
        Assert.Equal(
            [
                $"{path}(3,15): error DSK0001: expected an expression, found end of line",
                "        return x +",
                "                  ^",
            ],
            withOption.Error.TrimEnd('\n').Split('\n'));

        var onTerminal = CliRunner.Run(errorIsTerminal: true, "check", path);
        Assert.Equal(withOption.Error, onTerminal.Error);
    }

    [Fact]
    public void Diagnostics_of_several_files_come_in_the_order_of_the_command_line()
    {
        var a = _temp.Write("a.dsk", "const a = )\n");
        var b = _temp.Write("b.dsk", "const b = ]\n");
        var result = CliRunner.Run("check", b, a);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(2, result.ErrorLines.Length);
        Assert.StartsWith(b + "(1,11)", result.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith(a + "(1,11)", result.ErrorLines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Imports_resolve_relative_to_the_importing_file_and_their_errors_name_that_file()
    {
        var main = _temp.Write("main.dsk", "import \"layers/block.dsk\"\nconst d = 1\n");
        _temp.Write("layers/block.dsk", "import \"norm.dsk\"\nconst block = 1\n");
        _temp.Write("layers/norm.dsk", "const norm = (\n");
        var result = CliRunner.Run("check", main);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"{_temp.Path}/layers/norm.dsk(1,15): error DSK0001: expected an expression or ')', found end of line"], result.ErrorLines);
    }

    [Fact]
    public void A_file_imported_twice_is_read_and_reported_once()
    {
        var main = _temp.Write("main.dsk", "import \"a.dsk\"\nimport \"b.dsk\"\n");
        _temp.Write("a.dsk", "import \"shared.dsk\"\n");
        _temp.Write("b.dsk", "import \"shared.dsk\"\n");
        _temp.Write("shared.dsk", "const s = *\n");
        var result = CliRunner.Run("check", main);
        Assert.Single(result.ErrorLines);
        Assert.Contains("shared.dsk(1,11): error DSK0001", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_import_cycle_is_an_error_that_names_the_cycle()
    {
        var a = _temp.Write("a.dsk", "import \"b.dsk\"\n");
        _temp.Write("b.dsk", "import \"c.dsk\"\n");
        _temp.Write("c.dsk", "import \"a.dsk\"\n");
        var result = CliRunner.Run("check", a);
        Assert.Equal(1, result.ExitCode);
        var folder = _temp.Path;
        Assert.Equal([$"{folder}/c.dsk(1,8): error DSK1103: import cycle: {folder}/a.dsk -> {folder}/b.dsk -> {folder}/c.dsk -> {folder}/a.dsk"],
            result.ErrorLines);
    }

    [Fact]
    public void An_import_outside_the_root_is_an_error_unless_root_widens_it()
    {
        var main = _temp.Write("app/main.dsk", "import \"../shared/layers.dsk\"\n");
        _temp.Write("shared/layers.dsk", "const layers = 1\n");

        var narrow = CliRunner.Run("check", main);
        Assert.Equal(1, narrow.ExitCode);
        Assert.Equal([$"{main}(1,8): error DSK1102: import '../shared/layers.dsk' leaves the root folder '{_temp.Path}/app' of the compilation (--root sets it)"],
            narrow.ErrorLines);

        var wide = CliRunner.Run("check", "--root", _temp.Path, main);
        Assert.True(wide.ExitCode == 0, wide.ToString());
    }

    [Fact]
    public void A_missing_import_is_an_error_in_the_importing_file()
    {
        var main = _temp.Write("main.dsk", "\nimport \"lib/gone.dsk\"\n");
        var result = CliRunner.Run("check", main);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"{main}(2,8): error DSK1101: cannot find imported file 'lib/gone.dsk' (looked for {_temp.Path}/lib/gone.dsk)"], result.ErrorLines);
    }

    [Fact]
    public async Task A_real_process_with_redirected_stderr_prints_no_excerpts()
    {
        var path = _temp.Write("bad.dsk", Bad);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dskc.dll"));
        start.ArgumentList.Add("check");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "dskc did not finish within a minute");
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout);
        Assert.Equal($"{path}(3,15): error DSK0001: expected an expression, found end of line\n", stderr);
    }
}

/// <summary>Paths print exactly as given on the command line; these tests change the current folder.</summary>
[Collection(WorkingDirectoryCollection.Name)]
public sealed class CheckPathTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("bad.dsk")]
    [InlineData("./bad.dsk")]
    [InlineData("sub/../bad.dsk")]
    public void A_relative_path_stays_as_given(string given)
    {
        _temp.Write("bad.dsk", "const x = (\n");
        _temp.Write("sub/keep.txt", "");
        CliResult result;
        using (new CurrentFolder(_temp.Path))
        {
            result = CliRunner.Run("check", given);
        }
        Assert.Equal([$"{given}(1,12): error DSK0001: expected an expression or ')', found end of line"], result.ErrorLines);
    }

    [Fact]
    public void Errors_in_an_imported_file_show_its_path_relative_like_the_importer()
    {
        _temp.Write("models/main.dsk", "import \"../layers/../layers/norm.dsk\"\n");
        _temp.Write("layers/norm.dsk", "const norm = ]\n");
        CliResult result;
        using (new CurrentFolder(_temp.Path))
        {
            result = CliRunner.Run("check", "--root", ".", "models/main.dsk");
        }
        Assert.Equal(["layers/norm.dsk(1,14): error DSK0001: expected an expression, found ']'"], result.ErrorLines);
    }

    [Fact]
    public void The_root_folder_is_named_as_the_user_wrote_it()
    {
        _temp.Write("app/main.dsk", "import \"../x.dsk\"\n");
        CliResult result;
        using (new CurrentFolder(_temp.Path))
        {
            result = CliRunner.Run("check", "app/main.dsk");
        }
        Assert.Equal(["app/main.dsk(1,8): error DSK1102: import '../x.dsk' leaves the root folder 'app' of the compilation (--root sets it)"],
            result.ErrorLines);
    }
}
