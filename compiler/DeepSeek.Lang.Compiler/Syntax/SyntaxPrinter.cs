using System.Collections.Immutable;
using System.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// The canonical formatting of a file (<c>dskc fmt</c>): two-space indentation, one declaration or
/// statement a line, single spaces around binary operators, parentheses only where precedence needs
/// them, comments and single blank lines kept. A line over <see cref="MaxWidth"/> columns whose value
/// is a call puts one argument on each line. Printing is a pure function of the AST, so formatting
/// is idempotent.
/// </summary>
public sealed class SyntaxPrinter
{
    public const int MaxWidth = 100;
    private const string IndentUnit = "  ";

    private readonly StringBuilder _out = new();
    private int _indent;

    private SyntaxPrinter()
    {
    }

    public static string Print(CompilationUnit unit)
    {
        var p = new SyntaxPrinter();
        p.WriteDeclarations(unit.Items);
        p.WriteComments(unit.EndComments, first: unit.Items.Length == 0);
        return p._out.ToString();
    }

    /// <summary>Prints one expression in canonical form (used by diagnostics and the REPL too).</summary>
    public static string Print(ExpressionSyntax expression) => ExpressionText(expression, 0);

    public static string Print(TypeSyntax type) => TypeText(type);

    // ------------------------------------------------------------------ declarations

    private void WriteDeclarations(ImmutableArray<DeclarationSyntax> declarations)
    {
        foreach (var d in declarations) WriteDeclaration(d);
    }

    private void WriteDeclaration(DeclarationSyntax declaration)
    {
        var trivia = declaration.Trivia;
        WriteLeading(trivia);
        switch (declaration)
        {
            case ImportDeclaration i:
                Line($"import {i.Path.Text}", trivia);
                break;
            case ConstDeclaration c:
                WriteValueLine($"const {c.Name.Text}{(c.Type != null ? ": " + TypeText(c.Type) : "")} = ", c.Value, trivia);
                break;
            case ModelDeclaration m:
                WriteValueLine($"model {m.Name.Text} = ", m.Value, trivia);
                break;
            case ModuleDeclaration m:
                {
                    var empty = m.Body.Members.IsEmpty && m.Body.ClosingComments.IsEmpty;
                    var header = $"module {m.Name.Text}({ParametersText(m.Parameters)})";
                    // A long parameter list puts one parameter on each line, as a long call does.
                    if (Width(header + " {") <= MaxWidth || m.Parameters.Length < 2) OpenBlock(header, trivia, empty);
                    else
                    {
                        RawLine($"module {m.Name.Text}(");
                        _indent++;
                        foreach (var p in m.Parameters) RawLine(ParameterText(p) + ",");
                        _indent--;
                        OpenBlock(")", trivia, empty);
                    }
                    WriteMemberBlockBody(m.Body, trivia);
                    break;
                }
            case SubmoduleDeclaration s:
                {
                    var head = $"{s.Name.Text} = {s.Module.Text}";
                    var tail = s.Count != null ? $"[{ExpressionText(s.Count, 0)}]" : "";
                    var oneLine = $"{head}({ArgumentsText(s.Arguments)}){tail}";
                    if (Width(oneLine) <= MaxWidth || s.Arguments.Length < 2) Line(oneLine, trivia);
                    else WriteWrappedCall(head, s.Arguments, tail, trivia);
                    break;
                }
            case TensorDeclaration t:
                {
                    var kw = t.Kind == TensorKind.Param ? "param" : "buffer";
                    var head = $"{kw} {t.Name.Text}: {TypeText(t.Type)}";
                    if (t.Init == null) Line(head, trivia);
                    else WriteValueLine(head + " = ", t.Init, trivia);
                    break;
                }
            case ForwardDeclaration f:
                {
                    var ret = f.ReturnType != null ? " -> " + TypeText(f.ReturnType) : "";
                    OpenBlock($"forward({ParametersText(f.Parameters)}){ret}", trivia, IsEmpty(f.Body));
                    WriteBlockBody(f.Body, trivia);
                    break;
                }
            case MemberIfDeclaration mi:
                WriteMemberIf(mi, trivia);
                break;
            case PlanDeclaration p:
                OpenBlock($"plan {p.Name.Text} for {p.Model.Text}", trivia, p.Body.Entries.IsEmpty && p.Body.ClosingComments.IsEmpty);
                WritePlanBlockBody(p.Body, p.Trivia);
                break;
        }
    }

