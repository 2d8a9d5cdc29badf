using System.Text.Json.Nodes;

namespace Qed.Data;

public sealed record SftSummary(int Rows, int Written, int Failed, int Ungraded, int Truncated, int BelowMinPoints, int Duplicates);

/// <summary>
/// <c>qed data build-sft</c>: turns graded teacher proofs into the FineProofs-SFT columns
/// (<c>problem</c>, <c>reasoning_content</c>, <c>proof</c>, <c>messages</c>, <c>source</c>, <c>grade</c>).
/// Only graded, complete proofs at or above the minimum points are kept; near-duplicate proofs of the
/// same problem are removed. <c>messages</c> is the training conversation: the problem as the user turn,
/// and the assistant turn as the model writes it, <c>&lt;think&gt;</c> reasoning first, then the proof.
/// </summary>
public static class SftAssembly
{
    public static async Task<SftSummary> RunAsync(IReadOnlyList<string> inputs, double minPoints, string output,
        DedupOptions? dedup = null, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(inputs, cancellationToken);
        int failed = 0, ungraded = 0, truncated = 0, below = 0;
        var selected = new List<(DataRow Row, JsonObject Sft)>();
        foreach (var row in rows)
        {
            if (row.Has("error") || row.Text("completion") is null) { failed++; continue; }
            if (row.Text("finish_reason") == "length") { truncated++; continue; }
            var points = row.Number("points");
            if (points is null) { ungraded++; continue; }
            if (points < minPoints) { below++; continue; }
            selected.Add((row, ToSft(row, points.Value)));
        }
        var kept = DedupStage.Deduplicate(selected.Select(s => s.Row).ToList(),
            r => (r.Text("problem") ?? "") + "\n" + SplitCompletion(r).Proof,
            dedup ?? new DedupOptions { Threshold = 0.9 }, progress, cancellationToken);
        var keptSet = kept.ToHashSet();
        var outRows = selected.Where(s => keptSet.Contains(s.Row)).Select(s => s.Sft).ToList();
        await TableWriter.WriteAsync(output, outRows, cancellationToken);
        return new SftSummary(rows.Count, outRows.Count, failed, ungraded, truncated, below, selected.Count - outRows.Count);
    }

    public static JsonObject ToSft(DataRow row, double points)
    {
        var problem = row.Text("problem") ?? UserTurn(row)
            ?? throw new QedException($"{row.Where}: field 'problem' is missing and 'messages' has no user turn");
        var (reasoning, proof) = SplitCompletion(row);
        var assistant = reasoning.Length > 0 ? $"<think>\n{reasoning}\n</think>\n\n{proof}" : proof;
        return new JsonObject
        {
            ["problem"] = problem,
            ["reasoning_content"] = reasoning,
            ["proof"] = proof,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = problem },
                new JsonObject { ["role"] = "assistant", ["content"] = assistant }),
            ["source"] = row.Text("source") ?? Path.GetFileNameWithoutExtension(row.File),
            ["grade"] = points == Math.Floor(points) ? JsonValue.Create((long)points) : JsonValue.Create(points),
        };
    }

    /// <summary>The reasoning and the proof of a generated completion: the <c>reasoning</c> field when the
    /// server returned it apart, else the text up to <c>&lt;/think&gt;</c>.</summary>
    public static (string Reasoning, string Proof) SplitCompletion(DataRow row)
    {
        var completion = row.Text("completion") ?? "";
        var reasoning = row.Text("reasoning") ?? "";
        var end = completion.LastIndexOf("</think>", StringComparison.Ordinal);
        if (end >= 0)
        {
            var inline = completion[..end];
            var open = inline.IndexOf("<think>", StringComparison.Ordinal);
            if (open >= 0) inline = inline[(open + "<think>".Length)..];
            if (reasoning.Length == 0) reasoning = inline;
            completion = completion[(end + "</think>".Length)..];
        }
        return (reasoning.Trim(), completion.Trim());
    }

    private static string? UserTurn(DataRow row)
    {
        if (!row.Fields.TryGetPropertyValue("messages", out var m) || m is not JsonArray messages) return null;
        return messages.OfType<JsonObject>().LastOrDefault(o => o["role"]?.GetValue<string>() == "user")?["content"]?.GetValue<string>();
    }
}
