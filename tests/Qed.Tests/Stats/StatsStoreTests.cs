using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Grading;
using Qed.Runs;
using Qed.Stats;
using Qed.Testing;

namespace Qed.Tests.Stats;

/// <summary>A store with 3 runs × 2 judges: every number is one run's and one judge's.</summary>
public class StatsStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly Problem[] Problems =
    [
        new("PB-Basic-001", "Prove A.", Level: "Basic"), new("PB-Basic-002", "Prove B.", Level: "Basic"), new("PB-Advanced-001", "Prove C.", Level: "Advanced"),
    ];

    private static RunInfo Run(string id, string model, string? scaffold, string bench = "imo-proofbench", string protocol = "qed") =>
        new(id, bench, "Proof", model, "{}", scaffold, scaffold is null ? null : "{}", "h", DateTimeOffset.UtcNow, protocol);

    /// <summary>Runs: plain (qed-nano model), rc (same model with a scaffold), other (another model); judges A and B.
    /// Judge A gives points[run][k][problem]; judge B gives 7 − that.</summary>
    private async Task<RunStore> SeedAsync(string name = "s.db")
    {
        var store = await RunStore.OpenAsync(_dir.File(name));
        var runs = new[] { Run("aaaa1111", "vllm/qed-nano", null), Run("aaaa2222", "vllm/qed-nano", "reasoning-cache"), Run("bbbb3333", "openai/gpt-oss-120b", null, protocol: "qed-nano") };
        double[][][] points =
        [
            [[7, 1, 0], [7, 7, 0]],
            [[7, 7, 7], [7, 7, 6]],
            [[0, 0, 0], [1, 0, 0]],
        ];
        for (var r = 0; r < runs.Length; r++)
        {
            await store.EnsureRunAsync(runs[r]);
            for (var k = 0; k < 2; k++)
                for (var p = 0; p < Problems.Length; p++)
                {
                    var id = EvalPlan.SampleId(runs[r].RunId, Problems[p], k);
                    var answer = $"Proof {r}{k}{p}.";
                    await store.AddSampleAsync(id, runs[r].RunId, Problems[p], k);
                    await store.CompleteSampleAsync(id, SampleStatus.Ok, answer, null, null, new UsageTotals(10, 100 * (p + 1), 0.01, 1), 1);
                    await store.SaveGradeAsync(Grade(id, "judge-a", "A", points[r][k][p], answer));
                    await store.SaveGradeAsync(Grade(id, "judge-b", "B", 7 - points[r][k][p], answer));
                }
        }
        return store;
    }

    private static GradeRecord Grade(string sampleId, string judgeId, string name, double? points, string answer, string status = GradeStatus.Graded) =>
        new(sampleId, judgeId, name, status, points, 7, null, null, "judge", null, new UsageTotals(50, 5, 0.001, 1), null, DateTimeOffset.UtcNow,
            AnswerHashing.Of(answer));

    private static Task<IReadOnlyList<EvalStats>> Stats(RunStore store, RunSelection s) => StatsQuery.ComputeAsync(store, s, CancellationToken.None);

    [Fact]
    public async Task Every_run_and_judge_is_its_own_row_and_nothing_is_pooled()
    {
        await using var store = await SeedAsync();
        var rows = await Stats(store, RunSelection.All);
        rows.Should().HaveCount(6);
        rows.Select(r => (r.Run.RunId, r.Judge!.Name)).Should().OnlyHaveUniqueItems();
        var plainA = rows.Single(r => r.Run.RunId == "aaaa1111" && r.Judge!.Name == "A");
        plainA.PerRunScores[0].Should().BeApproximately(100.0 * 8 / 21, 1e-9);
        plainA.PerRunScores[1].Should().BeApproximately(100.0 * 14 / 21, 1e-9);
        plainA.Score.Should().BeApproximately(100.0 * 11 / 21, 1e-9);
        plainA.Complete.Should().BeTrue();
        plainA.Samples.Should().Be(6);
        plainA.CostUsd.Should().BeApproximately(6 * 0.01 + 6 * 0.001, 1e-12, "solving of this run plus this judge's grading only");
        var plainB = rows.Single(r => r.Run.RunId == "aaaa1111" && r.Judge!.Name == "B");
        plainB.Score.Should().BeApproximately(100 - plainA.Score!.Value, 1e-9);
        rows.Single(r => r.Run.RunId == "bbbb3333" && r.Judge!.Name == "A").Run.Protocol.Should().Be("qed-nano");
    }

    [Fact]
    public async Task Each_selection_flag_narrows_the_rows()
    {
        await using var store = await SeedAsync();
        (await Stats(store, new RunSelection(Run: "aaaa2"))).Should().HaveCount(2).And.OnlyContain(r => r.Run.RunId == "aaaa2222");
        (await Stats(store, new RunSelection(Model: "qed-nano"))).Should().HaveCount(4);
        (await Stats(store, new RunSelection(Model: "openai/gpt-oss-120b"))).Should().HaveCount(2);
        (await Stats(store, new RunSelection(Scaffold: "none"))).Should().HaveCount(4);
        (await Stats(store, new RunSelection(Scaffold: "reasoning-cache"))).Should().HaveCount(2);
        (await Stats(store, new RunSelection(Bench: "imo-proofbench"))).Should().HaveCount(6);
        (await Stats(store, new RunSelection(Bench: "imo-answerbench"))).Should().BeEmpty();
        (await Stats(store, new RunSelection(Judge: "B"))).Should().HaveCount(3).And.OnlyContain(r => r.Judge!.Name == "B");
        (await Stats(store, new RunSelection(Protocol: "qed-nano"))).Should().HaveCount(2);
        var one = await StatsQuery.ComputeOneAsync(store, new RunSelection(Model: "qed-nano", Scaffold: "none", Judge: "A"), CancellationToken.None);
        one.Run.RunId.Should().Be("aaaa1111");
    }

    [Fact]
    public async Task An_ambiguous_selection_names_the_candidates_and_the_flag_that_picks_one()
    {
        await using var store = await SeedAsync();
        var act = () => StatsQuery.ComputeOneAsync(store, new RunSelection(Model: "qed-nano", Judge: "A"), CancellationToken.None);
        var e = (await act.Should().ThrowAsync<AmbiguousSelectionException>()).Which;
        e.Candidates.Should().HaveCount(2);
        e.Message.Should().Contain("--scaffold").And.Contain("--run ID").And.Contain("aaaa1111").And.Contain("aaaa2222");
        var prefix = () => Stats(store, new RunSelection(Run: "aaaa"));
        (await prefix.Should().ThrowAsync<AmbiguousSelectionException>()).Which.Message.Should().Contain("matches 2 runs");
        var none = () => StatsQuery.ComputeOneAsync(store, new RunSelection(Judge: "C"), CancellationToken.None);
        await none.Should().ThrowAsync<AmbiguousSelectionException>();
    }

    [Fact]
    public async Task A_grade_of_an_answer_that_changed_is_not_counted_and_a_failing_judge_leaves_others_alone()
    {
        await using var store = await SeedAsync();
        var before = (await Stats(store, new RunSelection(Run: "aaaa1111", Judge: "A"))).Single();
        var samples = await store.ListSamplesAsync("aaaa1111");
        // Judge C fails every verdict: its own row says so, A's row is unchanged.
        foreach (var s in samples) await store.SaveGradeAsync(Grade(s.SampleId, "judge-c", "C", null, s.Answer!, GradeStatus.Failed));
        var c = (await Stats(store, new RunSelection(Run: "aaaa1111", Judge: "C"))).Single();
        c.Graded.Should().Be(0);
        c.GradeFailed.Should().Be(6);
        c.Score.Should().Be(0);
        c.ScoreGraded.Should().BeNull();
        c.Complete.Should().BeFalse();
        (await Stats(store, new RunSelection(Run: "aaaa1111", Judge: "A"))).Single().Should().BeEquivalentTo(before, o => o.Excluding(x => x.Scored));

        // One sample is started over on purpose and gets another answer: A's grade of the old answer no longer counts.
        var first = samples.First(s => s.RunIndex == 0 && s.ProblemId == "PB-Basic-001");
        await store.ReopenSampleAsync(first.SampleId);
        await store.CompleteSampleAsync(first.SampleId, SampleStatus.Ok, "A different proof.", null, null, first.Usage, 1);
        var after = (await Stats(store, new RunSelection(Run: "aaaa1111", Judge: "A"))).Single();
        after.Graded.Should().Be(5);
        after.Ungraded.Should().Be(1);
        after.Complete.Should().BeFalse();
        after.PerRunScores[0].Should().BeApproximately(100.0 * 1 / 21, 1e-9);
    }

    [Fact]
    public void Panels_combine_members_by_min_or_mean_and_fail_when_a_member_failed()
    {
        var a = Grade("s", "ja", "A", 7, "x");
        var b = Grade("s", "jb", "B", 1, "x");
        var min = PanelGrades.Combine("s", "p", PanelGrades.Name(PanelCombine.Min, ["A", "B"]), PanelCombine.Min, [a, b], "h", DateTimeOffset.UtcNow);
        min.Points.Should().Be(1);
        min.JudgeName.Should().Be("panel-min(A,B)");
        min.Usage.CostUsd.Should().BeApproximately(0.002, 1e-12);
        PanelGrades.Combine("s", "p", "panel", PanelCombine.Mean, [a, b], "h", DateTimeOffset.UtcNow).Points.Should().Be(4);
        var failed = PanelGrades.Combine("s", "p", "panel", PanelCombine.Mean, [a, Grade("s", "jb", "B", null, "x", GradeStatus.Failed)], "h", DateTimeOffset.UtcNow);
        failed.Status.Should().Be(GradeStatus.Failed);
        failed.Error.Should().Contain("B");
        PanelGrades.Id(PanelCombine.Min, ["ja", "jb"]).Should().NotBe(PanelGrades.Id(PanelCombine.Mean, ["ja", "jb"]));
    }

    [Fact]
    public async Task Export_split_by_sample_index_then_import_gives_the_same_statistics()
    {
        string first;
        EvalStats original;
        await using (var store = await SeedAsync())
        {
            original = await StatsQuery.ComputeOneAsync(store, new RunSelection(Run: "aaaa2222", Judge: "A"), CancellationToken.None);
            var files = await Export.WriteAsync(store, [original], _dir.File("out/rc.jsonl"), splitBySampleIndex: true, CancellationToken.None);
            files.Select(f => Path.GetFileName(f.Path)).Should().Equal("rc-0.jsonl", "rc-1.jsonl");
            first = files[0].Path;
            var rows = (await File.ReadAllLinesAsync(first)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
            rows.Select(r => r["problem_id"]!.GetValue<string>()).Should().Equal("PB-Advanced-001", "PB-Basic-001", "PB-Basic-002");
            rows[1]["score"]!.GetValue<double>().Should().Be(7, "points out of 7, as the original writes");
            rows[1]["grade_cost"]!["input_tokens"]!.GetValue<long>().Should().Be(50);
            rows[1]["judge"]!.GetValue<string>().Should().Be("A");
            rows[1]["run_id"]!.GetValue<string>().Should().Be("aaaa2222");
            rows[1]["scaffold"]!.GetValue<string>().Should().Be("reasoning-cache");
            rows[1]["level"]!.GetValue<string>().Should().Be("Basic", "the benchmark's own columns are kept");
        }
        // No leftovers of the temporary files.
        Directory.GetFiles(_dir.File("out")).Select(Path.GetFileName).Should().BeEquivalentTo(["rc-0.jsonl", "rc-1.jsonl"]);

        await using var fresh = await RunStore.OpenAsync(_dir.File("imported.db"));
        var outcome = await ResultImport.ImportAsync(fresh, ResultImport.ExpandPaths([_dir.File("out")]), new ImportOptions(), CancellationToken.None);
        outcome.Samples.Should().Be(6);
        outcome.Graded.Should().Be(6);
        var back = (await Stats(fresh, RunSelection.All)).Single();
        back.Run.RunId.Should().Be("aaaa2222");
        back.Run.ModelName.Should().Be("vllm/qed-nano");
        back.Judge!.Name.Should().Be("A");
        back.Score.Should().BeApproximately(original.Score!.Value, 1e-9);
        back.ScoreStd.Should().BeApproximately(original.ScoreStd!.Value, 1e-9);
        back.PerRunScores.Should().Equal(original.PerRunScores);
    }

    [Fact]
    public async Task Original_result_files_import_as_a_run_one_file_per_sample_index()
    {
        // As the original harness writes them: the input row, model_solution, cost_run, grade, grade_cost, score (points).
        string Row(string id, string? solution, double? score, long outTokens) => new JsonObject
        {
            ["problem_id"] = id, ["problem"] = "Prove " + id, ["solution"] = "ref", ["grading_guidelines"] = "g",
            ["model_solution"] = solution, ["cost_run"] = new JsonObject { ["cost"] = 0.5, ["input_tokens"] = 10, ["output_tokens"] = outTokens },
            ["grade"] = new JsonArray(new JsonObject { ["points"] = score, ["desc"] = "ok" }),
            ["grade_cost"] = new JsonObject { ["cost"] = 0.1, ["input_tokens"] = 40, ["output_tokens"] = 4 }, ["score"] = score,
        }.ToJsonString();
        _dir.Write("orig/nano-0.jsonl", Row("PB-Basic-001", "P.", 7, 100) + "\n" + Row("PB-Advanced-001", "Q.", 1, 300) + "\n");
        _dir.Write("orig/nano-1.jsonl", Row("PB-Basic-001", "P2.", 6, 200) + "\n" + Row("PB-Advanced-001", "", null, 400) + "\n");
        await using var store = await RunStore.OpenAsync(_dir.File("o.db"));
        await ResultImport.ImportAsync(store, ResultImport.ExpandPaths([_dir.File("orig")]), new ImportOptions(Judge: "gemini-3-pro"), CancellationToken.None);
        var s = (await Stats(store, RunSelection.All)).Single();
        s.Run.ModelName.Should().Be("nano");
        s.Run.Benchmark.Should().Be("imo-proofbench");
        s.Run.Protocol.Should().Be("qed-nano");
        s.Judge!.Name.Should().Be("gemini-3-pro");
        s.Truncated.Should().Be(1);
        s.GradeFailed.Should().Be(1, "a row the judge graded without a score is grade_failed, with its cost kept");
        s.PerRunScores[0].Should().BeApproximately(100.0 * 8 / 14, 1e-9);
        s.PerRunScores[1].Should().BeApproximately(100.0 * 6 / 14, 1e-9);
        s.Complete.Should().BeFalse();
    }

    [Fact]
    public async Task Read_only_opening_never_writes_and_rejects_empty_or_missing_files()
    {
        var empty = _dir.File("empty.db");
        await File.WriteAllBytesAsync(empty, []);
        var act = () => RunStore.OpenReadOnlyAsync(empty);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("empty file");
        new FileInfo(empty).Length.Should().Be(0);
        var missing = () => RunStore.OpenReadOnlyAsync(_dir.File("missing.db"));
        (await missing.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("no run store");
        File.Exists(_dir.File("missing.db")).Should().BeFalse();

        await (await SeedAsync("ro.db")).DisposeAsync();
        var bytes = await File.ReadAllBytesAsync(_dir.File("ro.db"));
        await using (var ro = await RunStore.OpenReadOnlyAsync(_dir.File("ro.db")))
        {
            (await Stats(ro, RunSelection.All)).Should().HaveCount(6);
            var write = () => ro.EnsureRunAsync(Run("x", "m", null));
            await write.Should().ThrowAsync<QedException>();
        }
        (await File.ReadAllBytesAsync(_dir.File("ro.db"))).Should().Equal(bytes);
    }
}

/// <summary>Stores written before protocols and answer hashes existed still open, read and migrate.</summary>
public class StoreMigrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_old_store_reads_read_only_and_gains_the_new_columns_when_opened_for_writing()
    {
        var path = _dir.File("old.db");
        await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=false"))
        {
            await db.OpenAsync();
            await using var cmd = db.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE runs(run_id TEXT PRIMARY KEY, benchmark TEXT NOT NULL, grading_mode TEXT NOT NULL, model_name TEXT NOT NULL,
                  model_config TEXT NOT NULL, scaffold_name TEXT, scaffold_config TEXT, prompts_hash TEXT NOT NULL, created_at TEXT NOT NULL);
                CREATE TABLE samples(sample_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, problem_id TEXT NOT NULL, run_index INTEGER NOT NULL,
                  problem TEXT NOT NULL, status TEXT NOT NULL, answer TEXT, reasoning TEXT, error TEXT, input_tokens INTEGER NOT NULL DEFAULT 0,
                  output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0, calls INTEGER NOT NULL DEFAULT 0,
                  seconds REAL NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
                CREATE TABLE grades(sample_id TEXT NOT NULL, judge_id TEXT NOT NULL, judge_name TEXT NOT NULL, status TEXT NOT NULL, points REAL,
                  max_points INTEGER NOT NULL, descr TEXT, judge_reply TEXT, decided_by TEXT, details TEXT, input_tokens INTEGER NOT NULL,
                  output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, calls INTEGER NOT NULL, error TEXT, graded_at TEXT NOT NULL,
                  PRIMARY KEY(sample_id, judge_id));
                INSERT INTO runs VALUES('r','b','Proof','m','{}',NULL,NULL,'h','2026-01-01T00:00:00.0000000Z');
                INSERT INTO samples VALUES('s','r','p',0,'{"id":"p","statement":"x"}','ok','A.',NULL,NULL,0,0,0,0,0,'2026-01-01T00:00:00.0000000Z');
                INSERT INTO grades VALUES('s','j','judge','graded',7,7,NULL,NULL,'judge',NULL,0,0,0,1,NULL,'2026-01-01T00:00:00.0000000Z');
                """;
            await cmd.ExecuteNonQueryAsync();
        }
        var bytes = await File.ReadAllBytesAsync(path);
        await using (var ro = await RunStore.OpenReadOnlyAsync(path))
        {
            (await ro.ListRunsAsync()).Single().Protocol.Should().Be("qed");
            var s = (await StatsQuery.ComputeAsync(ro, RunSelection.All, CancellationToken.None)).Single();
            s.Score.Should().Be(100, "a grade without an answer hash counts as before");
        }
        (await File.ReadAllBytesAsync(path)).Should().Equal(bytes, "a read-only open never migrates");
        await using (var rw = await RunStore.OpenAsync(path))
        {
            await rw.EnsureRunAsync(new RunInfo("r2", "b", "Proof", "m", "{}", null, null, "h", DateTimeOffset.UtcNow, "qed-nano"));
            (await rw.ListRunsAsync()).Select(r => r.Protocol).Should().Equal("qed", "qed-nano");
        }
    }

    [Fact]
    public async Task A_failed_export_leaves_the_previous_file_and_no_temporary_file()
    {
        var path = _dir.File("store.db");
        await using var store = await RunStore.OpenAsync(path);
        var run = new RunInfo("r", "b", "Proof", "m", "{}", null, null, "h", DateTimeOffset.UtcNow);
        await store.EnsureRunAsync(run);
        await store.AddSampleAsync("s", "r", new Problem("p", "x"), 0);
        var pairs = await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None);
        var output = _dir.Write("out/x.jsonl", "previous export\n");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var act = () => Export.WriteAsync(store, pairs, output, false, cancelled.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
        (await File.ReadAllTextAsync(output)).Should().Be("previous export\n");
        Directory.GetFiles(_dir.File("out")).Should().ContainSingle();
        await Export.WriteAsync(store, pairs, output, false, CancellationToken.None);
        (await File.ReadAllLinesAsync(output)).Should().ContainSingle().Which.Should().Contain("\"status\":\"pending\"");
    }
}
