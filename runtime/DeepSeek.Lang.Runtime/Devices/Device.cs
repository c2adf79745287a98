using System.Runtime.InteropServices;

namespace DeepSeek.Lang.Runtime.Devices;

/// <summary>What kind of memory a device's buffers live in.</summary>
public enum DeviceKind
{
    Cpu,
    Cuda,
}

/// <summary>
/// Where tensors live. Every allocation goes through a device, so that a CUDA device can later hand
/// out device memory behind the same <see cref="Tensors.Tensor"/> type. <see cref="Cpu"/> is the only
/// device today.
/// </summary>
public abstract class Device
{
    /// <summary>The default largest tensor a device allocates: 16 GiB.</summary>
    public const long DefaultMaxTensorBytes = 16L << 30;

    /// <summary>Host memory, 64-byte aligned.</summary>
    public static Device Cpu { get; } = new CpuDevice();

    protected Device(string name, DeviceKind kind)
    {
        Name = name;
        Kind = kind;
    }

    public string Name { get; }

    public DeviceKind Kind { get; }

    /// <summary>
    /// The largest tensor, in bytes, that <see cref="Allocate"/> accepts; a larger request is a
    /// <see cref="RuntimeError"/> rather than an out-of-memory crash.
    /// </summary>
    public long MaxTensorBytes { get; set; } = DefaultMaxTensorBytes;

    /// <summary>
    /// Allocates <paramref name="bytes"/> bytes, zeroed and 64-byte aligned. Throws <see cref="RuntimeError"/>
    /// when the size is over <see cref="MaxTensorBytes"/> or the memory cannot be had.
    /// </summary>
    public abstract IntPtr Allocate(long bytes, string what);

    /// <summary>Returns a buffer from <see cref="Allocate"/>.</summary>
    public abstract void Free(IntPtr buffer);

    public override string ToString() => Name;

    /// <summary>Formats a byte count for messages: <c>1.5 GiB</c>.</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} bytes" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{v:0.##} {units[u]}");
    }
}

/// <summary>Host memory from <see cref="NativeMemory.AlignedAlloc"/>.</summary>
internal sealed class CpuDevice : Device
{
    public const int Alignment = 64;

    public CpuDevice()
        : base("cpu", DeviceKind.Cpu)
    {
    }

    public override unsafe IntPtr Allocate(long bytes, string what)
    {
        if (bytes < 0) throw new RuntimeError($"cannot allocate {what}: negative size");
        if (bytes > MaxTensorBytes)
            throw new RuntimeError($"cannot allocate {what}: it needs {FormatBytes(bytes)}, more than the limit of {FormatBytes(MaxTensorBytes)}");
        // Round up to the alignment so that vector loads at the end stay inside the buffer.
        long size = Math.Max(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);
        void* p;
        try
        {
            p = NativeMemory.AlignedAlloc((nuint)size, Alignment);
        }
        catch (OutOfMemoryException e)
        {
            throw new RuntimeError($"cannot allocate {what}: out of memory for {FormatBytes(bytes)}", e);
        }
        if (p == null) throw new RuntimeError($"cannot allocate {what}: out of memory for {FormatBytes(bytes)}");
        NativeMemory.Clear(p, (nuint)size);
        return (IntPtr)p;
    }

    public override unsafe void Free(IntPtr buffer)
    {
        if (buffer != IntPtr.Zero) NativeMemory.AlignedFree((void*)buffer);
    }
}
