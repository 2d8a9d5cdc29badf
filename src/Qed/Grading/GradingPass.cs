using System.Diagnostics;
using Qed.Benchmarks;
using Qed.Runs;

namespace Qed.Grading;

/// <param name="Graded">samples that got a valid grade in this pass (the panel's grade for a panel).</param>
/// <param name="AlreadyGraded">samples every judge had already graded (of the answer they hold now).</param>
/// <param name="Failed">samples whose verdict could not be read (grade_failed).</param>
/// <param name="NotGradable">samples not finished (pending or failed): nothing to grade.</param>
public sealed record GradingOutcome(int Graded, int AlreadyGraded, int Failed, int NotGradable)
{
    /// <summary>Every verdict of this pass failed: the judge is broken or misconfigured, not the samples.</summary>
    public bool AllFailed => Failed > 0 && Graded == 0;
}

/// <summary>A snapshot for the grading progress line. Totals include what was already stored before this pass (a resumed
/// pass starts where the last one stopped); counts only grow.</summary>
public sealed record GradeProgress(int Total, int Done, int Failed, long InputTokens, long OutputTokens, double CostUsd, string? LastError);

/// <summary>
/// Grades every finished sample of the selected runs with one judge or a panel. A grade records the hash of the answer it
/// judged: a sample already graded by the same judge (same config and prompt) of the same answer is skipped; grade_failed
/// ones and grades of an answer that has changed since are graded again. Grades are kept per judge, so grading with
/// another judge never changes what the first one shows. Failed and pending samples are not graded.
/// </summary>
public sealed class GradingPass(RunStore store, IReadOnlyList<ProofGrader> judges, PanelCombine? combine = null)
{
    public GradingPass(RunStore store, ProofGrader judge) : this(store, [judge]) { }

    private bool IsPanel => judges.Count > 1;

    public string PanelName => PanelGrades.Name(combine ?? PanelCombine.Mean, judges.Select(j => j.JudgeName));

