using Qed.Benchmarks;
using Qed.Grading;
using Qed.Llm;
using Qed.Runs;
using Qed.Stats;
using Qed.Testing;

namespace Qed.Tests.Grading;

/// <summary>Grading keeps judges apart, records the answer it judged, and reports progress that never goes back.</summary>
public class GradingPassTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5) });

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _factory.Dispose(); _dir.Dispose(); }

    private ProofGrader Judge(string name) => new(_factory.Create(ModelConfigLoader.Parse(name + ".yaml",
        $"model: {name}\nbase_url: {_server.BaseUrl}\nmax_retries: 0\nread_cost: 1\nwrite_cost: 1\n")));

    private sealed class Recorder : IProgress<GradeProgress>
    {
        public List<GradeProgress> Reports { get; } = [];
        public void Report(GradeProgress value) { lock (Reports) Reports.Add(value); }
    }

    private async Task<RunStore> StoreWithSamplesAsync(int n)
    {
        var store = await RunStore.OpenAsync(_dir.File("g.db"));
        await store.EnsureRunAsync(new RunInfo("r", "bench", "Proof", "m", "{}", null, null, "h", DateTimeOffset.UtcNow));
        for (var i = 0; i < n; i++)
        {
            var p = new Problem($"p{i}", $"Prove {i}.", "ref", "guide");
            await store.AddSampleAsync($"s{i}", "r", p, 0);
            await store.CompleteSampleAsync($"s{i}", SampleStatus.Ok, $"Proof {i}.", null, null, UsageTotals.Zero, 1);
        }
        return store;
    }

    [Fact]
    public async Task A_resumed_pass_counts_what_was_stored_and_progress_never_goes_back()
    {
        await using var store = await StoreWithSamplesAsync(6);
        // First pass: problems 0–2 get a verdict, 3–5 none (grade_failed).
        _server.Responder = r => int.Parse(r.LastUserMessage!.Split("Prove ")[1][..1]) < 3
            ? new ScriptedReply { Content = "<points>7 out of 7</points>", PromptTokens = 100, CompletionTokens = 10 }
            : ScriptedReply.Text("no verdict");
        var first = new Recorder();
        var o1 = await new GradingPass(store, Judge("a")).RunAsync(2, first, CancellationToken.None);
        o1.Should().Be(new GradingOutcome(3, 0, 3, 0));
        o1.AllFailed.Should().BeFalse();
        first.Reports.Last().Done.Should().Be(6);
        first.Reports.Last().Failed.Should().Be(3);
        first.Reports.Last().CostUsd.Should().BeGreaterThan(0);

        _server.Responder = _ => new ScriptedReply { Content = "<points>1 out of 7</points>", PromptTokens = 100, CompletionTokens = 10 };
        var second = new Recorder();
        var o2 = await new GradingPass(store, Judge("a")).RunAsync(2, second, CancellationToken.None);
        o2.Should().Be(new GradingOutcome(3, 3, 0, 0));
        second.Reports[0].Done.Should().Be(3, "the stored grades count from the start");
        second.Reports[0].Total.Should().Be(6);
        second.Reports[0].InputTokens.Should().Be(300, "the stored grades' tokens are part of the totals");
        second.Reports.Select(r => r.Done).Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task An_overwritten_answer_is_graded_again_and_a_panel_records_members_and_combination()
    {
        await using var store = await StoreWithSamplesAsync(2);
        _server.Responder = r => r.Json!["model"]!.GetValue<string>() == "a"
            ? ScriptedReply.Text("<points>7 out of 7</points>") : ScriptedReply.Text("<points>1 out of 7</points>");
        var panel = new GradingPass(store, [Judge("a"), Judge("b")], PanelCombine.Mean);
        (await panel.RunAsync(2, null, CancellationToken.None)).Graded.Should().Be(2);
        var rows = await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None);
        rows.Select(r => r.Judge!.Name).Should().BeEquivalentTo(["a", "b", "panel-mean(a,b)"]);
        rows.Single(r => r.Judge!.IsPanel).Score.Should().BeApproximately(100.0 * 4 / 7, 1e-9);

        var before = _server.RequestCount;
        (await panel.RunAsync(2, null, CancellationToken.None)).AlreadyGraded.Should().Be(2);
        _server.RequestCount.Should().Be(before);

        // Another process overwrote one answer after it was graded: that grade no longer counts, and grading again judges the new answer.
        var s0 = (await store.GetSampleAsync("s0"))!;
        await store.ReopenSampleAsync("s0"); // started over on purpose: a finished sample is never overwritten otherwise
        await store.CompleteSampleAsync("s0", SampleStatus.Ok, "A new proof.", null, null, UsageTotals.Zero, 1);
        (await StatsQuery.ComputeAsync(store, new RunSelection(Judge: "a"), CancellationToken.None)).Single().Graded.Should().Be(1);
        var again = await panel.RunAsync(2, null, CancellationToken.None);
        again.Graded.Should().Be(1);
        again.AlreadyGraded.Should().Be(1);
        _server.RequestCount.Should().Be(before + 2);
        var grade = (await store.ListGradesOfRunAsync("r")).Single(g => g.SampleId == "s0" && g.JudgeName == "a");
        grade.AnswerHash.Should().Be(AnswerHashing.Of("A new proof.")).And.NotBe(AnswerHashing.Of(s0.Answer));
    }
}
