using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Antlr4.Runtime;
using Antlr4.Runtime.Tree;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax.Generated;
using DeepSeek.Lang.Compiler.Text;
using P = DeepSeek.Lang.Compiler.Syntax.Generated.DskParser;

namespace DeepSeek.Lang.Compiler.Syntax;

/// <summary>
/// Turns the ANTLR parse tree into the immutable AST. Works on trees with errors (missing children
/// become <see cref="ErrorExpression"/> or empty names) so that one run reports every syntax error.
/// Comments are attached to the declaration or statement they precede (or trail on its line).
/// </summary>
internal sealed class AstBuilder
{
    public const int MaxExpressionDepth = 1000;

    private readonly SourceText _source;
    private readonly DiagnosticBag _diagnostics;
    private readonly List<IToken> _comments;
    private readonly IList<IToken> _tokens;
    private int _nextComment;
    private bool _firstInList;
    private int _depth;
    private bool _reportedDepth;

    public AstBuilder(SourceText source, IList<IToken> tokens, DiagnosticBag diagnostics)
    {
        _source = source;
        _tokens = tokens;
        _diagnostics = diagnostics;
        _comments = tokens.Where(t => t.Type is DskLexer.LINE_COMMENT or DskLexer.BLOCK_COMMENT or DskLexer.UNTERMINATED_COMMENT).ToList();
    }

    // ------------------------------------------------------------------ file and declarations

    public CompilationUnit BuildFile(P.FileContext ctx)
    {
        var items = BuildList(ctx.item(), BuildItem);
        var end = TakeComments(int.MaxValue, firstInList: items.Length == 0);
        return new CompilationUnit(items, end, new TextSpan(0, _source.Length));
    }

    private DeclarationSyntax? BuildItem(P.ItemContext ctx)
    {
        if (ctx.importDecl() is { } i) return BuildImport(i);
        if (ctx.constDecl() is { } c) return BuildConst(c);
        if (ctx.moduleDecl() is { } m) return BuildModule(m);
        if (ctx.modelDecl() is { } md) return BuildModel(md);
        if (ctx.planDecl() is { } p) return BuildPlan(p);
        return null;
    }

    /// <summary>Builds declarations or statements in order, each with its comments; the first gets no blank line before it.</summary>
    private ImmutableArray<T> BuildList<TCtx, T>(IEnumerable<TCtx> contexts, Func<TCtx, T?> build)
        where TCtx : ParserRuleContext
        where T : class
    {
        var result = ImmutableArray.CreateBuilder<T>();
        foreach (var c in contexts)
        {
            if (c.exception != null && c.ChildCount == 0) continue;
            _firstInList = result.Count == 0;
            var node = build(c);
            if (node != null) result.Add(node);
        }
        return result.ToImmutable();
    }

    private ImportDeclaration BuildImport(P.ImportDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var path = StringLiteralOf(ctx.STRING()?.Symbol, ctx);
        return new ImportDeclaration(path, End(ctx, trivia), SpanOf(ctx));
    }