    private void WriteMemberIf(MemberIfDeclaration memberIf, Trivia trivia)
    {
        // The chain prints as one unit: "if c {" ... "} else if c2 {" ... "} else {" ... "}".
        OpenBlock($"if {ExpressionText(memberIf.Condition, 0)}", trivia, false);
        var current = memberIf;
        while (true)
        {
            WriteMembersIndented(current.Then);
            if (current.ElseIf != null)
            {
                RawLine($"}} else if {ExpressionText(current.ElseIf.Condition, 0)} {{");
                current = current.ElseIf;
                continue;
            }
            if (current.Else != null)
            {
                RawLine("} else {");
                WriteMembersIndented(current.Else);
            }
            Line("}", trivia);
            return;
        }
    }

    private void WriteMembersIndented(MemberBlock block)
    {
        _indent++;
        WriteDeclarations(block.Members);
        WriteComments(block.ClosingComments, block.Members.IsEmpty);
        _indent--;
    }

    private void WriteMemberBlockBody(MemberBlock body, Trivia trivia)
    {
        if (body.Members.IsEmpty && body.ClosingComments.IsEmpty) return;
        WriteMembersIndented(body);
        Line("}", trivia);
    }

    private void WritePlanBlockBody(PlanBlock body, Trivia trivia)
    {
        if (body.Entries.IsEmpty && body.ClosingComments.IsEmpty) return;
        _indent++;
        foreach (var e in body.Entries) WritePlanEntry(e);
        WriteComments(body.ClosingComments, body.Entries.IsEmpty);
        _indent--;
        Line("}", trivia);
    }

    private void WritePlanEntry(PlanEntrySyntax entry)
    {
        WriteLeading(entry.Trivia);
        switch (entry)
        {
            case PlanValueEntry v:
                Line($"{v.Key.Text}: {ExpressionText(v.Value, 0)}", v.Trivia);
                break;
            case PlanBlockEntry b when IsInlinePlanBlock(b.Body):
                {
                    var inner = string.Join(", ", b.Body.Entries.Cast<PlanValueEntry>().Select(v => $"{v.Key.Text}: {ExpressionText(v.Value, 0)}"));
                    Line(inner.Length == 0 ? $"{b.Key.Text} {{}}" : $"{b.Key.Text} {{ {inner} }}", b.Trivia);
                    break;
                }
            case PlanBlockEntry b:
                OpenBlock(b.Key.Text, b.Trivia, b.Body.Entries.IsEmpty && b.Body.ClosingComments.IsEmpty);
                WritePlanBlockBody(b.Body, b.Trivia);
                break;
        }
    }

    /// <summary>A nested plan block of plain values with no comments prints on one line: <c>batch { global: 1024, micro: 2 }</c>.</summary>
    private static bool IsInlinePlanBlock(PlanBlock block) =>
        block.ClosingComments.IsEmpty &&
        block.Entries.All(e => e is PlanValueEntry && e.Trivia.Leading.IsEmpty && e.Trivia.Trailing == null) &&
        block.Entries.Sum(e => ((PlanValueEntry)e).Key.Text.Length + 16) < MaxWidth;

    // ------------------------------------------------------------------ statements

    private void WriteBlockBody(BlockSyntax block, Trivia trivia)
    {
        if (IsEmpty(block)) return;
        WriteStatementsIndented(block);
        Line("}", trivia);
    }

    private void WriteStatementsIndented(BlockSyntax block)
    {
        _indent++;
        foreach (var s in block.Statements) WriteStatement(s);
        WriteComments(block.ClosingComments, block.Statements.IsEmpty);
        _indent--;
    }

