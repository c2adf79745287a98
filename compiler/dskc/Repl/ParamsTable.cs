using System.Text;
using System.Text.RegularExpressions;
using DeepSeek.Lang.Compiler.IR;
using Spectre.Console;

namespace DeepSeek.Lang.Cli.Repl;

/// <summary>
/// The weights of a model as a table (<c>:params</c>): name, shape, copies and parameter count, then the
/// total (and, with routed experts, what one token uses). Weights that differ only in the numbers of their
/// path (<c>blocks.0.attn.q_proj.weight</c>, <c>blocks.1.…</c>) and have one shape share a row
/// (<c>blocks.*.attn.q_proj.weight</c>, ×2), so a 60-layer model stays readable. Buffers are listed but
/// not counted, as in PyTorch's <c>parameters()</c>.
/// </summary>
internal static partial class ParamsTable
{
    public sealed record Row(string Name, string Shape, long Copies, long Count, bool IsBuffer);

    [GeneratedRegex(@"(?<=^|\.)\d+(?=\.|$)")]
    private static partial Regex Index();

    public static List<Row> Rows(Graph graph, string stripPrefix = "")
    {
        var groups = new List<(string Pattern, List<Weight> Weights)>();
        var byPattern = new Dictionary<string, List<Weight>>(StringComparer.Ordinal);
        foreach (var w in graph.Weights)
        {
            var pattern = Index().Replace(Strip(w.Name, stripPrefix), "*");
            if (!byPattern.TryGetValue(pattern, out var list))
            {
                byPattern[pattern] = list = new List<Weight>();
                groups.Add((pattern, list));
            }
            list.Add(w);
        }
        var rows = new List<Row>();
        foreach (var (pattern, weights) in groups)
        {
            bool oneShape = weights.All(w => w.Value.Type.Equals(weights[0].Value.Type) && w.Kind == weights[0].Kind);
            if (weights.Count > 1 && oneShape)
                rows.Add(new Row(pattern, weights[0].Value.Type.ToString(), weights.Count, weights.Count * Size(weights[0]), weights[0].Kind == WeightKind.Buffer));
            else
                rows.AddRange(weights.Select(w => new Row(Strip(w.Name, stripPrefix), w.Value.Type.ToString(), 1, Size(w), w.Kind == WeightKind.Buffer)));
        }
        return rows;
    }

    /// <summary>What one token uses: everything but (E - top_k) / E of each routed expert group, as <c>dskc compile</c>'s report counts.</summary>
    public static long Active(Graph graph)
    {
        long total = graph.Weights.Where(w => w.Kind == WeightKind.Param).Sum(Size);
        var sizes = graph.Weights.ToDictionary(w => w.Name, Size, StringComparer.Ordinal);
        decimal inactive = 0;
        foreach (var group in graph.Routing)
        {
            long routed = group.WeightNames.Sum(n => sizes.TryGetValue(n, out var s) ? s : 0);
            inactive += routed * (decimal)(group.ExpertCount - group.TopK) / group.ExpertCount;
        }
        return total - (long)Math.Round(inactive);
    }

    private static long Size(Weight w) => w.Value.Type.Shape.ElementCount.ConstantValue ?? 0;

    private static string Strip(string name, string prefix) =>
        prefix.Length > 0 && name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;

    /// <summary>Prints the table: with Spectre.Console's box drawing on a terminal, as aligned plain text otherwise.</summary>
    public static void Write(TextWriter output, bool terminal, string title, IReadOnlyList<Row> rows, long active)
    {
        long total = rows.Where(r => !r.IsBuffer).Sum(r => r.Count);
        long buffers = rows.Where(r => r.IsBuffer).Sum(r => r.Count);
        var footer = new List<(string Label, long Value)> { ("total", total) };
        if (active != total) footer.Add(("active per token", active));
        if (buffers > 0) footer.Add(("buffers (not counted)", buffers));
        if (terminal) WriteTable(output, title, rows, footer);
        else WritePlain(output, title, rows, footer);
    }

    private static string Name(Row r) => r.IsBuffer ? r.Name + " (buffer)" : r.Name;

    private static string Copies(Row r) => r.Copies > 1 ? "×" + Values.Count(r.Copies) : "";

    private static void WritePlain(TextWriter output, string title, IReadOnlyList<Row> rows, List<(string Label, long Value)> footer)
    {
        var header = new[] { "name", "shape", "copies", "parameters" };
        var cells = rows.Select(r => new[] { Name(r), r.Shape, Copies(r), Values.Count(r.Count) }).ToList();
        var widths = new int[4];
        foreach (var row in cells.Prepend(header))
            for (int i = 0; i < 4; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var (label, value) in footer)
        {
            widths[0] = Math.Max(widths[0], label.Length);
            widths[3] = Math.Max(widths[3], Values.Count(value).Length);
        }
        var sb = new StringBuilder();
        sb.Append(title).Append('\n');
        void Line(string[] row) =>
            sb.Append(("  " + row[0].PadRight(widths[0]) + "  " + row[1].PadRight(widths[1]) + "  " + row[2].PadLeft(widths[2]) + "  " +
                row[3].PadLeft(widths[3])).TrimEnd()).Append('\n');
        Line(header);
        foreach (var row in cells) Line(row);
        foreach (var (label, value) in footer) Line(new[] { label, "", "", Values.Count(value) });
        output.Write(sb.ToString());
    }

    private static void WriteTable(TextWriter output, string title, IReadOnlyList<Row> rows, List<(string Label, long Value)> footer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No });
        output.WriteLine(title);
        var table = new Table { Border = TableBorder.Rounded };
        table.AddColumn(new TableColumn("name"));
        table.AddColumn(new TableColumn("shape"));
        table.AddColumn(new TableColumn("copies").RightAligned());
        table.AddColumn(new TableColumn("parameters").RightAligned());
        foreach (var r in rows) table.AddRow(Markup.Escape(Name(r)), Markup.Escape(r.Shape), Copies(r), Values.Count(r.Count));
        for (int i = 0; i < footer.Count; i++)
        {
            if (i == 0) table.AddEmptyRow();
            table.AddRow($"[bold]{Markup.Escape(footer[i].Label)}[/]", "", "", $"[bold]{Values.Count(footer[i].Value)}[/]");
        }
        console.Write(table);
    }
}
