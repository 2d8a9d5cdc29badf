using Qed.Runs;

namespace Qed.Grading.Quality;

/// <summary>What a grader-bench run measured.</summary>
/// <param name="Items">human-graded proofs in the set.</param>
/// <param name="GradeFailed">(proof, run) judgements with a grade_failed verdict from some judge: excluded from the metrics.</param>
/// <param name="Ungraded">(proof, run) judgements with no grade stored (e.g. interrupted): excluded from the metrics.</param>
/// <param name="GradedNow">judge grades made by this invocation (the rest came from the run store).</param>
/// <param name="JudgeUsage">tokens and dollars of all the stored judge grades the metrics rest on.</param>
public sealed record GraderBenchReport(string Data, HumanGradedLayout Layout, string Judge, JudgeCombine Combine, int Judges,
    int Items, int Runs, AgreementMetrics Metrics, int GradeFailed, int Ungraded, int GradedNow, UsageTotals JudgeUsage);

/// <summary>
/// Grades every human-graded proof <c>runs</c> times with a judge panel through <see cref="ProofGrader"/>, keeping every
/// grade in the run store (a grader-bench run is a run whose samples are the human-graded responses), then compares.
/// A rerun grades only what has no graded verdict yet; grade_failed verdicts are tried again and are never scored.
/// </summary>
public sealed class GraderBench(RunStore store, JudgePanel panel)
{
    public async Task<GraderBenchReport> RunAsync(HumanGradedSet set, int runs, int concurrency,
        IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (runs < 1) throw new QedException($"--runs must be at least 1 (got {runs})");
        var runId = Llm.Hashing.Sha256Hex("grader-bench", set.ContentHash());
        await store.EnsureRunAsync(new RunInfo(runId, "grader-bench/" + set.Name, set.Mode.ToString(), "human-graded", "{}",
            null, null, "", DateTimeOffset.UtcNow), cancellationToken);

        var stored = (await store.ListSamplesAsync(runId, cancellationToken)).ToDictionary(s => s.SampleId);
        var samples = new List<(HumanGradedProof Proof, int Run, string SampleId)>();
        foreach (var proof in set.Proofs)
            for (var run = 0; run < runs; run++)
            {
                // The response is part of the identity: an edited response is a new sample, never judged by an old grade.
                var sampleId = Llm.Hashing.Sha256Hex("grader-bench", runId, proof.ItemId, Llm.Hashing.Sha256Hex(proof.Response), run.ToString());
                if (!stored.TryGetValue(sampleId, out var s) || s.Status != SampleStatus.Ok)
                {
                    await store.AddSampleAsync(sampleId, runId, proof.Problem, run, cancellationToken);
                    await store.CompleteSampleAsync(sampleId, SampleStatus.Ok, proof.Response, null, null, UsageTotals.Zero, 0, cancellationToken);
                }
                samples.Add((proof, run, sampleId));
            }

        var judgeIds = panel.JudgeIds(set.Mode).ToList();
        var grades = new Dictionary<(string SampleId, string JudgeId), GradeRecord>();
        foreach (var judgeId in judgeIds.Distinct())
            foreach (var g in await store.ListGradesAsync(judgeId, cancellationToken))
                grades[(g.SampleId, g.JudgeId)] = g;

        var todo = (from s in samples
                    from j in Enumerable.Range(0, panel.Graders.Count)
                    where !(grades.TryGetValue((s.SampleId, judgeIds[j]), out var g) && g.Status == GradeStatus.Graded)
                    select (s.Proof, s.SampleId, Judge: j)).ToList();
        var gradedNow = 0;
        var done = 0;
        var gate = new object();
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var grader = panel.Graders[item.Judge];
                var outcome = await grader.GradeAsync(item.Proof.Problem, item.Proof.Response, set.Mode, ct);
                var record = new GradeRecord(item.SampleId, judgeIds[item.Judge], grader.JudgeName, outcome.Status, outcome.Points,
                    outcome.MaxPoints, outcome.Desc, outcome.JudgeReply, outcome.DecidedBy, ProofGrader.DetailsJson(outcome),
                    outcome.Usage, outcome.Error, DateTimeOffset.UtcNow);
                // Saved even if the command is being cancelled: a paid-for verdict is never lost.
                await store.SaveGradeAsync(record, CancellationToken.None);
                if (outcome.Usage.Calls > 0)
                    await store.RecordUsageAsync(item.SampleId, "grade", grader.JudgeName, outcome.Usage.InputTokens,
                        outcome.Usage.OutputTokens, outcome.Usage.CostUsd, CancellationToken.None);
                lock (gate) grades[(item.SampleId, record.JudgeId)] = record;
                Interlocked.Increment(ref gradedNow);
                progress?.Report((Interlocked.Increment(ref done), todo.Count));
            });

        var pairs = new List<ScorePair>();
        int failed = 0, ungraded = 0;
        var usage = UsageTotals.Zero;
        foreach (var s in samples)
        {
            var records = judgeIds.Select(j => grades.GetValueOrDefault((s.SampleId, j))).ToList();
            foreach (var r in records.OfType<GradeRecord>())
                usage = new UsageTotals(usage.InputTokens + r.Usage.InputTokens, usage.OutputTokens + r.Usage.OutputTokens,
                    usage.CostUsd + r.Usage.CostUsd, usage.Calls + r.Usage.Calls);
            if (panel.CombinedPoints(records) is { } points) pairs.Add(new ScorePair(s.Proof.Problem.Id, s.Run, s.Proof.HumanPoints, points));
            else if (records.Any(r => r?.Status == GradeStatus.Failed)) failed++;
            else ungraded++;
        }
        return new GraderBenchReport(set.Name, set.Layout, panel.Name, panel.Combine, panel.Graders.Count, set.Proofs.Count, runs,
            Agreement.Compute(pairs), failed, ungraded, gradedNow, usage);
    }
}

