using DeepSeek.Lang.Compiler.Syntax;
using static DeepSeek.Lang.Compiler.Tests.Syntax.SyntaxTestHelpers;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

/// <summary>What the parser makes of the language's constructs (docs/language.md).</summary>
public sealed class ParserTests
{
    // ------------------------------------------------------------------ precedence

    [Theory]
    [InlineData("-x ** 2", "(neg (** x 2))")]
    [InlineData("2 ** -1", "(** 2 (neg 1))")]
    [InlineData("a ** b ** c", "(** a (** b c))")]
    [InlineData("(-a) ** b", "(** (neg a) b)")]
    [InlineData("not a == b", "(not (== a b))")]
    [InlineData("not a and b", "(and (not a) b)")]
    [InlineData("a + b * c @ d", "(+ a (@ (* b c) d))")]
    [InlineData("a - b - c", "(- (- a b) c)")]
    [InlineData("a / b * c % d", "(% (* (/ a b) c) d)")]
    [InlineData("a or b and c", "(or a (and b c))")]
    [InlineData("a and b or c and not d", "(or (and a b) (and c (not d)))")]
    [InlineData("a < b + 1", "(< a (+ b 1))")]
    [InlineData("a == b != c", "(!= (== a b) c)")]
    [InlineData("-x.T", "(neg (. x T))")]
    [InlineData("-x[0] ** 2", "(neg (** (index x 0) 2))")]
    [InlineData("x.reshape(B * T, d).transpose(1, 2)", "(call (. (call (. x reshape) (* B T) d) transpose) 1 2)")]
    [InlineData("blocks[i](x)", "(call (index blocks i) x)")]
    [InlineData("x.shape[1]", "(index (. x shape) 1)")]
    [InlineData("Linear(d, experts, bias: false)", "(call Linear d experts bias:false)")]
    [InlineData("(a + b) * c", "(* (+ a b) c)")]
    [InlineData("+x - -y", "(- (pos x) (neg y))")]
    [InlineData("a < b < c", "(< (< a b) c)")]
    [InlineData("a + not b", "(+ a (not b))")]
    [InlineData("a * -b", "(* a (neg b))")]
    public void Operators_bind_as_the_precedence_table_says(string text, string expected) =>
        Assert.Equal(expected, Sexpr(Expression(text)));

    // ------------------------------------------------------------------ literals

    [Fact]
    public void Integers_keep_their_underscores_as_written()
    {
        var literal = Assert.IsType<IntegerLiteral>(Expression("1_000_000"));
        Assert.Equal(1_000_000, literal.Value);
        Assert.Equal("1_000_000", literal.Text);
    }

    [Theory]
    [InlineData("0.02", 0.02)]
    [InlineData("1e-5", 1e-5)]
    [InlineData("2.5E3", 2500.0)]
    public void Floats_parse_in_every_written_form(string text, double value)
    {
        var literal = Assert.IsType<FloatLiteral>(Expression(text));
        Assert.Equal(value, literal.Value);
        Assert.Equal(text, literal.Text);
    }

    [Theory]
    [InlineData("const f = 1e400", "DSK0008", "float literal 1e400 is out of range")]
    [InlineData("const i = 9_223_372_036_854_775_808", "DSK0006", "integer literal 9_223_372_036_854_775_808 does not fit in 64 bits")]
    [InlineData("const s = \"a\\qb\"", "DSK0007", "unknown escape sequence '\\q' in string; use \\\", \\\\, \\n or \\t")]
    [InlineData("const u = 1__000", "DSK0001", "expected end of line, found '__000'")]
    public void Bad_literals_are_reported(string text, string code, string message)
    {
        var d = Assert.Single(SyntaxTree.Parse(text + "\n").Diagnostics);
        Assert.Equal(code, d.Code);
        Assert.Equal(message, d.Message);
    }

    [Fact]
    public void Strings_unescape_quote_backslash_newline_and_tab()
    {
        var literal = Assert.IsType<StringLiteral>(Expression("\"a\\\"b\\\\c\\nd\\te\""));
        Assert.Equal("a\"b\\c\nd\te", literal.Value);
        Assert.Equal("\"a\\\"b\\\\c\\nd\\te\"", literal.Text);
    }

