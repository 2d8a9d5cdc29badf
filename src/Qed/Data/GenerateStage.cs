using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Llm;

namespace Qed.Data;

public sealed record GenerateOptions
{
    public int RequestsPerPrompt { get; init; } = 1;
    public int Concurrency { get; init; } = 256;
    /// <summary>Sends <c>chat_template_kwargs: {enable_thinking: true}</c> (vLLM/SGLang hybrid-thinking models).</summary>
    public bool EnableThinking { get; init; }
    public int Offset { get; init; }
    public int? Limit { get; init; }
    /// <summary>Field holding the problem; null tries problem, question, prompt, text.</summary>
    public string? Field { get; init; }
    /// <summary>The user turn; null sends the problem text as is.</summary>
    public PromptTemplate? Prompt { get; init; }
    /// <summary>Ask again for requests whose recorded line is an error (by default every present line is skipped).</summary>
    public bool RetryErrors { get; init; }
}

/// <summary>
/// <c>qed data generate</c>: asks a (teacher) model for K completions per problem at high concurrency and
/// writes one line per request, success or error: <c>index</c> (row of the input), <c>request_idx</c>,
/// <c>messages</c>, then <c>completion</c>, <c>reasoning</c>, <c>finish_reason</c>, <c>usage</c> — or
/// <c>error</c>. The input row's own fields ride along (problem, id, solution...) for the later stages.
/// Transient failures are retried by the client pipeline; what still fails is recorded, never dropped.
/// </summary>
public static class GenerateStage
{
    private static readonly string[] OutputFields = ["index", "request_idx", "messages", "completion", "reasoning", "finish_reason", "usage", "error", "cost_usd"];

    public static async Task<StageSummary> RunAsync(string input, IChatClient client, string output, GenerateOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (options.RequestsPerPrompt < 1) throw new QedException($"--requests-per-prompt must be at least 1, got {options.RequestsPerPrompt}");
        if (options.Offset < 0) throw new QedException($"--offset must not be negative, got {options.Offset}");
        if (options.Limit is < 0) throw new QedException($"--limit must not be negative, got {options.Limit}");
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var end = options.Limit is { } limit ? Math.Min(rows.Count, options.Offset + limit) : rows.Count;
        var work = new List<(int Index, int Request, DataRow Row, string Problem)>();
        for (var i = options.Offset; i < end; i++)
        {
            var problem = TextFields.Of(rows[i], options.Field);
            for (var r = 0; r < options.RequestsPerPrompt; r++) work.Add((i, r, rows[i], problem));
        }

        var chatOptions = new ChatOptions();
        if (options.EnableThinking)
            (chatOptions.AdditionalProperties ??= [])["chat_template_kwargs"] = new Dictionary<string, object> { ["enable_thinking"] = true };

        return await RowStage.RunAsync("generate", work,
            w => Key(w.Index, w.Request),
            row => Key((int)DataRow.AsLong(row["index"]), (int)DataRow.AsLong(row["request_idx"])),
            async (w, ct) =>
            {
                var user = options.Prompt is null ? w.Problem : options.Prompt.Render(new Dictionary<string, string?> { ["problem"] = w.Problem });
                var line = new JsonObject
                {
                    ["index"] = w.Index,
                    ["request_idx"] = w.Request,
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = user }),
                };
                try
                {
                    var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, user)], chatOptions, ct);
                    line["completion"] = response.AnswerText();
                    line["reasoning"] = response.ReasoningText();
                    line["finish_reason"] = response.FinishReason?.Value;
                    line["usage"] = UsageJson(response.Usage);
                    line["cost_usd"] = response.CostUsd();
                    return new WorkResult(RowStage.WithInputFields(line, ProblemFields(w.Row, w.Problem), OutputFields), false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    line["error"] = RowStage.Describe(e);
                    return new WorkResult(RowStage.WithInputFields(line, ProblemFields(w.Row, w.Problem), OutputFields), true);
                }
            },
            output, options.Concurrency,
            rs => rs.OrderBy(r => DataRow.AsLong(r["index"])).ThenBy(r => DataRow.AsLong(r["request_idx"])),
            keepExisting: options.RetryErrors ? r => !r.ContainsKey("error") : null,
            progress, cancellationToken);
    }

    private static string Key(int index, int request) => $"{index}:{request}";

    private static JsonObject ProblemFields(DataRow row, string problem)
    {
        var o = new JsonObject { ["problem"] = problem };
        foreach (var (k, v) in row.Fields) if (!o.ContainsKey(k)) o[k] = v?.DeepClone();
        return o;
    }

    public static JsonObject? UsageJson(UsageDetails? usage) => usage is null ? null : new JsonObject
    {
        ["prompt_tokens"] = usage.InputTokenCount,
        ["completion_tokens"] = usage.OutputTokenCount,
        ["total_tokens"] = usage.TotalTokenCount ?? (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0),
    };
}
