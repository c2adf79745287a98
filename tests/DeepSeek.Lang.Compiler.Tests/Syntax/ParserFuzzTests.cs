using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Compiler.Syntax;
using DeepSeek.Lang.Compiler.Text;
using DeepSeek.Lang.Tests;
using Xunit.Abstractions;

namespace DeepSeek.Lang.Compiler.Tests.Syntax;

/// <summary>
/// Mutation fuzzing of the front end. Every .dsk file of the repository plus a few synthetic ones is
/// mutated thousands of times (character flips, truncation, deletion and duplication of tokens and
/// lines, insertion of brackets, keywords and non-ASCII text), with a fixed seed. Each mutant must
/// parse without an internal error, within a time bound, with every diagnostic well formed; and a
/// mutant that parses without errors must print and parse back to the same tree.
/// DSK_FUZZ_SEED, DSK_FUZZ_CASES and DSK_FUZZ_MUTATIONS (most mutations a case, 3 by default) run
/// other or more cases; a failure prints its seed, case number and input.
/// </summary>
public sealed partial class ParserFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 4000;
    private const int DefaultSeed = 20_251_124;
    private static readonly TimeSpan ParseBound = TimeSpan.FromSeconds(2);

    private static readonly string[] Inserts =
    [
        "(", ")", "[", "]", "{", "}", ",", ":", ";", "\n", "\"", "/*", "*/", "//", "..", "...", "->", "**", "@", "=", "*",
        "let ", "return ", "if ", "else ", "for ", "in ", "module ", "model ", "plan ", "param ", "buffer ", "forward",
        "const ", "import ", "assert ", "not ", "and ", "None", "true", "1_000", "1e-5", "99999999999999999999999",
        "é", "λ", "\u00A0", "\uFEFF", "\t", "\r", "\0", "\u001B", "\uFFFD", "\uD800", "😀", "\\", "$", "#", "`", "^",
    ];

    private static readonly string[] Synthetic =
    [
        """
        module Block(d: int, hidden: int = 4 * d, heads: int = 8) {
          norm = LayerNorm(d)
          experts = Expert(d, hidden)[8]
          param w: f32[d, d] = normal(0.02)
          if heads > 1 { param b: f32[d] = zeros } else { const nob = 1 }
          forward(x: f32[*S, d], mask: bool[*S]) -> (f32[*S, d], f32[]) {
            let (h, g) = (norm(x), x[..., None])
            for i in 0..heads - 1 { x = experts[i](x) }
            if d > 2 and not heads == 1 { x = -x ** 2 } else if d > 1 { x = x @ w } else { x = x }
            assert d % heads == 0, "d must \"divide\"\n"
            return (x[:, 1:5, ::2], [1, 2, 3])
          }
        }
        """,
        """
        plan Pretrain for Mixtral8x7B {
          cluster { nodes: 8, gpus_per_node: 8, gpu: "H100-80GB" }
          parallel { data: 4, tensor: 4, pipeline: 4, expert: 4 }; zero: 1
          batch { global: 1024, micro: 2, seq: 4096 }
          schedule: interleaved(2) // or gpipe
        }
        model Mixtral8x7B = MoETransformer(vocab: 32000, d: 4096, layers: 32,
                                           heads: 32, kv_heads: 8)
        """,
        "// comments only\n/* block */\n",
        "const a = ((1 + 2) * (3 - 4)) / 5 % 6 @ 7 ** -8 == 9 != 10 < 11 <= 12 > 13 >= 14 or not true and false\n",
    ];

    [Fact]
    public void Mutants_never_crash_hang_or_report_malformed_diagnostics()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("DSK_FUZZ_SEED"), out var s) ? s : DefaultSeed;
        int cases = int.TryParse(Environment.GetEnvironmentVariable("DSK_FUZZ_CASES"), out var n) ? n : DefaultCases;
        int maxMutations = int.TryParse(Environment.GetEnvironmentVariable("DSK_FUZZ_MUTATIONS"), out var k) && k > 0 ? k : 3;
        var corpus = RepoPaths.DskFiles(RepoPaths.Root).Select(File.ReadAllText).Concat(Synthetic).Where(t => t.Length > 0).ToList();
        Assert.True(corpus.Count >= 10, "the fuzz corpus is too small");

        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        int clean = 0;
        for (int i = 0; i < cases; i++)
        {
            var original = corpus[random.Next(corpus.Count)];
            var log = new List<string>();
            var mutant = original;
            int mutations = 1 + random.Next(maxMutations);
            for (int m = 0; m < mutations; m++) mutant = Mutate(mutant, random, log);

            var failure = Check(mutant, out bool parsedClean);
            if (parsedClean) clean++;
            if (failure != null)
            {
                Assert.Fail($"fuzz case {i} (seed {seed}; DSK_FUZZ_SEED={seed}) failed: {failure}\n" +
                            $"mutations: {string.Join("; ", log)}\ninput ({mutant.Length} characters):\n{Escape(mutant)}");
            }
        }
        output.WriteLine($"{cases} mutants in {clock.Elapsed.TotalSeconds:F1} s; {clean} parsed without errors");
        // The mutations must leave some files valid, or the round-trip half of the test does nothing.
        Assert.True(clean > cases / 50, $"only {clean} of {cases} mutants parsed without errors");
    }

    /// <summary>Null when every invariant holds; else what broke.</summary>
    internal static string? Check(string text, out bool parsedClean)
    {
        parsedClean = false;
        var clock = Stopwatch.StartNew();
        SyntaxTree tree;
        try
        {
            tree = SyntaxTree.Parse(text, "fuzz.dsk");
        }
        catch (Exception e)
        {
            return "exception: " + e;
        }
        if (clock.Elapsed > ParseBound) return $"parsing took {clock.Elapsed.TotalSeconds:F1} s";

        foreach (var d in tree.Diagnostics)
        {
            if (d.Code == DiagnosticDescriptors.InternalError.Code) return "internal error: " + d.Message;
            if (!CodePattern().IsMatch(d.Code)) return $"malformed code {d.Code}";
            if (string.IsNullOrWhiteSpace(d.Message)) return $"{d.Code} has no message";
            if (!ReferenceEquals(d.Location.Source, tree.Text)) return $"{d.Code} points into another text";
            var span = d.Location.Span;
            if (span.Start < 0 || span.Length < 0 || span.End > text.Length) return $"{d.Code} has span {span} outside the text of {text.Length} characters";
            try
            {
                DiagnosticFormatter.Format(d, excerpts: true);
            }
            catch (Exception e)
            {
                return $"formatting {d.Code} threw {e}";
            }
        }
        if (FindBadSpan(tree.Root, text.Length) is { } bad) return bad;
        if (tree.HasErrors) return null;

        parsedClean = true;
        string printed, reprinted;
        try
        {
            printed = SyntaxPrinter.Print(tree.Root);
            var reparsed = SyntaxTree.Parse(printed, "printed.dsk");
            if (reparsed.HasErrors) return "the printed text does not parse: " + reparsed.Diagnostics[0] + "\nprinted:\n" + Escape(printed);
            if (SyntaxDump.Dump(reparsed.Root) != SyntaxDump.Dump(tree.Root)) return "printing changed the tree; printed:\n" + Escape(printed);
            reprinted = SyntaxPrinter.Print(reparsed.Root);
        }
        catch (Exception e)
        {
            return "printing threw " + e;
        }
        return reprinted == printed ? null : "printing is not idempotent";
    }

    [Theory]
    [InlineData("const x = (\n")]
    [InlineData("/*")]
    [InlineData("\"")]
    [InlineData("module M( {")]
    [InlineData("}}}}")]
    [InlineData("\uD800")]
    [InlineData("plan P for M { a { b { c: }")]
    [InlineData("module M() { forward() { if a { } else }")]
    public void Known_hard_inputs_hold_the_invariants(string text) => Assert.Null(Check(text, out _));

    private static string Mutate(string text, Random random, List<string> log)
    {
        if (text.Length == 0) return Insert(text, 0, random, log);
        int at = random.Next(text.Length);
        switch (random.Next(9))
        {
            case 0:
                {
                    char c = (char)random.Next(0x20, 0x7F);
                    log.Add($"replace char {at} with '{c}'");
                    return text[..at] + c + text[(at + 1)..];
                }
            case 1:
                log.Add($"truncate at {at}");
                return text[..at];
            case 2:
            case 3:
                {
                    var (start, length) = RandomToken(text, random);
                    bool duplicate = random.Next(2) == 0;
                    log.Add($"{(duplicate ? "duplicate" : "delete")} token '{Escape(text.Substring(start, length))}' at {start}");
                    return duplicate ? text[..start] + text.Substring(start, length) + text[start..] : text[..start] + text[(start + length)..];
                }
            case 4:
                {
                    var lines = text.Split('\n').ToList();
                    int line = random.Next(lines.Count);
                    bool duplicate = random.Next(2) == 0;
                    log.Add($"{(duplicate ? "duplicate" : "delete")} line {line + 1}");
                    if (duplicate) lines.Insert(line, lines[line]);
                    else lines.RemoveAt(line);
                    return string.Join('\n', lines);
                }
            case 5:
                {
                    // Flip a bit of a character: ASCII becomes control characters and non-ASCII.
                    char c = (char)(text[at] ^ (1 << random.Next(8)));
                    log.Add($"flip a bit of char {at} to U+{(int)c:X4}");
                    return text[..at] + c + text[(at + 1)..];
                }
            case 6 when random.Next(8) == 0:
                {
                    // Thousands of one piece: deep nesting without brackets, walls of brackets.
                    var piece = random.Next(6) switch { 0 => "-", 1 => "not ", 2 => "** 2 ", 3 => "(", 4 => "{", _ => Inserts[random.Next(Inserts.Length)] };
                    int count = random.Next(1_000, 20_000);
                    log.Add($"insert {count} times '{Escape(piece)}' at {at}");
                    return text[..at] + string.Concat(Enumerable.Repeat(piece, count)) + text[at..];
                }
            case 6:
                {
                    // Swap two lines.
                    var lines = text.Split('\n');
                    int a = random.Next(lines.Length), b = random.Next(lines.Length);
                    (lines[a], lines[b]) = (lines[b], lines[a]);
                    log.Add($"swap lines {a + 1} and {b + 1}");
                    return string.Join('\n', lines);
                }
            default:
                return Insert(text, at, random, log);
        }
    }

    private static string Insert(string text, int at, Random random, List<string> log)
    {
        var piece = Inserts[random.Next(Inserts.Length)];
        log.Add($"insert '{Escape(piece)}' at {at}");
        return text[..at] + piece + text[at..];
    }

    /// <summary>A random token-like run: a word, a number, or one punctuation character.</summary>
    private static (int Start, int Length) RandomToken(string text, Random random)
    {
        int at = random.Next(text.Length);
        if (!char.IsLetterOrDigit(text[at]) && text[at] != '_') return (at, 1);
        int start = at, end = at;
        while (start > 0 && (char.IsLetterOrDigit(text[start - 1]) || text[start - 1] == '_')) start--;
        while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_')) end++;
        return (start, end - start);
    }

    /// <summary>The first node whose span is not inside the text, found by walking the tree's properties.</summary>
    private static string? FindBadSpan(object node, int length)
    {
        var stack = new Stack<object>();
        stack.Push(node);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            foreach (var p in current.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.GetIndexParameters().Length > 0 || p.Name == "EqualityContract") continue;
                var value = p.GetValue(current);
                switch (value)
                {
                    case TextSpan span when span.Start < 0 || span.Length < 0 || span.End > length:
                        return $"{current.GetType().Name}.{p.Name} is {span}, outside the text of {length} characters";
                    case SyntaxNode or Trivia or Comment:
                        stack.Push(value);
                        break;
                    case Identifier id when id.Span.Start < 0 || id.Span.End > length:
                        return $"identifier '{id.Text}' in {current.GetType().Name} has span {id.Span}";
                    case IEnumerable items and not string:
                        foreach (var item in items)
                            if (item is SyntaxNode or Comment) stack.Push(item);
                            else if (item is Identifier i && (i.Span.Start < 0 || i.Span.End > length))
                                return $"identifier '{i.Text}' in {current.GetType().Name} has span {i.Span}";
                        break;
                }
            }
        }
        return null;
    }

    private static string Escape(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text)
        {
            if (c == '\n') sb.Append('\n');
            else if (c < 0x20 || c == 0x7F || char.IsSurrogate(c) || c == '\uFEFF' || c == '\u00A0') sb.Append($"\\u{(int)c:X4}");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    [GeneratedRegex(@"^DSK\d{4}$")]
    private static partial Regex CodePattern();
}