    private static bool IsEmpty(BlockSyntax block) => block.Statements.IsEmpty && block.ClosingComments.IsEmpty;

    private void WriteStatement(StatementSyntax statement)
    {
        var trivia = statement.Trivia;
        WriteLeading(trivia);
        switch (statement)
        {
            case LetStatement l:
                WriteValueLine($"let {TargetsText(l.Targets, l.IsTuple)} = ", l.Value, trivia);
                break;
            case AssignStatement a:
                WriteValueLine($"{TargetsText(a.Targets, a.IsTuple)} = ", a.Value, trivia);
                break;
            case ReturnStatement r:
                WriteValueLine("return ", r.Value, trivia);
                break;
            case ExpressionStatement e:
                WriteValueLine("", e.Expression, trivia);
                break;
            case AssertStatement a:
                Line(a.Message == null
                    ? $"assert {ExpressionText(a.Condition, 0)}"
                    : $"assert {ExpressionText(a.Condition, 0)}, {ExpressionText(a.Message, 0)}", trivia);
                break;
            case ForStatement f:
                {
                    var source = f.RangeEnd == null
                        ? ExpressionText(f.Source, 0)
                        : $"{ExpressionText(f.Source, Precedence.Additive)}..{ExpressionText(f.RangeEnd, Precedence.Additive)}";
                    OpenBlock($"for {f.Variable.Text} in {source}", trivia, IsEmpty(f.Body));
                    WriteBlockBody(f.Body, trivia);
                    break;
                }
            case IfStatement i:
                WriteIf(i, trivia);
                break;
        }
    }

    private void WriteIf(IfStatement statement, Trivia trivia)
    {
        OpenBlock($"if {ExpressionText(statement.Condition, 0)}", trivia, false);
        var current = statement;
        while (true)
        {
            WriteStatementsIndented(current.Then);
            if (current.ElseIf != null)
            {
                RawLine($"}} else if {ExpressionText(current.ElseIf.Condition, 0)} {{");
                current = current.ElseIf;
                continue;
            }
            if (current.Else != null)
            {
                RawLine("} else {");
                WriteStatementsIndented(current.Else);
            }
            Line("}", trivia);
            return;
        }
    }

    // ------------------------------------------------------------------ lines

    /// <summary>Writes <c>prefix + value</c>, wrapping the value's arguments when it is a long call.</summary>
    private void WriteValueLine(string prefix, ExpressionSyntax value, Trivia trivia)
    {
        var oneLine = prefix + ExpressionText(value, 0);
        if (Width(oneLine) <= MaxWidth || value is not CallExpression { Arguments.Length: >= 2 } call)
        {
            Line(oneLine, trivia);
            return;
        }
        WriteWrappedCall(prefix + ExpressionText(call.Callee, Precedence.Postfix), call.Arguments, "", trivia);
    }

    private void WriteWrappedCall(string head, ImmutableArray<ArgumentSyntax> arguments, string tail, Trivia trivia)
    {
        RawLine(head + "(");
        _indent++;
        foreach (var a in arguments) RawLine(ArgumentText(a) + ",");
        _indent--;
        Line(")" + tail, trivia);
    }

    /// <summary>Opens a braced body; the trailing comment goes after the closing brace (or after "{}" when empty).</summary>
    private void OpenBlock(string header, Trivia trivia, bool empty)
    {
        if (empty) Line(header + " {}", trivia);
        else RawLine(header + " {");
    }

    private void WriteLeading(Trivia trivia)
    {
        if (trivia.Leading.IsEmpty)
        {
            if (trivia.BlankLineBefore) BlankLine();
            return;
        }
        WriteComments(trivia.Leading, first: false);
        if (trivia.BlankLineBefore) BlankLine();
    }

    private void WriteComments(ImmutableArray<Comment> comments, bool first)
    {
        foreach (var c in comments)
        {
            if (c.BlankLineBefore && !(first && ReferenceEquals(c, comments[0]))) BlankLine();
            RawLine(c.Text);
        }
    }