    [Fact]
    public void True_false_and_None_are_literals() =>
        Assert.Equal("(tuple true false None)", Sexpr(Expression("(true, false, None)")));

    // ------------------------------------------------------------------ tuples and lists

    [Theory]
    [InlineData("(a)", "a")]
    [InlineData("(a,)", "(tuple a)")]
    [InlineData("(a, b)", "(tuple a b)")]
    [InlineData("(a, b,)", "(tuple a b)")]
    [InlineData("()", "(tuple)")]
    [InlineData("[a, b]", "(list a b)")]
    [InlineData("[a, b,]", "(list a b)")]
    [InlineData("[]", "(list)")]
    public void Parentheses_make_a_tuple_only_with_a_comma(string text, string expected) =>
        Assert.Equal(expected, Sexpr(Expression(text)));

    [Fact]
    public void A_one_element_tuple_prints_with_its_comma()
    {
        var unit = ParseClean("const t = (a,)\n");
        Assert.Equal("const t = (a,)\n", SyntaxPrinter.Print(unit));
    }

    [Fact]
    public void Let_and_assignment_destructure_tuples()
    {
        var statements = Statements("    let (a, b) = f(x)\n    (a, b) = (b, a)\n    let (c,) = g(x)");
        var let = Assert.IsType<LetStatement>(statements[0]);
        Assert.True(let.IsTuple);
        Assert.Equal(["a", "b"], let.Targets.Select(t => t.Text));
        var assign = Assert.IsType<AssignStatement>(statements[1]);
        Assert.True(assign.IsTuple);
        Assert.Equal("(tuple b a)", Sexpr(assign.Value));
        var single = Assert.IsType<LetStatement>(statements[2]);
        Assert.True(single.IsTuple);
        Assert.Equal(["c"], single.Targets.Select(t => t.Text));
    }

    // ------------------------------------------------------------------ indexing and slicing

    [Theory]
    [InlineData("x[0]", "(index x 0)")]
    [InlineData("x[:, 1:5]", "(index x (slice _ _ _) (slice 1 5 _))")]
    [InlineData("x[..., None]", "(index x ... None)")]
    [InlineData("x[::2]", "(index x (slice _ _ 2))")]
    [InlineData("x[1:]", "(index x (slice 1 _ _))")]
    [InlineData("x[:-1]", "(index x (slice _ (neg 1) _))")]
    [InlineData("x[a:b:c, ...]", "(index x (slice a b c) ...)")]
    [InlineData("x[i + 1, j * 2]", "(index x (+ i 1) (* j 2))")]
    public void Indexing_and_slicing_work_as_in_NumPy(string text, string expected) =>
        Assert.Equal(expected, Sexpr(Expression(text)));

    // ------------------------------------------------------------------ statements and line breaks

    [Fact]
    public void A_line_break_inside_parentheses_or_brackets_continues_the_statement()
    {
        var statements = Statements("    let y = f(a,\n      b,\n    )\n    let z = x[1,\n      2]\n    return (y\n      + z)");
        Assert.Equal(3, statements.Count);
        Assert.Equal("(call f a b)", Sexpr(Assert.IsType<LetStatement>(statements[0]).Value));
        Assert.Equal("(index x 1 2)", Sexpr(Assert.IsType<LetStatement>(statements[1]).Value));
        Assert.Equal("(+ y z)", Sexpr(Assert.IsType<ReturnStatement>(statements[2]).Value));
    }

    [Fact]
    public void A_line_break_outside_brackets_ends_the_statement()
    {
        var statements = Statements("    x = a\n    - b");
        Assert.Equal(2, statements.Count);
        Assert.Equal("a", Sexpr(Assert.IsType<AssignStatement>(statements[0]).Value));
        Assert.Equal("(neg b)", Sexpr(Assert.IsType<ExpressionStatement>(statements[1]).Expression));
    }

