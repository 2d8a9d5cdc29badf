using System.Text;
using Microsoft.Extensions.AI;
using Qed.Inference.Engine;
using Qed.Inference.Hub;
using Qed.Inference.Onnx;
using Qed.Inference.Tests.Engine;

namespace Qed.Inference.Tests.Hub;

public sealed class HubPullTests : IAsyncLifetime
{
    private readonly FakeHub _hub = new();
    private readonly string _cache = Directory.CreateTempSubdirectory("qed-hf-").FullName;
    private readonly HttpClient _http = new();
    private static readonly HubRepo Repo = new("acme/prover");

    private readonly byte[] _weights = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();

    public async Task InitializeAsync()
    {
        _hub.Files["config.json"] = (Encoding.UTF8.GetBytes("{\"model_type\": \"qwen3\"}"), false);
        _hub.Files["README.md"] = (Encoding.UTF8.GetBytes("# prover\n"), false);
        _hub.Files["onnx/model_q4.onnx"] = (_weights, true);
        await _hub.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        _http.Dispose();
        Directory.Delete(_cache, recursive: true);
    }

    private HubDownloader Downloader(string? token = null) =>
        new(_http, new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache, Token = token });

    private int FileRequests => _hub.Requests.Count(r => r.Contains("/resolve/"));

    [Fact]
    public async Task Pulls_into_the_hugging_face_cache_layout()
    {
        var result = await Downloader().PullAsync(Repo, "main", [], null, default);

        var repoDir = Path.Combine(_cache, "models--acme--prover");
        result.SnapshotFolder.Should().Be(Path.Combine(repoDir, "snapshots", FakeHub.Commit));
        File.ReadAllText(Path.Combine(repoDir, "refs", "main")).Should().Be(FakeHub.Commit);
        var model = Path.Combine(result.SnapshotFolder, "onnx", "model_q4.onnx");
        File.ReadAllBytes(model).Should().Equal(_weights);
        new FileInfo(model).LinkTarget.Should().Be(Path.Combine("..", "..", "..", "blobs", FakeHub.Sha256(_weights)), "LFS blobs are named by sha256");
        File.Exists(Path.Combine(repoDir, "blobs", FakeHub.GitBlobId(_hub.Files["config.json"].Content))).Should().BeTrue("other blobs by git blob id");
        result.Downloaded.Should().Be(3);
        new HubCache(_cache).FindSnapshot(Repo).Should().Be(result.SnapshotFolder);
    }

    [Fact]
    public async Task A_second_pull_reuses_every_cached_file()
    {
        await Downloader().PullAsync(Repo, "main", [], null, default);
        int before = FileRequests;
        var again = await Downloader().PullAsync(Repo, "main", [], null, default);
        FileRequests.Should().Be(before);
        again.Reused.Should().Be(3);
    }

    [Fact]
    public async Task Files_put_in_the_cache_by_other_tools_are_reused()
    {
        // What huggingface_hub would have left: a blob and nothing else for this snapshot.
        var blobs = Path.Combine(_cache, "models--acme--prover", "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, FakeHub.Sha256(_weights)), _weights);
        var result = await Downloader().PullAsync(Repo, "main", ["onnx/*"], null, default);
        result.Reused.Should().Be(1);
        FileRequests.Should().Be(0);
        File.ReadAllBytes(Path.Combine(result.SnapshotFolder, "onnx", "model_q4.onnx")).Should().Equal(_weights);
    }

    [Fact]
    public async Task Include_patterns_select_files()
    {
        var result = await Downloader().PullAsync(Repo, "main", ["*.json"], null, default);
        result.Files.Select(f => f.Path).Should().Equal("config.json");
        File.Exists(Path.Combine(result.SnapshotFolder, "README.md")).Should().BeFalse();
        var none = () => Downloader().PullAsync(Repo, "main", ["*.bin"], null, default);
        await none.Should().ThrowAsync<QedException>().WithMessage("*no file matches --include *.bin*");
    }

    [Fact]
    public async Task An_interrupted_download_resumes_where_it_stopped()
    {
        _hub.CutOnce["onnx/model_q4.onnx"] = 100_000;
        var first = () => Downloader().PullAsync(Repo, "main", ["onnx/*"], null, default);
        await first.Should().ThrowAsync<Exception>();
        var partial = Path.Combine(_cache, "models--acme--prover", "blobs", FakeHub.Sha256(_weights) + ".incomplete");
        // The connection drops after 100,000 bytes were sent; how many arrived before the reset varies.
        long kept = new FileInfo(partial).Length;
        kept.Should().BeInRange(1, 100_000);

        var result = await Downloader().PullAsync(Repo, "main", ["onnx/*"], null, default);
        _hub.RangeHeaders.Last().Should().Be($"bytes={kept}-");
        File.ReadAllBytes(Path.Combine(result.SnapshotFolder, "onnx", "model_q4.onnx")).Should().Equal(_weights);
        File.Exists(partial).Should().BeFalse();
    }

    [Fact]
    public async Task Content_that_does_not_match_its_hash_is_rejected()
    {
        _hub.Corrupt.Add("config.json");
        var act = () => Downloader().PullAsync(Repo, "main", ["config.json"], null, default);
        await act.Should().ThrowAsync<QedException>().WithMessage("*config.json: content hash * does not match*");
        Directory.GetFiles(Path.Combine(_cache, "models--acme--prover", "blobs")).Should().BeEmpty();
    }

    [Fact]
    public async Task The_token_is_sent_as_a_bearer_header()
    {
        _hub.RequiredToken = "hf_secret";
        var denied = () => Downloader().PullAsync(Repo, "main", [], null, default);
        await denied.Should().ThrowAsync<QedException>().WithMessage("*401*set HF_TOKEN*");
        var result = await Downloader("hf_secret").PullAsync(Repo, "main", ["*.md"], null, default);
        result.Downloaded.Should().Be(1);
    }

    [Fact]
    public void Options_come_from_the_hugging_face_environment_variables()
    {
        var env = new Dictionary<string, string> { ["HF_HOME"] = "/data/hf", ["HF_ENDPOINT"] = "http://127.0.0.1:9/", ["HF_TOKEN"] = "t" };
        var o = HubOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        o.CacheDirectory.Should().Be("/data/hf/hub");
        o.Endpoint.Should().Be("http://127.0.0.1:9");
        o.Token.Should().Be("t");
        HubOptions.FromEnvironment(_ => null).CacheDirectory.Should().EndWith(Path.Combine(".cache", "huggingface", "hub"));
        HubRepo.Parse("datasets/lm-provers/FineProofs-SFT").CacheFolderName.Should().Be("datasets--lm-provers--FineProofs-SFT");
    }

    [Fact]
    public async Task Local_model_reference_pulls_a_repo_on_first_use_and_opens_it()
    {
        var export = Path.Combine(_cache, "..", Path.GetFileName(_cache) + "-export");
        try
        {
            await TinyModel.CreateAsync(Path.Combine(export, "ckpt"), Path.Combine(export, "onnx"), new OnnxExportOptions { Int4 = true });
            _hub.Files.Clear();
            foreach (var f in Directory.GetFiles(Path.Combine(export, "onnx")))
                _hub.Files[Path.GetFileName(f)] = (File.ReadAllBytes(f), f.EndsWith(".data"));

            var source = new LocalModelSource(new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache }, _http);
            using var client = await source.OpenAsync("acme/tiny-onnx", default);
            var answer = await client.GetResponseAsync("hello", new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 3, Temperature = 0 });
            answer.Usage!.OutputTokenCount.Should().BeGreaterThan(0);

            // Second time: straight from the cache, even offline.
            var offline = new LocalModelSource(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDirectory = _cache, Offline = true }, _http);
            using var again = await offline.OpenAsync("local:acme/tiny-onnx", default);
            again.GetService(typeof(LocalModel)).Should().NotBeNull();
        }
        finally { Directory.Delete(export, recursive: true); }
    }

    [Fact]
    public async Task Without_files_and_without_network_it_fails_at_once_saying_what_to_do()
    {
        var source = new LocalModelSource(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDirectory = _cache }, _http);
        var started = DateTime.UtcNow;
        var act = () => source.OpenAsync("acme/absent", default);
        (await act.Should().ThrowAsync<QedException>())
            .WithMessage("*not in the Hugging Face cache*directory holding an ONNX export*OpenAI-compatible endpoint*");
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromSeconds(10));
        var missingDir = () => source.OpenAsync("/no/such/dir", default);
        await missingDir.Should().ThrowAsync<QedException>().WithMessage("local:/no/such/dir: no such directory*");
    }

    [Fact]
    public async Task The_default_model_is_pulled_and_converted_once_to_a_cached_q4_k_m_gguf()
    {
        var work = Path.Combine(_cache, "..", Path.GetFileName(_cache) + "-ckpt");
        try
        {
            // A tiny safetensors checkpoint stands in for lm-provers/QED-Nano.
            await Qed.Inference.Checkpoints.RandomQwen3Checkpoint.WriteAsync(work, Qed.Inference.Checkpoints.RandomQwen3Checkpoint.Tiny(), 3, default);
            foreach (var f in Directory.GetFiles(TinyModel.TokenizerFixture, "*.json")) File.Copy(f, Path.Combine(work, Path.GetFileName(f)), true);
            _hub.Files.Clear();
            _hub.Owners.Add("lm-provers");
            foreach (var f in Directory.GetFiles(work))
                _hub.Files[Path.GetFileName(f)] = (File.ReadAllBytes(f), f.EndsWith(".safetensors"));

            // The Hub cache one level down, so the converted GGUF (kept beside it) stays inside this test's directory.
            var hubCache = Path.Combine(_cache, "hub");
            var messages = new List<string>();
            using var source = new LocalModelSource(new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = hubCache }, _http,
                new Qed.Inference.Llama.LlamaOptions { Context = 512, MaxSequences = 2, Threads = 1 }, m => { lock (messages) messages.Add(m); });
            using (var client = await source.OpenAsync(DefaultLocalModel.Reference, default))
            {
                var answer = await client.GetResponseAsync("hello", new Microsoft.Extensions.AI.ChatOptions { MaxOutputTokens = 3, Temperature = 0 });
                answer.Usage!.OutputTokenCount.Should().BeGreaterThan(0);
                client.GetService(typeof(Qed.Inference.Llama.LlamaModel)).Should().NotBeNull("a safetensors repo runs on llama.cpp");
            }
            messages.Should().Contain(m => m.StartsWith("pull lm-provers/QED-Nano: model.safetensors"));
            messages.Should().Contain(m => m.StartsWith("convert lm-provers/QED-Nano") && m.Contains("Q4_K_M"));
            messages.Should().Contain(m => m.StartsWith("convert: quantize q4_k_m"));
            source.ConvertedCacheDirectory.Should().Be(Path.Combine(Path.GetFullPath(_cache), "qed", "gguf"));
            var converted = Directory.GetFiles(source.ConvertedCacheDirectory, "*.gguf", SearchOption.AllDirectories);
            converted.Should().ContainSingle().Which.Should().EndWith(Path.Combine(FakeHub.Commit, "model-q4_k_m.gguf"));

            // Second time, offline: neither pulled nor converted again.
            messages.Clear();
            using var offline = new LocalModelSource(new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDirectory = hubCache, Offline = true }, _http,
                new Qed.Inference.Llama.LlamaOptions { Context = 512, MaxSequences = 2, Threads = 1 }, m => { lock (messages) messages.Add(m); });
            var again = await offline.ResolveAsync(DefaultLocalModel.Reference, default);
            again.Should().Be(new LocalModelFiles(converted[0], LocalModelKind.Gguf));
            messages.Should().BeEmpty();
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    [Fact]
    public async Task A_gguf_repo_gives_the_named_quant_or_q4_k_m()
    {
        _hub.Files.Clear();
        _hub.Files["model-Q8_0.gguf"] = ("GGUF-q8"u8.ToArray(), true);
        _hub.Files["model-Q4_K_M.gguf"] = ("GGUF-q4"u8.ToArray(), true);
        _hub.Files["config.json"] = ("{}"u8.ToArray(), false);
        using var source = new LocalModelSource(new HubOptions { Endpoint = _hub.Endpoint, CacheDirectory = _cache }, _http);
        (await source.ResolveAsync("local:acme/some-GGUF", default)).Path.Should().EndWith("model-Q4_K_M.gguf");
        (await source.ResolveAsync("local:acme/some-GGUF:Q8_0", default)).Path.Should().EndWith("model-Q8_0.gguf");
        var act = () => source.ResolveAsync("local:acme/some-GGUF:q6_k", default);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*no GGUF file named like 'q6_k'*");
    }
}
