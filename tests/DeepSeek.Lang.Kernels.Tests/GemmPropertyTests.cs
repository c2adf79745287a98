using CsCheck;
using DeepSeek.Lang.Runtime.Kernels.Cpu;

namespace DeepSeek.Lang.Kernels.Tests;

/// <summary>Random small problems (every option at once) against the reference.</summary>
public class GemmPropertyTests
{
    [Fact]
    public void Random_small_products_match_the_reference()
    {
        var gen =
            from shape in Gen.Select(Gen.Int[1, 70], Gen.Int[1, 70], Gen.Int[1, 90])
            from trans in Gen.Select(Gen.Bool, Gen.Bool)
            from pads in Gen.Int[0, 4].Array[3]
            from ab in Gen.Select(Gen.OneOfConst(1f, 0.5f, -2f), Gen.OneOfConst(0f, 1f, -0.5f))
            from epilogue in Gen.Select(Gen.Enum<Activation>(), Gen.Enum<BiasKind>(), Gen.Int[0, 2])
            from batch in Gen.Select(Gen.Int[1, 3], Gen.Bool, Gen.Bool)
            from path in Gen.Int[0, 2]
            from parts in Gen.Int[0, 4]
            select new GemmCase(shape.Item1, shape.Item2, shape.Item3)
            {
                TransA = trans.Item1, TransB = trans.Item2,
                PadA = pads[0], PadB = pads[1], PadC = pads[2],
                Alpha = ab.Item1, Beta = ab.Item2,
                Act = epilogue.Item1, Bias = epilogue.Item2, Residual = epilogue.Item3 > 0, ResidualBefore = epilogue.Item3 == 2,
                Batch = batch.Item1, BroadcastB = batch.Item2, PackedB = batch.Item3,
                Path = GemmTests.ToPath(GemmTests.PathNames[path]) ?? GemmPath.Scalar,
                Parts = parts,
            };
        gen.Sample(c => c.Run() <= GemmCase.Tolerance, iter: 300);
    }
}
