using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.IR;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Compiler.Elaboration;

// Indexing and slicing with NumPy's rules: x[0], x[:, 1:5], x[::2], x[..., None], x[index_tensor].
internal sealed partial class Tracer
{
    private Val EvalIndex(IndexExpression ix, Scope scope)
    {
        var target = Eval(ix.Target, scope);
        switch (target)
        {
            case ErrorVal:
                return target;
            case TensorVal t:
                return IndexTensor(t, ix, scope);
            case ModuleArrayVal array:
                {
                    if (ix.Items.Length != 1 || ix.Items[0] is not ExpressionIndex e)
                        return Error(DiagnosticDescriptors.InvalidSyntax, ix, "a module array takes one index: experts[i]");
                    var index = Eval(e.Expression, scope);
                    if (index is ErrorVal) return index;
                    if (index is not IntVal { Value: var i })
                        return Error(DiagnosticDescriptors.ValueKindMismatch, e, $"a module array index must be a compile-time int, got {index.Describe()}");
                    if (array.IsSymbolic || !i.IsConstant)
                        return array.Items.Length > 0 ? new ModuleVal(array.Items[0]) : ErrorVal.Instance;
                    long k = i.ConstantValue!.Value;
                    long n = array.Items.Length;
                    if (k < -n || k >= n)
                        return Error(DiagnosticDescriptors.AxisOutOfRange, e, $"index {k} is out of range for {array.Path}, which has {n} modules");
                    return new ModuleVal(array.Items[(int)(k < 0 ? k + n : k)]);
                }
            case TupleVal or ListVal:
                {
                    var items = Items(target);
                    if (ix.Items.Length != 1 || ix.Items[0] is not ExpressionIndex e)
                        return Error(DiagnosticDescriptors.InvalidSyntax, ix, "a tuple takes one index");
                    var index = Eval(e.Expression, scope);
                    if (index is ErrorVal) return index;
                    if (index is not IntVal { Value: var i } || !i.IsConstant)
                        return Error(DiagnosticDescriptors.ValueKindMismatch, e, $"a tuple index must be a constant int, got {index.Describe()}");
                    long k = i.ConstantValue!.Value;
                    if (k < -items.Length || k >= items.Length)
                        return Error(DiagnosticDescriptors.AxisOutOfRange, e, $"index {k} is out of range for a tuple of {items.Length}");
                    return items[(int)(k < 0 ? k + items.Length : k)];
                }
            default:
                return Error(DiagnosticDescriptors.ValueKindMismatch, ix.Target, $"cannot index {target.Describe()}");
        }
    }

    private enum ItemKind
    {
        Int,
        Slice,
        NewAxis,
        Tensor,
    }

    private sealed record IndexItem(ItemKind Kind, Dim Start, Dim Stop, long Step, TensorVal? Tensor, SyntaxNode At);

    private Val IndexTensor(TensorVal t, IndexExpression ix, Scope scope)
    {
        var shape = t.Type.Shape;
        int consumed = ix.Items.Count(i => i is not EllipsisIndex && !(i is ExpressionIndex { Expression: NoneLiteral }));
        if (ix.Items.Count(i => i is EllipsisIndex) > 1)
            return Error(DiagnosticDescriptors.InvalidSyntax, ix, "an index may contain at most one '...'");
        if (consumed > shape.Rank)
            return Error(DiagnosticDescriptors.RankMismatch, ix, $"too many indices for {t.Type}: {consumed} given, rank {shape.Rank}");

        // Resolve each item against the axis it consumes; '...' stands for the axes no item names.
        var items = new List<IndexItem>();
        int axis = 0;
        foreach (var item in ix.Items)
        {
            switch (item)
            {
                case EllipsisIndex:
                    for (int k = 0; k < shape.Rank - consumed; k++, axis++)
                        items.Add(new IndexItem(ItemKind.Slice, Dim.Zero, shape[axis], 1, null, item));
                    break;
                case ExpressionIndex { Expression: NoneLiteral }:
                    items.Add(new IndexItem(ItemKind.NewAxis, Dim.Zero, Dim.Zero, 1, null, item));
                    break;
                case ExpressionIndex e:
                    {
                        var value = Eval(e.Expression, scope);
                        if (value is ErrorVal) return value;
                        if (value is TensorVal index)
                        {
                            if (!index.Type.DType.IsInteger())
                                return Error(DiagnosticDescriptors.IndexNotInteger, e, index.Type.DType == DType.Bool
                                    ? $"indexing with a bool mask {index.Type} would give a shape that depends on the data; use where(mask, x, 0) instead"
                                    : $"an index tensor must be an integer tensor, got {index.Type}");
                            items.Add(new IndexItem(ItemKind.Tensor, Dim.Zero, Dim.Zero, 1, index, item));
                            axis++;
                            break;
                        }
                        if (value is not IntVal { Value: var i })
                            return Error(DiagnosticDescriptors.ValueKindMismatch, e, $"an index must be an int, a slice, '...', None or an integer tensor; got {value.Describe()}");
                        var size = shape[axis];
                        if (i.IsConstant && size.IsConstant && (i.ConstantValue >= size.ConstantValue || i.ConstantValue < -size.ConstantValue))
                            return Error(DiagnosticDescriptors.AxisOutOfRange, e, $"index {i} is out of range for dimension {axis} of {t.Type} (size {size})");
                        var start = i.IsConstant && i.ConstantValue < 0 ? size + i : i;
                        items.Add(new IndexItem(ItemKind.Int, start, start + Dim.One, 1, null, item));
                        axis++;
                        break;
                    }
                case SliceIndex s:
                    {
                        var size = shape[axis];
                        long step = 1;
                        if (s.Step != null)
                        {
                            var sv = Eval(s.Step, scope);
                            if (sv is not IntVal { Value: var st } || !st.IsConstant || st.ConstantValue <= 0)
                                return sv is ErrorVal ? sv : Error(DiagnosticDescriptors.InvalidArgumentValue, s.Step, $"a slice step must be a positive constant, got {sv.Describe()}");
                            step = st.ConstantValue!.Value;
                        }
                        var start = s.Start == null ? Dim.Zero : SliceBound(s.Start, size, scope);
                        var stop = s.Stop == null ? size : SliceBound(s.Stop, size, scope);
                        if (start == null || stop == null) return ErrorVal.Instance;
                        var length = stop - start;
                        if (length.IsConstant && length.ConstantValue <= 0)
                            return Error(DiagnosticDescriptors.NonPositiveDimension, s, $"slice {SyntaxPrinter.Print(ix)} of {t.Type} would be empty along dimension {axis}");
                        items.Add(new IndexItem(ItemKind.Slice, start, stop, step, null, item));
                        axis++;
                        break;
                    }
            }
        }
        for (; axis < shape.Rank; axis++) items.Add(new IndexItem(ItemKind.Slice, Dim.Zero, shape[axis], 1, null, ix));
        return ApplyIndex(t, items, ix);
    }

