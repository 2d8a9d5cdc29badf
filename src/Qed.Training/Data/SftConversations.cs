using System.Text.Json;
using Parquet.Serialization;
using Qed.Inference.Chat;

namespace Qed.Training.Data;

/// <summary>One training conversation; the last turn is the assistant answer the loss is taken on.</summary>
public sealed record SftConversation(IReadOnlyList<ChatTurn> Turns, string Source);

/// <summary>
/// Reads SFT rows from JSONL or Parquet in either layout: <c>messages</c> (a list of {role, content,
/// reasoning_content?}) or the FineProofs-SFT columns <c>problem</c> + <c>reasoning_content</c> + <c>proof</c>
/// (a user turn with the problem, an assistant turn thinking the reasoning and answering the proof).
/// Bad rows fail with file, line (or row) and field.
/// </summary>
public static class SftConversations
{
    public static async Task<IReadOnlyList<SftConversation>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: dataset file not found");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" or ".json" => await ReadJsonlAsync(path, cancellationToken),
            ".parquet" => await ReadParquetAsync(path, cancellationToken),
            var ext => throw new QedException($"{path}: unsupported dataset extension '{ext}' (use .jsonl or .parquet)"),
        };
    }

    private static async Task<IReadOnlyList<SftConversation>> ReadJsonlAsync(string path, CancellationToken ct)
    {
        var rows = new List<SftConversation>();
        int line = 0;
        foreach (var text in await File.ReadAllLinesAsync(path, ct))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var where = $"{path}:{line}";
            JsonElement row;
            try { row = JsonDocument.Parse(text).RootElement; }
            catch (JsonException e) { throw new QedException($"{where}: invalid JSON ({e.Message})", e); }
            if (row.ValueKind != JsonValueKind.Object) throw new QedException($"{where}: a row must be a JSON object");
            rows.Add(new SftConversation(FromJson(row, where), where));
        }
        return rows;
    }

    private static IReadOnlyList<ChatTurn> FromJson(JsonElement row, string where)
    {
        string? Str(JsonElement o, string field) =>
            o.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null
                ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new QedException($"{where}: field '{field}' must be a string")
                : null;

        if (row.TryGetProperty("messages", out var messages) && messages.ValueKind != JsonValueKind.Null)
        {
            if (messages.ValueKind != JsonValueKind.Array) throw new QedException($"{where}: field 'messages' must be a list");
            var turns = new List<ChatTurn>();
            int i = 0;
            foreach (var m in messages.EnumerateArray())
            {
                var field = $"messages[{i++}]";
                if (m.ValueKind != JsonValueKind.Object) throw new QedException($"{where}: field '{field}' must be an object");
                var role = Str(m, "role") ?? throw new QedException($"{where}: field '{field}.role' is missing");
                var content = Str(m, "content") ?? throw new QedException($"{where}: field '{field}.content' is missing");
                turns.Add(new ChatTurn(role, content, Str(m, "reasoning_content")));
            }
            return Checked(turns, where);
        }
        var problem = Str(row, "problem") ?? throw new QedException($"{where}: row has neither 'messages' nor 'problem'");
        var proof = Str(row, "proof") ?? throw new QedException($"{where}: field 'proof' is missing");
        return FromColumns(problem, Str(row, "reasoning_content"), proof);
    }

    private static IReadOnlyList<ChatTurn> FromColumns(string problem, string? reasoning, string proof) =>
        [new ChatTurn("user", problem), new ChatTurn("assistant", proof, reasoning ?? "")];

    private static IReadOnlyList<ChatTurn> Checked(List<ChatTurn> turns, string where)
    {
        if (turns.Count == 0 || turns[^1].Role != "assistant")
            throw new QedException($"{where}: field 'messages' must end with an assistant turn (the one trained on)");
        return turns;
    }

    private static async Task<IReadOnlyList<SftConversation>> ReadParquetAsync(string path, CancellationToken ct)
    {
        // Untyped rows (nested lists of structs become lists of dictionaries) take the same JSON path as JSONL,
        // so both formats accept exactly the same layouts and report the same field errors.
        await using var stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: ct);
        var rows = new List<SftConversation>();
        for (int i = 0; i < result.Data.Count; i++)
        {
            var where = $"{path} row {i}";
            var row = JsonSerializer.SerializeToElement(result.Data[i]);
            rows.Add(new SftConversation(FromJson(row, where), where));
        }
        return rows;
    }
}
