using Qed.Benchmarks;
using Qed.Runs;

namespace Qed.Grading;

public sealed record GradingOutcome(int Graded, int AlreadyGraded, int Failed, int NotGradable);

/// <summary>
/// Grades every finished sample in the store with one judge. Samples already graded by the same judge
/// (same config and prompt) are skipped; grade_failed ones are tried again. Failed samples are not graded.
/// </summary>
public sealed class GradingPass(RunStore store, ProofGrader grader)
{
    public async Task<GradingOutcome> RunAsync(int concurrency, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var runs = (await store.ListRunsAsync(cancellationToken)).ToDictionary(r => r.RunId);
        var samples = await store.ListSamplesAsync(null, cancellationToken);
        var existing = new Dictionary<(string, string), string>();
        foreach (var mode in Enum.GetValues<GradingMode>())
            foreach (var g in await store.ListGradesAsync(grader.JudgeId(mode), cancellationToken))
                existing[(g.SampleId, g.JudgeId)] = g.Status;

        var todo = new List<(SampleRecord Sample, GradingMode Mode, string JudgeId)>();
        int already = 0, notGradable = 0;
        foreach (var s in samples)
        {
            if (!s.Status.IsFinished()) { notGradable++; continue; }
            var mode = Enum.Parse<GradingMode>(runs[s.RunId].GradingMode);
            var judgeId = grader.JudgeId(mode);
            if (existing.TryGetValue((s.SampleId, judgeId), out var status) && status == GradeStatus.Graded) { already++; continue; }
            todo.Add((s, mode, judgeId));
        }

        int graded = 0, failed = 0, done = 0;
        var started = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                // Claimed before the judge is asked: another process grading the same store does it once, not twice.
                await using var claim = await store.Claims.ClaimWhenFreeAsync("grade:" + item.Sample.SampleId + "/" + item.JudgeId,
                    async c => await store.FindGradeAsync(item.Sample.SampleId, item.JudgeId, c) is { } g
                        && (g.Status == GradeStatus.Graded || g.GradedAt >= started), ct);
                if (claim is null) { Interlocked.Increment(ref already); progress?.Report((Interlocked.Increment(ref done), todo.Count)); return; }
                GradeOutcome outcome;
                try { outcome = await grader.GradeAsync(item.Sample.Problem, item.Sample.Answer ?? "", item.Mode, ct); }
                catch (Qed.Llm.ChatEndpointException e) when (e.Failure == Qed.Llm.EndpointFailure.NotFound)
                {
                    throw new QedException($"{e.Endpoint} answered HTTP 404 Not Found: check the judge's base_url (OpenAI-compatible servers serve under /v1) and model name ({e.Detail})");
                }
                await store.SaveGradeWithUsageAsync(new GradeRecord(item.Sample.SampleId, item.JudgeId, grader.JudgeName, outcome.Status,
                    outcome.Points, outcome.MaxPoints, outcome.Desc, outcome.JudgeReply, outcome.DecidedBy, ProofGrader.DetailsJson(outcome),
                    outcome.Usage, outcome.Error, DateTimeOffset.UtcNow), CancellationToken.None);
                if (outcome.IsGraded) Interlocked.Increment(ref graded); else Interlocked.Increment(ref failed);
                progress?.Report((Interlocked.Increment(ref done), todo.Count));
            });
        return new GradingOutcome(graded, already, failed, notGradable);
    }
}
