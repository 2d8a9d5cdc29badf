using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Qed.Llm;

/// <summary>
/// A YAML mapping read into JSON nodes, remembering the line of every top-level field so that errors can
/// name file, line and field. Used for model and scaffold configs.
/// </summary>
public sealed class YamlConfig
{
    public string Path { get; }
    public JsonObject Root { get; }
    private readonly Dictionary<string, int> _lines;
    // Fields that came from another file (an agent config over its scaffold config) → that file.
    private readonly Dictionary<string, string> _paths = new();

    private YamlConfig(string path, JsonObject root, Dictionary<string, int> lines)
    {
        Path = path;
        Root = root;
        _lines = lines;
    }

    public int LineOf(string field) => _lines.TryGetValue(field, out var l) ? l : 1;

    /// <summary>The file a field was read from (this config's, unless it was merged in from another).</summary>
    public string PathOf(string field) => _paths.TryGetValue(field, out var p) ? p : Path;

    /// <summary>A <see cref="QedException"/> that names this file, the field's line and the field.</summary>
    public QedException Error(string field, string problem) => new($"{PathOf(field)}:{LineOf(field)}: field '{field}': {problem}");

    /// <summary>
    /// This config with <paramref name="overrides"/>' fields (except <paramref name="skip"/>) set over its own, as the original
    /// harness lays an agent config over its scaffold config; errors still name the file and line each field came from.
    /// </summary>
    public YamlConfig Merge(YamlConfig overrides, IEnumerable<string> skip)
    {
        var skipped = skip.ToHashSet();
        var root = (JsonObject)Root.DeepClone();
        var lines = new Dictionary<string, int>(_lines);
        var merged = new YamlConfig(Path, root, lines);
        foreach (var (k, v) in _paths) merged._paths[k] = v;
        foreach (var (k, v) in overrides.Root)
        {
            if (skipped.Contains(k)) continue;
            root[k] = v?.DeepClone();
            lines[k] = overrides.LineOf(k);
            merged._paths[k] = overrides.PathOf(k);
        }
        return merged;
    }

    public static YamlConfig Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QedException($"{path}: cannot read: {e.Message}");
        }
        return Parse(path, text);
    }

    public static YamlConfig Parse(string path, string text)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e)
        {
            throw new QedException($"{path}:{LineOf(e, text)}: malformed YAML: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            return new YamlConfig(path, new JsonObject(), []);
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new QedException($"{path}:{stream.Documents[0].RootNode.Start.Line}: expected a mapping of field: value");
        var lines = new Dictionary<string, int>();
        var root = new JsonObject();
        foreach (var (k, v) in map.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (root.ContainsKey(key))
                throw new QedException($"{path}:{k.Start.Line}: field '{key}' appears twice");
            lines[key] = (int)k.Start.Line;
            root[key] = ToJson(v);
        }
        return new YamlConfig(path, root, lines);
    }

    /// <summary>
    /// The line to blame. The parser reports a tab in an indentation at the start of the scalar it was reading (often the
    /// line before), so the first line from there whose indentation holds a tab is named instead.
    /// </summary>
    private static long LineOf(YamlException e, string text)
    {
        if (!e.Message.Contains("tab", StringComparison.OrdinalIgnoreCase)) return e.Start.Line;
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var i = (int)Math.Max(1, e.Start.Line); i <= Math.Min(lines.Length, e.End.Line + 1); i++)
        {
            var line = lines[i - 1];
            if (line[..(line.Length - line.TrimStart().Length)].Contains('\t')) return i;
        }
        return e.Start.Line;
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m => new JsonObject(m.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", ToJson(c.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode sc => Scalar(sc),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode sc)
    {
        var v = sc.Value;
        if (sc.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
            return JsonValue.Create(v);
        if (v is null or "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    // Typed readers: each names the file, line and field when the value has the wrong shape.

    public string? String(string field)
    {
        var n = Root[field];
        if (n is null) return null;
        if (n is JsonValue jv && jv.TryGetValue<string>(out var s)) return s;
        if (n is JsonValue) return n.ToJsonString();
        throw Error(field, "expected a text value");
    }

    public double? Double(string field)
    {
        var n = Root[field];
        if (n is null) return null;
        if (n is JsonValue jv)
        {
            if (jv.TryGetValue<double>(out var d)) return d;
            if (jv.TryGetValue<long>(out var l)) return l;
        }
        throw Error(field, $"expected a number, got {n.ToJsonString()}");
    }

    public int? Int(string field)
    {
        var n = Root[field];
        if (n is null) return null;
        if (n is JsonValue jv && jv.TryGetValue<long>(out var l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
        throw Error(field, $"expected a whole number, got {n.ToJsonString()}");
    }

    public bool? Bool(string field)
    {
        var n = Root[field];
        if (n is null) return null;
        if (n is JsonValue jv && jv.TryGetValue<bool>(out var b)) return b;
        throw Error(field, $"expected true or false, got {n.ToJsonString()}");
    }

    /// <summary>A single string or a list of strings.</summary>
    public IReadOnlyList<string> Strings(string field)
    {
        var n = Root[field];
        if (n is null) return [];
        if (n is JsonValue jv && jv.TryGetValue<string>(out var s)) return [s];
        if (n is JsonArray a && a.All(x => x is JsonValue v && v.TryGetValue<string>(out _)))
            return a.Select(x => x!.GetValue<string>()).ToList();
        throw Error(field, "expected a text value or a list of text values");
    }

    public JsonObject? Object(string field)
    {
        var n = Root[field];
        if (n is null) return null;
        if (n is JsonObject o) return (JsonObject)o.DeepClone();
        throw Error(field, "expected a mapping");
    }
}