    /// <param name="runIds">the runs to grade; null grades every run in the store.</param>
    public async Task<GradingOutcome> RunAsync(int concurrency, IProgress<GradeProgress>? progress, CancellationToken cancellationToken,
        IReadOnlyCollection<string>? runIds = null)
    {
        if (judges.Count == 0) throw new ArgumentException("no judge", nameof(judges));
        if (IsPanel && combine is null) throw new QedException("several judges form a panel: say how to combine them with --combine min|mean");
        var runs = (await store.ListRunsAsync(cancellationToken)).Where(r => runIds is null || runIds.Contains(r.RunId)).ToList();

        var todo = new List<(SampleRecord Sample, GradingMode Mode, string AnswerHash, Dictionary<int, GradeRecord> Valid)>();
        int already = 0, notGradable = 0, total = 0;
        long doneIn = 0, doneOut = 0;
        double doneCost = 0;
        foreach (var run in runs)
        {
            var mode = Enum.Parse<GradingMode>(run.GradingMode, ignoreCase: true);
            var ids = judges.Select(j => j.JudgeId(mode)).ToList();
            var panelId = IsPanel ? PanelGrades.Id(combine!.Value, ids) : null;
            var stored = (await store.ListGradesOfRunAsync(run.RunId, cancellationToken))
                .Where(g => ids.Contains(g.JudgeId) || g.JudgeId == panelId)
                .ToLookup(g => g.SampleId);
            foreach (var s in await store.ListSamplesAsync(run.RunId, cancellationToken))
            {
                if (!s.Status.IsFinished()) { notGradable++; continue; }
                total++;
                var hash = AnswerHashing.Of(s.Answer);
                var mine = stored[s.SampleId].ToList();
                bool Valid(GradeRecord g) => g.Status == GradeStatus.Graded && (g.AnswerHash is null || g.AnswerHash == hash);
                var valid = new Dictionary<int, GradeRecord>();
                for (var i = 0; i < ids.Count; i++)
                    if (mine.FirstOrDefault(g => g.JudgeId == ids[i]) is { } g && Valid(g)) valid[i] = g;
                var panelDone = panelId is null || mine.Any(g => g.JudgeId == panelId && Valid(g));
                if (valid.Count == ids.Count && panelDone)
                {
                    already++;
                    foreach (var g in valid.Values) { doneIn += g.Usage.InputTokens; doneOut += g.Usage.OutputTokens; doneCost += g.Usage.CostUsd; }
                    continue;
                }
                todo.Add((s, mode, hash, valid));
            }
        }

        int graded = 0, failed = 0, done = already;
        string? lastError = null;
        var gate = new object();
        void Report() => progress?.Report(new GradeProgress(total, done, failed, doneIn, doneOut, doneCost, lastError));
        Report();
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var members = await Task.WhenAll(judges.Select((judge, i) => item.Valid.TryGetValue(i, out var kept)
                    ? Task.FromResult((Grade: kept, New: false))
                    : GradeOneAsync(judge, item.Sample, item.Mode, item.AnswerHash, ct)));
                var result = members[0].Grade;
                if (IsPanel)
                {
                    var ids = judges.Select(j => j.JudgeId(item.Mode)).ToList();
                    result = PanelGrades.Combine(item.Sample.SampleId, PanelGrades.Id(combine!.Value, ids), PanelName, combine.Value,
                        members.Select(m => m.Grade).ToList(), item.AnswerHash, DateTimeOffset.UtcNow);
                    // The panel's usage is its members' (already recorded with them): stored on the grade, not as usage again.
                    await store.SaveGradeAsync(result, CancellationToken.None);
                }
                lock (gate)
                {
                    done++;
                    if (result.Status == GradeStatus.Graded && result.Points is not null) graded++;
                    else { failed++; lastError = result.Error; }
                    foreach (var (g, _) in members) { doneIn += g.Usage.InputTokens; doneOut += g.Usage.OutputTokens; doneCost += g.Usage.CostUsd; }
                    Report();
                }
            });
        return new GradingOutcome(graded, already, failed, notGradable);
    }

    private async Task<(GradeRecord Grade, bool New)> GradeOneAsync(ProofGrader judge, SampleRecord sample, GradingMode mode, string answerHash,
        CancellationToken ct)
    {
        var judgeId = judge.JudgeId(mode);
        // Claimed before the judge is asked: another process grading the same store asks once, not twice; if it graded
        // this answer meanwhile, its grade is taken as it is.
        await using var claim = await store.Claims.ClaimWhenFreeAsync("grade:" + sample.SampleId + "/" + judgeId,
            async c => await store.FindGradeAsync(sample.SampleId, judgeId, c) is { Status: GradeStatus.Graded } g && g.AnswerHash == answerHash, ct);
        if (claim is null && await store.FindGradeAsync(sample.SampleId, judgeId, ct) is { } theirs) return (theirs, false);
        var clock = Stopwatch.StartNew();
        GradeOutcome outcome;
        try { outcome = await judge.GradeAsync(sample.Problem, sample.Answer ?? "", mode, ct); }
        catch (Qed.Llm.ChatEndpointException e) when (e.Failure == Qed.Llm.EndpointFailure.NotFound)
        {
            // A 404 is configuration, not a verdict: stop at once instead of recording every sample as grade_failed.
            throw new QedException($"{e.Endpoint} answered HTTP 404 Not Found: check the judge's base_url (OpenAI-compatible servers serve under /v1) and model name ({e.Detail})");
        }
        var grade = new GradeRecord(sample.SampleId, judge.JudgeId(mode), judge.JudgeName, outcome.Status,
            outcome.Points, outcome.MaxPoints, outcome.Desc, outcome.JudgeReply, outcome.DecidedBy, ProofGrader.DetailsJson(outcome),
            outcome.Usage, outcome.Error, DateTimeOffset.UtcNow, answerHash, clock.Elapsed.TotalSeconds);
        await store.SaveGradeWithUsageAsync(grade, CancellationToken.None);
        return (grade, true);
    }
}
