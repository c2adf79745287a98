using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;

namespace DeepSeek.Lang.Compiler.Shapes;

/// <summary>An immutable list of dimensions with structural equality.</summary>
public sealed class Shape : IEquatable<Shape>
{
    public static readonly Shape Scalar = new(ImmutableArray<Dim>.Empty);

    private int _hash;

    public Shape(ImmutableArray<Dim> dims)
    {
        Dims = dims.IsDefault ? ImmutableArray<Dim>.Empty : dims;
    }

    public Shape(params Dim[] dims) : this(ImmutableArray.Create(dims))
    {
    }

    public static Shape Of(params long[] dims) => new(dims.Select(Dim.Const).ToImmutableArray());

    public ImmutableArray<Dim> Dims { get; }

    public int Rank => Dims.Length;

    public Dim this[int axis] => Dims[axis];

    private Dim? _elementCount;

    /// <summary>The product of all dimensions (1 for a scalar); computed once.</summary>
    public Dim ElementCount
    {
        get
        {
            if (_elementCount != null) return _elementCount;
            var n = Dim.One;
            foreach (var d in Dims) n *= d;
            return _elementCount = n;
        }
    }

    public bool IsConcrete => Dims.All(d => d.IsConstant);

    public long[] ToConcrete() => Dims.Select(d => d.ConstantValue ?? throw new InvalidOperationException($"dimension {d} is symbolic")).ToArray();

    public Shape With(int axis, Dim dim) => new(Dims.SetItem(axis, dim));

    /// <summary>The shape with <paramref name="binding"/>'s values put in; this shape itself when no dimension changes.</summary>
    public Shape Substitute(Func<string, Dim?> binding)
    {
        Dim[]? dims = null;
        for (int i = 0; i < Dims.Length; i++)
        {
            var d = Dims[i].Substitute(binding);
            if (dims == null)
            {
                if (ReferenceEquals(d, Dims[i])) continue;
                dims = new Dim[Dims.Length];
                for (int j = 0; j < i; j++) dims[j] = Dims[j];
            }
            dims[i] = d;
        }
        return dims == null ? this : new Shape(ImmutableCollectionsMarshal.AsImmutableArray(dims));
    }

    public bool Equals(Shape? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Dims.Length != other.Dims.Length) return false;
        for (int i = 0; i < Dims.Length; i++)
            if (!Dims[i].Equals(other.Dims[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as Shape);

    public override int GetHashCode()
    {
        if (_hash != 0) return _hash;
        int h = 17;
        foreach (var d in Dims) h = unchecked(h * 31 + d.GetHashCode());
        return _hash = h == 0 ? 1 : h;
    }

    public override string ToString()
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < Dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(Dims[i]);
        }
        return sb.Append(']').ToString();
    }
}

/// <summary>A tensor type: a dtype and a shape, printed as in .dsk (<c>f32[B, T, 512]</c>).</summary>
public sealed class TensorType : IEquatable<TensorType>
{
    public TensorType(DType dtype, Shape shape)
    {
        DType = dtype;
        Shape = shape;
    }

    public TensorType(DType dtype, params Dim[] dims) : this(dtype, new Shape(dims))
    {
    }

    public static TensorType Scalar(DType dtype) => new(dtype, Shape.Scalar);

    public DType DType { get; }

    public Shape Shape { get; }

    public int Rank => Shape.Rank;

    public TensorType WithDType(DType dtype) => dtype == DType ? this : new TensorType(dtype, Shape);

    public TensorType WithShape(Shape shape) => new(DType, shape);

    public bool Equals(TensorType? other) => other is not null && DType == other.DType && Shape.Equals(other.Shape);

    public override bool Equals(object? obj) => Equals(obj as TensorType);

    public override int GetHashCode() => unchecked((int)DType * 397 ^ Shape.GetHashCode());

    public override string ToString() => DType.Name() + Shape;
}
