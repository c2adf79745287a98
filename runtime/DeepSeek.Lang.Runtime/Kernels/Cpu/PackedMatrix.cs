using System.Runtime.InteropServices;

namespace DeepSeek.Lang.Runtime.Kernels.Cpu;

/// <summary>
/// The B operand of <see cref="Gemm"/> packed once into the micro-kernel's layout (for a constant
/// weight), so products with it skip packing B. Holds K×N rounded up to whole micro-panels, in native
/// 64-byte aligned memory released by <see cref="Dispose"/> (or the finalizer).
/// </summary>
public sealed unsafe class PackedMatrix : IDisposable
{
    private float* _data;

    internal PackedMatrix(int k, int n, int nPad, GemmPath path)
    {
        K = k;
        N = n;
        NPad = nPad;
        Path = path;
        _data = (float*)NativeMemory.AlignedAlloc((nuint)((long)k * nPad + 64) * sizeof(float), 64);
    }

    /// <summary>Rows of op(B): the inner dimension of the product.</summary>
    public int K { get; }

    /// <summary>Columns of op(B): the columns of the product.</summary>
    public int N { get; }

    /// <summary>Bytes of packed storage.</summary>
    public long SizeInBytes => (long)K * NPad * sizeof(float);

    internal int NPad { get; }

    internal GemmPath Path { get; }

    internal float* Data => _data != null ? _data : throw new ObjectDisposedException(nameof(PackedMatrix));

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~PackedMatrix() => Free();

    private void Free()
    {
        NativeMemory.AlignedFree(_data);
        _data = null;
    }
}
