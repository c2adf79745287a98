using System.Globalization;
using System.Text;
using DeepSeek.Lang.Compiler.Shapes;

namespace DeepSeek.Lang.Compiler.KernelIR;

/// <summary>The kernel IR as text, for reading and for tests.</summary>
public static class KernelPrinter
{
    public static string Print(Kernel kernel)
    {
        var sb = new StringBuilder();
        sb.Append("kernel ").Append(kernel.Name).Append('(');
        sb.Append(string.Join(", ", kernel.Buffers.Select(b => $"{(b.Role == BufferRole.Output ? "out " : "")}{b.Name}: {b.DType.Name()}[{string.Join(", ", b.Shape)}]")));
        if (kernel.Dims.Length > 0) sb.Append("; ").Append(string.Join(", ", kernel.Dims));
        sb.Append(") {  // ").Append(kernel.Description).Append('\n');
        foreach (var s in kernel.Body) Write(sb, s, 1);
        return sb.Append("}\n").ToString();
    }

    private static void Write(StringBuilder sb, KStmt s, int depth)
    {
        sb.Append(' ', depth * 2);
        switch (s)
        {
            case KFor f:
                sb.Append(f.Kind switch { LoopKind.Parallel => "parallel ", LoopKind.Vector => "vector ", _ => "" })
                  .Append("for ").Append(f.Variable).Append(" in 0..").Append(f.Extent).Append(" {\n");
                foreach (var b in f.Body) Write(sb, b, depth + 1);
                sb.Append(' ', depth * 2).Append("}\n");
                break;
            case KLet l:
                sb.Append("let ").Append(l.Name).Append(" = ").Append(Expr(l.Value)).Append('\n');
                break;
            case KAccumulator a:
                sb.Append("var ").Append(a.Name).Append(": ").Append(a.Type.Name()).Append(" = ").Append(Expr(a.Init)).Append('\n');
                break;
            case KAccumulate a:
                sb.Append(a.Name).Append(' ').Append(a.Op.ToString().ToLowerInvariant()).Append("= ").Append(Expr(a.Value)).Append('\n');
                break;
            case KStore st:
                sb.Append(st.Buffer.Name).Append('[').Append(st.Index).Append("] = ").Append(Expr(st.Value)).Append('\n');
                break;
        }
    }

    public static string Expr(KExpr e) => e switch
    {
        KConst c => c.Value.ToString("R", CultureInfo.InvariantCulture),
        KRef r => r.Name,
        KDim d => "<" + d.Value + ">",
        KLoad l => $"{l.Buffer.Name}[{l.Index}]",
        KIndexValue i => $"({i.Index})",
        KUnary u => $"{u.Op}({Expr(u.Operand)})",
        KBinary b => $"{b.Op}({Expr(b.Left)}, {Expr(b.Right)})",
        KSelect s => $"select({Expr(s.Condition)}, {Expr(s.IfTrue)}, {Expr(s.IfFalse)})",
        KCast c => $"{c.DType.Name()}({Expr(c.Operand)})",
        _ => "?",
    };
}
