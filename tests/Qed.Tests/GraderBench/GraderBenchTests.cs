using System.Text.RegularExpressions;
using Qed.Grading;
using Qed.Grading.Quality;
using Qed.Llm;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Tests.GraderBench;

/// <summary>Grading a human-graded set through the run store, with one judge or a panel, against a loopback judge.</summary>
public partial class GraderBenchTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5) });

    [GeneratedRegex(@"\[score (\w+)\]")]
    private static partial Regex ScoreMarker();

    public async Task InitializeAsync()
    {
        _server = await LoopbackChatServer.StartAsync();
        // "lenient" gives the score written in the proof's [score N] marker; "strict" always gives 0;
        // a marker [score none] gets a reply with no verdict.
        _server.Responder = r =>
        {
            var marker = ScoreMarker().Match(r.LastUserMessage ?? "").Groups[1].Value;
            var strict = r.Json?["model"]?.GetValue<string>() == "strict";
            if (marker == "none") return ScriptedReply.Text("I would rather not say.");
            return new ScriptedReply { Content = $"<points>{(strict ? "0" : marker)} out of 7</points>", PromptTokens = 300, CompletionTokens = 20 };
        };
    }

    public async Task DisposeAsync() { await _server.DisposeAsync(); _factory.Dispose(); _dir.Dispose(); }

    private ProofGrader Judge(string model) => new(_factory.Create(ModelConfigLoader.Parse(model + ".yaml",
        $"model: {model}\nbase_url: {_server.BaseUrl}\nmax_retries: 0\nread_cost: 1\nwrite_cost: 4\n")));

    private static Task<HumanGradedSet> Set() => HumanGradedSet.LoadAsync(Path.Combine(RepoPaths.Fixtures, "grader-bench", "imo-gradingbench.csv"));

    [Fact]
    public async Task Grades_once_then_resumes_from_the_store()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("b.db"));
        var bench = new Qed.Grading.Quality.GraderBench(store, new JudgePanel([Judge("lenient")]));
        var first = await bench.RunAsync(await Set(), 1, 4, null, CancellationToken.None);

        // human 7 0 6 1, judge 7 1 6 7 → |errors| 0 1 0 6
        first.Metrics.N.Should().Be(4);
        first.Metrics.Mae.Should().BeApproximately(7.0 / 4, 1e-12);
        first.GradedNow.Should().Be(4);
        // 4 calls × (300 × $1 + 20 × $4) per million tokens
        first.JudgeUsage.CostUsd.Should().BeApproximately(4 * (300 * 1 + 20 * 4) / 1e6, 1e-12);
        _server.RequestCount.Should().Be(4);

        var again = await bench.RunAsync(await Set(), 1, 4, null, CancellationToken.None);
        again.GradedNow.Should().Be(0);
        _server.RequestCount.Should().Be(4, "a rerun grades nothing that is already graded");
        again.Metrics.Should().BeEquivalentTo(first.Metrics);
        again.JudgeUsage.Should().Be(first.JudgeUsage);

        var twice = await bench.RunAsync(await Set(), 2, 4, null, CancellationToken.None);
        _server.RequestCount.Should().Be(8, "--runs 2 adds only the second judging run");
        twice.Metrics.N.Should().Be(8);
        twice.Metrics.Mae.Should().BeApproximately(7.0 / 4, 1e-12);
    }

    [Fact]
    public async Task Panels_combine_by_min_or_mean()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("p.db"));
        // lenient 7 1 6 7, strict 0 0 0 0; human 7 0 6 1
        var min = await new Qed.Grading.Quality.GraderBench(store, new JudgePanel([Judge("lenient"), Judge("strict")], JudgeCombine.Min))
            .RunAsync(await Set(), 1, 4, null, CancellationToken.None);
        // min = 0 0 0 0 → |errors| 7 0 6 1
        min.Metrics.Mae.Should().BeApproximately(14.0 / 4, 1e-12);
        min.Metrics.Accuracy.Should().BeApproximately(0.25, 1e-12);
        min.Judges.Should().Be(2);
        _server.RequestCount.Should().Be(8);

        var mean = await new Qed.Grading.Quality.GraderBench(store, new JudgePanel([Judge("lenient"), Judge("strict")], JudgeCombine.Mean))
            .RunAsync(await Set(), 1, 4, null, CancellationToken.None);
        // mean = 3.5 0.5 3 3.5 → |errors| 3.5 0.5 3 2.5 = 9.5; the judges' grades are reused from the store
        mean.Metrics.Mae.Should().BeApproximately(9.5 / 4, 1e-12);
        _server.RequestCount.Should().Be(8);
        mean.GradedNow.Should().Be(0);
    }

    [Fact]
    public async Task Grade_failed_proofs_are_excluded_and_counted_never_scored_zero()
    {
        using var dir = new TempDirectory();
        var csv = File.ReadAllText(Path.Combine(RepoPaths.Fixtures, "grader-bench", "imo-gradingbench.csv")).Replace("It is obvious. [score 1]", "It is obvious. [score none]");
        var set = await HumanGradedSet.LoadAsync(dir.Write("gb.csv", csv));
        await using var store = await RunStore.OpenAsync(_dir.File("f.db"));
        var report = await new Qed.Grading.Quality.GraderBench(store, new JudgePanel([Judge("lenient")])).RunAsync(set, 1, 4, null, CancellationToken.None);

        report.GradeFailed.Should().Be(1);
        report.Metrics.N.Should().Be(3);
        // remaining human 7 6 1, judge 7 6 7 → |errors| 0 0 6 (had the failure counted as 0 points, MAE would be 6/4)
        report.Metrics.Mae.Should().BeApproximately(2, 1e-12);
        (await store.ListGradesAsync()).Count(g => g.Status == GradeStatus.Failed).Should().Be(1);
    }

    [Fact]
    public void A_panel_config_lists_judges_and_how_to_combine_them()
    {
        File.WriteAllText(_dir.File("a.yaml"), "model: a\n");
        var path = _dir.Write("panel.yaml", "judges: [a.yaml, google/gemini-3-pro]\ncombine: min\n");
        var panel = JudgePanelConfig.TryLoad(path)!;
        panel.Combine.Should().Be(JudgeCombine.Min);
        panel.Judges.Should().Equal(Path.Combine(_dir.Path, "a.yaml"), "google/gemini-3-pro");
        JudgePanelConfig.TryLoad(_dir.File("a.yaml")).Should().BeNull("an ordinary model config is a single judge");

        var bad = _dir.Write("bad.yaml", "judges: [a.yaml]\ncombine: median\n");
        var act = () => JudgePanelConfig.TryLoad(bad);
        act.Should().Throw<QedException>().WithMessage("*bad.yaml:2*combine*median*");
    }
}
