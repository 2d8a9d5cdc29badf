using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Parameters of <see cref="DeepSeekMath"/>; YAML names follow the original harness: <c>pool_size</c> (P),
/// <c>verification_pool_size</c> (V), <c>verifications_per_refinement</c>, <c>max_iterations</c> (R rounds).
/// </summary>
public sealed record DeepSeekMathOptions(int PoolSize, int Verifications, int VerificationsPerRefinement, int Rounds)
{
    public static DeepSeekMathOptions From(YamlConfig y) => new(
        y.Count("pool_size", 4), y.Count("verification_pool_size", 4), y.Count("verifications_per_refinement", 2),
        y.Count("max_iterations", 2, min: 0));

    /// <summary>Calls without early stop: P proofs and P·V verifications, then per round P refinements and P·V verifications.</summary>
    public int Calls => (Rounds + 1) * PoolSize * (1 + Verifications);
}

/// <summary>
/// DeepSeek-Math-V2-style generate / verify / refine. A pool of P proofs, each written with a self-evaluation; each
/// proof is verified V times with a score of 0, 0.5 or 1. Then for R rounds: take the P proofs with the highest mean
/// score, rewrite each given its lowest-scoring verifications, and verify only the new proofs. Stops early as soon as
/// some proof has mean score 1. The answer is the proof with the highest mean (ties: the earlier proof).
///
/// Roles: <c>solver</c> (generation), <c>verifier</c>, <c>improver</c> (refinement).
/// Parsing fallbacks: a reply without "## Solution" / "## Self-Evaluation" headings is taken whole as the proof; an
/// unparsable verification score counts as 0 (it vouches for nothing) and its text still goes to the refiner; a
/// proof whose reply was cut off has no text, is not verified and has mean 0.
/// Failures: a failed generation, refinement or verification is dropped and the pool goes on with the rest; the
/// sample fails only when every generation failed. Tie breaks among equal means are seeded per round.
/// Budget: the best proof so far by mean score (unverified proofs rank below verified ones).
/// </summary>
public sealed class DeepSeekMath(DeepSeekMathOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "deepseek-math";
    public static readonly IReadOnlyList<string> Roles = ["solver", "verifier", "improver"];

    private readonly PromptTemplate _generate = prompts.Get("Scaffolds/DeepSeekMath", "generate");
    private readonly PromptTemplate _verify = prompts.Get("Scaffolds/DeepSeekMath", "verify");
    private readonly PromptTemplate _refine = prompts.Get("Scaffolds/DeepSeekMath", "refine");

    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_generate, _verify, _refine];

    private sealed record Verification(string Text, double Score, bool Parsed);

    private sealed class Candidate(string id, StepResult step)
    {
        public string Id { get; } = id;
        public string Proof { get; } = ProofSection.Parse(step.Answer).Or(step.Answer.Trim());
        public StepResult Step { get; } = step;
        public List<Verification> Verifications { get; } = [];
        public double Mean => Verifications.Count == 0 ? 0 : Verifications.Average(v => v.Score);
    }

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var best = new BestProof();
        var pool = new List<Candidate>();
        try
        {
            var generated = await Branches.RunAsync(options.PoolSize,
                k => GenerateAsync(problem, context, $"proof-{k + 1}", best, cancellationToken), BranchFailure.Dropped);
            await VerifyAsync(problem, context, generated, best, cancellationToken);
            pool.AddRange(generated);

            for (var round = 1; round <= options.Rounds; round++)
            {
                if (pool.Any(c => c.Mean >= 1)) break;
                var tieBreak = context.RandomFor($"round-{round}/select");
                var top = pool.Shuffled(tieBreak).OrderByDescending(c => c.Mean).Take(options.PoolSize).ToList();
                var refined = await Branches.RunAsync(top.Count,
                    k => RefineAsync(problem, context, top[k], $"round-{round}/proof-{k + 1}", best, cancellationToken), BranchFailure.Dropped);
                await VerifyAsync(problem, context, refined, best, cancellationToken);
                pool.AddRange(refined);
            }

            var winner = pool.OrderByDescending(c => c.Mean).First(); // OrderBy is stable: ties keep the earlier proof
            return new SolveResult(winner.Proof, winner.Step.Reasoning, winner.Step.Truncated);
        }
        catch (BudgetExhaustedException)
        {
            return best.AtBudget();
        }
    }

    private async Task<Candidate> GenerateAsync(Problem problem, SolverContext context, string id, BestProof best, CancellationToken ct)
    {
        var step = await context.CallAsync($"generate/{id}", "solver", User(GeneratePrompt(problem)), cancellationToken: ct);
        var candidate = new Candidate(id, step);
        best.Offer(candidate.Proof, -1, step.Reasoning, step.Truncated);
        return candidate;
    }

    private async Task<Candidate> RefineAsync(Problem problem, SolverContext context, Candidate source, string id, BestProof best, CancellationToken ct)
    {
        var feedback = source.Verifications.OrderBy(v => v.Score).Take(options.VerificationsPerRefinement)
            .Select((v, i) => $"### Verification {i + 1}\n\n{v.Text}");
        var prompt = _refine.Render(new Dictionary<string, string?>
        {
            ["instructions"] = GeneratePrompt(problem),
            ["proof"] = source.Proof,
            ["verifications"] = string.Join("\n\n", feedback),
        });
        var step = await context.CallAsync($"refine/{id}", "improver", User(prompt), cancellationToken: ct);
        var candidate = new Candidate(id, step);
        best.Offer(candidate.Proof, -1, step.Reasoning, step.Truncated);
        return candidate;
    }

    /// <summary>Verifies each new proof V times, all in parallel; a failed verifier call is dropped.</summary>
    private async Task VerifyAsync(Problem problem, SolverContext context, IReadOnlyList<Candidate> candidates, BestProof best, CancellationToken ct)
    {
        var toVerify = candidates.Where(c => c.Proof.Length > 0).ToList();
        var jobs = toVerify.SelectMany(c => Enumerable.Range(1, options.Verifications).Select(k => (Candidate: c, K: k))).ToList();
        if (jobs.Count == 0) return;
        var results = await Branches.RunAsync(jobs.Count, async j =>
        {
            var (candidate, k) = jobs[j];
            var prompt = _verify.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["proof"] = candidate.Proof });
            var step = await context.CallAsync($"verify/{candidate.Id}/{k}", "verifier", User(prompt), cancellationToken: ct);
            var score = BoxedScore.Parse(step.Answer);
            return (candidate, k, new Verification(step.Answer, score.Or(0), score.IsParsed));
        }, BranchFailure.Dropped);
        foreach (var (candidate, _, verification) in results.OrderBy(r => r.k)) candidate.Verifications.Add(verification);
        foreach (var c in toVerify) best.Offer(c.Proof, c.Mean, c.Step.Reasoning, c.Step.Truncated);
    }

    private string GeneratePrompt(Problem problem) => _generate.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement });

    private static ChatMessage[] User(string text) => [new(ChatRole.User, text)];
}
