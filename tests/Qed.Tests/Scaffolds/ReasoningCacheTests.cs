using Qed.Runs;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class ReasoningCacheTests
{
    private static bool IsSummary(string c) => c.Contains("Reasoning of the latest attempt");

    /// <summary>Attempt k thinks "thinking k" and answers "proof k"; summary k says "summary k".</summary>
    private static Func<string, ScriptedReply> Script()
    {
        var attempts = 0;
        var summaries = 0;
        return c => IsSummary(c)
            ? ScriptedReply.Text($"summary {Interlocked.Increment(ref summaries)}")
            : ScriptedReply.Text($"proof {Interlocked.Increment(ref attempts)}", reasoning: $"thinking {attempts}");
    }

    [Fact]
    public async Task Makes_two_n_minus_one_calls_and_hands_in_the_last_visible_proof()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 4\n"));

        bench.Server.RequestCount.Should().Be(new ReasoningCacheOptions(4).Calls).And.Be(7);
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Sample.Answer.Should().Be("proof 4");
        outcome.Steps.Select(s => s.Name).Should().Equal(
            "iteration-1/solve", "iteration-1/summarize", "iteration-2/solve", "iteration-2/summarize",
            "iteration-3/solve", "iteration-3/summarize", "iteration-4/solve");
    }

    [Fact]
    public async Task Summarises_the_thinking_and_feeds_the_summary_to_the_next_attempt_only()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 3\n"));

        var requests = bench.Server.Requests.Select(ScaffoldBench.Conversation).ToList();
        requests[0].Should().Contain(ReasoningCache.NoSummary).And.Contain(ScaffoldBench.Problem.Statement);
        requests[1].Should().Contain("thinking 1").And.NotContain("proof 1"); // the thinking, not the visible answer
        requests[2].Should().Contain("summary 1").And.NotContain("thinking 1");
        requests[3].Should().Contain("thinking 2").And.Contain("summary 1"); // summarised in the light of the previous summary
        requests[4].Should().Contain("summary 2").And.NotContain("summary 1");
    }

    [Fact]
    public async Task Summarises_the_visible_reply_when_the_endpoint_returns_no_thinking()
    {
        await using var bench = await ScaffoldBench.StartAsync(c => IsSummary(c) ? ScriptedReply.Text("s") : ScriptedReply.Text("visible attempt"));
        await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 2\n"));
        ScaffoldBench.Conversation(bench.Server.Requests[1]).Should().Contain("visible attempt");
    }

    [Fact]
    public async Task A_budget_stops_it_with_the_latest_proof_and_marks_the_sample()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 10\nbudget:\n  max_calls: 4\n"));

        bench.Server.RequestCount.Should().Be(4);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().Be("proof 2");
    }

    [Fact]
    public async Task An_output_token_budget_counts_every_call()
    {
        // each reply reports 50 output tokens: after 3 calls 150 >= 120, so the fourth is never sent
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 10\nmax_output_tokens: 120\n"));
        bench.Server.RequestCount.Should().Be(3);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Usage.OutputTokens.Should().Be(150);
    }

    [Fact]
    public async Task A_summarizer_role_uses_its_own_model_config()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        await using var summarizer = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text("summary from the second model"));
        var summarizerModel = bench.WriteModel("summarizer.yaml", summarizer);

        var outcome = await bench.SolveAsync(bench.WriteScaffold($"type: reasoning-cache\nn_iterations: 3\nsummarizer: {summarizerModel}\n"));

        bench.Server.RequestCount.Should().Be(3);
        summarizer.RequestCount.Should().Be(2);
        summarizer.Requests.Should().OnlyContain(r => r.Json!["model"]!.GetValue<string>() == "summarizer");
        ScaffoldBench.Conversation(bench.Server.Requests[1]).Should().Contain("summary from the second model");
        outcome.Steps.Where(s => s.Role == "summarizer").Should().OnlyContain(s => s.Model == "summarizer");
    }

    [Fact]
    public async Task A_cut_off_final_attempt_makes_the_sample_truncated()
    {
        var calls = 0;
        await using var bench = await ScaffoldBench.StartAsync(c => Interlocked.Increment(ref calls) == 3
            ? ScriptedReply.TruncatedThinking("<think>almost there")
            : ScriptedReply.Text("proof", "thinking"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 2\n"));
        outcome.Sample.Status.Should().Be(SampleStatus.Truncated);
    }
}