    private void Line(string text, Trivia trivia)
    {
        if (trivia.Trailing != null) RawLine(text + " " + trivia.Trailing.Text);
        else RawLine(text);
    }

    private void RawLine(string text)
    {
        for (int i = 0; i < _indent; i++) _out.Append(IndentUnit);
        _out.Append(text).Append('\n');
    }

    private void BlankLine()
    {
        // Never two blank lines in a row, and none at the top of the file.
        if (_out.Length == 0) return;
        if (_out.Length >= 2 && _out[_out.Length - 1] == '\n' && _out[_out.Length - 2] == '\n') return;
        _out.Append('\n');
    }

    private int Width(string line) => line.Length + _indent * IndentUnit.Length;

    // ------------------------------------------------------------------ pieces

    private static string ParametersText(ImmutableArray<ParameterSyntax> parameters) =>
        string.Join(", ", parameters.Select(ParameterText));

    private static string ParameterText(ParameterSyntax p) =>
        $"{p.Name.Text}: {TypeText(p.Type)}{(p.Default != null ? " = " + ExpressionText(p.Default, 0) : "")}";

    private static string TargetsText(ImmutableArray<Identifier> targets, bool isTuple)
    {
        if (!isTuple) return targets[0].Text;
        return targets.Length == 1 ? $"({targets[0].Text},)" : "(" + string.Join(", ", targets.Select(t => t.Text)) + ")";
    }

    private static string TypeText(TypeSyntax type) => type switch
    {
        NamedTypeSyntax n => n.Name.Text,
        TensorTypeSyntax t => $"{t.DType.Text}[{string.Join(", ", t.Dimensions.Select(DimensionText))}]",
        TupleTypeSyntax tt => tt.Elements.Length == 1
            ? $"({TypeText(tt.Elements[0])},)"
            : "(" + string.Join(", ", tt.Elements.Select(TypeText)) + ")",
        _ => "<error>",
    };

    private static string DimensionText(DimensionSyntax d) => d switch
    {
        PackDimension p => "*" + p.Name.Text,
        ExpressionDimension e => ExpressionText(e.Expression, 0),
        _ => "<error>",
    };

    private static string ArgumentsText(ImmutableArray<ArgumentSyntax> arguments) => string.Join(", ", arguments.Select(ArgumentText));

    private static string ArgumentText(ArgumentSyntax a) =>
        a.Name is { } n ? $"{n.Text}: {ExpressionText(a.Value, 0)}" : ExpressionText(a.Value, 0);

    // ------------------------------------------------------------------ expressions

    /// <summary>Binding strength, loosest first; mirrors the grammar's expression rule.</summary>
    internal static class Precedence
    {
        public const int Or = 1;
        public const int And = 2;
        public const int Not = 3;
        public const int Comparison = 4;
        public const int Additive = 5;
        public const int Multiplicative = 6;
        public const int Unary = 7;
        public const int Power = 8;
        public const int Postfix = 9;
        public const int Primary = 10;
    }

    internal static int PrecedenceOf(ExpressionSyntax e) => e switch
    {
        BinaryExpression b => PrecedenceOf(b.Operator),
        UnaryExpression { Operator: UnaryOperator.Not } => Precedence.Not,
        UnaryExpression => Precedence.Unary,
        CallExpression or IndexExpression or MemberExpression => Precedence.Postfix,
        _ => Precedence.Primary,
    };

    internal static int PrecedenceOf(BinaryOperator op) => op switch
    {
        BinaryOperator.Or => Precedence.Or,
        BinaryOperator.And => Precedence.And,
        BinaryOperator.Equal or BinaryOperator.NotEqual or BinaryOperator.Less or BinaryOperator.LessOrEqual
            or BinaryOperator.Greater or BinaryOperator.GreaterOrEqual => Precedence.Comparison,
        BinaryOperator.Add or BinaryOperator.Subtract => Precedence.Additive,
        BinaryOperator.Power => Precedence.Power,
        _ => Precedence.Multiplicative,
    };

