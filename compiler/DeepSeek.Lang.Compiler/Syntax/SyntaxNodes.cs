using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Syntax;

// The abstract syntax tree. Nodes are immutable records with the span they cover; the ANTLR parse
// tree never leaves AstBuilder. Comments and blank lines ride along as Trivia so that `dskc fmt` can
// keep them. Record equality compares lists by reference; compare trees with SyntaxDump.

/// <summary>An identifier with the span it was written at.</summary>
public readonly record struct Identifier(string Text, TextSpan Span)
{
    public override string ToString() => Text;
}

/// <summary>A <c>//</c> or <c>/* */</c> comment, verbatim.</summary>
public sealed record Comment(string Text, bool BlankLineBefore, TextSpan Span);

/// <summary>Comments and layout around a declaration or statement.</summary>
public sealed record Trivia(ImmutableArray<Comment> Leading, Comment? Trailing, bool BlankLineBefore)
{
    public static readonly Trivia None = new(ImmutableArray<Comment>.Empty, null, false);
}

public abstract record SyntaxNode(TextSpan Span);

// ------------------------------------------------------------------ file and declarations

/// <summary>A parsed file: its items in source order, and comments after the last one.</summary>
public sealed record CompilationUnit(ImmutableArray<DeclarationSyntax> Items, ImmutableArray<Comment> EndComments, TextSpan Span)
    : SyntaxNode(Span);

/// <summary>Anything that stands on its own line at file or module level.</summary>
public abstract record DeclarationSyntax(Trivia Trivia, TextSpan Span) : SyntaxNode(Span);

/// <summary><c>import "path.dsk"</c></summary>
public sealed record ImportDeclaration(StringLiteral Path, Trivia Trivia, TextSpan Span) : DeclarationSyntax(Trivia, Span);

/// <summary><c>const name[: type] = value</c>, at file level or in a module.</summary>
public sealed record ConstDeclaration(Identifier Name, TypeSyntax? Type, ExpressionSyntax Value, Trivia Trivia, TextSpan Span)
    : DeclarationSyntax(Trivia, Span);

/// <summary><c>module Name(params) { members }</c></summary>
public sealed record ModuleDeclaration(
    Identifier Name,
    ImmutableArray<ParameterSyntax> Parameters,
    MemberBlock Body,
    Trivia Trivia,
    TextSpan Span) : DeclarationSyntax(Trivia, Span);

/// <summary>Members between braces and the comments before the closing brace.</summary>
public sealed record MemberBlock(ImmutableArray<DeclarationSyntax> Members, ImmutableArray<Comment> ClosingComments, TextSpan Span)
    : SyntaxNode(Span);

/// <summary><c>model Name = Module(args)</c></summary>
public sealed record ModelDeclaration(Identifier Name, ExpressionSyntax Value, Trivia Trivia, TextSpan Span)
    : DeclarationSyntax(Trivia, Span);

/// <summary><c>plan Name for Model { entries }</c></summary>
public sealed record PlanDeclaration(Identifier Name, Identifier Model, PlanBlock Body, Trivia Trivia, TextSpan Span)
    : DeclarationSyntax(Trivia, Span);

public sealed record PlanBlock(ImmutableArray<PlanEntrySyntax> Entries, ImmutableArray<Comment> ClosingComments, TextSpan Span)
    : SyntaxNode(Span);

public abstract record PlanEntrySyntax(Identifier Key, Trivia Trivia, TextSpan Span) : SyntaxNode(Span);

/// <summary><c>key: value</c> in a plan.</summary>
public sealed record PlanValueEntry(Identifier Key, ExpressionSyntax Value, Trivia Trivia, TextSpan Span)
    : PlanEntrySyntax(Key, Trivia, Span);

/// <summary><c>key { entries }</c> in a plan.</summary>
public sealed record PlanBlockEntry(Identifier Key, PlanBlock Body, Trivia Trivia, TextSpan Span)
    : PlanEntrySyntax(Key, Trivia, Span);

/// <summary><c>name = Module(args)</c> or <c>name = Module(args)[count]</c>.</summary>
public sealed record SubmoduleDeclaration(
    Identifier Name,
    Identifier Module,
    ImmutableArray<ArgumentSyntax> Arguments,
    ExpressionSyntax? Count,
    Trivia Trivia,
    TextSpan Span) : DeclarationSyntax(Trivia, Span);

