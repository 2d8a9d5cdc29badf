using System.Text.RegularExpressions;
using Qed.Protocols;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.Protocols;

/// <summary>
/// `qed eval --protocol …` as a user runs it: the original's files from a raw-file host (a loopback one, via
/// QED_GITHUB_RAW), a local copy (--protocol DIR), and our default protocol side by side on one store.
/// </summary>
public partial class ProtocolCliTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private RawFileHost _raw = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");
    private static string FixtureProtocol => Path.Combine(RepoPaths.Fixtures, "qed-nano-format");

    [GeneratedRegex(@"Problem (\d+):")]
    private static partial Regex ProblemNumber();

    public async Task InitializeAsync()
    {
        _server = await LoopbackChatServer.StartAsync();
        _server.Responder = Reply;
        _raw = await RawFileHost.StartAsync();
        foreach (var path in Directory.EnumerateFiles(FixtureProtocol, "*", SearchOption.AllDirectories))
            _raw.Files[$"/{QedNanoFiles.Repository}/{QedNanoFiles.Commit}/eval/configs/{Path.GetRelativePath(FixtureProtocol, path).Replace('\\', '/')}"] = File.ReadAllBytes(path);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _raw.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>The original-format judge answers a bare points block (6 for odd problems, 0 for even ones); ours answers in its own form.</summary>
    private static ScriptedReply Reply(RecordedRequest r)
    {
        var text = r.LastUserMessage ?? "";
        var n = int.Parse(ProblemNumber().Match(text).Groups[1].Value);
        if (text.StartsWith("FIXTURE-JUDGE-PROOF", StringComparison.Ordinal)) return ScriptedReply.Text($"Checked.\n<points>{(n % 2 == 1 ? 6 : 0)}</points>");
        if (text.Contains("<points>N out of 7</points>")) return ScriptedReply.Text($"Checked.\n<points>{(n % 2 == 1 ? 7 : 1)} out of 7</points>");
        return ScriptedReply.Text($"Thinking about {n}.</think>\nProof. {n} + {n} = {2 * n}. QED");
    }

    private string ModelYaml(string name) => _dir.Write(name + ".yaml", $"model: {name}\nbase_url: {_server.BaseUrl}\ndelimiters: [\"</think>\"]\nmax_retries: 1\ntimeout: 5\n");

    // No delimiters: under the original's rules a judge with delimiters whose reply has none of them answers nothing.
    private string JudgeYaml() => _dir.Write("judge.yaml", $"model: judge\nbase_url: {_server.BaseUrl}\nmax_retries: 1\ntimeout: 5\n");

    private List<(string JudgeId, double? Points, string Reply, string Status)> AllGrades(string db)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_dir.File(db)};Mode=ReadOnly");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT judge_id, points, judge_reply, status FROM grades";
        using var r = cmd.ExecuteReader();
        var list = new List<(string, double?, string, string)>();
        while (r.Read()) list.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetDouble(1), r.IsDBNull(2) ? "" : r.GetString(2), r.GetString(3)));
        return list;
    }

    private Task<QedResult> Qed(IReadOnlyDictionary<string, string?>? env, params string[] args) => QedProcess.RunAsync(_dir.Path, env, Limit, args);

    private Dictionary<string, string?> Env(string rawBase) => new() { ["QED_GITHUB_RAW"] = rawBase, ["QED_CACHE_DIR"] = _dir.File("cache") };

    [Fact]
    public async Task Qed_nano_fetches_from_the_raw_host_and_refuses_a_file_that_is_not_the_pinned_original()
    {
        var r = await Qed(Env(_raw.BaseUrl), "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", JudgeYaml(),
            "--limit", "1", "--db", "n.db", "--protocol", "qed-nano");
        r.ExitCode.Should().NotBe(0);
        r.StdErr.Should().Contain("prompts/proofbench_run.txt").And.Contain("sha256").And.Contain("01f6319829c11a11a554fbc5a7a2d81e5d79b17711c3eb21e698a7e28ca94355");
        r.StdErr.Should().NotContain("   at ");
        _raw.Requested.Should().Contain(x => x.EndsWith("/4d4051c03d6f7318212976ea1567516fbc2fe3f8/eval/configs/prompts/proofbench_run.txt"));
        _server.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task Qed_nano_offline_without_a_cache_names_the_url_and_the_directory_alternative()
    {
        var r = await Qed(Env("http://127.0.0.1:9"), "grade", "--db", "none.db", "--judge", JudgeYaml(), "--protocol", "qed-nano");
        r.ExitCode.Should().NotBe(0);
        r.StdErr.Should().Contain("http://127.0.0.1:9/CMU-AIRe/QED-Nano/4d4051c03d6f7318212976ea1567516fbc2fe3f8/eval/configs/prompts/")
            .And.Contain("--protocol DIR");
        r.StdErr.Should().NotContain("   at ");
    }

    [Fact]
    public async Task The_original_protocol_and_ours_run_side_by_side_on_one_store()
    {
        var env = Env("http://127.0.0.1:9");
        var nano = await Qed(env, "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", JudgeYaml(),
            "--limit", "2", "--db", "both.db", "--protocol", FixtureProtocol);
        nano.ExitCode.Should().Be(0, nano.StdErr);
        var ours = await Qed(env, "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", JudgeYaml(),
            "--limit", "2", "--db", "both.db");
        ours.ExitCode.Should().Be(0, ours.StdErr);

        var solverPrompts = _server.Requests.Select(q => q.LastUserMessage!).Where(m => !m.Contains("FIXTURE-JUDGE") && !m.Contains("out of 7")).ToList();
        solverPrompts.Should().HaveCount(4);
        solverPrompts.Count(m => m.StartsWith("FIXTURE-RUN-PROOF", StringComparison.Ordinal)).Should().Be(2);

        await using (var store = await RunStore.OpenAsync(_dir.File("both.db"), default))
            (await store.ListRunsAsync()).Should().HaveCount(2);
        var grades = AllGrades("both.db");
        // Each protocol's judge graded with its own prompt and verdict rule, under its own judge id, and each eval graded
        // only the run it made: 2 samples each.
        grades.GroupBy(g => g.JudgeId).Select(g => g.Count()).Should().BeEquivalentTo([2, 2]);
        grades.Where(g => g.Reply.Contains("out of 7")).Select(g => g.Points).Should().OnlyContain(p => p == 7 || p == 1);
        grades.Where(g => !g.Reply.Contains("out of 7")).Select(g => g.Points).Should().BeEquivalentTo(new double?[] { 6, 0 });
        grades.Should().OnlyContain(g => g.Status == "graded");
    }

    [Fact]
    public async Task Prove_takes_the_protocol_too()
    {
        var r = await Qed(Env("http://127.0.0.1:9"), "prove", "--model", ModelYaml("solver"), "--protocol", FixtureProtocol, "--db", "p.db",
            "Problem 3: show that 3 + 3 = 6.");
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain("Proof. 3 + 3 = 6");
        _server.Requests.Single().LastUserMessage.Should().StartWith("FIXTURE-RUN-PROOF");
    }

    [Fact]
    public async Task An_original_agent_config_is_a_model_and_an_original_scaffold_config_a_scaffold()
    {
        // The original's layout: configs/models/agents/*.yaml naming models/… and agents/… relative to configs/.
        Directory.CreateDirectory(_dir.File("configs/agents"));
        File.Copy(Path.Combine(FixtureProtocol, "agents", "reasoning_cache.yaml"), _dir.File("configs/agents/reasoning_cache.yaml"));
        _dir.Write("configs/models/vllm/solver.yaml", File.ReadAllText(ModelYaml("solver")));
        var agent = _dir.Write("configs/models/agents/solver-rc.yaml",
            "type: agent\nmodel_config: models/vllm/solver\nscaffold_config: agents/reasoning_cache\nhuman_readable_id: \"solver + rc\"\n");
        var r = await Qed(Env("http://127.0.0.1:9"), "run", "--bench", Bench, "--model", agent, "--limit", "1", "--db", "a.db");
        r.ExitCode.Should().Be(0, r.StdErr);
        var prompts = _server.Requests.Select(q => q.LastUserMessage!).ToList();
        prompts.Should().HaveCount(3); // n_iterations: 2 → solve, summarise, solve
        prompts[0].Should().StartWith("FIXTURE-RC-SOLVE");
        prompts[1].Should().StartWith("FIXTURE-RC-SUMMARIZE");

        var both = await Qed(Env("http://127.0.0.1:9"), "run", "--bench", Bench, "--model", agent, "--scaffold", "nomos", "--limit", "1", "--db", "a.db");
        both.ExitCode.Should().NotBe(0);
        both.StdErr.Should().Contain("agent config").And.Contain("leave out --scaffold");

        var scaffold = await Qed(Env("http://127.0.0.1:9"), "run", "--bench", Bench, "--model", ModelYaml("solver"),
            "--scaffold", Path.Combine(FixtureProtocol, "agents", "deepseek_math.yaml"), "--limit", "1", "--db", "s.db");
        scaffold.ExitCode.Should().Be(0, scaffold.StdErr);
        _server.Requests.Select(q => q.LastUserMessage!).Should().Contain(m => m.StartsWith("FIXTURE-DS-GENERATE"))
            .And.Contain(m => m.StartsWith("FIXTURE-DS-VERIFY"));
    }

    [Fact]
    public async Task Qed_github_raw_also_moves_the_benchmark_csvs()
    {
        _raw.Put("/google-deepmind/superhuman/main/imobench/proofbench_v2.csv", "Problem ID,Problem\nX,not the pinned file\n");
        var env = Env(_raw.BaseUrl);
        env["QED_DATA_DIR"] = null;
        var r = await Qed(env, "run", "--bench", "imo-proofbench", "--model", ModelYaml("solver"), "--limit", "1", "--db", "b.db");
        r.ExitCode.Should().NotBe(0);
        r.StdErr.Should().Contain(_raw.BaseUrl + "/google-deepmind/superhuman/main/imobench/proofbench_v2.csv").And.Contain("sha256");
        _raw.Requested.Should().Contain("GET /google-deepmind/superhuman/main/imobench/proofbench_v2.csv");
    }

    [SharedDataFact("data/imobench/proofbench_v2.csv")]
    public async Task The_pinned_benchmark_comes_from_the_raw_host_named_by_qed_github_raw()
    {
        _raw.Files["/google-deepmind/superhuman/main/imobench/proofbench_v2.csv"] = File.ReadAllBytes(SharedData.PathOf("data/imobench/proofbench_v2.csv"));
        var env = Env(_raw.BaseUrl);
        env["QED_DATA_DIR"] = null;
        _server.Responder = _ => ScriptedReply.Text("Thinking.</think>\nProof. QED");
        var r = await Qed(env, "run", "--bench", "imo-proofbench", "--model", ModelYaml("solver"), "--limit", "1", "--db", "b.db");
        r.ExitCode.Should().Be(0, r.StdErr);
        File.Exists(_dir.File("cache/benchmarks/imobench/proofbench_v2.csv")).Should().BeTrue();
    }

    /// <summary>
    /// The whole qed-nano path against the original files themselves, when a copy of the original's eval/configs is at
    /// $QED_NANO_EVAL_CONFIGS (they are not shipped here); served by the loopback raw host so nothing leaves the machine.
    /// </summary>
    [OriginalFilesFact]
    public async Task Qed_nano_with_the_original_files_evaluates_offline_from_the_raw_host()
    {
        var original = Environment.GetEnvironmentVariable("QED_NANO_EVAL_CONFIGS")!;
        _raw.Files.Clear();
        foreach (var path in QedNanoFiles.Sha256.Keys)
            _raw.Files[$"/{QedNanoFiles.Repository}/{QedNanoFiles.Commit}/eval/configs/{path}"] = File.ReadAllBytes(Path.Combine(original, path));
        _server.Responder = r => (r.LastUserMessage ?? "").Contains("Proof. It holds.")
            ? ScriptedReply.Text("Checked.\n<points>6 out of 7</points>")
            : ScriptedReply.Text("Thinking.</think>\nProof. It holds. QED");
        var r = await Qed(Env(_raw.BaseUrl), "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", JudgeYaml(),
            "--limit", "1", "--db", "orig.db", "--protocol", "qed-nano");
        r.ExitCode.Should().Be(0, r.StdErr);
        Directory.EnumerateFiles(_dir.File("cache"), "*", SearchOption.AllDirectories).Should().HaveCount(5);
        AllGrades("orig.db").Should().ContainSingle().Which.Points.Should().Be(6);
    }
}

/// <summary>Runs only where $QED_NANO_EVAL_CONFIGS holds a copy of the original's eval/configs.</summary>
public sealed class OriginalFilesFactAttribute : FactAttribute
{
    public OriginalFilesFactAttribute()
    {
        var dir = Environment.GetEnvironmentVariable("QED_NANO_EVAL_CONFIGS");
        if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "prompts", "proofbench_run.txt")))
            Skip = "set QED_NANO_EVAL_CONFIGS to a copy of CMU-AIRe/QED-Nano eval/configs at the pinned commit (not shipped here)";
    }
}
