using DeepSeek.Lang.Compiler;
using DeepSeek.Lang.Compiler.Binding;
using DeepSeek.Lang.Compiler.Shapes;
using DeepSeek.Lang.Compiler.Syntax;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// What Tab offers: commands after ':'; .dsk files and folders after <c>:load</c>; models and module
/// instances after <c>:params</c>, <c>:ir</c>, <c>:report</c> and <c>:bench</c>; after <c>x.</c>, a
/// tensor's methods or a module instance's members; otherwise the session's variables, models,
/// modules (the prelude's layers included), constants, dims, built-in functions, dtypes and keywords.
/// </summary>
internal static class ReplCompleter
{
    private static readonly string[] TensorMembers = { "T", "shape", "ndim", "dtype" };

    public static Completion Complete(ReplSession session, string line, int cursor)
    {
        var before = line[..cursor];
        var trimmed = before.TrimStart();
        if (trimmed.StartsWith(':'))
        {
            int space = trimmed.IndexOf(' ');
            if (space < 0)
                return Matches(cursor - trimmed.Length, trimmed, ReplSession.Commands.Select(c => ":" + c.Name));
            var command = trimmed[1..space];
            var argument = trimmed[(space + 1)..].TrimStart();
            int start = cursor - argument.Length;
            switch (command)
            {
                case "load":
                    return Files(start, argument);
                case "params" or "ir" or "report" or "bench":
                    return Matches(start, argument, session.Compilation.Models.Select(m => m.Name)
                        .Concat(session.Variables.OfType<InstanceVariable>().Select(v => v.Name)));
                case not ("type" or "t"):
                    return Completion.None;
            }
        }

        int wordStart = cursor;
        while (wordStart > 0 && (char.IsLetterOrDigit(line[wordStart - 1]) || line[wordStart - 1] == '_')) wordStart--;
        var word = line[wordStart..cursor];
        if (wordStart > 0 && line[wordStart - 1] == '.')
        {
            int targetStart = wordStart - 1;
            while (targetStart > 0 && (char.IsLetterOrDigit(line[targetStart - 1]) || line[targetStart - 1] == '_')) targetStart--;
            var target = line[targetStart..(wordStart - 1)];
            return Matches(wordStart, word, Members(session, target));
        }
        return Matches(wordStart, word, Names(session));
    }

    /// <summary>Every name a statement can use.</summary>
    public static IEnumerable<string> Names(ReplSession session)
    {
        var symbols = session.Compilation.Symbols;
        return session.Variables.Select(v => v.Name)
            .Concat(symbols.Models.Select(m => m.Name))
            .Concat(symbols.Modules.Keys)
            .Concat(symbols.Consts.Keys)
            .Concat(session.Dims.Keys)
            .Concat(Compilation.BuiltinNames)
            .Concat(DTypes.All.Select(d => d.Name()))
            .Concat(SyntaxFacts.Keywords);
    }

    private static IEnumerable<string> Members(ReplSession session, string target)
    {
        if (!session.TryGetVariable(target, out var v)) return Array.Empty<string>();
        switch (v)
        {
            case TensorVariable:
                return TensorMembers.Concat(Compilation.MethodNames);
            case InstanceVariable instance when session.Compilation.Symbols.Modules.TryGetValue(instance.Module, out var module):
                return module.Parameters.Select(p => p.Name).Concat(Binder.AllMembers(module.Syntax.Body).Select(MemberName).OfType<string>());
            default:
                return Array.Empty<string>();
        }
    }

    private static string? MemberName(DeclarationSyntax member) => member switch
    {
        SubmoduleDeclaration s => s.Name.Text,
        TensorDeclaration t => t.Name.Text,
        ConstDeclaration c => c.Name.Text,
        _ => null,
    };

    /// <summary>Folders and .dsk files whose path starts with what was typed.</summary>
    private static Completion Files(int start, string typed)
    {
        try
        {
            int slash = typed.LastIndexOf('/');
            var folderPart = slash >= 0 ? typed[..(slash + 1)] : "";
            var folder = folderPart.Length == 0 ? "." : folderPart;
            if (!Directory.Exists(folder)) return Completion.None;
            var entries = Directory.EnumerateDirectories(folder).Select(d => folderPart + Path.GetFileName(d) + "/")
                .Concat(Directory.EnumerateFiles(folder, "*.dsk").Select(f => folderPart + Path.GetFileName(f)));
            return Matches(start, typed, entries.Where(e => !Path.GetFileName(e.TrimEnd('/')).StartsWith('.')));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Completion.None;
        }
    }

    private static Completion Matches(int start, string typed, IEnumerable<string> candidates) =>
        new(start, candidates.Where(c => c.StartsWith(typed, StringComparison.Ordinal) && !c.StartsWith(ReplSession.ReservedPrefix, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
}
