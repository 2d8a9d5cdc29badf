using System.Text.Json;

namespace Qed.Viewer.ReadModel;

/// <summary>Reads the messages a scaffold step sent, as stored (a JSON array of chat messages). Accepts
/// <c>content</c> or <c>text</c> as a string or as a list of parts with <c>text</c>; anything else is shown raw
/// rather than dropped.</summary>
public static class StepMessages
{
    public static IReadOnlyList<MessageView> Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var inner)) root = inner;
            if (root.ValueKind != JsonValueKind.Array) return [new MessageView("raw", json)];
            var list = new List<MessageView>();
            foreach (var m in root.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object) { list.Add(new MessageView("raw", m.GetRawText())); continue; }
                var role = Get(m, "role") is { ValueKind: JsonValueKind.String } r ? r.GetString()! : "message";
                var content = Get(m, "content") ?? Get(m, "text") ?? Get(m, "contents");
                list.Add(new MessageView(role, TextOf(content)));
            }
            return list;
        }
        catch (JsonException)
        {
            return [new MessageView("raw", json)];
        }
    }

    private static JsonElement? Get(JsonElement obj, string name)
    {
        foreach (var p in obj.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }

    private static string TextOf(JsonElement? e) => e switch
    {
        null => "",
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        { ValueKind: JsonValueKind.Array } a => string.Join("\n\n", a.EnumerateArray().Select(part =>
            part.ValueKind == JsonValueKind.String ? part.GetString() ?? ""
            : Get(part, "text") is { ValueKind: JsonValueKind.String } t ? t.GetString() ?? "" : part.GetRawText())),
        { } other => other.GetRawText(),
    };
}
