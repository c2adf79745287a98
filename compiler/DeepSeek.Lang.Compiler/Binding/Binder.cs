using System.Collections.Immutable;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;

namespace DeepSeek.Lang.Compiler.Binding;

/// <summary>
/// Collects the file-level declarations of a compilation into <see cref="ProgramSymbols"/> and
/// reports what can be known without evaluating anything: duplicate names, malformed module
/// signatures, several forwards, and modules that contain themselves. A user's module hides a
/// prelude module of the same name.
/// </summary>
public sealed class Binder
{
    private readonly DiagnosticBag _diagnostics;

    private Binder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <param name="submissionOf">
    /// Null for a program (every duplicate is an error). For the submissions of a REPL, the number of
    /// the submission each user tree belongs to: a declaration then replaces one of the same name from
    /// an earlier submission, as a later definition does in Python's REPL (within one submission,
    /// duplicates stay errors).
    /// </param>
    public static ProgramSymbols Bind(IEnumerable<SyntaxTree> userTrees, IEnumerable<SyntaxTree> preludeTrees, DiagnosticBag diagnostics,
        Func<SyntaxTree, int>? submissionOf = null)
    {
        var binder = new Binder(diagnostics);
        var modules = new Dictionary<string, ModuleSymbol>(StringComparer.Ordinal);
        var consts = new Dictionary<string, ConstSymbol>(StringComparer.Ordinal);

        // The prelude first, so that user declarations replace it rather than clash with it.
        var declared = new Declared();
        foreach (var tree in preludeTrees) binder.Declare(tree, isPrelude: true, 0, modules, consts, null, null, declared);
        var models = new List<ModelSymbol>();
        var plans = new List<PlanSymbol>();
        foreach (var tree in userTrees)
        {
            int submission = submissionOf?.Invoke(tree) ?? -1;
            binder.Declare(tree, isPrelude: false, submission, modules, consts, models, plans, declared);
        }

        var recursive = binder.CheckRecursion(modules);
        return new ProgramSymbols(modules.ToImmutableDictionary(StringComparer.Ordinal), consts.ToImmutableDictionary(StringComparer.Ordinal),
            models.ToImmutableArray(), plans.ToImmutableArray(), recursive);
    }

