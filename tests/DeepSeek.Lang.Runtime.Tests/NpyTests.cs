using System.Diagnostics;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Runtime.IO;
using DeepSeek.Lang.Runtime.Tensors;
using static DeepSeek.Lang.Runtime.Tests.TestUtil;

namespace DeepSeek.Lang.Runtime.Tests;

/// <summary>Python 3 with NumPy at /usr/bin/python3, found once.</summary>
internal static class NumPy
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<bool> Present = new(() =>
    {
        try
        {
            return File.Exists(Python) && RunPython("import numpy").ExitCode == 0;
        }
        catch (Exception)
        {
            return false;
        }
    });

    public static bool Available => Present.Value;

    public static (int ExitCode, string Output) RunPython(string script)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-");
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(script);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}

/// <summary>A fact that is skipped, saying why, when /usr/bin/python3 has no numpy.</summary>
public sealed class NumPyFactAttribute : FactAttribute
{
    public NumPyFactAttribute()
    {
        if (!NumPy.Available) Skip = "needs /usr/bin/python3 with numpy (apt-get install python3-numpy); not found";
    }
}

public class NpyTests
{
    private static Tensor Sample(DType dt, params long[] shape)
    {
        var t = Tensor.Zeros(dt, shape);
        for (long i = 0; i < t.ElementCount; i++) t.Set(i, dt == DType.Bool ? i % 3 : (i % 2 == 0 ? i * 1.5 : -i));
        return t;
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F64)]
    [InlineData(DType.F16)]
    [InlineData(DType.I8)]
    [InlineData(DType.I32)]
    [InlineData(DType.I64)]
    [InlineData(DType.Bool)]
    public void RoundTrips(DType dtype)
    {
        var dir = TempDir("npy");
        foreach (var shape in new[] { new long[] { 2, 3, 4 }, new long[] { 5 }, Array.Empty<long>(), new long[] { 0, 3 } })
        {
            using var t = Sample(dtype, shape);
            var path = Path.Combine(dir, "a.npy");
            Npy.Write(path, t);
            var bytes = File.ReadAllBytes(path);
            int headerLength = bytes[8] | (bytes[9] << 8);
            Assert.Equal(0, (10 + headerLength) % 64);
            Assert.Equal((byte)'\n', bytes[10 + headerLength - 1]);
            using var back = Npy.Read(path);
            Assert.Equal(t.DType, back.DType);
            Assert.Equal(t.Shape.ToArray(), back.Shape.ToArray());
            Assert.True(t.AsBytes().SequenceEqual(back.AsBytes()));
        }
        Directory.Delete(dir, true);
    }

    private static byte[] Handmade(int major, string header, byte[] data)
    {
        var h = Encoding.ASCII.GetBytes(header);
        using var ms = new MemoryStream();
        ms.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 });
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)h.Length));
        else ms.Write(BitConverter.GetBytes((uint)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    [Fact]
    public void ReadsVersions2And3()
    {
        var data = BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(-8L)).ToArray();
        foreach (var major in new[] { 2, 3 })
        {
            using var t = Npy.Read(new MemoryStream(Handmade(major, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", data)), "mem.npy");
            Assert.Equal(new long[] { 7, -8 }, t.ToArray<long>());
        }
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", "big-endian")]
    [InlineData("{'descr': '<u2', 'fortran_order': False, 'shape': (8,), }", "does not read")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", "needs 36")]
    [InlineData("{'descr': '<f4', 'shape': (4,), }", "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4,", "header")]
    public void BadFilesAreClearErrors(string header, string expected)
    {
        var e = Assert.Throws<RuntimeError>(() => Npy.Read(new MemoryStream(Handmade(1, header + "\n", new byte[16])), "x.npy"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("x.npy", e.Message);
    }

    [Fact]
    public void NotAnNpyFile()
    {
        Assert.Contains("not a .npy file", Assert.Throws<RuntimeError>(() => Npy.Read(new MemoryStream(Encoding.ASCII.GetBytes("hello world")), "h.npy")).Message);
        using var bf = Tensor.Zeros(DType.BF16, 2);
        Assert.Contains("bf16", Assert.Throws<RuntimeError>(() => Npy.Write(new MemoryStream(), bf)).Message);
    }

    [NumPyFact]
    public void NumPyReadsOurFiles()
    {
        var dir = TempDir("npy-py");
        var checks = new StringBuilder("import numpy as np\n");
        foreach (var dt in new[] { DType.F32, DType.F64, DType.I32, DType.I64, DType.Bool, DType.F16, DType.I8 })
        {
            using var t = Sample(dt, 2, 3);
            var path = Path.Combine(dir, dt.Name() + ".npy");
            Npy.Write(path, t);
            var values = string.Join(", ", t.ToDoubleArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            checks.Append($"a = np.load('{path}')\nassert a.shape == (2, 3), a.shape\nassert a.dtype == np.dtype('{Npy.Descr(dt)}'), a.dtype\n");
            checks.Append($"assert (a.astype(np.float64).ravel() == np.array([{values}])).all(), a\n");
        }
        checks.Append("print('ok')\n");
        var (code, output) = NumPy.RunPython(checks.ToString());
        Assert.True(code == 0, output);
        Directory.Delete(dir, true);
    }

    [NumPyFact]
    public void WeReadNumPysFiles()
    {
        var dir = TempDir("npy-np");
        var (code, output) = NumPy.RunPython($"""
            import numpy as np
            np.save('{dir}/f32.npy', np.arange(12, dtype=np.float32).reshape(3, 4) / 4)
            np.save('{dir}/i64.npy', np.array([[1, -2], [3, 2**40]], dtype=np.int64))
            np.save('{dir}/b.npy', np.array([True, False, True]))
            np.save('{dir}/s.npy', np.float64(2.5))
            np.save('{dir}/t.npy', np.arange(6, dtype=np.int32).reshape(2, 3).T)
            np.save('{dir}/f.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
            with open('{dir}/v2.npy', 'wb') as f:
                np.lib.format.write_array(f, np.arange(3, dtype=np.float64), version=(2, 0))
            """);
        Assert.True(code == 0, output);
        using (var t = Npy.Read(Path.Combine(dir, "f32.npy")))
        {
            Assert.Equal(new long[] { 3, 4 }, t.Shape.ToArray());
            Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 4f), t.ToArray<float>());
        }
        using (var t = Npy.Read(Path.Combine(dir, "i64.npy"))) Assert.Equal(new long[] { 1, -2, 3, 1L << 40 }, t.ToArray<long>());
        using (var t = Npy.Read(Path.Combine(dir, "b.npy"))) Assert.Equal(new[] { true, false, true }, t.ToArray<bool>());
        using (var t = Npy.Read(Path.Combine(dir, "s.npy")))
        {
            Assert.Empty(t.Shape);
            Assert.Equal(2.5, t.ToArray<double>()[0]);
        }
        // A transposed array is saved in Fortran order: an error that says so.
        Assert.Contains("Fortran", Assert.Throws<RuntimeError>(() => Npy.Read(Path.Combine(dir, "t.npy"))).Message);
        Assert.Contains("Fortran", Assert.Throws<RuntimeError>(() => Npy.Read(Path.Combine(dir, "f.npy"))).Message);
        using (var t = Npy.Read(Path.Combine(dir, "v2.npy"))) Assert.Equal(new double[] { 0, 1, 2 }, t.ToArray<double>());
        Directory.Delete(dir, true);
    }
}