public enum TensorKind
{
    Param,
    Buffer,
}

/// <summary><c>param name: type = init</c> or <c>buffer name: type = init</c>.</summary>
public sealed record TensorDeclaration(TensorKind Kind, Identifier Name, TypeSyntax Type, ExpressionSyntax? Init, Trivia Trivia, TextSpan Span)
    : DeclarationSyntax(Trivia, Span);

/// <summary><c>forward(params) -> type { body }</c></summary>
public sealed record ForwardDeclaration(
    ImmutableArray<ParameterSyntax> Parameters,
    TypeSyntax? ReturnType,
    BlockSyntax Body,
    Trivia Trivia,
    TextSpan Span) : DeclarationSyntax(Trivia, Span)
{
    /// <summary>The span of the <c>forward</c> keyword, where diagnostics about the signature point.</summary>
    public TextSpan KeywordSpan => new(Span.Start, 7);
}

/// <summary>Members declared only when a compile-time condition holds: <c>if cond { members } else { members }</c>.</summary>
public sealed record MemberIfDeclaration(
    ExpressionSyntax Condition,
    MemberBlock Then,
    MemberIfDeclaration? ElseIf,
    MemberBlock? Else,
    Trivia Trivia,
    TextSpan Span) : DeclarationSyntax(Trivia, Span);

/// <summary>A module or forward parameter: <c>name: type [= default]</c>.</summary>
public sealed record ParameterSyntax(Identifier Name, TypeSyntax Type, ExpressionSyntax? Default, TextSpan Span) : SyntaxNode(Span);

// ------------------------------------------------------------------ types

public abstract record TypeSyntax(TextSpan Span) : SyntaxNode(Span);

/// <summary>A type written as a bare name: <c>int</c>, <c>float</c>, <c>bool</c>, <c>string</c>.</summary>
public sealed record NamedTypeSyntax(Identifier Name, TextSpan Span) : TypeSyntax(Span);

/// <summary><c>f32[B, T, d]</c>; an empty dimension list is a scalar tensor.</summary>
public sealed record TensorTypeSyntax(Identifier DType, ImmutableArray<DimensionSyntax> Dimensions, TextSpan Span) : TypeSyntax(Span);

/// <summary><c>(f32[N, d], f32[])</c></summary>
public sealed record TupleTypeSyntax(ImmutableArray<TypeSyntax> Elements, TextSpan Span) : TypeSyntax(Span);

public abstract record DimensionSyntax(TextSpan Span) : SyntaxNode(Span);

/// <summary>A dimension given by an integer expression: <c>d / heads</c>, <c>T + 1</c>, <c>B</c>.</summary>
public sealed record ExpressionDimension(ExpressionSyntax Expression, TextSpan Span) : DimensionSyntax(Span);

/// <summary>A variadic pack <c>*S</c> standing for zero or more leading dimensions.</summary>
public sealed record PackDimension(Identifier Name, TextSpan Span) : DimensionSyntax(Span);

// ------------------------------------------------------------------ statements

public sealed record BlockSyntax(ImmutableArray<StatementSyntax> Statements, ImmutableArray<Comment> ClosingComments, TextSpan Span)
    : SyntaxNode(Span);

public abstract record StatementSyntax(Trivia Trivia, TextSpan Span) : SyntaxNode(Span);

/// <summary><c>let x = e</c> or <c>let (a, b) = e</c>.</summary>
public sealed record LetStatement(ImmutableArray<Identifier> Targets, bool IsTuple, ExpressionSyntax Value, Trivia Trivia, TextSpan Span)
    : StatementSyntax(Trivia, Span);

/// <summary><c>x = e</c> or <c>(a, b) = e</c>: re-binding an existing name.</summary>
public sealed record AssignStatement(ImmutableArray<Identifier> Targets, bool IsTuple, ExpressionSyntax Value, Trivia Trivia, TextSpan Span)
    : StatementSyntax(Trivia, Span);

/// <summary><c>for v in start..end { }</c> (a range, when <see cref="RangeEnd"/> is set) or <c>for v in items { }</c>.</summary>
public sealed record ForStatement(Identifier Variable, ExpressionSyntax Source, ExpressionSyntax? RangeEnd, BlockSyntax Body, Trivia Trivia, TextSpan Span)
    : StatementSyntax(Trivia, Span);