    /// <summary>The submission that declared each user name (-1 outside a REPL), one namespace per kind of declaration.</summary>
    private sealed class Declared
    {
        public Dictionary<string, int> Values { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Models { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Plans { get; } = new(StringComparer.Ordinal);

        /// <summary>True when a declaration in <paramref name="submission"/> may replace the earlier one (a REPL, an earlier submission).</summary>
        public static bool Replaces(Dictionary<string, int> names, string name, int submission) =>
            submission >= 0 && names.TryGetValue(name, out var earlier) && earlier < submission;
    }

    private void Declare(
        SyntaxTree tree,
        bool isPrelude,
        int submission,
        Dictionary<string, ModuleSymbol> modules,
        Dictionary<string, ConstSymbol> consts,
        List<ModelSymbol>? models,
        List<PlanSymbol>? plans,
        Declared declared)
    {
        foreach (var item in tree.Root.Items)
        {
            switch (item)
            {
                case ModuleDeclaration m when m.Name.Text.Length > 0:
                    {
                        var symbol = BindModule(m, tree.Text, isPrelude);
                        if (CheckUnique(symbol, submission, modules, consts, declared)) modules[symbol.Name] = symbol;
                        break;
                    }
                case ConstDeclaration c when c.Name.Text.Length > 0:
                    {
                        var symbol = new ConstSymbol(c, tree.Text, isPrelude);
                        if (CheckUnique(symbol, submission, modules, consts, declared)) consts[symbol.Name] = symbol;
                        break;
                    }
                case ModelDeclaration md when models != null && md.Name.Text.Length > 0:
                    {
                        var name = md.Name.Text;
                        var previous = models.FindIndex(x => x.Name == name);
                        if (previous >= 0 && Declared.Replaces(declared.Models, name, submission)) models.RemoveAt(previous);
                        else if (previous >= 0)
                        {
                            ReportDuplicate("model", name, new Location(tree.Text, md.Name.Span), models[previous].Location);
                            break;
                        }
                        models.Add(new ModelSymbol(md, tree.Text));
                        declared.Models[name] = submission;
                        break;
                    }
                case PlanDeclaration pd when plans != null && pd.Name.Text.Length > 0:
                    {
                        var name = pd.Name.Text;
                        var previous = plans.FindIndex(x => x.Name == name);
                        if (previous >= 0 && Declared.Replaces(declared.Plans, name, submission)) plans.RemoveAt(previous);
                        else if (previous >= 0)
                        {
                            ReportDuplicate("plan", name, new Location(tree.Text, pd.Name.Span), plans[previous].Location);
                            break;
                        }
                        plans.Add(new PlanSymbol(pd, tree.Text));
                        declared.Plans[name] = submission;
                        break;
                    }
            }
        }
    }

    /// <summary>A user name may hide a prelude one, never another user declaration (but one of an earlier REPL submission).</summary>
    private bool CheckUnique(Symbol symbol, int submission, Dictionary<string, ModuleSymbol> modules, Dictionary<string, ConstSymbol> consts, Declared declared)
    {
        if (symbol.IsPrelude) return true;
        if (declared.Values.ContainsKey(symbol.Name) && !Declared.Replaces(declared.Values, symbol.Name, submission))
        {
            Symbol previous = modules.TryGetValue(symbol.Name, out var m) ? m : consts[symbol.Name];
            ReportDuplicate(symbol is ModuleSymbol ? "module" : "constant", symbol.Name, symbol.Location, previous.Location);
            return false;
        }
        declared.Values[symbol.Name] = submission;
        modules.Remove(symbol.Name);
        consts.Remove(symbol.Name);
        return true;
    }

    private void ReportDuplicate(string kind, string name, Location at, Location previous)
    {
        var d = _diagnostics.Report(DiagnosticDescriptors.DuplicateDefinition, at, $"{kind} '{name}' is already defined");
        _diagnostics.ReplaceLast(d.WithNotes(new[] { new DiagnosticNote("the first definition is here", previous) }));
    }

    private ModuleSymbol BindModule(ModuleDeclaration m, SourceText source, bool isPrelude)
    {
        var parameters = ImmutableArray.CreateBuilder<ParameterSymbol>();
        var seen = new Dictionary<string, ParameterSyntax>(StringComparer.Ordinal);
        foreach (var p in m.Parameters)
        {
            if (p.Name.Text.Length == 0) continue;
            if (seen.TryGetValue(p.Name.Text, out var first))
            {
                ReportDuplicate("parameter", p.Name.Text, new Location(source, p.Name.Span), new Location(source, first.Name.Span));
                continue;
            }
            seen.Add(p.Name.Text, p);
            if (TryScalarKind(p.Type, source, out var kind)) parameters.Add(new ParameterSymbol(p.Name.Text, kind, p));
        }

        ForwardDeclaration? forward = null;
        foreach (var f in AllMembers(m.Body).OfType<ForwardDeclaration>())
        {
            if (forward == null) forward = f;
            else _diagnostics.Report(DiagnosticDescriptors.MultipleForward, new Location(source, f.KeywordSpan), m.Name.Text);
        }
        CheckMemberNames(m.Body.Members, source, new Dictionary<string, Location>(StringComparer.Ordinal));
        return new ModuleSymbol(m, source, parameters.ToImmutable(), forward, isPrelude);
    }

    /// <summary>Members must have distinct names along every path through member <c>if</c> blocks.</summary>
    private void CheckMemberNames(ImmutableArray<DeclarationSyntax> members, SourceText source, Dictionary<string, Location> seen)
    {
        foreach (var member in members)
        {
            Identifier? name = member switch
            {
                SubmoduleDeclaration s => s.Name,
                TensorDeclaration t => t.Name,
                ConstDeclaration c => c.Name,
                _ => null,
            };
            if (name is { } id && id.Text.Length > 0)
            {
                var at = new Location(source, id.Span);
                if (seen.TryGetValue(id.Text, out var first)) ReportDuplicate("member", id.Text, at, first);
                else seen[id.Text] = at;
            }
            if (member is MemberIfDeclaration mi)
            {
                for (var branch = mi; branch != null; branch = branch.ElseIf)
                {
                    CheckMemberNames(branch.Then.Members, source, new Dictionary<string, Location>(seen, StringComparer.Ordinal));
                    if (branch.Else != null) CheckMemberNames(branch.Else.Members, source, new Dictionary<string, Location>(seen, StringComparer.Ordinal));
                }
            }
        }
    }

    private bool TryScalarKind(TypeSyntax type, SourceText source, out ScalarKind kind)
    {
        kind = default;
        if (type is NamedTypeSyntax n)
        {
            switch (n.Name.Text)
            {
                case "int": kind = ScalarKind.Int; return true;
                case "float": kind = ScalarKind.Float; return true;
                case "bool": kind = ScalarKind.Bool; return true;
                case "string": kind = ScalarKind.String; return true;
                case "": return false;
            }
            _diagnostics.Report(DiagnosticDescriptors.UnknownType, new Location(source, n.Span),
                $"unknown parameter type '{n.Name.Text}'; module parameters are int, float, bool or string");
            return false;
        }
        _diagnostics.Report(DiagnosticDescriptors.UnknownType, new Location(source, type.Span),
            $"module parameters are compile-time values (int, float, bool or string), not {SyntaxPrinter.Print(type)}; tensors are forward inputs or param members");
        return false;
    }

    /// <summary>Every member, including those inside member <c>if</c> blocks.</summary>
    public static IEnumerable<DeclarationSyntax> AllMembers(MemberBlock block)
    {
        foreach (var m in block.Members)
        {
            yield return m;
            if (m is MemberIfDeclaration mi)
            {
                for (var branch = mi; branch != null; branch = branch.ElseIf)
                {
                    foreach (var inner in AllMembers(branch.Then)) yield return inner;
                    if (branch.Else != null)
                        foreach (var inner in AllMembers(branch.Else)) yield return inner;
                }
            }
        }
    }

    /// <summary>A module that contains itself (directly or through others) would instantiate forever.</summary>
    private ImmutableHashSet<string> CheckRecursion(Dictionary<string, ModuleSymbol> modules)
    {
        var onCycle = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<(string Module, SubmoduleDeclaration? Via)>();

        void Visit(ModuleSymbol m)
        {
            state[m.Name] = 1;
            foreach (var sub in AllMembers(m.Syntax.Body).OfType<SubmoduleDeclaration>())
            {
                if (!modules.TryGetValue(sub.Module.Text, out var child)) continue;
                state.TryGetValue(child.Name, out var s);
                if (s == 1)
                {
                    int start = path.FindIndex(p => p.Module == child.Name);
                    var names = path.Skip(start).Select(p => p.Module).Concat(new[] { m.Name, child.Name });
                    if (start < 0) names = new[] { m.Name, child.Name };
                    _diagnostics.Report(DiagnosticDescriptors.ModuleRecursion, new Location(m.Source, sub.Module.Span),
                        $"module {child.Name} contains itself: {string.Join(" -> ", names)}");
                    foreach (var n in names) onCycle.Add(n);
                    continue;
                }
                if (s == 2) continue;
                path.Add((m.Name, sub));
                Visit(child);
                path.RemoveAt(path.Count - 1);
            }
            state[m.Name] = 2;
        }

        foreach (var m in modules.Values.OrderBy(m => m.Source.Path, StringComparer.Ordinal).ThenBy(m => m.NameSpan.Start))
            if (!state.ContainsKey(m.Name)) Visit(m);

        // Modules that contain a recursive one cannot be instantiated either.
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (var m in modules.Values)
                if (!onCycle.Contains(m.Name) && AllMembers(m.Syntax.Body).OfType<SubmoduleDeclaration>().Any(s => onCycle.Contains(s.Module.Text)))
                    grew |= onCycle.Add(m.Name);
        }
        return onCycle.ToImmutable();
    }
}
