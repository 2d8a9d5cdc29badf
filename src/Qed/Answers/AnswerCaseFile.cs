using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Qed.Answers;

/// <summary>One line of an answer-equivalence case file: {"gold", "pred", "expected"?, "options"?: {"match_types",
/// "precision", "strict", "allow_set_relation_comp"}}. Other top-level fields (origin, note) are carried along.</summary>
public sealed record AnswerCase(int Line, string Gold, string Pred, bool? Expected, AnswerOptions Options, JsonElement Raw);

/// <summary>Reads answer-equivalence cases from JSONL; a bad line is a <see cref="QedException"/> naming the file, line and field.</summary>
public static class AnswerCaseFile
{
    /// <summary>The options a case may set; any other name in "options" is an error.</summary>
    public static readonly IReadOnlyList<string> KnownOptions = ["match_types", "precision", "strict", "allow_set_relation_comp"];

    public static async IAsyncEnumerable<AnswerCase> ReadAsync(string path, AnswerOptions? defaults = null,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: file not found");
        using var reader = new StreamReader(path);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return ParseLine(path, lineNumber, line, defaults ?? AnswerOptions.Default);
        }
    }

    public static AnswerCase ParseLine(string path, int lineNumber, string line, AnswerOptions defaults)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(line);
            root = doc.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new QedException($"{path}:{lineNumber}: not valid JSON ({ex.Message})");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new QedException($"{path}:{lineNumber}: a case must be a JSON object");
        var gold = RequiredString(root, "gold", path, lineNumber);
        var pred = RequiredString(root, "pred", path, lineNumber);
        bool? expected = null;
        if (root.TryGetProperty("expected", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new QedException($"{path}:{lineNumber}: field 'expected' must be true or false");
            expected = e.GetBoolean();
        }
        var options = defaults;
        if (root.TryGetProperty("options", out var o) && o.ValueKind != JsonValueKind.Null)
        {
            if (o.ValueKind != JsonValueKind.Object) throw new QedException($"{path}:{lineNumber}: field 'options' must be an object");
            // An option we do not act on would silently change what a case means: it is an error, never ignored.
            foreach (var property in o.EnumerateObject())
                if (!KnownOptions.Contains(property.Name))
                    throw new QedException($"{path}:{lineNumber}: field 'options.{property.Name}' is not a known option " +
                                           $"(known: {string.Join(", ", KnownOptions)})");
            if (o.TryGetProperty("match_types", out var mt) && mt.ValueKind != JsonValueKind.Null)
            {
                if (mt.ValueKind != JsonValueKind.Array || mt.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                    throw new QedException($"{path}:{lineNumber}: field 'options.match_types' must be a list of strings");
                var types = mt.EnumerateArray().Select(x => x.GetString()!).ToList();
                var unknown = types.FirstOrDefault(t => t is not ("latex" or "expr"));
                if (unknown is not null)
                    throw new QedException($"{path}:{lineNumber}: field 'options.match_types' has '{unknown}' (expected latex or expr)");
                options = options with { MatchTypes = types };
            }
            if (o.TryGetProperty("precision", out var pr) && pr.ValueKind != JsonValueKind.Null)
            {
                if (pr.ValueKind != JsonValueKind.Number || !pr.TryGetInt32(out var digits) || digits < 0 || digits > 50)
                    throw new QedException($"{path}:{lineNumber}: field 'options.precision' must be an integer from 0 to 50");
                options = options with { Precision = digits };
            }
            if (o.TryGetProperty("strict", out var st) && st.ValueKind != JsonValueKind.Null)
            {
                if (st.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new QedException($"{path}:{lineNumber}: field 'options.strict' must be true or false");
                options = options with { Strict = st.GetBoolean() };
            }
            if (o.TryGetProperty("allow_set_relation_comp", out var sr) && sr.ValueKind != JsonValueKind.Null)
            {
                if (sr.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new QedException($"{path}:{lineNumber}: field 'options.allow_set_relation_comp' must be true or false");
                options = options with { AllowSetRelationComparison = sr.GetBoolean() };
            }
        }
        return new AnswerCase(lineNumber, gold, pred, expected, options, root);
    }

    private static string RequiredString(JsonElement root, string field, string path, int line)
    {
        if (!root.TryGetProperty(field, out var v)) throw new QedException($"{path}:{line}: missing field '{field}'");
        if (v.ValueKind != JsonValueKind.String) throw new QedException($"{path}:{line}: field '{field}' must be a string");
        return v.GetString()!;
    }
}