    [Fact]
    public void A_semicolon_separates_statements_on_one_line()
    {
        var statements = Statements("    let a = 1; let b = 2;; x = a + b");
        Assert.Equal(3, statements.Count);
        Assert.IsType<LetStatement>(statements[0]);
        Assert.IsType<LetStatement>(statements[1]);
        Assert.IsType<AssignStatement>(statements[2]);
    }

    [Fact]
    public void Two_statements_on_one_line_without_a_semicolon_are_an_error()
    {
        var tree = SyntaxTree.Parse("module M() {\n  forward() {\n    let a = 1 let b = 2\n  }\n}\n");
        var d = Assert.Single(tree.Diagnostics);
        Assert.Equal("test.dsk(3,15): error DSK0001: expected end of line, found keyword 'let'".Replace("test.dsk", "<input>"), d.ToString());
    }

    [Fact]
    public void A_block_may_stand_on_one_line()
    {
        var unit = ParseClean("module M(d: int) { up = Linear(d, d); forward(x: f32[N, d]) -> f32[N, d] { return up(x) } }\n");
        var module = Assert.IsType<ModuleDeclaration>(Assert.Single(unit.Items));
        Assert.Equal(2, module.Body.Members.Length);
    }

    [Fact]
    public void For_loops_take_a_range_or_a_module_array()
    {
        var statements = Statements("    for i in 0..n_layers { x = blocks[i](x) }\n    for blk in blocks { x = blk(x) }");
        var range = Assert.IsType<ForStatement>(statements[0]);
        Assert.Equal("i", range.Variable.Text);
        Assert.Equal("0", Sexpr(range.Source));
        Assert.Equal("n_layers", Sexpr(range.RangeEnd!));
        var each = Assert.IsType<ForStatement>(statements[1]);
        Assert.Null(each.RangeEnd);
        Assert.Equal("blocks", Sexpr(each.Source));
    }

    [Fact]
    public void Else_may_follow_on_the_next_line_and_else_if_chains()
    {
        var statements = Statements("    if a { x = 1 }\n    else if b {\n      x = 2\n    }\n\n    else { x = 3 }");
        var chain = Assert.IsType<IfStatement>(Assert.Single(statements));
        Assert.Equal("a", Sexpr(chain.Condition));
        Assert.NotNull(chain.ElseIf);
        Assert.Equal("b", Sexpr(chain.ElseIf!.Condition));
        Assert.Single(chain.ElseIf.Else!.Statements);
    }

    [Fact]
    public void Assert_takes_an_optional_message()
    {
        var statements = Statements("    assert d % heads == 0, \"d must be divisible by heads\"\n    assert d > 0");
        var withMessage = Assert.IsType<AssertStatement>(statements[0]);
        Assert.Equal("(== (% d heads) 0)", Sexpr(withMessage.Condition));
        Assert.Equal("d must be divisible by heads", Assert.IsType<StringLiteral>(withMessage.Message).Value);
        Assert.Null(Assert.IsType<AssertStatement>(statements[1]).Message);
    }

    // ------------------------------------------------------------------ modules, members, types

