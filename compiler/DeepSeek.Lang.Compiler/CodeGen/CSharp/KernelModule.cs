using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Fusion;
using DeepSeek.Lang.Compiler.KernelIR;

namespace DeepSeek.Lang.Compiler.CodeGen.CSharp;

/// <summary>A fused kernel group and the kernel lowered from it.</summary>
public sealed record GeneratedKernel(KernelGroup Group, LoweredKernel Lowered)
{
    public Kernel Kernel => Lowered.Kernel;
}

/// <summary>
/// The generated C# kernels of a fusion plan: each pointwise or reduction group that writes a value is
/// lowered to the kernel IR (named <c>k</c> and the group's id) and printed as one method of a static
/// class. The compiled engine runs exactly these kernels, and <c>dskc compile --emit csharp</c> writes
/// them, so what a user reads is what runs. The other groups (matrix products, attention, gathers)
/// are library kernels of the runtime.
/// </summary>
public sealed class KernelModule
{
    /// <summary>The class the kernels are methods of, in namespace <c>DeepSeek.Lang.Generated</c>.</summary>
    public const string ClassName = "Kernels";

    private KernelModule(FusionPlan fusion, ImmutableArray<GeneratedKernel> kernels, string source)
    {
        Fusion = fusion;
        Kernels = kernels;
        Source = source;
    }

    public FusionPlan Fusion { get; }

    /// <summary>The generated kernels, in the plan's group order.</summary>
    public ImmutableArray<GeneratedKernel> Kernels { get; }

    /// <summary>The compilation unit: <see cref="CSharpKernelPrinter.PrintModule"/> of the kernels.</summary>
    public string Source { get; }

    /// <summary>True for the groups that become generated kernels (the others are library calls, aliases or constants).</summary>
    public static bool IsGenerated(KernelGroup group) => KernelLowering.CanLower(group) && group.Outputs.Length > 0;

    /// <summary>
    /// Lowers and prints the kernels of <paramref name="fusion"/>. Dims the graph leaves symbolic become
    /// the kernels' <c>dims</c> parameters. Throws <see cref="NotSupportedException"/> for a dtype the
    /// printer has no C# type for.
    /// </summary>
    public static KernelModule Create(FusionPlan fusion)
    {
        var kernels = fusion.Groups.Where(IsGenerated)
            .Select(g => new GeneratedKernel(g, KernelLowering.Lower(fusion, g, "k" + g.Id)))
            .ToImmutableArray();
        var source = CSharpKernelPrinter.PrintModule(ClassName, kernels.Select(k => k.Kernel), fusion.Graph.Name);
        return new KernelModule(fusion, kernels, source);
    }
}
