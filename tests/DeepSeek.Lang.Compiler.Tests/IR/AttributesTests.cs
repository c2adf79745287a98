using DeepSeek.Lang.Compiler.IR;

namespace DeepSeek.Lang.Compiler.Tests.IR;

public class AttributesTests
{
    [Fact]
    public void Of_sorts_by_name_and_keeps_the_last_value_of_a_name_given_twice()
    {
        var a = Attributes.Of(("shape", 3L), ("axis", 1L), ("value", 2.5), ("axis", 2L), ("dtype", "x"));
        var b = Attributes.Empty.With("shape", 3L).With("axis", 1L).With("value", 2.5).With("axis", 2L).With("dtype", "x");
        Assert.Equal("{axis=2, dtype=\"x\", shape=3, value=2.5}", a.ToString());
        Assert.Equal(b, a);
        Assert.Equal(b.GetHashCode(), a.GetHashCode());
        Assert.Same(Attributes.Empty, Attributes.Of());
        Assert.Throws<ArgumentException>(() => Attributes.Of(("bad", new object())));
    }
}