    [Fact]
    public void Module_members_take_every_form()
    {
        var unit = ParseClean("""
            module Block(d: int, hidden: int = 4 * d, bias: bool = true) {
              up = Linear(d, hidden, bias: bias)
              experts = Expert(d, hidden)[8]
              param w: f32[d, d] = normal(0.02)
              buffer table: f32[4096, d]
              const half = d / 2
              if bias {
                param b: f32[d] = zeros
              } else if hidden > 4 {
                const wide = true
              } else {
                const wide = false
              }
              forward(x: f32[*S, d]) -> (f32[*S, d], f32[]) {
                return (x, x.sum())
              }
            }
            """);
        var module = Assert.IsType<ModuleDeclaration>(Assert.Single(unit.Items));
        Assert.Equal(["d", "hidden", "bias"], module.Parameters.Select(p => p.Name.Text));
        Assert.Equal("(* 4 d)", Sexpr(module.Parameters[1].Default!));
        var m = module.Body.Members;
        Assert.Equal(7, m.Length);

        var up = Assert.IsType<SubmoduleDeclaration>(m[0]);
        Assert.Equal("Linear", up.Module.Text);
        Assert.Null(up.Count);
        Assert.Equal("bias", up.Arguments[2].Name!.Value.Text);
        Assert.Equal("8", Sexpr(Assert.IsType<SubmoduleDeclaration>(m[1]).Count!));

        var w = Assert.IsType<TensorDeclaration>(m[2]);
        Assert.Equal(TensorKind.Param, w.Kind);
        Assert.Equal("f32[d, d]", SyntaxPrinter.Print(w.Type));
        var table = Assert.IsType<TensorDeclaration>(m[3]);
        Assert.Equal(TensorKind.Buffer, table.Kind);
        Assert.Null(table.Init);
        Assert.IsType<ConstDeclaration>(m[4]);

        var cond = Assert.IsType<MemberIfDeclaration>(m[5]);
        Assert.Equal("bias", Sexpr(cond.Condition));
        Assert.IsType<TensorDeclaration>(Assert.Single(cond.Then.Members));
        Assert.Equal("(> hidden 4)", Sexpr(cond.ElseIf!.Condition));
        Assert.IsType<ConstDeclaration>(Assert.Single(cond.ElseIf.Else!.Members));

        var forward = Assert.IsType<ForwardDeclaration>(m[6]);
        Assert.Equal("(f32[*S, d], f32[])", SyntaxPrinter.Print(forward.ReturnType!));
    }

    [Fact]
    public void A_variadic_pack_opens_a_shape()
    {
        var unit = ParseClean("module M(n_in: int) {\n  forward(x: f32[*S, n_in]) -> f32[*S, 2 * n_in] {\n    return x\n  }\n}\n");
        var forward = (ForwardDeclaration)((ModuleDeclaration)unit.Items[0]).Body.Members[0];
        var shape = Assert.IsType<TensorTypeSyntax>(forward.Parameters[0].Type);
        Assert.Equal("f32", shape.DType.Text);
        Assert.Equal("S", Assert.IsType<PackDimension>(shape.Dimensions[0]).Name.Text);
        Assert.Equal("n_in", Sexpr(Assert.IsType<ExpressionDimension>(shape.Dimensions[1]).Expression));
        var result = Assert.IsType<TensorTypeSyntax>(forward.ReturnType);
        Assert.Equal("(* 2 n_in)", Sexpr(Assert.IsType<ExpressionDimension>(result.Dimensions[1]).Expression));
    }

    [Fact]
    public void A_variadic_pack_after_the_first_dimension_is_DSK0010()
    {
        var tree = SyntaxTree.Parse("const t: f32[B, *S] = 1\n");
        var d = Assert.Single(tree.Diagnostics);
        Assert.Equal("DSK0010", d.Code);
        Assert.Equal("the variadic dimension *S must be the first dimension of the shape", d.Message);
        Assert.Equal("*S", tree.Text[d.Location.Span]);
    }

    [Fact]
    public void Scalar_types_and_scalar_tensors_differ()
    {
        var unit = ParseClean("module M(n: int, eps: float) {\n  forward(x: f32[]) -> f32[] {\n    return x\n  }\n}\n");
        var module = (ModuleDeclaration)unit.Items[0];
        Assert.IsType<NamedTypeSyntax>(module.Parameters[0].Type);
        var forward = (ForwardDeclaration)module.Body.Members[0];
        Assert.Empty(Assert.IsType<TensorTypeSyntax>(forward.Parameters[0].Type).Dimensions);
    }

    [Fact]
    public void Models_imports_and_constants_are_items()
    {
        var unit = ParseClean("import \"layers/attention.dsk\"\nconst d_model: int = 4096\nmodel Big = Net(d: d_model)\n");
        Assert.Equal("layers/attention.dsk", Assert.IsType<ImportDeclaration>(unit.Items[0]).Path.Value);
        var constant = Assert.IsType<ConstDeclaration>(unit.Items[1]);
        Assert.Equal("int", SyntaxPrinter.Print(constant.Type!));
        Assert.Equal("(call Net d:d_model)", Sexpr(Assert.IsType<ModelDeclaration>(unit.Items[2]).Value));
    }