    public static string OperatorText(BinaryOperator op) => op switch
    {
        BinaryOperator.Add => "+",
        BinaryOperator.Subtract => "-",
        BinaryOperator.Multiply => "*",
        BinaryOperator.Divide => "/",
        BinaryOperator.Modulo => "%",
        BinaryOperator.MatMul => "@",
        BinaryOperator.Power => "**",
        BinaryOperator.Equal => "==",
        BinaryOperator.NotEqual => "!=",
        BinaryOperator.Less => "<",
        BinaryOperator.LessOrEqual => "<=",
        BinaryOperator.Greater => ">",
        BinaryOperator.GreaterOrEqual => ">=",
        BinaryOperator.And => "and",
        BinaryOperator.Or => "or",
        _ => "?",
    };

    /// <summary>Prints <paramref name="e"/>, in parentheses when it binds looser than <paramref name="min"/>.</summary>
    private static string ExpressionText(ExpressionSyntax e, int min)
    {
        var text = ExpressionCore(e);
        return PrecedenceOf(e) < min ? "(" + text + ")" : text;
    }

    private static string ExpressionCore(ExpressionSyntax e)
    {
        switch (e)
        {
            case NameExpression n: return n.Name.Text;
            case IntegerLiteral i: return i.Text;
            case FloatLiteral f: return f.Text;
            case StringLiteral s: return s.Text;
            case BoolLiteral b: return b.Value ? "true" : "false";
            case NoneLiteral: return "None";
            case UnaryExpression u:
                {
                    if (u.Operator == UnaryOperator.Not) return "not " + ExpressionText(u.Operand, Precedence.Not);
                    var operand = ExpressionText(u.Operand, Precedence.Unary);
                    var sign = u.Operator == UnaryOperator.Negate ? "-" : "+";
                    // "- -x" rather than "--x", which reads as a typo; not "-(-x)", which would add a level
                    // of brackets for each sign and could pass the nesting limit the source kept to.
                    return operand.StartsWith("-", StringComparison.Ordinal) || operand.StartsWith("+", StringComparison.Ordinal)
                        ? $"{sign} {operand}"
                        : sign + operand;
                }
            case BinaryExpression b:
                {
                    int p = PrecedenceOf(b.Operator);
                    bool rightAssoc = b.Operator == BinaryOperator.Power;
                    // ** binds its right operand at unary strength (2 ** -1); its left needs more than **.
                    var left = ExpressionText(b.Left, rightAssoc ? p + 1 : p);
                    var right = ExpressionText(b.Right, rightAssoc ? Precedence.Unary : p + 1);
                    return $"{left} {OperatorText(b.Operator)} {right}";
                }
            case CallExpression c:
                return $"{ExpressionText(c.Callee, Precedence.Postfix)}({ArgumentsText(c.Arguments)})";
            case MemberExpression m:
                return $"{ExpressionText(m.Target, Precedence.Postfix)}.{m.Member.Text}";
            case IndexExpression ix:
                return $"{ExpressionText(ix.Target, Precedence.Postfix)}[{string.Join(", ", ix.Items.Select(IndexItemText))}]";
            case TupleExpression t:
                return t.Elements.Length == 1
                    ? $"({ExpressionText(t.Elements[0], 0)},)"
                    : "(" + string.Join(", ", t.Elements.Select(x => ExpressionText(x, 0))) + ")";
            case ListExpression l:
                return "[" + string.Join(", ", l.Elements.Select(x => ExpressionText(x, 0))) + "]";
            default:
                return "<error>";
        }
    }

    private static string IndexItemText(IndexItemSyntax item) => item switch
    {
        EllipsisIndex => "...",
        ExpressionIndex e => ExpressionText(e.Expression, 0),
        SliceIndex s => (s.Start != null ? ExpressionText(s.Start, 0) : "") + ":" +
                        (s.Stop != null ? ExpressionText(s.Stop, 0) : "") +
                        (s.Step != null ? ":" + ExpressionText(s.Step, 0) : ""),
        _ => "<error>",
    };
}
