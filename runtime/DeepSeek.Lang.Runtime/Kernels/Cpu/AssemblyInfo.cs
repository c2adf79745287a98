using System.Runtime.CompilerServices;

// The kernel tests force each code path (GemmOptions.ForcePath) and check the internals.
[assembly: InternalsVisibleTo("DeepSeek.Lang.Kernels.Tests")]
[assembly: InternalsVisibleTo("GemmBench")]
