using System.Text;

namespace DeepSeek.Lang.Compiler.Imports;

/// <summary>What reading one source file gave: its text, or why there is none.</summary>
public sealed class SourceFile
{
    private SourceFile(string? text, string? error, long invalidUtf8Offset, byte invalidByte, string? lossyText = null, int invalidCharIndex = -1)
    {
        Text = text;
        Error = error;
        InvalidUtf8Offset = invalidUtf8Offset;
        InvalidByte = invalidByte;
        LossyText = lossyText;
        InvalidCharIndex = invalidCharIndex;
    }

    public string? Text { get; }

    /// <summary>Why the file could not be read (not found, a directory, too large, unreadable).</summary>
    public string? Error { get; }

    /// <summary>The offset of the first byte that is not UTF-8, or -1.</summary>
    public long InvalidUtf8Offset { get; }

    public byte InvalidByte { get; }

    /// <summary>For a file that is not UTF-8: its bytes decoded with replacement characters, to show where the bad byte is.</summary>
    public string? LossyText { get; }

    /// <summary>For a file that is not UTF-8: where the first bad byte stands in <see cref="LossyText"/>.</summary>
    public int InvalidCharIndex { get; }

    public bool NotFound { get; private init; }

    public static SourceFile FromText(string text) => new(text, null, -1, 0);

    public static SourceFile Missing(string message) => new(null, message, -1, 0) { NotFound = true };

    public static SourceFile Failed(string message) => new(null, message, -1, 0);

    public static SourceFile NotUtf8(long offset, byte value) => new(null, null, offset, value);

    /// <summary>Decodes UTF-8 strictly (a byte-order mark is dropped); invalid input is reported, never replaced.</summary>
    public static SourceFile FromBytes(byte[] bytes)
    {
        int start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        int invalid = Utf8.FindInvalidByte(bytes);
        if (invalid >= 0)
        {
            int from = Math.Min(start, invalid);
            var lossy = Encoding.UTF8.GetString(bytes, from, bytes.Length - from);
            int charIndex = Encoding.UTF8.GetCharCount(bytes, from, invalid - from);
            return new SourceFile(null, null, invalid, bytes[invalid], lossy, charIndex);
        }
        return FromText(Encoding.UTF8.GetString(bytes, start, bytes.Length - start));
    }
}

/// <summary>
/// Where source files come from: the disk for the CLI, AdditionalFiles for the source generator,
/// memory for tests and the REPL. Paths are compared after <see cref="GetFullPath"/>.
/// </summary>
public interface ISourceFileSystem
{
    /// <summary>The canonical absolute form of a path (symbolic links resolved where the system has them).</summary>
    string GetFullPath(string path);

    SourceFile Read(string fullPath);
}

/// <summary>Source files on disk.</summary>
public sealed class DiskFileSystem : ISourceFileSystem
{
    /// <summary>Files larger than this are refused with a message rather than read into memory.</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    public static readonly DiskFileSystem Instance = new();

    public string GetFullPath(string path)
    {
        var full = Path.GetFullPath(path);
#if NET
        // Resolve symbolic links so that a link inside the root cannot lead outside it.
        try
        {
            var info = new FileInfo(full);
            if (info.Exists && info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                full = Path.GetFullPath(target.FullName);
            var dir = Path.GetDirectoryName(full);
            if (dir != null)
            {
                var dirInfo = new DirectoryInfo(dir);
                var real = RealDirectory(dirInfo);
                full = Path.Combine(real, Path.GetFileName(full));
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
#endif
        return full;
    }

#if NET
    private static string RealDirectory(DirectoryInfo dir)
    {
        if (dir.Parent == null) return dir.FullName;
        var parent = RealDirectory(dir.Parent);
        var joined = Path.Combine(parent, dir.Name);
        var info = new DirectoryInfo(joined);
        if (info.Exists && info.LinkTarget != null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
            return Path.GetFullPath(target.FullName);
        return joined;
    }
#endif

    public SourceFile Read(string fullPath)
    {
        try
        {
            if (Directory.Exists(fullPath)) return SourceFile.Failed("it is a directory");
            var info = new FileInfo(fullPath);
            if (!info.Exists) return SourceFile.Missing("no such file");
            if (info.Length > MaxFileBytes)
                return SourceFile.Failed($"the file is {info.Length:N0} bytes; the limit is {MaxFileBytes:N0}");
            return SourceFile.FromBytes(File.ReadAllBytes(fullPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            return SourceFile.Failed(e.Message);
        }
    }
}

/// <summary>Source files held in memory, keyed by full path (tests, the REPL, the source generator).</summary>
public sealed class MemoryFileSystem : ISourceFileSystem
{
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal);
    private readonly string _root;

    public MemoryFileSystem(string root = "/mem")
    {
        _root = root;
    }

    public MemoryFileSystem Add(string path, string text)
    {
        _files[GetFullPath(path)] = text;
        return this;
    }

    public string GetFullPath(string path) => PathText.Normalize(PathText.IsRooted(path) ? path : _root + "/" + path);

    public SourceFile Read(string fullPath) =>
        _files.TryGetValue(fullPath, out var text) ? SourceFile.FromText(text) : SourceFile.Missing("no such file");
}

/// <summary>Path arithmetic on '/'-separated text, independent of the host system.</summary>
public static class PathText
{
    public static bool IsRooted(string path) => path.StartsWith("/", StringComparison.Ordinal) || Path.IsPathRooted(path);

    /// <summary>Removes "." and resolves ".." textually; never climbs above the first segment of a relative path silently.</summary>
    public static string Normalize(string path)
    {
        var rooted = path.StartsWith("/", StringComparison.Ordinal);
        var parts = new List<string>();
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] != "..") parts.RemoveAt(parts.Count - 1);
            else if (part == ".." && rooted) continue;
            else parts.Add(part);
        }
        var joined = string.Join("/", parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>The folder part of a '/'-separated path ("" for a bare file name).</summary>
    public static string Directory(string path)
    {
        var p = path.Replace('\\', '/');
        int slash = p.LastIndexOf('/');
        return slash < 0 ? "" : slash == 0 ? "/" : p.Substring(0, slash);
    }

    public static string Combine(string directory, string relative) =>
        directory.Length == 0 ? relative : directory.EndsWith("/", StringComparison.Ordinal) ? directory + relative : directory + "/" + relative;

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies inside it.</summary>
    public static bool IsUnder(string path, string folder)
    {
        var f = folder.Replace('\\', '/').TrimEnd('/');
        var p = path.Replace('\\', '/');
        return p == f || p.StartsWith(f + "/", StringComparison.Ordinal) || f.Length == 0;
    }
}

internal static class Utf8
{
    /// <summary>The index of the first byte that does not belong to well-formed UTF-8, or -1.</summary>
    public static int FindInvalidByte(byte[] b)
    {
        int i = 0;
        while (i < b.Length)
        {
            byte c = b[i];
            if (c < 0x80) { i++; continue; }
            int need;
            int min;
            if ((c & 0xE0) == 0xC0) { need = 1; min = 0x80; }
            else if ((c & 0xF0) == 0xE0) { need = 2; min = 0x800; }
            else if ((c & 0xF8) == 0xF0) { need = 3; min = 0x10000; }
            else return i;
            if (i + need >= b.Length) return i;
            int cp = c & (0x3F >> need);
            for (int k = 1; k <= need; k++)
            {
                byte n = b[i + k];
                if ((n & 0xC0) != 0x80) return i;
                cp = (cp << 6) | (n & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
            i += need + 1;
        }
        return -1;
    }
}
