using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Antlr4.Runtime;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;
using P = DeepSeek.Lang.Compiler.Syntax.Generated.DskParser;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// Turns ANTLR's parse contexts into the immutable AST. It reads only the labelled fields of the
/// contexts (the grammar labels everything it needs), so the parser runs without building a parse
/// tree. Works on contexts with errors (missing parts become <see cref="ErrorExpression"/> or empty
/// names) so that one run reports every syntax error. Comments are attached to the declaration or
/// statement they precede (or trail on its line).
/// </summary>
internal sealed class AstBuilder
{
    public const int MaxExpressionDepth = 1000;

    private static readonly Trivia BlankLine = new(ImmutableArray<Comment>.Empty, null, true);

    private readonly SourceText _source;
    private readonly DiagnosticBag _diagnostics;
    private readonly List<IToken> _comments;
    private readonly ImmutableArray<DeclarationSyntax>.Builder _items = ImmutableArray.CreateBuilder<DeclarationSyntax>();
    private readonly NameTable _names = new();
    private int _nextComment;
    private bool _firstInList;
    private int _depth;
    private bool _reportedDepth;
    private int _chainLinks;
    private bool _reportedChain;

    /// <param name="source">The file.</param>
    /// <param name="comments">The file's comments in order. The list may still grow while items are built
    /// (the streaming scanner adds to it), but it holds every comment up to the end of what is built.</param>
    /// <param name="diagnostics">Where literal and shape errors go.</param>
    public AstBuilder(SourceText source, List<IToken> comments, DiagnosticBag diagnostics)
    {
        _source = source;
        _comments = comments;
        _diagnostics = diagnostics;
    }

    // ------------------------------------------------------------------ file and declarations

    public CompilationUnit BuildFile(P.FileContext ctx)
    {
        foreach (var item in ctx._items) AddItem(item);
        return Finish();
    }

    /// <summary>
    /// Builds one top-level item. The fast path of <see cref="SyntaxTree"/> parses and builds a file
    /// one item at a time, so that the contexts of only one item are ever alive.
    /// </summary>
    public void AddItem(P.ItemContext ctx)
    {
        if (IsEmpty(ctx)) return;
        _firstInList = _items.Count == 0;
        if (BuildItem(ctx) is { } node) _items.Add(node);
    }

    /// <summary>The file: the items added so far and the comments after the last one.</summary>
    public CompilationUnit Finish()
    {
        var end = TakeComments(int.MaxValue, firstInList: _items.Count == 0);
        return new CompilationUnit(_items.ToImmutable(), end, new TextSpan(0, _source.Length));
    }

    private DeclarationSyntax? BuildItem(P.ItemContext ctx)
    {
        if (ctx.imp != null) return BuildImport(ctx.imp);
        if (ctx.cnst != null) return BuildConst(ctx.cnst);
        if (ctx.mod != null) return BuildModule(ctx.mod);
        if (ctx.mdl != null) return BuildModel(ctx.mdl);
        if (ctx.pln != null) return BuildPlan(ctx.pln);
        return null;
    }

    /// <summary>Builds declarations or statements in order, each with its comments; the first gets no blank line before it.</summary>
    private ImmutableArray<T> BuildList<TCtx, T>(IList<TCtx> contexts, Func<TCtx, T?> build)
        where TCtx : ParserRuleContext
        where T : class
    {
        var result = ImmutableArray.CreateBuilder<T>(contexts.Count);
        foreach (var c in contexts)
        {
            if (c.exception != null && IsEmpty(c)) continue;
            _firstInList = result.Count == 0;
            var node = build(c);
            if (node != null) result.Add(node);
        }
        return Done(result);
    }

    private ImportDeclaration BuildImport(P.ImportDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var path = StringLiteralOf(ctx.path, ctx);
        return new ImportDeclaration(path, End(ctx, trivia), SpanOf(ctx));
    }

