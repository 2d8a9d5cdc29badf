using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Runs;
using Qed.Solvers;

namespace Qed.Viewer.Tests.Viewer;

public sealed record SeedProblem(string Id, string Statement, string? Level, string? Category,
    string? ReferenceSolution = null, string? Guidelines = null, string? MarkingScheme = null);

public sealed record SeedStep(string Name, string Role, string Prompt, string Answer, long InputTokens, long OutputTokens);

/// <param name="Points">the judge's points out of 7; null = not graded; with <paramref name="GradeFailed"/> the judge failed.</param>
public sealed record SeedSample(SeedProblem Problem, int Index, string Status, string? Answer, double? Points,
    string? Verdict = null, bool GradeFailed = false, string? Reasoning = null, string? Error = null,
    long InputTokens = 500, long OutputTokens = 2000, double CostUsd = 0.01, IReadOnlyList<SeedStep>? Steps = null);

public sealed record SeedRun(string RunId, string Benchmark, string Model, string? Scaffold, IReadOnlyList<SeedSample> Samples);

/// <summary>Writes runs into a run store file through the run store's own API, as <c>qed eval</c> would.</summary>
public static class SeededStore
{
    public static async Task WriteAsync(string path, IEnumerable<SeedRun> runs)
    {
        await using var store = await RunStore.OpenAsync(path);
        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var n = 0;
        foreach (var run in runs)
        {
            await store.EnsureRunAsync(new RunInfo(run.RunId, run.Benchmark, "proof", run.Model, "{}", run.Scaffold,
                run.Scaffold is null ? null : "{}", "prompts-hash", at.AddMinutes(n++)));
            // Queued writes commit in order and in groups (RunStore's group commit), like many samples solved at once.
            var writes = new List<Task>();
            foreach (var s in run.Samples)
            {
                var id = $"{run.RunId}/{s.Problem.Id}/{s.Index}";
                var problem = new Problem(s.Problem.Id, s.Problem.Statement, s.Problem.ReferenceSolution, s.Problem.Guidelines,
                    s.Problem.MarkingScheme, Level: s.Problem.Level, Category: s.Problem.Category, Benchmark: run.Benchmark);
                writes.Add(store.AddSampleAsync(id, run.RunId, problem, s.Index));
                var k = 0;
                foreach (var step in s.Steps ?? [])
                {
                    // As SolverContext does: the step and its usage row together (the viewer reads spend from usage rows).
                    writes.Add(store.SaveStepWithUsageAsync(new StepRecord(id, $"step-{k++}", step.Name, step.Role, "m",
                        SolverContext.MessagesJson([new ChatMessage(ChatRole.User, step.Prompt)]), step.Answer, null, false, "stop",
                        step.InputTokens, step.OutputTokens, 0.001, 1.0, null, at), "solve"));
                }
                if (s.Steps is not { Count: > 0 })
                    writes.Add(store.RecordUsageAsync(id, "solve", run.Model, s.InputTokens, s.OutputTokens, s.CostUsd));
                writes.Add(store.CompleteSampleAsync(id, SampleStatusText.Parse(s.Status), s.Answer, s.Reasoning, s.Error,
                    new UsageTotals(s.InputTokens, s.OutputTokens, s.CostUsd, 1 + (s.Steps?.Count ?? 0)), 1.0));
                if (s.Points is not null || s.GradeFailed)
                {
                    writes.Add(store.SaveGradeWithUsageAsync(new GradeRecord(id, "judge-1", "gpt-oss-20b",
                        s.GradeFailed ? GradeStatus.Failed : GradeStatus.Graded, s.GradeFailed ? null : s.Points, 7, null, s.Verdict,
                        "judge", null, new UsageTotals(100, 50, 0.001, 1), s.GradeFailed ? "judge reply had no points tag" : null, at)));
                }
            }
            await Task.WhenAll(writes);
        }
    }
}
