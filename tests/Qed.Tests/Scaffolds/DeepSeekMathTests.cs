using Qed.Runs;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class DeepSeekMathTests
{
    private static bool IsVerify(string c) => c.Contains("You are checking a proposed solution");
    private static bool IsRefine(string c) => c.Contains("Verifications of the earlier solution");
    private static bool IsGenerate(string c) => !IsVerify(c) && !IsRefine(c);

    private const string Params = "type: deepseek-math\npool_size: 2\nverification_pool_size: 3\nverifications_per_refinement: 2\nmax_iterations: 2\n";

    /// <summary>Proofs are numbered; a verifier scores a proof by the score the script assigns to its text.</summary>
    private static Func<string, ScriptedReply> Script(Func<string, string> score)
    {
        var n = 0;
        return c =>
        {
            if (IsVerify(c))
            {
                var proof = c[(c.LastIndexOf("# Proposed solution", StringComparison.Ordinal) + 20)..].Trim();
                return ScriptedReply.Text($"Checked {proof}.\nFinal score: \\boxed{{{score(proof)}}}");
            }
            var id = Interlocked.Increment(ref n);
            return ScriptedReply.Text($"## Solution\nproof-{id}\n\n## Self-Evaluation\nLooks right. \\boxed{{1}}");
        };
    }

    [Fact]
    public async Task Without_a_perfect_proof_it_runs_every_round_and_verifies_only_new_proofs()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => "0.5"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));

        var expected = new DeepSeekMathOptions(2, 3, 2, 2).Calls; // (2 + 1) * 2 * (1 + 3)
        bench.Server.RequestCount.Should().Be(expected).And.Be(24);
        bench.Count(IsGenerate).Should().Be(2);
        bench.Count(IsRefine).Should().Be(4);
        bench.Count(IsVerify).Should().Be(18);
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        // all tie at 0.5: the first proof of the pool wins, without its self-evaluation
        var first = outcome.Steps.Single(s => s.Name == "generate/proof-1").Answer;
        outcome.Sample.Answer.Should().MatchRegex("^proof-[12]$").And.Be(ProofSection.Parse(first).Value);
    }

    [Fact]
    public async Task Stops_early_once_a_proof_has_mean_score_one()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(p => p == "proof-2" ? "1" : "0"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));

        bench.Server.RequestCount.Should().Be(2 + 2 * 3);
        outcome.Sample.Answer.Should().Be("proof-2");
    }

    [Fact]
    public async Task Refines_the_best_proofs_given_their_lowest_scoring_verifications()
    {
        // proof-1 always 0, proof-2 always 0.5: round 1 refines both (pool size 2); a refined proof scoring 1 ends it
        var verifications = 0;
        await using var bench = await ScaffoldBench.StartAsync(Script(p =>
        {
            Interlocked.Increment(ref verifications);
            return p switch { "proof-1" => "0", "proof-2" => "0.5", _ => "1" };
        }));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));

        bench.Server.RequestCount.Should().Be(2 + 6 + 2 + 6);
        var refine = bench.Server.Requests.Select(ScaffoldBench.Conversation).Where(IsRefine).ToList();
        refine.Should().HaveCount(2);
        refine.Should().OnlyContain(c => c.Contains("### Verification 1") && c.Contains("### Verification 2") && !c.Contains("### Verification 3"));
        outcome.Sample.Answer.Should().MatchRegex("^proof-[34]$");
    }

    [Fact]
    public async Task An_unparsable_verification_counts_as_zero_and_never_stops_early()
    {
        var n = 0;
        await using var bench = await ScaffoldBench.StartAsync(c => IsVerify(c)
            ? ScriptedReply.Text("I think it is fine, score one.")
            : ScriptedReply.Text($"## Solution\nproof-{Interlocked.Increment(ref n)}\n## Self-Evaluation\n\\boxed{{1}}"));
        await bench.SolveAsync(bench.WriteScaffold(Params));
        bench.Server.RequestCount.Should().Be(24);
    }

    [Fact]
    public async Task A_failing_verifier_is_dropped_and_the_pool_goes_on()
    {
        var verifies = 0;
        var proofs = 0;
        await using var bench = await ScaffoldBench.StartAsync(c =>
        {
            if (!IsVerify(c)) return ScriptedReply.Text($"## Solution\nproof-{Interlocked.Increment(ref proofs)}\n## Self-Evaluation\nok");
            return Interlocked.Increment(ref verifies) == 1 ? ScriptedReply.Error(500) : ScriptedReply.Text("\\boxed{0}");
        });
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        bench.Server.RequestCount.Should().Be(24);
        outcome.Steps.Should().HaveCount(23); // the failed verification left no step
    }

    [Fact]
    public async Task A_budget_hands_in_the_best_verified_proof()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(p => p == "proof-2" ? "0.5" : "0"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params + "budget:\n  max_calls: 9\n"));

        bench.Server.RequestCount.Should().Be(9);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().Be("proof-2");
    }

    [Fact]
    public async Task Verifier_and_improver_roles_use_their_own_model_configs()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => "0"));
        await using var verifier = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text("\\boxed{0}"));
        await using var improver = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text("## Solution\nbetter\n## Self-Evaluation\nok"));
        var yaml = Params + $"verifier: {bench.WriteModel("verifier.yaml", verifier)}\nmodels:\n  improver: {bench.WriteModel("improver.yaml", improver)}\n";

        await bench.SolveAsync(bench.WriteScaffold(yaml));

        bench.Server.RequestCount.Should().Be(2);
        improver.RequestCount.Should().Be(4);
        verifier.RequestCount.Should().Be(18);
    }
}
