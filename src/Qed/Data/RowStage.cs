using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>How a model-backed stage ended: rows found from an earlier run, rows done now, and failures recorded.</summary>
public sealed record StageSummary(int Total, int Resumed, int Done, int Failed, string Output);

/// <summary>One unit of work of a model-backed stage and the row it produced.</summary>
/// <param name="Failed">the row records a failure (an endpoint error, an unparsable reply)</param>
public sealed record WorkResult(JsonObject Row, bool Failed);

/// <summary>
/// Runs the units of work of a model-backed stage (a request, a proof to grade, a problem to classify) with
/// bounded concurrency, journaling every finished row so that a killed run resumes where it stopped (see
/// <see cref="ResumableOutput"/>), and writes the output atomically once every unit has a row.
/// </summary>
public static class RowStage
{
    public static async Task<StageSummary> RunAsync<TItem>(
        string stage,
        IReadOnlyList<TItem> items,
        Func<TItem, string> keyOfItem,
        Func<JsonObject, string> keyOfRow,
        Func<TItem, CancellationToken, Task<WorkResult>> work,
        string output,
        int concurrency,
        Func<IEnumerable<JsonObject>, IEnumerable<JsonObject>> order,
        Func<JsonObject, bool>? keepExisting = null,
        IProgress<StageProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (concurrency < 1) throw new QedException($"--concurrency must be at least 1, got {concurrency}");
        await using var store = await ResumableOutput.OpenAsync(output, keyOfRow, keepExisting, cancellationToken);
        var todo = items.Where(i => !store.Contains(keyOfItem(i))).ToList();
        var resumed = items.Count - todo.Count;
        int done = 0, failed = 0;
        progress?.Report(new StageProgress(stage, resumed, items.Count, resumed > 0 ? $"{resumed} already done" : null));
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var result = await work(item, ct);
                await store.AppendAsync(result.Row, ct);
                if (result.Failed) Interlocked.Increment(ref failed);
                var d = Interlocked.Increment(ref done);
                progress?.Report(new StageProgress(stage, resumed + d, items.Count, failed > 0 ? $"{Volatile.Read(ref failed)} failed" : null));
            });
        await store.CompleteAsync(order, cancellationToken);
        return new StageSummary(items.Count, resumed, done, failed, output);
    }

    /// <summary>Copies the input row's fields into <paramref name="target"/>, except those the stage writes itself.</summary>
    public static JsonObject WithInputFields(JsonObject target, JsonObject input, IReadOnlyCollection<string> reserved)
    {
        foreach (var (k, v) in input)
            if (!reserved.Contains(k) && !target.ContainsKey(k)) target[k] = v?.DeepClone();
        return target;
    }

    /// <summary>A one-line description of an exception for an <c>error</c> field: its kind, then its message.</summary>
    public static string Describe(Exception e) => e switch
    {
        Qed.Llm.ChatEndpointException ce => $"{ce.Failure}: {ce.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
