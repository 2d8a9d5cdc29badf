using System.Text;
using System.Text.RegularExpressions;

namespace Qed.Llm;

/// <summary>How a prompt file marks its placeholders.</summary>
public enum PromptSyntax
{
    /// <summary>Ours: <c>{{name}}</c>; every other brace is literal.</summary>
    DoubleBrace,
    /// <summary>Python <c>str.format</c>, the original harness's files: <c>{name}</c>, with <c>{{</c> and <c>}}</c> as literal braces.</summary>
    PythonFormat,
}

/// <summary>
/// A prompt text with placeholders (<c>{{name}}</c>, or Python <c>str.format</c>'s <c>{name}</c>). Rendering fails on a
/// placeholder without a value, so a renamed field can never silently send "{{problem}}" to a model.
/// <see cref="Aliases"/> maps a placeholder name used in the text to the value it takes (the original harness's
/// scaffold prompts say <c>{question}</c> where our scaffolds pass <c>problem</c>).
/// </summary>
public sealed partial record PromptTemplate(string Name, string Text)
{
    [GeneratedRegex(@"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")]
    private static partial Regex Placeholder();

    // A single-brace Python field that is not an escaped "{{": the sign of a str.format file.
    [GeneratedRegex(@"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")]
    private static partial Regex PythonField();

    public PromptSyntax Format { get; init; } = PromptSyntax.DoubleBrace;
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// A prompt read from a file or a config, in either format: a <c>.txt</c> file, or a text with single-brace
    /// <c>{name}</c> fields and no <c>{{name}}</c> placeholder, is Python <c>str.format</c>; anything else is ours.
    /// </summary>
    public static PromptTemplate Parse(string name, string text, string? path = null)
    {
        var python = path is not null && path.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)
            || !Placeholder().IsMatch(text) && PythonField().IsMatch(text);
        var template = new PromptTemplate(name, text) { Format = python ? PromptSyntax.PythonFormat : PromptSyntax.DoubleBrace };
        _ = template.Placeholders; // a malformed str.format text fails here, when it is read, not at the first request
        return template;
    }

    /// <summary>Reads a prompt file in either format; the error names the file.</summary>
    public static PromptTemplate FromFile(string path, string? name = null)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QedException($"{path}: cannot read the prompt file: {e.Message}");
        }
        try { return Parse(name ?? Path.GetFileNameWithoutExtension(path), text, path); }
        catch (QedException e) { throw new QedException($"{path}: {e.Message}"); }
    }

    /// <summary>This template, after checking that its placeholders can be read (a malformed str.format text throws).</summary>
    public PromptTemplate Checked()
    {
        _ = Placeholders;
        return this;
    }

    public PromptTemplate WithAliases(IReadOnlyDictionary<string, string> aliases) => this with { Aliases = aliases };

    public IReadOnlyList<string> Placeholders => Format == PromptSyntax.PythonFormat
        ? PythonFormatText.Fields(Name, Text).Distinct().ToList()
        : Placeholder().Matches(Text).Select(m => m.Groups[1].Value).Distinct().ToList();

    public string Render(IReadOnlyDictionary<string, string?> values)
    {
        string Key(string placeholder) => Aliases.TryGetValue(placeholder, out var k) ? k : placeholder;
        var missing = Placeholders.Where(p => !values.ContainsKey(Key(p))).ToList();
        if (missing.Count > 0) throw new QedException($"prompt '{Name}': no value for placeholder(s) {string.Join(", ", missing)}");
        if (Format == PromptSyntax.PythonFormat) return PythonFormatText.Render(Name, Text, p => values[Key(p)] ?? "");
        // One pass, so a value that itself contains "{{x}}" is not expanded again.
        return Placeholder().Replace(Text, m => values[Key(m.Groups[1].Value)] ?? "");
    }

    public string ContentHash() => Format == PromptSyntax.DoubleBrace && Aliases.Count == 0
        ? Hashing.Sha256Hex(Name, Text)
        : Hashing.Sha256Hex(Name, Text, Format.ToString(), string.Join(",", Aliases.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + a.Value)));
}