    /// <summary>A slice bound: negative constants count from the end; constants clamp to the size, as in Python.</summary>
    private Dim? SliceBound(ExpressionSyntax expr, Dim size, Scope scope)
    {
        var v = Eval(expr, scope);
        if (v is ErrorVal) return null;
        if (v is not IntVal { Value: var d })
        {
            Error(DiagnosticDescriptors.ValueKindMismatch, expr, $"a slice bound must be an int, got {v.Describe()}");
            return null;
        }
        if (d.IsConstant && d.ConstantValue < 0) d = size + d;
        if (d.IsConstant && size.IsConstant)
            return Dim.Const(Math.Max(0, Math.Min(d.ConstantValue!.Value, size.ConstantValue!.Value)));
        return d;
    }

    /// <summary>Emits slice, then index_select, then squeeze of int-indexed axes, then unsqueeze of new axes.</summary>
    private Val ApplyIndex(TensorVal t, List<IndexItem> items, IndexExpression at)
    {
        var value = t.Value;
        var source = items.Where(i => i.Kind != ItemKind.NewAxis).ToList();

        var axes = ImmutableArray.CreateBuilder<long>();
        var starts = ImmutableArray.CreateBuilder<Dim>();
        var stops = ImmutableArray.CreateBuilder<Dim>();
        var steps = ImmutableArray.CreateBuilder<long>();
        for (int k = 0; k < source.Count; k++)
        {
            var item = source[k];
            if (item.Kind is not (ItemKind.Int or ItemKind.Slice)) continue;
            if (item.Start.Equals(Dim.Zero) && item.Stop.Equals(t.Type.Shape[k]) && item.Step == 1) continue;
            axes.Add(k);
            starts.Add(item.Start);
            stops.Add(item.Stop);
            steps.Add(item.Step);
        }
        if (axes.Count > 0)
        {
            var sliced = Emit(Ops.Slice, at, Attributes.Of(("axes", axes.ToImmutable()), ("starts", starts.ToImmutable()), ("stops", stops.ToImmutable()), ("steps", steps.ToImmutable())), value);
            if (sliced is not TensorVal st) return sliced;
            value = st.Value;
        }

        // Tensor indices pick whole slices; a rank-r index replaces its axis by r axes.
        var layout = new List<(ItemKind Kind, int Width)>();
        int offset = 0;
        foreach (var item in source)
        {
            if (item.Kind == ItemKind.Tensor)
            {
                var picked = Emit(Ops.IndexSelect, item.At, Attributes.Of(("axis", (long)offset)), value, item.Tensor!.Value);
                if (picked is not TensorVal pt) return picked;
                value = pt.Value;
                layout.Add((ItemKind.Tensor, item.Tensor.Type.Rank));
                offset += item.Tensor.Type.Rank;
            }
            else
            {
                layout.Add((item.Kind, 1));
                offset += 1;
            }
        }

        var squeeze = new List<long>();
        offset = 0;
        foreach (var (kind, width) in layout)
        {
            if (kind == ItemKind.Int) squeeze.Add(offset);
            offset += width;
        }
        if (squeeze.Count > 0)
        {
            var squeezed = Emit(Ops.Squeeze, at, Attributes.Of(("axes", squeeze.ToImmutableArray())), value);
            if (squeezed is not TensorVal sq) return squeezed;
            value = sq.Value;
        }

        // New axes go where None stood among the items that produce axes.
        var newAxes = new List<long>();
        int position = 0;
        foreach (var item in items)
        {
            switch (item.Kind)
            {
                case ItemKind.NewAxis: newAxes.Add(position++); break;
                case ItemKind.Slice: position++; break;
                case ItemKind.Tensor: position += item.Tensor!.Type.Rank; break;
            }
        }
        if (newAxes.Count > 0)
        {
            var expanded = Emit(Ops.Unsqueeze, at, Attributes.Of(("axes", newAxes.ToImmutableArray())), value);
            if (expanded is not TensorVal ex) return expanded;
            value = ex.Value;
        }
        return new TensorVal(value);
    }
}