/// <summary>The <c>qed grader-bench --json</c> object.</summary>
public static class GraderBenchJson
{
    public static System.Text.Json.Nodes.JsonObject ToJson(this GraderBenchReport r)
    {
        var m = r.Metrics;
        return new System.Text.Json.Nodes.JsonObject
        {
            ["data"] = r.Data,
            ["layout"] = r.Layout.ToString(),
            ["judge"] = r.Judge,
            ["judges"] = r.Judges,
            ["combine"] = r.Combine.ToString().ToLowerInvariant(),
            ["items"] = r.Items,
            ["runs"] = r.Runs,
            ["n"] = m.N,
            ["grade_failed"] = r.GradeFailed,
            ["ungraded"] = r.Ungraded,
            ["graded_now"] = r.GradedNow,
            ["mae"] = m.Mae,
            ["accuracy"] = m.Accuracy,
            ["bucket_accuracy"] = m.BucketAccuracy,
            ["pearson"] = m.Pearson,
            ["spearman"] = m.Spearman,
            ["kendall"] = m.Kendall,
            ["pairwise_consistency"] = m.PairwiseConsistency,
            ["pairwise_comparisons"] = m.PairwiseComparisons,
            ["centred_mae"] = m.CentredMae,
            ["cost_usd"] = r.JudgeUsage.CostUsd,
            ["input_tokens"] = r.JudgeUsage.InputTokens,
            ["output_tokens"] = r.JudgeUsage.OutputTokens,
            ["judge_calls"] = r.JudgeUsage.Calls,
            ["confusion"] = Matrix(m.BucketConfusion),
            ["confusion_points"] = Matrix(m.PointsConfusion),
        };
    }

    private static System.Text.Json.Nodes.JsonObject Matrix(ConfusionMatrix c) => new()
    {
        ["rows"] = "human",
        ["columns"] = "judge",
        ["labels"] = new System.Text.Json.Nodes.JsonArray(c.Labels.Select(l => (System.Text.Json.Nodes.JsonNode?)l).ToArray()),
        ["counts"] = new System.Text.Json.Nodes.JsonArray(c.Counts.Select(row =>
            (System.Text.Json.Nodes.JsonNode?)new System.Text.Json.Nodes.JsonArray(row.Select(x => (System.Text.Json.Nodes.JsonNode?)x).ToArray())).ToArray()),
    };
}
