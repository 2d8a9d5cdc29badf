using System.Security.Cryptography;
using Qed.Protocols;
using Qed.Testing;

namespace Qed.Tests.Protocols;

/// <summary>The original's files fetched from a raw-file host (a loopback one here), cached and checked against their sha256.</summary>
public class ProtocolFilesTests : IAsyncLifetime
{
    public static string FixtureDir => Path.Combine(RepoPaths.Fixtures, "qed-nano-format");
    private RawFileHost _host = null!;
    private readonly TempDirectory _cache = new();
    private readonly HttpClient _http = new();

    /// <summary>The fixtures' own hashes stand in for the pinned ones (the fixtures are ours, not the originals).</summary>
    public static IReadOnlyDictionary<string, string> FixturePins() =>
        QedNanoFiles.Sha256.Keys.Where(k => File.Exists(Path.Combine(FixtureDir, k)))
            .ToDictionary(k => k, k => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(FixtureDir, k)))));

    /// <summary>Serves every fixture file where the original repository keeps it at the pinned commit.</summary>
    public static void ServeFixtures(RawFileHost host)
    {
        foreach (var path in Directory.EnumerateFiles(FixtureDir, "*", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(FixtureDir, path).Replace('\\', '/');
            host.Files[$"/{QedNanoFiles.Repository}/{QedNanoFiles.Commit}/eval/configs/{rel}"] = File.ReadAllBytes(path);
        }
    }

    public async Task InitializeAsync()
    {
        _host = await RawFileHost.StartAsync();
        ServeFixtures(_host);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _cache.Dispose();
        _http.Dispose();
    }

    [Fact]
    public void The_url_is_the_pinned_commits_eval_configs_on_the_raw_host()
    {
        QedNanoFiles.Url(GitHubRaw.DefaultBase, "prompts/proofbench.txt").Should().Be(
            "https://raw.githubusercontent.com/CMU-AIRe/QED-Nano/4d4051c03d6f7318212976ea1567516fbc2fe3f8/eval/configs/prompts/proofbench.txt");
        QedNanoFiles.Url("http://127.0.0.1:9/", "agents/nomos.yaml").Should().StartWith("http://127.0.0.1:9/CMU-AIRe/QED-Nano/4d4051c");
        GitHubRaw.Rebase("https://raw.githubusercontent.com/google-deepmind/superhuman/main/imobench/proofbench_v2.csv", "http://127.0.0.1:9")
            .Should().Be("http://127.0.0.1:9/google-deepmind/superhuman/main/imobench/proofbench_v2.csv");
        GitHubRaw.Rebase("https://huggingface.co/x", "http://127.0.0.1:9").Should().Be("https://huggingface.co/x");
    }

    [Fact]
    public void Thirteen_files_are_pinned_with_the_hashes_of_the_issue()
    {
        QedNanoFiles.Sha256.Should().HaveCount(13);
        QedNanoFiles.Sha256["prompts/proofbench.txt"].Should().Be("1f05fe22b17b20bf670daf6faad21e7904827e86002b54fe420513bf2b065cbd");
        QedNanoFiles.Sha256["agents/math_static_agent.yaml"].Should().Be("d655ca976225f612acb7e6420923d52ba440ea220fd46dd1683b0736846e5d69");
        QedNanoFiles.Sha256.Values.Should().OnlyContain(h => h.Length == 64);
    }

    [Fact]
    public async Task A_file_is_downloaded_once_checked_and_then_read_from_the_cache()
    {
        var files = new PinnedProtocolFiles(_host.BaseUrl, _cache.Path, _http, FixturePins());
        (await files.ReadAsync("prompts/proofbench.txt", default)).Should().StartWith("FIXTURE-JUDGE-PROOF");
        var cached = Path.Combine(_cache.Path, "protocols", "qed-nano", QedNanoFiles.Commit, "prompts", "proofbench.txt");
        File.Exists(cached).Should().BeTrue();

        var offline = new PinnedProtocolFiles("http://127.0.0.1:9", _cache.Path, _http, FixturePins());
        (await offline.ReadAsync("prompts/proofbench.txt", default)).Should().StartWith("FIXTURE-JUDGE-PROOF");
        _host.Requested.Count(r => r.EndsWith("prompts/proofbench.txt")).Should().Be(1);
    }

    [Fact]
    public async Task A_file_whose_hash_differs_is_an_error_naming_it_and_is_not_cached()
    {
        // The real pins: our fixture is not the original, so its hash cannot match.
        var files = new PinnedProtocolFiles(_host.BaseUrl, _cache.Path, _http);
        var act = () => files.ReadAsync("prompts/answerbench.txt", default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*prompts/answerbench.txt*sha256*expected 77852b856741cd08de5e0de49f97aacfacd3e2453a561e71d610bfae0c8703a2*");
        Directory.Exists(Path.Combine(_cache.Path, "protocols")).Should().BeFalse();
    }

    [Fact]
    public async Task A_corrupted_cache_copy_is_fetched_again()
    {
        var pins = FixturePins();
        var cached = Path.Combine(_cache.Path, "protocols", "qed-nano", QedNanoFiles.Commit, "prompts", "answerbench.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        File.WriteAllText(cached, "tampered");
        (await new PinnedProtocolFiles(_host.BaseUrl, _cache.Path, _http, pins).ReadAsync("prompts/answerbench.txt", default))
            .Should().StartWith("FIXTURE-JUDGE-ANSWER");
    }

    [Fact]
    public async Task Offline_without_a_cache_is_an_error_naming_the_url_and_the_directory_alternative()
    {
        var files = new PinnedProtocolFiles("http://127.0.0.1:9", _cache.Path, _http);
        var act = () => files.ReadAsync("prompts/proofbench_run.txt", default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage(
            "*http://127.0.0.1:9/CMU-AIRe/QED-Nano/4d4051c03d6f7318212976ea1567516fbc2fe3f8/eval/configs/prompts/proofbench_run.txt*--protocol DIR*");
    }

    [Fact]
    public async Task A_missing_file_on_the_host_is_reported_with_its_url()
    {
        _host.Files.Clear();
        var act = () => new PinnedProtocolFiles(_host.BaseUrl, _cache.Path, _http, FixturePins()).ReadAsync("prompts/filtering.txt", default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*prompts/filtering.txt*HTTP 404*");
    }

    [Fact]
    public async Task The_protocols_resolve_to_ours_the_pinned_original_or_a_directory()
    {
        var env = new ProtocolEnvironment(_host.BaseUrl, _cache.Path, _http, FixturePins());
        (await ProtocolResolver.ResolveAsync(null, env, default)).Should().BeSameAs(Protocol.Ours);
        (await ProtocolResolver.ResolveAsync("qed", env, default)).OriginalRules.Should().BeFalse();

        var nano = await ProtocolResolver.ResolveAsync("qed-nano", env, default);
        nano.Name.Should().Be("qed-nano");
        nano.Original!.ProofJudge.Text.Should().StartWith("FIXTURE-JUDGE-PROOF");
        nano.Original.Run(Qed.Benchmarks.GradingMode.Answer).Text.Should().StartWith("FIXTURE-RUN-ANSWER");

        var dir = await ProtocolResolver.ResolveAsync(FixtureDir, env, default);
        dir.Name.Should().MatchRegex("^dir:[0-9a-f]{12}$");
        dir.OriginalRules.Should().BeTrue();

        var act = () => ProtocolResolver.ResolveAsync("qed-nan0", env, default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*qed-nan0*qed, qed-nano*directory*");
    }

    [Fact]
    public async Task A_directory_without_a_prompt_file_names_it()
    {
        using var dir = new TempDirectory();
        dir.Write("prompts/proofbench_run.txt", "{problem_statement}");
        var act = () => ProtocolResolver.ResolveAsync(dir.Path, new ProtocolEnvironment("http://127.0.0.1:9", _cache.Path, _http), default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*answerbench_run.txt is missing*");
    }

    [Fact]
    public async Task Under_qed_nano_a_scaffold_name_is_the_originals_agent_config()
    {
        var nano = await ProtocolResolver.ResolveAsync("qed-nano", new ProtocolEnvironment(_host.BaseUrl, _cache.Path, _http, FixturePins()), default);
        (await nano.ScaffoldReferenceAsync("reasoning-cache", default)).Should().EndWith(Path.Combine("agents", "reasoning_cache.yaml"));
        (await nano.ScaffoldReferenceAsync("deepseek_math", default)).Should().EndWith(Path.Combine("agents", "deepseek_math.yaml"));
        (await nano.ScaffoldReferenceAsync(null, default)).Should().BeNull();
        (await Protocol.Ours.ScaffoldReferenceAsync("reasoning-cache", default)).Should().Be("reasoning-cache");
    }
}
