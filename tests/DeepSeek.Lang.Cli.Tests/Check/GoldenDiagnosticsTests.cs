using System.Text;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Check;

/// <summary>
/// Golden files for what `dskc check --excerpts` prints. Each bad input Golden/diagnostics/NAME.dsk
/// (helpers it imports live in lib/) has Golden/diagnostics/NAME.txt: the command line, the exit code
/// and the exact stderr. The test runs dskc in-process from that folder, so paths print as a user
/// would see them there. Inputs that are better made than committed (very deep nesting, bytes that
/// are not UTF-8) are written by the test into a temporary folder; their NAME.txt is committed.
///
/// After an intended change of the output, run the tests with DSK_UPDATE_GOLDEN=1 in the environment:
/// they rewrite the .txt files from the actual output (and pass); review the diff before committing.
/// </summary>
[Collection(WorkingDirectoryCollection.Name)]
public sealed class GoldenDiagnosticsTests
{
    private static readonly string Folder = RepoPaths.Combine("tests", "DeepSeek.Lang.Cli.Tests", "Golden", "diagnostics");

    private static bool Update => Environment.GetEnvironmentVariable("DSK_UPDATE_GOLDEN") == "1";

    /// <summary>Inputs made by the test: name and bytes.</summary>
    private static readonly IReadOnlyDictionary<string, Func<byte[]>> Generated = new Dictionary<string, Func<byte[]>>
    {
        // 10,000 nested parentheses: a diagnostic (DSK0005), not a stack overflow.
        ["deep_nesting"] = () => Encoding.UTF8.GetBytes("const x = " + new string('(', 10_000) + "1" + new string(')', 10_000) + "\n"),
        // Latin-1 'é' (0xE9) where UTF-8 needs two bytes.
        ["not_utf8"] = () => [.. Encoding.ASCII.GetBytes("const d = 512\nconst name = \"caf"), 0xE9, .. Encoding.ASCII.GetBytes("\"\n")],
        // Random bytes: not UTF-8 almost at once.
        ["binary_garbage"] = () => RandomBytes(seed: 7, count: 200, max: 256),
        // Random 7-bit bytes: valid UTF-8 text that is nothing like a program (control characters, stray quotes, brackets).
        ["ascii_garbage"] = () => RandomBytes(seed: 11, count: 160, max: 128),
    };

    private static IEnumerable<string> CaseNames() =>
        Directory.EnumerateFiles(Folder, "*.dsk").Select(f => Path.GetFileNameWithoutExtension(f))
            .Concat(Generated.Keys)
            .Order(StringComparer.Ordinal);

    public static TheoryData<string> Cases() => new(CaseNames());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Check_prints_the_expected_diagnostics(string name)
    {
        using var temp = new TempFolder();
        string folder = Folder;
        if (Generated.TryGetValue(name, out var bytes))
        {
            temp.WriteBytes(name + ".dsk", bytes());
            folder = temp.Path;
        }

        string[] args = ["check", "--excerpts", name + ".dsk"];
        CliResult result;
        using (new CurrentFolder(folder))
        {
            result = CliRunner.Run(args);
        }

        Assert.Equal("", result.Out);
        var actual = $"$ dskc {string.Join(' ', args)}\nexit code {result.ExitCode}\n{result.Error}";
        var expectedPath = Path.Combine(Folder, name + ".txt");
        if (Update)
        {
            File.WriteAllText(expectedPath, actual);
            return;
        }
        Assert.True(File.Exists(expectedPath), $"{RepoPaths.Relative(expectedPath)} is missing; run the tests with DSK_UPDATE_GOLDEN=1 to create it");
        Assert.Equal(File.ReadAllText(expectedPath), actual);
    }

    [Fact]
    public void Every_expected_file_belongs_to_a_case()
    {
        var cases = CaseNames().ToHashSet();
        var orphans = Directory.EnumerateFiles(Folder, "*.txt").Select(Path.GetFileNameWithoutExtension).Where(n => !cases.Contains(n!)).ToList();
        Assert.Empty(orphans);
    }

    [Fact]
    public void The_three_unrelated_syntax_errors_are_all_reported_in_canonical_form()
    {
        // The "done when", independent of the golden file.
        CliResult result;
        using (new CurrentFolder(Folder))
        {
            result = CliRunner.Run("check", "three_syntax_errors.dsk");
        }
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            [
                "three_syntax_errors.dsk(3,24): error DSK0001: expected ',' or ')', found end of line",
                "three_syntax_errors.dsk(7,26): error DSK0001: expected an expression, found end of line",
                "three_syntax_errors.dsk(12,26): error DSK0001: expected ',' or ')', found 'hidden'",
            ],
            result.ErrorLines);
    }

    private static byte[] RandomBytes(int seed, int count, int max)
    {
        var random = new Random(seed);
        var bytes = new byte[count];
        for (int i = 0; i < count; i++) bytes[i] = (byte)random.Next(max);
        return bytes;
    }
}