/// <summary>
/// The subset of Python's <c>str.format</c> that prompt files use: named fields <c>{name}</c>, and <c>{{</c> / <c>}}</c>
/// for literal braces. Positional fields, attribute or index access, conversions and format specs are rejected with
/// the offset, as are unmatched single braces — Python would raise on those too.
/// </summary>
internal static class PythonFormatText
{
    public static IEnumerable<string> Fields(string name, string text)
    {
        var fields = new List<string>();
        Walk(name, text, null, fields);
        return fields;
    }

    public static string Render(string name, string text, Func<string, string> value)
    {
        var sb = new StringBuilder(text.Length);
        Walk(name, text, sb, null, value);
        return sb.ToString();
    }

    private static void Walk(string name, string text, StringBuilder? output, List<string>? fields, Func<string, string>? value = null)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{')
            {
                if (i + 1 < text.Length && text[i + 1] == '{') { output?.Append('{'); i++; continue; }
                var close = text.IndexOf('}', i + 1);
                if (close < 0) throw Bad(name, text, i, "a single '{' without its '}' (write '{{' for a literal brace)");
                var field = text[(i + 1)..close];
                if (field.Length == 0 || !IsIdentifier(field))
                    throw Bad(name, text, i, $"field '{{{field}}}' is not a plain name (positional fields, attributes, indexes and format specs are not supported; write '{{{{' for a literal brace)");
                fields?.Add(field);
                if (value is not null) output?.Append(value(field));
                i = close;
            }
            else if (c == '}')
            {
                if (i + 1 < text.Length && text[i + 1] == '}') { output?.Append('}'); i++; continue; }
                throw Bad(name, text, i, "a single '}' (write '}}' for a literal brace)");
            }
            else output?.Append(c);
        }
    }

    private static bool IsIdentifier(string s) =>
        (char.IsLetter(s[0]) || s[0] == '_') && s.All(ch => char.IsLetterOrDigit(ch) || ch == '_');

    private static QedException Bad(string name, string text, int offset, string problem)
    {
        var line = 1 + text.AsSpan(0, offset).Count('\n');
        return new QedException($"prompt '{name}' (str.format), line {line}: {problem}");
    }
}

/// <summary>
/// Prompt files: embedded <c>src/Qed/Prompts/AREA/NAME.md</c>, overridable by <c>OVERRIDE_DIR/AREA/NAME.md</c> (or
/// <c>NAME.txt</c> in Python <c>str.format</c>) and, in memory, by <see cref="WithOverride"/> (a scaffold config's
/// embedded prompts). Lines starting with <c>%%</c> in our <c>.md</c> files are notes for maintainers and are not sent.
/// </summary>
public sealed class PromptLibrary(string? overrideDirectory = null)
{
    private readonly Dictionary<string, PromptTemplate> _overrides = new(StringComparer.Ordinal);

    /// <summary>A copy of this library in which <c>AREA/NAME</c> is <paramref name="template"/>.</summary>
    public PromptLibrary WithOverride(string area, string name, PromptTemplate template)
    {
        var copy = new PromptLibrary(overrideDirectory);
        foreach (var (k, v) in _overrides) copy._overrides[k] = v;
        copy._overrides[$"{area}/{name}"] = template;
        return copy;
    }

    public PromptTemplate Get(string area, string name)
    {
        if (_overrides.TryGetValue($"{area}/{name}", out var o)) return o;
        if (overrideDirectory is not null)
        {
            var file = Path.Combine(overrideDirectory, area, name + ".md");
            if (File.Exists(file))
            {
                try { return PromptTemplate.Parse($"{area}/{name}", Clean(File.ReadAllText(file))); }
                catch (QedException e) { throw new QedException($"{file}: {e.Message}"); }
            }
            var txt = Path.Combine(overrideDirectory, area, name + ".txt");
            if (File.Exists(txt)) return PromptTemplate.FromFile(txt, $"{area}/{name}");
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
