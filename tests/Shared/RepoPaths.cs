using System.Reflection;

namespace DeepSeek.Lang.Tests;

/// <summary>
/// Where the repository's files are (examples, grammar, golden files), for tests. The root comes from
/// the assembly metadata <c>RepoRoot</c> that tests/Directory.Build.props writes at build time, so
/// tests read the files in the source tree, not copies in bin/.
/// </summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Examples => Combine("examples");

    /// <summary>Every .dsk file under a folder of the repository, sorted, skipping build outputs.</summary>
    public static IReadOnlyList<string> DskFiles(string folder)
    {
        var root = Path.IsPathRooted(folder) ? folder : Combine(folder);
        return Directory.EnumerateFiles(root, "*.dsk", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules" or ".git"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>A path relative to the repository root with '/' separators, for test names and messages.</summary>
    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        var value = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (string.IsNullOrEmpty(value) || !File.Exists(Path.Combine(value, "DeepSeek.Lang.sln")))
            throw new InvalidOperationException($"the RepoRoot assembly metadata ('{value}') does not name the repository (see tests/Directory.Build.props)");
        return value;
    }
}

/// <summary>A fresh folder under the system's temporary folder, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dsk-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes a file (creating folders) and returns its full path.</summary>
    public string Write(string relativePath, string text)
    {
        var full = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public string WriteBytes(string relativePath, byte[] bytes)
    {
        var full = Combine(relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    public string Combine(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