    private ConstDeclaration BuildConst(P.ConstDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.IDENT(), ctx);
        var type = ctx.typeRef() is { } t ? BuildType(t) : null;
        var value = Expr(ctx.expr());
        return new ConstDeclaration(name, type, value, End(ctx, trivia), SpanOf(ctx));
    }

    private ModuleDeclaration BuildModule(P.ModuleDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var name = Id(ctx.IDENT(), ctx);
        var parameters = BuildParameters(ctx.paramList());
        var body = BuildMemberBlock(ctx.memberList(), ctx.RBRACE()?.Symbol, ctx.LBRACE()?.Symbol);
        return new ModuleDeclaration(name, parameters, body, End(ctx, trivia), SpanOf(ctx));
    }

    private MemberBlock BuildMemberBlock(P.MemberListContext? list, IToken? close, IToken? open)
    {
        var members = list == null ? ImmutableArray<DeclarationSyntax>.Empty : BuildList(list.member(), BuildMember);
        var closing = TakeComments(close?.TokenIndex ?? int.MaxValue, firstInList: members.Length == 0);
        var span = open != null && close != null && close.StartIndex >= open.StartIndex
            ? TextSpan.FromBounds(open.StartIndex, close.StopIndex + 1)
            : list != null ? SpanOf(list) : default;
        return new MemberBlock(members, closing, span);
    }

    private ImmutableArray<ParameterSyntax> BuildParameters(P.ParamListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<ParameterSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<ParameterSyntax>();
        foreach (var p in ctx.param())
        {
            var name = Id(p.IDENT(), p);
            var type = p.typeRef() is { } t ? BuildType(t) : new NamedTypeSyntax(new Identifier("", SpanOf(p)), SpanOf(p));
            var def = p.expr() is { } e ? Expr(e) : null;
            result.Add(new ParameterSyntax(name, type, def, SpanOf(p)));
        }
        return result.ToImmutable();
    }

    private ModelDeclaration BuildModel(P.ModelDeclContext ctx)
    {
        var trivia = Begin(ctx);
        return new ModelDeclaration(Id(ctx.IDENT(), ctx), Expr(ctx.expr()), End(ctx, trivia), SpanOf(ctx));
    }

    private PlanDeclaration BuildPlan(P.PlanDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var ids = ctx.IDENT();
        var name = ids.Length > 0 ? Id(ids[0], ctx) : Missing(ctx);
        var model = ids.Length > 1 ? Id(ids[1], ctx) : Missing(ctx);
        var body = BuildPlanBlock(ctx.planEntries(), ctx.LBRACE()?.Symbol, ctx.RBRACE()?.Symbol);
        return new PlanDeclaration(name, model, body, End(ctx, trivia), SpanOf(ctx));
    }

    private PlanBlock BuildPlanBlock(P.PlanEntriesContext? ctx, IToken? open, IToken? close)
    {
        var entries = ctx == null ? ImmutableArray<PlanEntrySyntax>.Empty : BuildList(ctx.planEntry(), BuildPlanEntry);
        var closing = TakeComments(close?.TokenIndex ?? int.MaxValue, firstInList: entries.Length == 0);
        var span = open != null && close != null ? TextSpan.FromBounds(open.StartIndex, close.StopIndex + 1) : default;
        return new PlanBlock(entries, closing, span);
    }

    private PlanEntrySyntax? BuildPlanEntry(P.PlanEntryContext ctx)
    {
        var trivia = Begin(ctx);
        switch (ctx)
        {
            case P.PlanValueContext v:
                {
                    var key = Id(v.IDENT(), v);
                    var value = Expr(v.expr());
                    return new PlanValueEntry(key, value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.PlanBlockContext b:
                {
                    var key = Id(b.IDENT(), b);
                    var body = BuildPlanBlock(b.planEntries(), b.LBRACE()?.Symbol, b.RBRACE()?.Symbol);
                    return new PlanBlockEntry(key, body, End(ctx, trivia), SpanOf(ctx));
                }
            default:
                End(ctx, trivia);
                return null;
        }
    }

    // ------------------------------------------------------------------ members

    private DeclarationSyntax? BuildMember(P.MemberContext ctx)
    {
        if (ctx.submoduleDecl() is { } s) return BuildSubmodule(s);
        if (ctx.tensorDecl() is { } t) return BuildTensor(t);
        if (ctx.constDecl() is { } c) return BuildConst(c);
        if (ctx.forwardDecl() is { } f) return BuildForward(f);
        if (ctx.memberIf() is { } i) return BuildMemberIf(i);
        return null;
    }

    private SubmoduleDeclaration BuildSubmodule(P.SubmoduleDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var ids = ctx.IDENT();
        var name = ids.Length > 0 ? Id(ids[0], ctx) : Missing(ctx);
        var module = ids.Length > 1 ? Id(ids[1], ctx) : Missing(ctx);
        var args = BuildArguments(ctx.argList());
        var count = ctx.expr() is { } e ? Expr(e) : null;
        return new SubmoduleDeclaration(name, module, args, count, End(ctx, trivia), SpanOf(ctx));
    }

    private TensorDeclaration BuildTensor(P.TensorDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var kind = ctx.BUFFER() != null ? TensorKind.Buffer : TensorKind.Param;
        var name = Id(ctx.IDENT(), ctx);
        var type = ctx.typeRef() is { } t ? BuildType(t) : new NamedTypeSyntax(Missing(ctx), SpanOf(ctx));
        var init = ctx.expr() is { } e ? Expr(e) : null;
        return new TensorDeclaration(kind, name, type, init, End(ctx, trivia), SpanOf(ctx));
    }

    private ForwardDeclaration BuildForward(P.ForwardDeclContext ctx)
    {
        var trivia = Begin(ctx);
        var parameters = BuildParameters(ctx.paramList());
        var ret = ctx.typeRef() is { } t ? BuildType(t) : null;
        var body = BuildBlock(ctx.block());
        return new ForwardDeclaration(parameters, ret, body, End(ctx, trivia), SpanOf(ctx));
    }

    private MemberIfDeclaration BuildMemberIf(P.MemberIfContext ctx)
    {
        var trivia = Begin(ctx);
        return BuildMemberIfCore(ctx, trivia);
    }

    private MemberIfDeclaration BuildMemberIfCore(P.MemberIfContext ctx, Trivia? trivia)
    {
        var cond = Expr(ctx.expr());
        var lists = ctx.memberList();
        var braces = ctx.LBRACE();
        var closes = ctx.RBRACE();
        var then = BuildMemberBlock(lists.Length > 0 ? lists[0] : null, closes.Length > 0 ? closes[0].Symbol : null,
            braces.Length > 0 ? braces[0].Symbol : null);
        MemberIfDeclaration? elseIf = null;
        MemberBlock? @else = null;
        if (ctx.memberIf() is { } nested)
            elseIf = BuildMemberIfCore(nested, null);
        else if (ctx.ELSE() != null && lists.Length > 1)
            @else = BuildMemberBlock(lists[1], closes.Length > 1 ? closes[1].Symbol : null, braces.Length > 1 ? braces[1].Symbol : null);
        var finalTrivia = trivia == null ? Trivia.None : End(ctx, trivia);
        return new MemberIfDeclaration(cond, then, elseIf, @else, finalTrivia, SpanOf(ctx));
    }

    // ------------------------------------------------------------------ types

    private TypeSyntax BuildType(P.TypeRefContext ctx)
    {
        switch (ctx)
        {
            case P.NamedTypeContext n:
                {
                    var name = Id(n.IDENT(), n);
                    if (n.LBRACK() == null) return new NamedTypeSyntax(name, SpanOf(n));
                    var dims = ImmutableArray.CreateBuilder<DimensionSyntax>();
                    if (n.dimList() is { } list)
                    {
                        foreach (var d in list.dim())
                        {
                            if (d is P.PackDimContext p)
                            {
                                var pack = new PackDimension(Id(p.IDENT(), p), SpanOf(p));
                                // language.md §2: a shape may *begin* with one variadic pack.
                                if (dims.Count > 0)
                                    _diagnostics.Report(DiagnosticDescriptors.MisplacedPack, new Location(_source, pack.Span), pack.Name.Text);
                                dims.Add(pack);
                            }
                            else if (d is P.ExprDimContext e)
                                dims.Add(new ExpressionDimension(Expr(e.expr()), SpanOf(e)));
                        }
                    }
                    return new TensorTypeSyntax(name, dims.ToImmutable(), SpanOf(n));
                }
            case P.TupleTypeContext t:
                return new TupleTypeSyntax(t.typeRef().Select(BuildType).ToImmutableArray(), SpanOf(t));
            default:
                return new NamedTypeSyntax(Missing(ctx), SpanOf(ctx));
        }
    }

    // ------------------------------------------------------------------ statements

    private BlockSyntax BuildBlock(P.BlockContext? ctx)
    {
        if (ctx == null) return new BlockSyntax(ImmutableArray<StatementSyntax>.Empty, ImmutableArray<Comment>.Empty, default);
        var list = ctx.stmtList();
        var statements = list == null ? ImmutableArray<StatementSyntax>.Empty : BuildList(list.stmt(), BuildStatement);
        var closing = TakeComments(ctx.RBRACE()?.Symbol?.TokenIndex ?? int.MaxValue, firstInList: statements.Length == 0);
        return new BlockSyntax(statements, closing, SpanOf(ctx));
    }

    private StatementSyntax? BuildStatement(P.StmtContext ctx)
    {
        var trivia = Begin(ctx);
        switch (ctx)
        {
            case P.LetStmtContext let:
                {
                    var (targets, isTuple) = BuildTarget(let.target());
                    var value = Expr(let.expr());
                    return new LetStatement(targets, isTuple, value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.AssignStmtContext assign:
                {
                    var (targets, isTuple) = BuildTarget(assign.target());
                    var value = Expr(assign.expr());
                    return new AssignStatement(targets, isTuple, value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.ForStmtContext f:
                {
                    var variable = Id(f.IDENT(), f);
                    var exprs = f.expr();
                    var source = exprs.Length > 0 ? Expr(exprs[0]) : new ErrorExpression(SpanOf(f));
                    var end = f.RANGE() != null && exprs.Length > 1 ? Expr(exprs[1]) : null;
                    var body = BuildBlock(f.block());
                    return new ForStatement(variable, source, end, body, End(ctx, trivia), SpanOf(ctx));
                }
            case P.IfStatementContext i:
                {
                    var node = BuildIf(i.ifStmt());
                    return node with { Trivia = End(ctx, trivia) };
                }
            case P.AssertStmtContext a:
                {
                    var exprs = a.expr();
                    var cond = exprs.Length > 0 ? Expr(exprs[0]) : new ErrorExpression(SpanOf(a));
                    var message = exprs.Length > 1 ? Expr(exprs[1]) : null;
                    return new AssertStatement(cond, message, End(ctx, trivia), SpanOf(ctx));
                }
            case P.ReturnStmtContext r:
                {
                    var value = Expr(r.expr());
                    return new ReturnStatement(value, End(ctx, trivia), SpanOf(ctx));
                }
            case P.ExprStmtContext e:
                {
                    var value = Expr(e.expr());
                    return new ExpressionStatement(value, End(ctx, trivia), SpanOf(ctx));
                }
            default:
                End(ctx, trivia);
                return null;
        }
    }

    private IfStatement BuildIf(P.IfStmtContext ctx)
    {
        var cond = Expr(ctx.expr());
        var blocks = ctx.block();
        var then = BuildBlock(blocks.Length > 0 ? blocks[0] : null);
        IfStatement? elseIf = null;
        BlockSyntax? @else = null;
        if (ctx.ifStmt() is { } nested) elseIf = BuildIf(nested);
        else if (ctx.ELSE() != null && blocks.Length > 1) @else = BuildBlock(blocks[1]);
        return new IfStatement(cond, then, elseIf, @else, Trivia.None, SpanOf(ctx));
    }

    private (ImmutableArray<Identifier> Targets, bool IsTuple) BuildTarget(P.TargetContext? ctx)
    {
        switch (ctx)
        {
            case P.NameTargetContext n:
                return (ImmutableArray.Create(Id(n.IDENT(), n)), false);
            case P.TupleTargetContext t:
                return (t.IDENT().Select(i => Id(i, t)).ToImmutableArray(), true);
            default:
                return (ImmutableArray.Create(Missing(ctx)), false);
        }
    }

    // ------------------------------------------------------------------ expressions

    private ExpressionSyntax Expr(P.ExprContext? ctx)
    {
        if (ctx == null || ctx.ChildCount == 0) return new ErrorExpression(ctx == null ? default : SpanOf(ctx));
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
            case P.PrimaryExprContext p:
                return BuildPrimary(p.primary());
            case P.CallExprContext c:
                return new CallExpression(Expr(c.expr()), BuildArguments(c.argList()), span);
            case P.IndexExprContext i:
                return new IndexExpression(Expr(i.expr()), BuildIndexItems(i.indexList()), span);
            case P.MemberExprContext m:
                return new MemberExpression(Expr(m.expr()), Id(m.IDENT(), m), span);
            case P.PowerExprContext pw:
                return Binary(pw.expr(), BinaryOperator.Power, span);
            case P.UnaryExprContext u:
                return new UnaryExpression(u.op?.Type == DskLexer.PLUS ? UnaryOperator.Plus : UnaryOperator.Negate, Expr(u.expr()), span);
            case P.NotExprContext n:
                return new UnaryExpression(UnaryOperator.Not, Expr(n.expr()), span);
            case P.MulExprContext mul:
                return Binary(mul.expr(), mul.op?.Type switch
                {
                    DskLexer.SLASH => BinaryOperator.Divide,
                    DskLexer.PERCENT => BinaryOperator.Modulo,
                    DskLexer.AT => BinaryOperator.MatMul,
                    _ => BinaryOperator.Multiply,
                }, span);
            case P.AddExprContext add:
                return Binary(add.expr(), add.op?.Type == DskLexer.MINUS ? BinaryOperator.Subtract : BinaryOperator.Add, span);
            case P.CompareExprContext cmp:
                return Binary(cmp.expr(), cmp.op?.Type switch
                {
                    DskLexer.EQ => BinaryOperator.Equal,
                    DskLexer.NE => BinaryOperator.NotEqual,
                    DskLexer.LT => BinaryOperator.Less,
                    DskLexer.LE => BinaryOperator.LessOrEqual,
                    DskLexer.GT => BinaryOperator.Greater,
                    _ => BinaryOperator.GreaterOrEqual,
                }, span);
            case P.AndExprContext and:
                return Binary(and.expr(), BinaryOperator.And, span);
            case P.OrExprContext or:
                return Binary(or.expr(), BinaryOperator.Or, span);
            default:
                return new ErrorExpression(span);
        }
    }

    private BinaryExpression Binary(P.ExprContext[] operands, BinaryOperator op, TextSpan span)
    {
        var left = operands.Length > 0 ? Expr(operands[0]) : new ErrorExpression(span);
        var right = operands.Length > 1 ? Expr(operands[1]) : new ErrorExpression(new TextSpan(span.End, 0));
        return new BinaryExpression(left, op, right, span);
    }

    private ExpressionSyntax BuildPrimary(P.PrimaryContext? ctx)
    {
        if (ctx == null) return new ErrorExpression(default);
        var span = SpanOf(ctx);
        switch (ctx)
        {
            case P.NamePrimaryContext n:
                return new NameExpression(Id(n.IDENT(), n), span);
            case P.IntPrimaryContext i:
                return IntegerOf(i.INT().Symbol, span);
            case P.FloatPrimaryContext f:
                return FloatOf(f.FLOAT().Symbol, span);
            case P.StringPrimaryContext s:
                return StringLiteralOf(s.STRING().Symbol, s);
            case P.BoolPrimaryContext b:
                return new BoolLiteral(b.TRUE() != null, span);
            case P.NonePrimaryContext:
                return new NoneLiteral(span);
            case P.ParenPrimaryContext p:
                {
                    var items = p.expr();
                    if (items.Length == 1 && p.COMMA().Length == 0) return Expr(items[0]);
                    return new TupleExpression(items.Select(Expr).ToImmutableArray(), span);
                }
            case P.ListPrimaryContext l:
                return new ListExpression(l.expr().Select(Expr).ToImmutableArray(), span);
            default:
                return new ErrorExpression(span);
        }
    }

    private ImmutableArray<ArgumentSyntax> BuildArguments(P.ArgListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<ArgumentSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<ArgumentSyntax>();
        foreach (var a in ctx.arg())
        {
            Identifier? name = a.IDENT() is { } id ? Id(id, a) : null;
            result.Add(new ArgumentSyntax(name, Expr(a.expr()), SpanOf(a)));
        }
        return result.ToImmutable();
    }

    private ImmutableArray<IndexItemSyntax> BuildIndexItems(P.IndexListContext? ctx)
    {
        if (ctx == null) return ImmutableArray<IndexItemSyntax>.Empty;
        var result = ImmutableArray.CreateBuilder<IndexItemSyntax>();
        foreach (var item in ctx.indexItem())
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
                    result.Add(new ExpressionIndex(Expr(e.expr()), span));
                    break;
            }
        }
        return result.ToImmutable();
    }

    // ------------------------------------------------------------------ literals

    private IntegerLiteral IntegerOf(IToken token, TextSpan span)
    {
        var text = token.Text;
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
        var text = token.Text;
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
        if (token == null || token.StartIndex < 0) return new StringLiteral("", "\"\"", SpanOf(ctx));
        var span = TokenScanner.SpanOf(token);
        var text = token.Text;
        int end = text.Length > 1 && text[text.Length - 1] == '"' ? text.Length - 1 : text.Length;
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

    private Identifier Id(ITerminalNode? node, ParserRuleContext ctx)
    {
        var token = node?.Symbol;
        if (token == null || token.StartIndex < 0 || token.Type != DskLexer.IDENT) return Missing(ctx);
        return new Identifier(token.Text, TokenScanner.SpanOf(token));
    }

    private static Identifier Missing(ParserRuleContext? ctx) => new("", ctx == null ? default : new TextSpan(SpanOf(ctx).End, 0));

    private static TextSpan SpanOf(ParserRuleContext ctx)
    {
        var start = ctx.Start;
        var stop = ctx.Stop;
        if (start == null) return default;
        if (stop == null || stop.StopIndex < start.StartIndex || stop.Type == TokenConstants.EOF)
            return new TextSpan(Math.Max(0, start.StartIndex), start.Type == TokenConstants.EOF ? 0 : start.StopIndex - start.StartIndex + 1);
        return TextSpan.FromBounds(start.StartIndex, stop.StopIndex + 1);
    }

    // ------------------------------------------------------------------ comments

    /// <summary>Takes the comments before a declaration or statement and notes a blank line before it.</summary>
    private Trivia Begin(ParserRuleContext ctx)
    {
        bool first = _firstInList;
        _firstInList = false;
        var leading = TakeComments(ctx.Start?.TokenIndex ?? 0, first);
        bool blank = (leading.Length > 0 || !first) && HasBlankLineBefore(ctx.Start?.StartIndex ?? 0);
        return new Trivia(leading, null, blank);
    }

    /// <summary>
    /// Finishes a node's trivia: comments left inside it (between its tokens, say in a wrapped
    /// argument list) join the leading ones, and a comment on the same line right after it trails.
    /// </summary>
    private Trivia End(ParserRuleContext ctx, Trivia begun)
    {
        var stop = ctx.Stop;
        if (stop == null || stop.TokenIndex < (ctx.Start?.TokenIndex ?? 0)) return begun;
        var interior = TakeComments(stop.TokenIndex, firstInList: false);
        var leading = interior.Length == 0 ? begun.Leading : begun.Leading.AddRange(interior);
        Comment? trailing = null;
        if (_nextComment < _comments.Count)
        {
            var c = _comments[_nextComment];
            if (c.Line == stop.Line && OnlySeparatorsBetween(stop.TokenIndex, c.TokenIndex))
            {
                trailing = new Comment(c.Text, false, TokenScanner.SpanOf(c));
                _nextComment++;
            }
        }
        return new Trivia(leading, trailing, begun.BlankLineBefore);
    }

    private bool OnlySeparatorsBetween(int from, int to)
    {
        for (int i = from + 1; i < to && i < _tokens.Count; i++)
        {
            var t = _tokens[i];
            if (t.Channel != Lexer.DefaultTokenChannel) continue;
            if (t.Type is not (DskLexer.SEMI or DskLexer.COMMA)) return false;
        }
        return true;
    }

    private ImmutableArray<Comment> TakeComments(int beforeTokenIndex, bool firstInList)
    {
        if (_nextComment >= _comments.Count || _comments[_nextComment].TokenIndex >= beforeTokenIndex)
            return ImmutableArray<Comment>.Empty;
        var result = ImmutableArray.CreateBuilder<Comment>();
        while (_nextComment < _comments.Count && _comments[_nextComment].TokenIndex < beforeTokenIndex)
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
            else if (c != ' ' && c != '\t') break;
            if (newlines >= 2) return true;
        }
        return false;
    }
}