    // ------------------------------------------------------------------ plans

    [Fact]
    public void A_plan_holds_values_and_nested_blocks()
    {
        var unit = ParseClean("""
            plan Pretrain for Mixtral8x7B {
              cluster   { nodes: 8, gpus_per_node: 8, gpu: "H100-80GB" }
              parallel  { data: 4, tensor: 4, pipeline: 4, expert: 4 }
              zero: 1
              precision: bf16                    // fp32 master weights and optimizer states
              optimizer: adam
              batch     { global: 1024, micro: 2, seq: 4096 }
              schedule: interleaved(2)           // or gpipe, 1f1b
              offload   { optimizer: cpu }
              recompute: selective               // none, selective, full
            }
            """);
        var plan = Assert.IsType<PlanDeclaration>(Assert.Single(unit.Items));
        Assert.Equal("Pretrain", plan.Name.Text);
        Assert.Equal("Mixtral8x7B", plan.Model.Text);
        Assert.Equal(["cluster", "parallel", "zero", "precision", "optimizer", "batch", "schedule", "offload", "recompute"],
            plan.Body.Entries.Select(e => e.Key.Text));
        var cluster = Assert.IsType<PlanBlockEntry>(plan.Body.Entries[0]);
        Assert.Equal("\"H100-80GB\"", Sexpr(((PlanValueEntry)cluster.Body.Entries[2]).Value));
        Assert.Equal("(call interleaved 2)", Sexpr(((PlanValueEntry)plan.Body.Entries[6]).Value));
        Assert.Equal("// fp32 master weights and optimizer states", plan.Body.Entries[3].Trivia.Trailing!.Text);
    }

    // ------------------------------------------------------------------ comments

    [Fact]
    public void Comments_attach_to_what_they_precede_or_trail()
    {
        var unit = ParseClean("""
            // about the module
            module M(d: int) { // on the header line
              // about up
              up = Linear(d, d) // after up

              forward(x: f32[N, d]) -> f32[N, d] {
                /* about the return */
                return up(x) // after the return
                // closing the block
              }
              // closing the module
            }
            // end of file
            """);
        var module = (ModuleDeclaration)unit.Items[0];
        Assert.Equal("leading // about the module\n", Comments(module.Trivia));
        var up = module.Body.Members[0];
        Assert.Equal("leading // on the header line\nleading // about up\ntrailing // after up\n", Comments(up.Trivia));
        var forward = (ForwardDeclaration)module.Body.Members[1];
        Assert.True(forward.Trivia.BlankLineBefore);
        Assert.Equal("leading /* about the return */\ntrailing // after the return\n", Comments(forward.Body.Statements[0].Trivia));
        Assert.Equal(["// closing the block"], forward.Body.ClosingComments.Select(c => c.Text));
        Assert.Equal(["// closing the module"], module.Body.ClosingComments.Select(c => c.Text));
        Assert.Equal(["// end of file"], unit.EndComments.Select(c => c.Text));
    }

    [Fact]
    public void A_file_of_comments_only_keeps_them()
    {
        var unit = ParseClean("// one\n\n/* two */\n");
        Assert.Empty(unit.Items);
        Assert.Equal(["// one", "/* two */"], unit.EndComments.Select(c => c.Text));
        Assert.Equal("// one\n\n/* two */\n", SyntaxPrinter.Print(unit));
    }

    [Fact]
    public void An_empty_file_has_no_items_and_no_diagnostics()
    {
        var tree = SyntaxTree.Parse("");
        Assert.Empty(tree.Diagnostics);
        Assert.Empty(tree.Root.Items);
        Assert.Equal("", SyntaxPrinter.Print(tree.Root));
    }

    // ------------------------------------------------------------------ errors and limits

