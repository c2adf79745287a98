using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Cli.Tests.Repl;

/// <summary>
/// Scripted sessions with golden transcripts. Each Golden/repl/NAME.repl is fed to <c>dskc repl</c> as its
/// standard input (in process, from the repository's root, so <c>:load examples/...</c> works);
/// Golden/repl/NAME.txt holds the command, the exit code and the transcript: stdout and stderr as one
/// stream, each input line after its prompt, as a person would see the session on a terminal.
///
/// After an intended change of the output, run the tests with DSK_UPDATE_GOLDEN=1 in the environment:
/// they rewrite the .txt files from the actual output (and pass); review the diff before committing.
/// </summary>
[Collection(WorkingDirectoryCollection.Name)]
public sealed class ReplGoldenTests
{
    private static readonly string Folder = RepoPaths.Combine("tests", "DeepSeek.Lang.Cli.Tests", "Golden", "repl");

    private static bool Update => Environment.GetEnvironmentVariable("DSK_UPDATE_GOLDEN") == "1";

    private static IEnumerable<string> CaseNames() =>
        Directory.EnumerateFiles(Folder, "*.repl").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal);

    public static TheoryData<string> Cases() => new(CaseNames());

    /// <summary>Runs a session on <paramref name="input"/> from the repository's root; the transcript and exit code.</summary>
    public static (int ExitCode, string Transcript) Session(string input, params string[] arguments)
    {
        var transcript = new StringWriter { NewLine = "\n" };
        int exit;
        using (new CurrentFolder(RepoPaths.Root))
        {
            exit = Cli.Run(["repl", .. arguments], new CliConsole(transcript, transcript, input: new StringReader(input)));
        }
        return (exit, transcript.ToString());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_scripted_session_prints_the_expected_transcript(string name)
    {
        var (exit, transcript) = Session(File.ReadAllText(Path.Combine(Folder, name + ".repl")));
        var actual = $"$ dskc repl < {name}.repl\nexit code {exit}\n{transcript}";
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
    public void The_done_when_session_loads_asks_counts_runs_and_recovers()
    {
        // The "done when", independent of the golden file's exact numbers.
        var (exit, transcript) = Session(File.ReadAllText(Path.Combine(Folder, "done_when.repl")));
        Assert.Equal(0, exit);
        Assert.Contains("loaded examples/fraud_gcn.dsk", transcript);
        Assert.Contains("dsk> :type relu(x @ x.T)\nf32[5, 5]\n", transcript);
        Assert.Contains("  total                                         33,538\n", transcript);
        Assert.Contains("error DSK1001: unknown name 'edegs'; did you mean 'edges'?", transcript);
        Assert.Contains("dsk> let h = gcn(x, edges)\nh: f32[5, 4]\n", transcript);
        Assert.Contains("dsk> h.shape\n(int, int) = (5, 4)\n", transcript);
    }
}
