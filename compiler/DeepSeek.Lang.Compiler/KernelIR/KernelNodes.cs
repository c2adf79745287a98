using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.KernelIR;

// The kernel IR: loops over index spaces, loads, stores and reductions, with bounds that may be
// symbolic dimensions. One kernel IR, several printers: C# for the CPU now, CUDA C next. Nodes are
// immutable records; a kernel reads and writes whole buffers, contiguous and row-major.

public enum BufferRole
{
    Input,
    Output,
}

/// <summary>A buffer a kernel reads or writes: contiguous, row-major, of the given dtype and shape.</summary>
public sealed record KernelBuffer(string Name, DType DType, ImmutableArray<Dim> Shape, BufferRole Role)
{
    public Dim ElementCount => Shape.Aggregate(Dim.One, (a, d) => a * d);
}

/// <summary>
/// An element offset: the sum of loop variables times strides, plus a constant offset. Views
/// (transpose, broadcast, slice, reshape of contiguous data) are strides, so loads need no copies.
/// </summary>
public sealed record KIndex(ImmutableArray<KIndexTerm> Terms, Dim Offset)
{
    public static readonly KIndex Zero = new(ImmutableArray<KIndexTerm>.Empty, Dim.Zero);

    /// <summary>The stride of a loop variable (zero when it does not appear).</summary>
    public Dim StrideOf(string variable)
    {
        foreach (var t in Terms)
            if (t.Variable == variable) return t.Stride;
        return Dim.Zero;
    }

    public override string ToString()
    {
        var parts = Terms.Where(t => !t.Stride.IsZero).Select(t => t.Stride.Equals(Dim.One) ? t.Variable : $"{t.Variable}*{Paren(t.Stride)}").ToList();
        if (!Offset.IsZero || parts.Count == 0) parts.Add(Offset.ToString());
        return string.Join(" + ", parts);
    }

    private static string Paren(Dim d) => d.IsConstant || d.IsVariable(out _) ? d.ToString() : $"({d})";
}

public sealed record KIndexTerm(string Variable, Dim Stride);

// ------------------------------------------------------------------ expressions

public abstract record KExpr(DType DType);

public sealed record KConst(double Value, DType Type) : KExpr(Type);

/// <summary>A loop variable (i64) or a named scalar (let, accumulator).</summary>
public sealed record KRef(string Name, DType Type) : KExpr(Type);

/// <summary>The value of a symbolic dimension at run time, as a scalar of the given dtype.</summary>
public sealed record KDim(Dim Value, DType Type) : KExpr(Type);

public sealed record KLoad(KernelBuffer Buffer, KIndex Index) : KExpr(Buffer.DType);

/// <summary>The value of an index expression (i64), e.g. for arange.</summary>
public sealed record KIndexValue(KIndex Index) : KExpr(DType.I64);

/// <summary>Elementwise functions: exp, log, sqrt, rsqrt, tanh, sigmoid, relu, gelu, gelu_tanh, silu, erf, abs, sin, cos, neg, not.</summary>
public sealed record KUnary(string Op, KExpr Operand) : KExpr(Operand.DType);

/// <summary>add, sub, mul, div, mod, pow, max, min (same dtype), and comparisons eq…ge, and, or (bool results).</summary>
public sealed record KBinary(string Op, KExpr Left, KExpr Right, DType Type) : KExpr(Type);

public sealed record KSelect(KExpr Condition, KExpr IfTrue, KExpr IfFalse) : KExpr(IfTrue.DType);

public sealed record KCast(KExpr Operand, DType Type) : KExpr(Type);

// ------------------------------------------------------------------ statements

public abstract record KStmt;

public enum LoopKind
{
    Serial,

    /// <summary>Iterations are independent: the printer may spread them over threads.</summary>
    Parallel,

    /// <summary>Innermost, with unit or zero strides: the printer may use SIMD.</summary>
    Vector,
}

public sealed record KFor(string Variable, Dim Extent, LoopKind Kind, ImmutableArray<KStmt> Body) : KStmt;

/// <summary>An immutable scalar.</summary>
public sealed record KLet(string Name, KExpr Value) : KStmt;

public enum ReduceOp
{
    Sum,
    Max,
    Min,
}

/// <summary>Declares an accumulator with its initial value.</summary>
public sealed record KAccumulator(string Name, DType Type, ReduceOp Op, KExpr Init) : KStmt;

/// <summary>acc = acc (op) value, inside a loop; a Vector loop may keep per-lane partials.</summary>
public sealed record KAccumulate(string Name, ReduceOp Op, KExpr Value) : KStmt;

public sealed record KStore(KernelBuffer Buffer, KIndex Index, KExpr Value) : KStmt;

/// <summary>
/// A kernel: its buffers (inputs then outputs), the symbolic dimensions it takes at run time,
/// and its body. <see cref="Description"/> names the graph ops it computes.
/// </summary>
public sealed record Kernel(string Name, ImmutableArray<KernelBuffer> Buffers, ImmutableArray<string> Dims, ImmutableArray<KStmt> Body, string Description);

/// <summary>A kernel and the graph values bound to its buffers, in buffer order.</summary>
public sealed record LoweredKernel(Kernel Kernel, ImmutableArray<IR.Value> Bindings);
