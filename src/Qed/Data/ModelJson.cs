using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>Finds the JSON object in a model's reply: the last fenced <c>```json</c> block, else the span
/// from the first <c>{</c> to the last <c>}</c>. Pure; returns null with a reason when there is none.</summary>
public static class ModelJson
{
    public static (JsonObject? Value, string? Error) ExtractObject(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return (null, "empty reply");
        var text = reply;
        var fence = text.LastIndexOf("```json", StringComparison.OrdinalIgnoreCase);
        if (fence >= 0)
        {
            var start = fence + "```json".Length;
            var end = text.IndexOf("```", start, StringComparison.Ordinal);
            text = end >= 0 ? text[start..end] : text[start..];
        }
        var open = text.IndexOf('{');
        var close = text.LastIndexOf('}');
        if (open < 0 || close < open) return (null, "no JSON object in the reply");
        try
        {
            return JsonNode.Parse(text[open..(close + 1)]) is JsonObject o ? (o, null) : (null, "the JSON is not an object");
        }
        catch (JsonException e)
        {
            return (null, "invalid JSON: " + e.Message);
        }
    }
}
