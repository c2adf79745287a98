using System.Reflection;
using System.Text.RegularExpressions;
using DeepSeek.Lang.Compiler.Diagnostics;
using DeepSeek.Lang.Tests;

namespace DeepSeek.Lang.Compiler.Tests.Diagnostics;

/// <summary>DiagnosticDescriptors is the one place every DSK code is defined; these keep it consistent.</summary>
public sealed class DiagnosticDescriptorTests
{
    private static List<DiagnosticDescriptor> All() =>
        typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();

    [Fact]
    public void Codes_are_unique_and_well_formed()
    {
        var all = All();
        Assert.Contains(all, d => d.Code == "DSK0001");
        Assert.Contains(all, d => d.Code == "DSK9999");
        Assert.All(all, d => Assert.Matches(@"^DSK\d{4}$", d.Code));
        Assert.Empty(all.GroupBy(d => d.Code).Where(g => g.Count() > 1).Select(g => g.Key));
    }

    [Fact]
    public void Every_message_template_formats_and_every_title_is_set()
    {
        foreach (var d in All())
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Title), d.Code);
            int placeholders = Regex.Matches(d.MessageFormat, @"\{(\d+)").Select(m => int.Parse(m.Groups[1].Value) + 1).DefaultIfEmpty(0).Max();
            var text = d.Format(Enumerable.Range(0, placeholders).Select(i => (object?)$"<{i}>").ToArray());
            Assert.DoesNotContain("{", text.Replace("{ ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_user_documentation_lists_every_code()
    {
        var docs = File.ReadAllText(RepoPaths.Combine("docs", "cli.md"));
        var missing = All()
            .Where(d => !docs.Contains(d.Code, StringComparison.Ordinal)).Select(d => d.Code).ToList();
        Assert.Empty(missing);
    }
}
