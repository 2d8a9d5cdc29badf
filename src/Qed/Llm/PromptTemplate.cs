using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Qed.Llm;

/// <summary>
/// A prompt text with <c>{{name}}</c> placeholders. Rendering fails on a placeholder without a value, so a
/// renamed field can never silently send "{{problem}}" to a model.
/// </summary>
public sealed partial record PromptTemplate(string Name, string Text)
{
    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex Placeholder();

    public IReadOnlyList<string> Placeholders => Placeholder().Matches(Text).Select(m => m.Groups[1].Value).Distinct().ToList();

    public string Render(IReadOnlyDictionary<string, string?> values)
    {
        var missing = Placeholders.Where(p => !values.ContainsKey(p)).ToList();
        if (missing.Count > 0) throw new QedException($"prompt '{Name}': no value for placeholder(s) {string.Join(", ", missing)}");
        // One pass, so a value that itself contains "{{x}}" is not expanded again.
        return Placeholder().Replace(Text, m => values[m.Groups[1].Value] ?? "");
    }

    public string ContentHash() => Hashing.Sha256Hex(Name, Text);
}

/// <summary>
/// Prompt files: embedded <c>src/Qed/Prompts/AREA/NAME.md</c>, overridable by <c>OVERRIDE_DIR/AREA/NAME.md</c>.
/// Lines starting with <c>%%</c> are notes for maintainers (placeholders, output tags) and are not sent.
/// </summary>
public sealed class PromptLibrary(string? overrideDirectory = null)
{
    public PromptTemplate Get(string area, string name)
    {
        if (overrideDirectory is not null)
        {
            var file = Path.Combine(overrideDirectory, area, name + ".md");
            if (File.Exists(file)) return new PromptTemplate($"{area}/{name}", Clean(File.ReadAllText(file)));
        }
        var asm = typeof(PromptLibrary).Assembly;
        foreach (var resource in new[] { $"Qed.Prompts.{area}/{name}.md", $"Qed.Prompts.{area}.{name}.md", $"Qed.Prompts.{area}\\{name}.md" })
        {
            using var stream = asm.GetManifestResourceStream(resource);
            if (stream is null) continue;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return new PromptTemplate($"{area}/{name}", Clean(reader.ReadToEnd()));
        }
        throw new QedException($"prompt {area}/{name}.md not found (embedded prompts: {string.Join(", ", asm.GetManifestResourceNames().Where(n => n.StartsWith("Qed.Prompts", StringComparison.Ordinal)))})");
    }

    private static string Clean(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Where(l => !l.StartsWith("%%", StringComparison.Ordinal))).Trim() + "\n";
}