/// <summary><c>if c { } else if c2 { } else { }</c></summary>
public sealed record IfStatement(ExpressionSyntax Condition, BlockSyntax Then, IfStatement? ElseIf, BlockSyntax? Else, Trivia Trivia, TextSpan Span)
    : StatementSyntax(Trivia, Span);

/// <summary><c>assert cond, "message"</c></summary>
public sealed record AssertStatement(ExpressionSyntax Condition, ExpressionSyntax? Message, Trivia Trivia, TextSpan Span)
    : StatementSyntax(Trivia, Span);

public sealed record ReturnStatement(ExpressionSyntax Value, Trivia Trivia, TextSpan Span) : StatementSyntax(Trivia, Span);

public sealed record ExpressionStatement(ExpressionSyntax Expression, Trivia Trivia, TextSpan Span) : StatementSyntax(Trivia, Span);

// ------------------------------------------------------------------ expressions

public abstract record ExpressionSyntax(TextSpan Span) : SyntaxNode(Span);

public sealed record NameExpression(Identifier Name, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>An integer literal; <see cref="Text"/> keeps the digits as written (<c>1_000_000</c>).</summary>
public sealed record IntegerLiteral(long Value, string Text, TextSpan Span) : ExpressionSyntax(Span);

public sealed record FloatLiteral(double Value, string Text, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>A string literal: <see cref="Value"/> unescaped, <see cref="Text"/> as written with its quotes.</summary>
public sealed record StringLiteral(string Value, string Text, TextSpan Span) : ExpressionSyntax(Span);

public sealed record BoolLiteral(bool Value, TextSpan Span) : ExpressionSyntax(Span);

/// <summary><c>None</c>: a new axis in an index, or "no value" for an optional argument.</summary>
public sealed record NoneLiteral(TextSpan Span) : ExpressionSyntax(Span);

public enum UnaryOperator
{
    Negate,
    Plus,
    Not,
}

public sealed record UnaryExpression(UnaryOperator Operator, ExpressionSyntax Operand, TextSpan Span) : ExpressionSyntax(Span);

public enum BinaryOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    MatMul,
    Power,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
}

public sealed record BinaryExpression(ExpressionSyntax Left, BinaryOperator Operator, ExpressionSyntax Right, TextSpan Span)
    : ExpressionSyntax(Span);

/// <summary><c>f(a, name: b)</c>; the callee may be any expression (<c>blocks[i](x)</c>, <c>x.reshape(...)</c>).</summary>
public sealed record CallExpression(ExpressionSyntax Callee, ImmutableArray<ArgumentSyntax> Arguments, TextSpan Span)
    : ExpressionSyntax(Span);

/// <summary>A positional (<see cref="Name"/> null) or named argument.</summary>
public sealed record ArgumentSyntax(Identifier? Name, ExpressionSyntax Value, TextSpan Span) : SyntaxNode(Span);

/// <summary><c>x.name</c></summary>
public sealed record MemberExpression(ExpressionSyntax Target, Identifier Member, TextSpan Span) : ExpressionSyntax(Span);

/// <summary><c>x[i, a:b, ..., None]</c></summary>
public sealed record IndexExpression(ExpressionSyntax Target, ImmutableArray<IndexItemSyntax> Items, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>A tuple <c>(a, b)</c>; also the empty tuple <c>()</c>.</summary>
public sealed record TupleExpression(ImmutableArray<ExpressionSyntax> Elements, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>A list <c>[a, b]</c>, such as a shape argument.</summary>
public sealed record ListExpression(ImmutableArray<ExpressionSyntax> Elements, TextSpan Span) : ExpressionSyntax(Span);

/// <summary>Stands in for an expression that failed to parse, so later stages can go on.</summary>
public sealed record ErrorExpression(TextSpan Span) : ExpressionSyntax(Span);

public abstract record IndexItemSyntax(TextSpan Span) : SyntaxNode(Span);

public sealed record ExpressionIndex(ExpressionSyntax Expression, TextSpan Span) : IndexItemSyntax(Span);

/// <summary><c>start:stop:step</c>, each part optional.</summary>
public sealed record SliceIndex(ExpressionSyntax? Start, ExpressionSyntax? Stop, ExpressionSyntax? Step, TextSpan Span) : IndexItemSyntax(Span);

public sealed record EllipsisIndex(TextSpan Span) : IndexItemSyntax(Span);
