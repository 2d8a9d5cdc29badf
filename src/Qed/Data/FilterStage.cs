using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Llm;

namespace Qed.Data;

public sealed record ModelStageOptions
{
    public int Concurrency { get; init; } = 64;
    /// <summary>Requests per item when the reply cannot be used (invalid JSON, a scheme not summing to 7).</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Field holding the problem; null tries problem, question, prompt, text.</summary>
    public string? ProblemField { get; init; }
    /// <summary>Field holding the solution; null tries the usual names.</summary>
    public string? SolutionField { get; init; }
    public bool RetryErrors { get; init; }
}

/// <summary>
/// <c>qed data filter</c>: asks a model to classify each problem/solution pair and adds the validated
/// classification to the row: <c>incomplete</c>, <c>difficulty</c> (1–10), <c>gaps</c>, <c>wrong</c>,
/// <c>disagreement</c>, <c>computational</c> as top-level fields and together under <c>filter</c>, with
/// <c>filter_status</c> <c>ok</c>. A reply that is not a valid object is asked again; after the last
/// attempt the row is kept with <c>filter_status</c> <c>unparsable</c>, the reason and the raw reply.
/// </summary>
public static class FilterStage
{
    public static readonly string[] SolutionFields = ["solution", "Solution", "reference_solution", "proof", "completion"];

    private static readonly string[] Written =
        [.. Classification.Fields, "filter", "filter_status", "filter_error", "filter_reply", "filter_attempts", "error", "input_row"];

    public static async Task<StageSummary> RunAsync(string input, IChatClient client, PromptTemplate prompt, string output,
        ModelStageOptions options, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var items = rows.Select((r, i) => (Index: i, Row: r, Problem: TextFields.Of(r, options.ProblemField), Solution: SolutionOf(r, options.SolutionField))).ToList();
        return await RowStage.RunAsync("filter", items, i => i.Index.ToString(), r => DataRow.AsLong(r["input_row"]).ToString(),
            async (item, ct) =>
            {
                var row = new JsonObject { ["input_row"] = item.Index };
                var user = prompt.Render(new Dictionary<string, string?> { ["problem"] = item.Problem, ["solution"] = item.Solution });
                try
                {
                    ClassificationParse parse = new(null, "no attempt");
                    string? reply = null;
                    var attempts = 0;
                    while (attempts < options.MaxAttempts)
                    {
                        attempts++;
                        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, user)], cancellationToken: ct);
                        reply = response.AnswerText();
                        parse = ClassificationParser.Parse(reply);
                        if (parse.Parsed) break;
                    }
                    row["filter_attempts"] = attempts;
                    if (parse.Value is { } c)
                    {
                        foreach (var (k, v) in c.ToJson()) row[k] = v?.DeepClone();
                        row["filter"] = c.ToJson();
                        row["filter_status"] = "ok";
                    }
                    else
                    {
                        row["filter_status"] = "unparsable";
                        row["filter_error"] = parse.Error;
                        row["filter_reply"] = reply;
                    }
                    return new WorkResult(RowStage.WithInputFields(row, item.Row.Fields, Written), parse.Value is null);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    row["error"] = RowStage.Describe(e);
                    return new WorkResult(RowStage.WithInputFields(row, item.Row.Fields, Written), true);
                }
            },
            output, options.Concurrency, rs => rs.OrderBy(r => DataRow.AsLong(r["input_row"])),
            options.RetryErrors ? r => !r.ContainsKey("error") : null, progress, cancellationToken);
    }

    internal static string SolutionOf(DataRow row, string? field)
    {
        if (field is not null) return row.RequireText(field);
        return row.FirstText(SolutionFields)
            ?? throw new QedException($"{row.Where}: none of the fields {string.Join(", ", SolutionFields.Select(f => $"'{f}'"))} is present (name one with --solution-field)");
    }
}
