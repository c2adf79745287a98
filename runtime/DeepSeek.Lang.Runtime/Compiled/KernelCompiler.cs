using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DeepSeek.Lang.Runtime.Compiled;

/// <summary>
/// Compiles generated C# kernels with Roslyn, in process, and caches the assemblies on disk by the
/// hash of their source (and of the runtime they call), so the second run of a model compiles
/// nothing. The cache folder is <c>$DSK_KERNEL_CACHE</c>, else <c>~/.cache/deepseek-lang/kernels</c>.
/// </summary>
public static class KernelCompiler
{
    private static readonly ConcurrentDictionary<string, Assembly> Loaded = new(StringComparer.Ordinal);
    private static readonly Lazy<MetadataReference[]> References = new(CreateReferences);
    private static readonly object Gate = new();

    public static string CacheDirectory { get; set; } =
        Environment.GetEnvironmentVariable("DSK_KERNEL_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "deepseek-lang", "kernels");

    /// <summary>How many kernel assemblies this process compiled (and did not find in the cache).</summary>
    public static int Compilations { get; private set; }

    /// <summary>The assembly for <paramref name="source"/>: from this process, the disk cache, or a fresh compile.</summary>
    public static Assembly Load(string source)
    {
        var hash = Hash(source);
        if (Loaded.TryGetValue(hash, out var assembly)) return assembly;
        lock (Gate)
        {
            if (Loaded.TryGetValue(hash, out assembly)) return assembly;
            var path = Path.Combine(CacheDirectory, hash + ".dll");
            byte[]? image = TryRead(path);
            if (image == null)
            {
                image = Compile(source, "DskKernels_" + hash.Substring(0, 16));
                Compilations++;
                TryWrite(path, image);
            }
            assembly = AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image));
            Loaded[hash] = assembly;
            return assembly;
        }
    }

    private static byte[] Compile(string source, string assemblyName)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest));
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true, concurrentBuild: true, deterministic: true);
        var compilation = CSharpCompilation.Create(assemblyName, new[] { tree }, References.Value, options);
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).Select(d => d.ToString());
            var dump = Path.Combine(Path.GetTempPath(), assemblyName + ".cs");
            File.WriteAllText(dump, source);
            throw new InvalidOperationException($"internal compiler error DSK9999: generated kernels do not compile (source in {dump}):\n  " + string.Join("\n  ", errors));
        }
        return stream.ToArray();
    }

    private static MetadataReference[] CreateReferences()
    {
        var paths = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "netstandard.dll" or "mscorlib.dll"))
            .ToList();
        paths.Add(typeof(KernelCompiler).Assembly.Location);
        return paths.Distinct().Where(File.Exists).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }

    /// <summary>The source and the runtime assembly's identity (kernels call into it) together decide the cache key.</summary>
    private static string Hash(string source)
    {
        var runtime = typeof(KernelCompiler).Assembly.ManifestModule.ModuleVersionId.ToString();
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(runtime + "\n" + source));
        return Convert.ToHexString(bytes).ToLowerInvariant();
    }

    private static byte[]? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string path, byte[] image)
    {
        // A cache that cannot be written only costs a recompile next time.
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Environment.ProcessId + ".tmp";
            File.WriteAllBytes(temp, image);
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