    [Fact]
    public void Three_unrelated_errors_are_three_diagnostics_on_their_lines()
    {
        var tree = SyntaxTree.Parse("""
            module A(d: int) {
              up = Linear(d, d
              forward(x: f32[N, d]) -> f32[N, d] {
                return x * * 2
              }
            }
            const c = 1 +
            model M = A(d: 2)
            """, "three.dsk");
        Assert.Equal(
            [
                "three.dsk(2,19): error DSK0001: expected ',' or ')', found end of line",
                "three.dsk(4,16): error DSK0001: expected an expression, found '*'",
                "three.dsk(7,14): error DSK0001: expected an expression, found end of line",
            ],
            tree.Diagnostics.Select(d => d.ToString()));
        // The items after each error are still there.
        Assert.Equal(["ModuleDeclaration", "ConstDeclaration", "ModelDeclaration"], tree.Root.Items.Select(i => i.GetType().Name));
    }

    [Fact]
    public void Ten_thousand_nested_parentheses_are_DSK0005_not_a_crash()
    {
        var text = "const x = " + new string('(', 10_000) + "1" + new string(')', 10_000) + "\n";
        var tree = SyntaxTree.Parse(text);
        var d = Assert.Single(tree.Diagnostics);
        Assert.Equal("DSK0005", d.Code);
        Assert.Equal(new Text.LinePosition(1, 211), d.Location.Start);
    }

    [Fact]
    public void Ten_thousand_nested_blocks_are_DSK0005()
    {
        var text = "module M() {\n  forward() {\n" + string.Concat(Enumerable.Repeat("if a {\n", 10_000)) + new string('}', 10_000) + "\n  }\n}\n";
        Assert.Equal("DSK0005", Assert.Single(SyntaxTree.Parse(text).Diagnostics).Code);
    }

    [Fact]
    public void A_long_else_if_chain_is_DSK0005()
    {
        var text = "module M() {\n  forward() {\n    if a {}" + string.Concat(Enumerable.Repeat(" else if a {}", 1_000)) + "\n  }\n}\n";
        var tree = SyntaxTree.Parse(text);
        Assert.Equal("DSK0005", Assert.Single(tree.Diagnostics).Code);
        // What was built is printable on an ordinary thread.
        Assert.Contains("else if a", SyntaxPrinter.Print(tree.Root), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-", 1_000_000)]
    [InlineData("not ", 300_000)]
    [InlineData("2 ** ", 300_000)]
    [InlineData("+-", 300_000)]
    public void Huge_prefix_and_power_chains_are_DSK0011_not_a_stack_overflow(string piece, int count)
    {
        // Regression: these recursed once per operator in the parser and overflowed its stack.
        var tree = SyntaxTree.Parse("const x = " + string.Concat(Enumerable.Repeat(piece, count)) + "1\n");
        var d = Assert.Single(tree.Diagnostics);
        Assert.Equal("DSK0011", d.Code);
    }

    [Fact]
    public void Nesting_just_inside_the_limits_parses()
    {
        // 98 blocks and 100 calls (the 200 levels of brackets and blocks) with an 890-operator chain at the bottom
        // (the expression is 991 levels deep; the limit is 1,000).
        var open = string.Concat(Enumerable.Repeat("if a {\n", 98));
        var close = string.Concat(Enumerable.Repeat("}\n", 98));
        var calls = string.Concat(Enumerable.Repeat("f(", 100)) + string.Concat(Enumerable.Repeat("-", 890)) + "x" + new string(')', 100);
        var text = $"module M() {{\n  forward() {{\n{open}return {calls}\n{close}  }}\n}}\n";
        var tree = SyntaxTree.Parse(text);
        Assert.True(tree.Diagnostics.IsEmpty, string.Join("\n", tree.Diagnostics));
        var printed = SyntaxPrinter.Print(tree.Root);
        Assert.Equal(SyntaxDump.Dump(tree.Root), SyntaxDump.Dump(SyntaxTree.Parse(printed).Root));
    }

    [Fact]
    public void An_expression_nested_too_deeply_without_brackets_is_DSK0011()
    {
        var tree = SyntaxTree.Parse("const x = " + string.Concat(Enumerable.Repeat("-", 5_000)) + "1\n");
        var d = Assert.Single(tree.Diagnostics);
        Assert.Equal("DSK0011", d.Code);
        Assert.Equal("expression nests more than 1000 levels deep", d.Message);
    }
}
