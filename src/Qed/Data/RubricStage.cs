using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Llm;

namespace Qed.Data;

/// <summary>
/// <c>qed data rubrics</c>: writes a 0–7 marking scheme per problem from its reference solution. The row gains
/// <c>rubric</c> (checkpoints, zero_credit, deductions), <c>marking_scheme</c> (the scheme as the text a judge
/// reads, so the output loads as a marking-scheme benchmark), <c>rubric_points</c> and <c>rubric_status</c>:
/// <c>ok</c>; <c>flagged</c> when the checkpoints still do not sum to 7 after asking again with that
/// feedback; <c>unparsable</c> when no attempt gave a scheme at all.
/// </summary>
public static class RubricStage
{
    private static readonly string[] Written =
        ["rubric", "marking_scheme", "rubric_points", "rubric_status", "rubric_error", "rubric_reply", "rubric_attempts", "error", "input_row"];

    public static async Task<StageSummary> RunAsync(string input, IChatClient client, PromptTemplate prompt, string output,
        ModelStageOptions options, IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var items = rows.Select((r, i) => (Index: i, Row: r, Problem: TextFields.Of(r, options.ProblemField), Solution: FilterStage.SolutionOf(r, options.SolutionField))).ToList();
        return await RowStage.RunAsync("rubrics", items, i => i.Index.ToString(), r => DataRow.AsLong(r["input_row"]).ToString(),
            async (item, ct) =>
            {
                var row = new JsonObject { ["input_row"] = item.Index };
                try
                {
                    SchemeParse? best = null;
                    string? reply = null;
                    var feedback = "";
                    var attempts = 0;
                    while (attempts < options.MaxAttempts)
                    {
                        attempts++;
                        var user = prompt.Render(new Dictionary<string, string?> { ["problem"] = item.Problem, ["solution"] = item.Solution, ["feedback"] = feedback });
                        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, user)], cancellationToken: ct);
                        reply = response.AnswerText();
                        var parse = MarkingSchemeParser.Parse(reply);
                        if (best is null || best.Status == SchemeStatus.Unparsable) best = parse;
                        if (parse.Status == SchemeStatus.Ok) { best = parse; break; }
                        feedback = parse.Status == SchemeStatus.WrongTotal
                            ? $"\nA previous attempt was rejected: its {parse.Error}. Make the checkpoint points add up to exactly 7.\n"
                            : $"\nA previous attempt was rejected: {parse.Error}. Follow the JSON form below exactly.\n";
                    }
                    row["rubric_attempts"] = attempts;
                    if (best!.Scheme is { } scheme)
                    {
                        row["rubric"] = scheme.ToJson();
                        row["marking_scheme"] = scheme.ToMarkdown();
                        row["rubric_points"] = scheme.Total;
                        row["rubric_status"] = best.Status == SchemeStatus.Ok ? "ok" : "flagged";
                        if (best.Error is not null) row["rubric_error"] = best.Error;
                    }
                    else
                    {
                        row["rubric_status"] = "unparsable";
                        row["rubric_error"] = best.Error;
                        row["rubric_reply"] = reply;
                    }
                    return new WorkResult(RowStage.WithInputFields(row, item.Row.Fields, Written), best.Status != SchemeStatus.Ok);
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
}