    private ConstDeclaration BuildConst(P.ConstDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.name, ctx);
        var type = ctx.type != null ? BuildType(ctx.type) : null;
        var value = Expr(ctx.value, ctx);
        return new ConstDeclaration(name, type, value, End(ctx, trivia), SpanOf(ctx));
    }

    private ModuleDeclaration BuildModule(P.ModuleDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.name, ctx);
        var parameters = BuildParameters(ctx.ps);
        var body = BuildMemberBlock(ctx.body, ctx.open, ctx.close);
        return new ModuleDeclaration(name, parameters, body, End(ctx, trivia), SpanOf(ctx));
    }

    private MemberBlock BuildMemberBlock(P.MemberListContext? list, IToken? open, IToken? close)
    {
        var members = list == null ? ImmutableArray<DeclarationSyntax>.Empty : BuildList(list._members, BuildMember);
        var closing = TakeComments(EndOf(close), firstInList: members.Length == 0);
        return new MemberBlock(members, closing, BlockSpan(open, close, list));
    }

    private ImmutableArray<ParameterSyntax> BuildParameters(P.ParamListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<ParameterSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<ParameterSyntax>(ctx._ps.Count);
        foreach (var p in ctx._ps)
        {
            var name = Id(p.name, p);
            var type = p.type != null ? BuildType(p.type) : new NamedTypeSyntax(Missing(p), SpanOf(p));
            var def = p.dflt != null ? Expr(p.dflt) : null;
            result.Add(new ParameterSyntax(name, type, def, SpanOf(p)));
        }
        return Done(result);
    }

    private ModelDeclaration BuildModel(P.ModelDeclContext ctx)
    {
        var trivia = Begin(ctx);
        return new ModelDeclaration(Id(ctx.name, ctx), Expr(ctx.value, ctx), End(ctx, trivia), SpanOf(ctx));
    }

    private PlanDeclaration BuildPlan(P.PlanDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.name, ctx);
        var model = Id(ctx.model, ctx);
        var body = BuildPlanBlock(ctx.body, ctx.open, ctx.close);
        return new PlanDeclaration(name, model, body, End(ctx, trivia), SpanOf(ctx));
    }

    private PlanBlock BuildPlanBlock(P.PlanEntriesContext? ctx, IToken? open, IToken? close)
    {
        var entries = ctx == null ? ImmutableArray<PlanEntrySyntax>.Empty : BuildList(ctx._entries, BuildPlanEntry);
        var closing = TakeComments(EndOf(close), firstInList: entries.Length == 0);
        return new PlanBlock(entries, closing, BlockSpan(open, close, ctx));
    }

    private PlanEntrySyntax? BuildPlanEntry(P.PlanEntryContext ctx)
    {
        var trivia = Begin(ctx);
        var key = Id(ctx.key, ctx);
        if (ctx.open != null)
        {
            var body = BuildPlanBlock(ctx.body, ctx.open, ctx.close);
            return new PlanBlockEntry(key, body, End(ctx, trivia), SpanOf(ctx));
        }
        return new PlanValueEntry(key, Expr(ctx.value, ctx), End(ctx, trivia), SpanOf(ctx));
    }

    // ------------------------------------------------------------------ members

    private DeclarationSyntax? BuildMember(P.MemberContext ctx)
    {
        if (ctx.sub != null) return BuildSubmodule(ctx.sub);
        if (ctx.tensor != null) return BuildTensor(ctx.tensor);
        if (ctx.cnst != null) return BuildConst(ctx.cnst);
        if (ctx.fwd != null) return BuildForward(ctx.fwd);
        if (ctx.cond != null) return BuildMemberIf(ctx.cond);
        return null;
    }

    private SubmoduleDeclaration BuildSubmodule(P.SubmoduleDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.name, ctx);
        var module = Id(ctx.module, ctx);
        var args = BuildArguments(ctx.args);
        var count = ctx.count != null ? Expr(ctx.count) : null;
        return new SubmoduleDeclaration(name, module, args, count, End(ctx, trivia), SpanOf(ctx));
    }

    private TensorDeclaration BuildTensor(P.TensorDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var kind = ctx.kind?.Type == DskLexer.BUFFER ? TensorKind.Buffer : TensorKind.Param;
        var name = Id(ctx.name, ctx);
        var type = ctx.type != null ? BuildType(ctx.type) : new NamedTypeSyntax(Missing(ctx), SpanOf(ctx));
        var init = ctx.init != null ? Expr(ctx.init) : null;
        return new TensorDeclaration(kind, name, type, init, End(ctx, trivia), SpanOf(ctx));
    }

    private ForwardDeclaration BuildForward(P.ForwardDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var parameters = BuildParameters(ctx.ps);
        var ret = ctx.result != null ? BuildType(ctx.result) : null;
        var body = BuildBlock(ctx.body);
        return new ForwardDeclaration(parameters, ret, body, End(ctx, trivia), SpanOf(ctx));
    }

    private MemberIfDeclaration BuildMemberIf(P.MemberIfContext ctx)
    {
        var trivia = Begin(ctx);
        return BuildMemberIfCore(ctx, trivia);
    }

    private MemberIfDeclaration BuildMemberIfCore(P.MemberIfContext ctx, Trivia? trivia)
    {
        var cond = Expr(ctx.cond, ctx);
        var then = BuildMemberBlock(ctx.then, ctx.open, ctx.close);
        MemberIfDeclaration? elseIf = null;
        MemberBlock? @else = null;
        if (ctx.elseIf != null && EnterChainLink(ctx.elseIf))
        {
            elseIf = BuildMemberIfCore(ctx.elseIf, null);
            _chainLinks--;
        }
        else if (ctx.otherwise != null)
            @else = BuildMemberBlock(ctx.otherwise, ctx.elseOpen, ctx.elseClose);
        var finalTrivia = trivia == null ? Trivia.None : End(ctx, trivia);
        return new MemberIfDeclaration(cond, then, elseIf, @else, finalTrivia, SpanOf(ctx));
    }

    /// <summary>
    /// An <c>else if</c> nests its branch inside the previous one in the AST; so that no later stage
    /// recurses without bound, a chain counts toward the nesting limit of brackets and blocks.
    /// </summary>
    private bool EnterChainLink(ParserRuleContext link)
    {
        if (_chainLinks + 1 > TokenScanner.MaxNesting)
        {
            if (!_reportedChain)
            {
                _reportedChain = true;
                _diagnostics.Report(DiagnosticDescriptors.NestingTooDeep, new Location(_source, SpanOf(link)), _chainLinks + 1, TokenScanner.MaxNesting);
            }
            return false;
        }
        _chainLinks++;
        return true;
    }

    // ------------------------------------------------------------------ types

    private TypeSyntax BuildType(P.TypeRefContext ctx)
    {
        switch (ctx)
        {
            case P.NamedTypeContext n:
                {
                    var name = Id(n.name, n);
                    // Without brackets it is a scalar type name (int, float, ...); f32[] is a scalar tensor.
                    if (n.lbrack == null) return new NamedTypeSyntax(name, SpanOf(n));
                    var dimContexts = (IList<P.DimContext>?)n.dims?._dims ?? Array.Empty<P.DimContext>();
                    var dims = ImmutableArray.CreateBuilder<DimensionSyntax>(dimContexts.Count);
                    foreach (var d in dimContexts)
                    {
                        if (d is P.PackDimContext p)
                        {
                            var pack = new PackDimension(Id(p.name, p), SpanOf(p));
                            // language.md §2: a shape may *begin* with one variadic pack.
                            if (dims.Count > 0)
                                _diagnostics.Report(DiagnosticDescriptors.MisplacedPack, new Location(_source, pack.Span), pack.Name.Text);
                            dims.Add(pack);
                        }
                        else if (d is P.ExprDimContext e)
                        {
                            dims.Add(new ExpressionDimension(Expr(e.value, e), SpanOf(e)));
                        }
                    }
                    return new TensorTypeSyntax(name, Done(dims), SpanOf(n));
                }
            case P.TupleTypeContext t:
                {
                    var elements = ImmutableArray.CreateBuilder<TypeSyntax>(t._elements.Count);
                    foreach (var e in t._elements) elements.Add(BuildType(e));
                    return new TupleTypeSyntax(Done(elements), SpanOf(t));
                }
            default:
                return new NamedTypeSyntax(Missing(ctx), SpanOf(ctx));
        }
    }

    // ------------------------------------------------------------------ statements

    private BlockSyntax BuildBlock(P.BlockContext? ctx)
    {
        if (ctx == null) return new BlockSyntax(ImmutableArray<StatementSyntax>.Empty, ImmutableArray<Comment>.Empty, default);
        var statements = ctx.body == null ? ImmutableArray<StatementSyntax>.Empty : BuildList(ctx.body._stmts, BuildStatement);
        var closing = TakeComments(EndOf(ctx.close), firstInList: statements.Length == 0);
        return new BlockSyntax(statements, closing, SpanOf(ctx));
    }

    private StatementSyntax? BuildStatement(P.StmtContext ctx)
    {
        var trivia = Begin(ctx);
        switch (ctx)
        {
            case P.LetStmtContext let:
                {
                    var (targets, isTuple) = BuildTarget(let.tgt, let);
                    var value = Expr(let.value, let);
                    return new LetStatement(targets, isTuple, value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.AssignStmtContext assign:
                {
                    var (targets, isTuple) = BuildTarget(assign.tgt, assign);
                    var value = Expr(assign.value, assign);
                    return new AssignStatement(targets, isTuple, value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.ForStmtContext f:
                {
                    var variable = Id(f.variable, f);
                    var source = Expr(f.source, f);
                    var end = f.end != null ? Expr(f.end) : null;
                    var body = BuildBlock(f.body);
                    return new ForStatement(variable, source, end, body, End(ctx, trivia), SpanOf(ctx));
                }
            case P.IfStatementContext i when i.node != null:
                {
                    var node = BuildIf(i.node);
                    return node with { Trivia = End(ctx, trivia) };
                }
            case P.AssertStmtContext a:
                {
                    var cond = Expr(a.cond, a);
                    var message = a.message != null ? Expr(a.message) : null;
                    return new AssertStatement(cond, message, End(ctx, trivia), SpanOf(ctx));
                }
            case P.ReturnStmtContext r:
                return new ReturnStatement(Expr(r.value, r), End(ctx, trivia), SpanOf(ctx));
            case P.ExprStmtContext e:
                return new ExpressionStatement(Expr(e.value, e), End(ctx, trivia), SpanOf(ctx));
            default:
                End(ctx, trivia);
                return null;
        }
    }

    private IfStatement BuildIf(P.IfStmtContext ctx)
    {
        var cond = Expr(ctx.cond, ctx);
        var then = BuildBlock(ctx.then);
        IfStatement? elseIf = null;
        BlockSyntax? @else = null;
        if (ctx.elseIf != null && EnterChainLink(ctx.elseIf))
        {
            elseIf = BuildIf(ctx.elseIf);
            _chainLinks--;
        }
        else if (ctx.otherwise != null) @else = BuildBlock(ctx.otherwise);
        return new IfStatement(cond, then, elseIf, @else, Trivia.None, SpanOf(ctx));
    }

    private (ImmutableArray<Identifier> Targets, bool IsTuple) BuildTarget(P.TargetContext? ctx, ParserRuleContext statement)
    {
        switch (ctx)
        {
            case P.NameTargetContext n:
                return (ImmutableArray.Create(Id(n.name, n)), false);
            case P.TupleTargetContext t:
                {
                    var names = ImmutableArray.CreateBuilder<Identifier>(t._names.Count);
                    foreach (var name in t._names) names.Add(Id(name, t));
                    return (Done(names), true);
                }
            default:
                return (ImmutableArray.Create(Missing(ctx ?? statement)), false);
        }
    }

    // ------------------------------------------------------------------ expressions

    /// <summary>The expression; an <see cref="ErrorExpression"/> where the parser found none (at the end of <paramref name="parent"/>).</summary>
    private ExpressionSyntax Expr(P.ExprContext? ctx, ParserRuleContext? parent = null)
    {
        if (ctx == null || IsEmpty(ctx))
            return new ErrorExpression(ctx != null ? SpanOf(ctx) : parent != null ? new TextSpan(SpanOf(parent).End, 0) : default);
        if (++_depth > MaxExpressionDepth)
        {
            _depth--;
            if (!_reportedDepth)
            {
                _reportedDepth = true;
                _diagnostics.Report(DiagnosticDescriptors.ExpressionTooDeep, new Location(_source, SpanOf(ctx)), MaxExpressionDepth);
            }
            return new ErrorExpression(SpanOf(ctx));
        }
        try
        {
            return BuildExpr(ctx);
        }
        finally
        {
            _depth--;
        }
    }

    private ExpressionSyntax BuildExpr(P.ExprContext ctx)
    {
        var span = SpanOf(ctx);
        switch (ctx)
        {
            case P.NameExprContext n:
                return new NameExpression(Id(n.name, n), span);
            case P.CallExprContext c:
                return new CallExpression(Expr(c.callee, c), BuildArguments(c.args), span);
            case P.MemberExprContext m:
                return new MemberExpression(Expr(m.obj, m), Id(m.name, m), span);
            case P.IndexExprContext i:
                return new IndexExpression(Expr(i.obj, i), BuildIndexItems(i.index), span);
            case P.IntExprContext i:
                return i.tok != null && i.tok.StartIndex >= 0 ? IntegerOf(i.tok, span) : new ErrorExpression(span);
            case P.FloatExprContext f:
                return f.tok != null && f.tok.StartIndex >= 0 ? FloatOf(f.tok, span) : new ErrorExpression(span);
            case P.StringExprContext s:
                return StringLiteralOf(s.tok, s);
            case P.BoolExprContext b:
                return new BoolLiteral(b.tok?.Type == DskLexer.TRUE, span);
            case P.NoneExprContext:
                return new NoneLiteral(span);
            case P.ParenExprContext p:
                {
                    // (a) is a; (a,) and (a, b) and () are tuples.
                    if (p._items.Count == 1 && p.trailing == null) return Expr(p._items[0]);
                    return new TupleExpression(Expressions(p._items), span);
                }
            case P.ListExprContext l:
                return new ListExpression(Expressions(l._items), span);
            case P.PowerExprContext pw:
                return Binary(pw.left, BinaryOperator.Power, pw.right, span);
            case P.UnaryExprContext u:
                return new UnaryExpression(u.op?.Type == DskLexer.PLUS ? UnaryOperator.Plus : UnaryOperator.Negate, Expr(u.operand, u), span);
            case P.NotExprContext n:
                return new UnaryExpression(UnaryOperator.Not, Expr(n.operand, n), span);
            case P.MulExprContext mul:
                return Binary(mul.left, mul.op?.Type switch
                {
                    DskLexer.SLASH => BinaryOperator.Divide,
                    DskLexer.PERCENT => BinaryOperator.Modulo,
                    DskLexer.AT => BinaryOperator.MatMul,
                    _ => BinaryOperator.Multiply,
                }, mul.right, span);
            case P.AddExprContext add:
                return Binary(add.left, add.op?.Type == DskLexer.MINUS ? BinaryOperator.Subtract : BinaryOperator.Add, add.right, span);
            case P.CompareExprContext cmp:
                return Binary(cmp.left, cmp.op?.Type switch
                {
                    DskLexer.EQ => BinaryOperator.Equal,
                    DskLexer.NE => BinaryOperator.NotEqual,
                    DskLexer.LT => BinaryOperator.Less,
                    DskLexer.LE => BinaryOperator.LessOrEqual,
                    DskLexer.GT => BinaryOperator.Greater,
                    _ => BinaryOperator.GreaterOrEqual,
                }, cmp.right, span);
            case P.AndExprContext and:
                return Binary(and.left, BinaryOperator.And, and.right, span);
            case P.OrExprContext or:
                return Binary(or.left, BinaryOperator.Or, or.right, span);
            default:
                return new ErrorExpression(span);
        }
    }

    private BinaryExpression Binary(P.ExprContext? left, BinaryOperator op, P.ExprContext? right, TextSpan span) =>
        new(left != null ? Expr(left) : new ErrorExpression(new TextSpan(span.Start, 0)), op,
            right != null ? Expr(right) : new ErrorExpression(new TextSpan(span.End, 0)), span);

    private ImmutableArray<ExpressionSyntax> Expressions(IList<P.ExprContext> contexts)
    {
        var result = ImmutableArray.CreateBuilder<ExpressionSyntax>(contexts.Count);
        foreach (var c in contexts) result.Add(Expr(c));
        return Done(result);
    }

    private ImmutableArray<ArgumentSyntax> BuildArguments(P.ArgListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<ArgumentSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<ArgumentSyntax>(ctx._args.Count);
        foreach (var a in ctx._args)
        {
            Identifier? name = a.name != null ? Id(a.name, a) : null;
            result.Add(new ArgumentSyntax(name, Expr(a.value, a), SpanOf(a)));
        }
        return Done(result);
    }

    private ImmutableArray<IndexItemSyntax> BuildIndexItems(P.IndexListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<IndexItemSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<IndexItemSyntax>(ctx._items.Count);
        foreach (var item in ctx._items)
        {
            var span = SpanOf(item);
            switch (item)
            {
                case P.EllipsisIndexContext:
                    result.Add(new EllipsisIndex(span));
                    break;
                case P.SliceIndexContext s:
                    result.Add(new SliceIndex(
                        s.start != null ? Expr(s.start) : null,
                        s.stop != null ? Expr(s.stop) : null,
                        s.step != null ? Expr(s.step) : null,
                        span));
                    break;
                case P.ExprIndexContext e:
                    result.Add(new ExpressionIndex(Expr(e.value, e), span));
                    break;
            }
        }
        return Done(result);
    }

    // ------------------------------------------------------------------ literals

    private string TextOf(IToken token) => _names.Intern(_source.Text, token.StartIndex, token.StopIndex - token.StartIndex + 1);

    private IntegerLiteral IntegerOf(IToken token, TextSpan span)
    {
        var text = TextOf(token);
        var digits = text.Replace("_", "");
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            _diagnostics.Report(DiagnosticDescriptors.IntegerTooLarge, new Location(_source, span), text);
            value = 0;
        }
        return new IntegerLiteral(value, text, span);
    }

    private FloatLiteral FloatOf(IToken token, TextSpan span)
    {
        var text = TextOf(token);
        var value = double.Parse(text.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            _diagnostics.Report(DiagnosticDescriptors.FloatOutOfRange, new Location(_source, span), text);
            value = 0;
        }
        return new FloatLiteral(value, text, span);
    }

    private StringLiteral StringLiteralOf(IToken? token, ParserRuleContext ctx)
    {
        if (token == null || token.StartIndex < 0 || token.Type != DskLexer.STRING) return new StringLiteral("", "\"\"", SpanOf(ctx));
        var span = TokenScanner.SpanOf(token);
        var text = _source[span];
        int end = text.Length > 1 && text[text.Length - 1] == '"' ? text.Length - 1 : text.Length;
        if (text.IndexOf('\\') < 0) return new StringLiteral(text.Substring(1, end - 1), end == text.Length ? text + "\"" : text, span);
        var sb = new StringBuilder();
        for (int i = 1; i < end; i++)
        {
            char c = text[i];
            if (c != '\\' || i + 1 >= end)
            {
                sb.Append(c);
                continue;
            }
            char e = text[++i];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                default:
                    _diagnostics.Report(DiagnosticDescriptors.InvalidEscape, new Location(_source, new TextSpan(span.Start + i - 1, 2)), e);
                    sb.Append(e);
                    break;
            }
        }
        return new StringLiteral(sb.ToString(), end == text.Length ? text + "\"" : text, span);
    }

    // ------------------------------------------------------------------ names and spans

    private Identifier Id(IToken? token, ParserRuleContext ctx)
    {
        if (token == null || token.StartIndex < 0 || token.Type != DskLexer.IDENT) return Missing(ctx);
        var span = TokenScanner.SpanOf(token);
        return new Identifier(_names.Intern(_source.Text, span.Start, span.Length), span);
    }

    private static Identifier Missing(ParserRuleContext? ctx) => new("", ctx == null ? default : new TextSpan(SpanOf(ctx).End, 0));

    /// <summary>The builder's array without a copy when it was sized exactly.</summary>
    private static ImmutableArray<T> Done<T>(ImmutableArray<T>.Builder builder) =>
        builder.Count == builder.Capacity ? builder.MoveToImmutable() : builder.ToImmutable();

    /// <summary>Where a closing brace starts; the end of the file when it is missing (or conjured by recovery).</summary>
    private static int EndOf(IToken? close) => close != null && close.StartIndex >= 0 ? close.StartIndex : int.MaxValue;

    private static TextSpan BlockSpan(IToken? open, IToken? close, ParserRuleContext? list)
    {
        if (open != null && close != null && open.StartIndex >= 0 && close.StartIndex >= open.StartIndex)
            return TextSpan.FromBounds(open.StartIndex, close.StopIndex + 1);
        return list != null ? SpanOf(list) : default;
    }

    private static TextSpan SpanOf(ParserRuleContext ctx)
    {
        var start = ctx.Start;
        var stop = ctx.Stop;
        if (start == null) return default;
        if (stop == null || stop.StopIndex < start.StartIndex || stop.Type == TokenConstants.EOF)
            return new TextSpan(Math.Max(0, start.StartIndex), start.Type == TokenConstants.EOF ? 0 : Math.Max(0, start.StopIndex - start.StartIndex + 1));
        return TextSpan.FromBounds(start.StartIndex, stop.StopIndex + 1);
    }

    /// <summary>A context that matched no token (the parser's recovery left it empty).</summary>
    private static bool IsEmpty(ParserRuleContext ctx)
    {
        var start = ctx.Start;
        var stop = ctx.Stop;
        if (start == null || stop == null) return true;
        return !ReferenceEquals(start, stop) && stop.StopIndex < start.StartIndex;
    }

    // ------------------------------------------------------------------ comments

    /// <summary>Takes the comments before a declaration or statement and notes a blank line before it.</summary>
    private Trivia Begin(ParserRuleContext ctx)
    {
        bool first = _firstInList;
        _firstInList = false;
        int start = ctx.Start?.StartIndex ?? 0;
        var leading = TakeComments(start, first);
        bool blank = (leading.Length > 0 || !first) && HasBlankLineBefore(start);
        if (leading.IsEmpty) return blank ? BlankLine : Trivia.None;
        return new Trivia(leading, null, blank);
    }

    /// <summary>
    /// Finishes a node's trivia: comments left inside it (between its tokens, say in a wrapped
    /// argument list) join the leading ones, and a comment on the same line right after it trails.
    /// </summary>
    private Trivia End(ParserRuleContext ctx, Trivia begun)
    {
        var stop = ctx.Stop;
        if (stop == null || IsEmpty(ctx)) return begun;
        var interior = TakeComments(stop.StartIndex, firstInList: false);
        Comment? trailing = null;
        if (_nextComment < _comments.Count)
        {
            var c = _comments[_nextComment];
            if (c.Line == stop.Line && OnlySeparatorsBetween(stop.StopIndex + 1, c.StartIndex))
            {
                trailing = new Comment(c.Text.TrimEnd(), false, TokenScanner.SpanOf(c));
                _nextComment++;
            }
        }
        if (interior.IsEmpty && trailing == null) return begun;
        var leading = interior.IsEmpty ? begun.Leading : begun.Leading.AddRange(interior);
        return new Trivia(leading, trailing, begun.BlankLineBefore);
    }

    /// <summary>True when the text in [from, to) holds only blanks and the separators ';' and ','.</summary>
    private bool OnlySeparatorsBetween(int from, int to)
    {
        var text = _source.Text;
        for (int i = Math.Max(0, from); i < to && i < text.Length; i++)
        {
            if (text[i] is not (';' or ',') && !IsBlank(text[i])) return false;
        }
        return true;
    }

    private static bool IsBlank(char c) => c is ' ' or '\t' or '\f' or '\u00A0' or '\uFEFF';

    /// <summary>Takes the comments that start before <paramref name="beforePosition"/>.</summary>
    private ImmutableArray<Comment> TakeComments(int beforePosition, bool firstInList)
    {
        if (_nextComment >= _comments.Count || _comments[_nextComment].StartIndex >= beforePosition)
            return ImmutableArray<Comment>.Empty;
        var result = ImmutableArray.CreateBuilder<Comment>();
        while (_nextComment < _comments.Count && _comments[_nextComment].StartIndex < beforePosition)
        {
            var c = _comments[_nextComment++];
            bool blank = !firstInList || result.Count > 0 ? HasBlankLineBefore(c.StartIndex) : false;
            result.Add(new Comment(c.Text.TrimEnd(), blank, TokenScanner.SpanOf(c)));
        }
        return result.ToImmutable();
    }

    /// <summary>True when an empty line separates this position from the text before it.</summary>
    private bool HasBlankLineBefore(int position)
    {
        var text = _source.Text;
        int newlines = 0;
        for (int i = Math.Min(position, text.Length) - 1; i >= 0; i--)
        {
            char c = text[i];
            if (c == '\n') newlines++;
            else if (c == '\r') { if (i + 1 >= text.Length || text[i + 1] != '\n') newlines++; }
            else if (!IsBlank(c)) break;
            if (newlines >= 2) return true;
        }
        return false;
    }
}
