using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Fmt;

/// <summary>`dskc fmt`: stdout, --check and --write, comments, and files it must not touch.</summary>
public sealed class FmtCommandTests : IDisposable
{
    private static readonly string GoldenFolder = RepoPaths.Combine("tests", "DeepSeek.Lang.Cli.Tests", "Golden", "fmt");

    private const string Messy = "const  d=512\nmodule M( d:int ) {\n    up   =   Linear( d , d )\n}\n";
    private const string Canonical = "const d = 512\nmodule M(d: int) {\n  up = Linear(d, d)\n}\n";

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Without_options_prints_the_canonical_text_and_leaves_the_file_alone()
    {
        var path = _temp.Write("m.dsk", Messy);
        var result = CliRunner.Run("fmt", path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Canonical, result.Out);
        Assert.Equal("", result.Error);
        Assert.Equal(Messy, File.ReadAllText(path));
    }

    [Fact]
    public void Check_lists_the_files_that_are_not_formatted_and_exits_1()
    {
        var messy = _temp.Write("messy.dsk", Messy);
        var tidy = _temp.Write("tidy.dsk", Canonical);
        var result = CliRunner.Run("fmt", "--check", tidy, messy);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"{messy}: not formatted\n", result.Out);
        Assert.Equal(Messy, File.ReadAllText(messy));
    }

    [Fact]
    public void Check_of_formatted_files_exits_0_and_prints_nothing()
    {
        var result = CliRunner.Run(["fmt", "--check", .. RepoPaths.DskFiles("examples"), Path.Combine(GoldenFolder, "messy.formatted.dsk")]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void Write_rewrites_the_file_and_then_check_passes()
    {
        var path = _temp.Write("m.dsk", Messy);
        var write = CliRunner.Run("fmt", "--write", path);
        Assert.Equal(0, write.ExitCode);
        Assert.Equal("", write.Out);
        Assert.Equal(Canonical, File.ReadAllText(path));

        var check = CliRunner.Run("fmt", "--check", path);
        Assert.Equal(0, check.ExitCode);
        Assert.Equal("", check.Out);
    }

    [Fact]
    public void Write_leaves_a_formatted_file_untouched()
    {
        var path = _temp.Write("m.dsk", Canonical);
        var stamp = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        Assert.Equal(0, CliRunner.Run("fmt", "--write", path).ExitCode);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void A_file_with_syntax_errors_is_never_rewritten()
    {
        const string broken = "module  M( d:int ) {\n    up = Linear(d, \n}\nconst   x=1\n";
        var path = _temp.Write("broken.dsk", broken);
        var result = CliRunner.Run("fmt", "--write", path);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(broken, File.ReadAllText(path));
        Assert.StartsWith($"{path}(2,20): error DSK0001:", result.Error, StringComparison.Ordinal);

        var printed = CliRunner.Run("fmt", path);
        Assert.Equal(1, printed.ExitCode);
        Assert.Equal("", printed.Out);
    }

    [Fact]
    public void Other_files_are_still_formatted_when_one_has_errors()
    {
        var broken = _temp.Write("broken.dsk", "const x = (\n");
        var messy = _temp.Write("messy.dsk", Messy);
        var result = CliRunner.Run("fmt", "--write", broken, messy);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(Canonical, File.ReadAllText(messy));
    }

    [Fact]
    public void Comments_everywhere_survive_formatting()
    {
        const string source = """
            // leading comment of the file

            /* a block comment
               before the module */
            module M(d: int) {   // trailing comment of the module line
              // leading comment of a member
              up = Linear(d, d)    // trailing comment of a member

              forward(x: f32[N, d]) -> f32[N, d] {
                let h = up(
                  x,   // a comment inside a wrapped call
                )
                // a comment between statements
                return h /* trailing block comment */
                // the last comment in the block
              }
              // the last comment in the module
            }
            // the last comment of the file

            """;
        const string expected = """
            // leading comment of the file

            /* a block comment
               before the module */
            module M(d: int) {
              // trailing comment of the module line
              // leading comment of a member
              up = Linear(d, d) // trailing comment of a member

              forward(x: f32[N, d]) -> f32[N, d] {
                // a comment inside a wrapped call
                let h = up(x)
                // a comment between statements
                return h /* trailing block comment */
                // the last comment in the block
              }
              // the last comment in the module
            }
            // the last comment of the file

            """;
        var path = _temp.Write("c.dsk", source);
        var result = CliRunner.Run("fmt", path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(expected, result.Out);

        // Formatting the formatted text changes nothing.
        var again = CliRunner.Run("fmt", _temp.Write("c2.dsk", result.Out));
        Assert.Equal(expected, again.Out);
    }

    [Fact]
    public void The_golden_messy_file_formats_to_the_golden_formatted_file()
    {
        var result = CliRunner.Run("fmt", Path.Combine(GoldenFolder, "messy.dsk"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(GoldenFolder, "messy.formatted.dsk")), result.Out);
    }

    [Fact]
    public void Write_and_check_together_is_a_usage_error()
    {
        var path = _temp.Write("m.dsk", Messy);
        var result = CliRunner.Run("fmt", "--write", "--check", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--write and --check cannot be used together", result.Error, StringComparison.Ordinal);
        Assert.Equal(Messy, File.ReadAllText(path));
    }

    [Fact]
    public void A_missing_file_exits_2()
    {
        var path = _temp.Combine("gone.dsk");
        var result = CliRunner.Run("fmt", "--check", path);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"dskc: error: cannot read '{path}': no such file\n", result.Error);
    }

    [Fact]
    public void A_file_that_is_not_utf8_is_reported_and_not_rewritten()
    {
        byte[] bytes = [.. "const s = \"caf"u8, 0xE9, .. "\"\n"u8];
        var path = _temp.WriteBytes("latin1.dsk", bytes);
        var result = CliRunner.Run("fmt", "--write", path);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"{path}(1,15): error DSK0009: the file is not UTF-8 text (invalid byte 0xE9 at offset 14)", result.Error, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }
}
