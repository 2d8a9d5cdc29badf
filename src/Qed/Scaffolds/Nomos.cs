using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Parameters of <see cref="Nomos"/>; YAML names follow the original harness: <c>n_solutions_to_generate</c> (N),
/// <c>max_kept_solutions</c> (K), <c>target_perfect_scores</c>.
/// </summary>
public sealed record NomosOptions(int Solutions, int MaxKept, int TargetPerfect)
{
    public static NomosOptions From(YamlConfig y) => new(
        y.Count("n_solutions_to_generate", 16), y.Count("max_kept_solutions", 12), y.Count("target_perfect_scores", 8));

    /// <summary>Calls when <paramref name="afterConsolidation"/> solutions reach the tournament: N solves, N scores,
    /// one consolidation and one match per eliminated solution.</summary>
    public int Calls(int afterConsolidation) => 2 * Solutions + 1 + Math.Max(0, afterConsolidation - 1);
}

/// <summary>
/// Nomos-style selection. N independent solutions, each scored 0–7 by a grader; if at least <c>target_perfect_scores</c>
/// are perfect (7) keep those, else keep the top K by score; one consolidation call groups the kept solutions by
/// their final conclusion and keeps the group it judges correct (majority or not); a single-elimination pairwise
/// tournament, seeded, picks the winner.
///
/// Roles: <c>solver</c>, <c>scorer</c>, <c>judge</c> (consolidation and matches).
/// Parsing fallbacks: an unparsable score counts as 0 and never as perfect; an unparsable <c>&lt;keep&gt;</c> list
/// keeps every submission (the consolidation could not narrow them down); an unparsable verdict is decided by a
/// seeded coin, like a tie. Failures: failed solves and scores are dropped (a failed score counts as 0); a failed
/// consolidation keeps everything; a failed match is a coin flip; the sample fails only when every solve failed.
/// Budget: the highest-scored solution so far.
/// </summary>
public sealed class Nomos(NomosOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "nomos";
    public static readonly IReadOnlyList<string> Roles = ["solver", "scorer", "judge"];
    public const int PerfectScore = 7;

    private readonly PromptTemplate _solve = prompts.Get("Scaffolds/Nomos", "solve");
    private readonly PromptTemplate _score = prompts.Get("Scaffolds/Nomos", "score");
    private readonly PromptTemplate _consolidate = prompts.Get("Scaffolds/Nomos", "consolidate");
    private readonly PromptTemplate _pairwise = prompts.Get("Scaffolds/Nomos", "pairwise");

    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_solve, _score, _consolidate, _pairwise];

    private sealed record Solution(int Number, StepResult Step, int Score);

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var best = new BestProof();
        try
        {
            var written = await Branches.RunAsync(options.Solutions, async k =>
                (Number: k + 1, Step: await context.CallAsync($"solve/{k + 1}", "solver", User(_solve, problem), cancellationToken: cancellationToken)),
                BranchFailure.Dropped);
            var scored = await ScoreAsync(problem, context, written, best, cancellationToken);
            var kept = KeepPerfectOrTop(scored, context);
            var agreeing = await ConsolidateAsync(problem, context, kept, cancellationToken);
            var winner = await TournamentAsync(problem, context, agreeing, cancellationToken);
            return new SolveResult(winner.Step.Answer, winner.Step.Reasoning, winner.Step.Truncated);
        }
        catch (BudgetExhaustedException)
        {
            return best.AtBudget();
        }
    }

    private async Task<List<Solution>> ScoreAsync(Problem problem, SolverContext context, IReadOnlyList<(int Number, StepResult Step)> written,
        BestProof best, CancellationToken ct)
    {
        var solutions = (await Branches.RunAsync(written.Count, async k =>
        {
            var (number, solution) = written[k];
            var prompt = _score.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["solution"] = solution.Answer });
            try
            {
                var step = await context.CallAsync($"score/{number}", "scorer", [new(ChatRole.User, prompt)], cancellationToken: ct);
                return new Solution(number, solution, BoxedPoints.Parse(step.Answer).Or(0));
            }
            catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException))
            {
                return new Solution(number, solution, 0); // a failed grader vouches for nothing
            }
        }, BranchFailure.Dropped)).ToList();
        foreach (var s in solutions) best.Offer(s.Step.Answer, s.Score, s.Step.Reasoning, s.Step.Truncated);
        return solutions;
    }

    private List<Solution> KeepPerfectOrTop(List<Solution> scored, SolverContext context)
    {
        var perfect = scored.Where(s => s.Score == PerfectScore).ToList();
        if (perfect.Count >= options.TargetPerfect) return perfect.Take(options.MaxKept).ToList();
        return scored.Shuffled(context.RandomFor("filter")).OrderByDescending(s => s.Score).Take(options.MaxKept).ToList();
    }

    private async Task<List<Solution>> ConsolidateAsync(Problem problem, SolverContext context, List<Solution> kept, CancellationToken ct)
    {
        var submissions = string.Join("\n\n", kept.Select((s, i) =>
            $"### Submission {i + 1}\n\n{s.Step.Answer}\n\n(Grader's score: {s.Score}/7)"));
        var prompt = _consolidate.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["submissions"] = submissions });
        try
        {
            var step = await context.CallAsync("consolidate", "judge", [new(ChatRole.User, prompt)], cancellationToken: ct);
            var keep = KeepList.Parse(step.Answer, kept.Count);
            return keep.IsParsed ? keep.Value.Select(i => kept[i]).ToList() : kept;
        }
        catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException))
        {
            return kept;
        }
    }

    private async Task<Solution> TournamentAsync(Problem problem, SolverContext context, List<Solution> field, CancellationToken ct)
    {
        for (var round = 1; field.Count > 1; round++)
        {
            var order = field.Shuffled(context.RandomFor($"tournament/round-{round}"));
            var matches = order.Count / 2;
            var winners = await Branches.RunAsync(matches,
                m => MatchAsync(problem, context, order[2 * m], order[2 * m + 1], $"tournament/round-{round}/match-{m + 1}", ct),
                BranchFailure.FailsSample);
            field = order.Count % 2 == 1 ? [.. winners, order[^1]] : [.. winners];
        }
        return field[0];
    }

    private async Task<Solution> MatchAsync(Problem problem, SolverContext context, Solution first, Solution second, string name, CancellationToken ct)
    {
        var prompt = _pairwise.Render(new Dictionary<string, string?>
        {
            ["problem"] = problem.Statement, ["first"] = first.Step.Answer, ["second"] = second.Step.Answer,
        });
        var verdict = Parsed<PairwiseWinner>.Unparsable("the judge call failed");
        try
        {
            var step = await context.CallAsync(name, "judge", [new(ChatRole.User, prompt)], cancellationToken: ct);
            verdict = PairwiseVerdict.Parse(step.Answer);
        }
        catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException)) { }
        return verdict.Or(PairwiseWinner.Tie) switch
        {
            PairwiseWinner.First => first,
            PairwiseWinner.Second => second,
            _ => context.RandomFor(name).Next(2) == 0 ? first : second,
        };
    }

    private static ChatMessage[] User(PromptTemplate prompt, Problem problem) =>
        [new(ChatRole.User, prompt.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement }))];
}
