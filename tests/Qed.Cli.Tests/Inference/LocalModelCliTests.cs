using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Testing;

namespace Qed.Cli.Tests.Inference;

/// <summary>`qed export-onnx`, `qed serve`, `qed tokenize` as a user runs them (real processes, loopback HTTP).</summary>
public sealed class LocalModelCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private static string TinyTokenizer => Path.Combine(RepoPaths.Fixtures, "inference", "tiny-model");

    public void Dispose() => _dir.Dispose();

    private Task<QedResult> Qed(IReadOnlyDictionary<string, string?>? env, params string[] args) => QedProcess.RunAsync(_dir.Path, env, Limit, args);

    private async Task<string> ExportTinyAsync(bool int4)
    {
        var checkpoint = _dir.File("ckpt");
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, RandomQwen3Checkpoint.Tiny(), seed: 5, CancellationToken.None);
        foreach (var f in Directory.GetFiles(TinyTokenizer, "*.json")) File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)));
        var output = _dir.File(int4 ? "onnx-int4" : "onnx");
        var args = new List<string> { "export-onnx", "--checkpoint", checkpoint, "--out", output };
        if (int4) args.Add("--int4");
        var r = await Qed(null, [.. args]);
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain(int4 ? "int4" : "fp32");
        File.Exists(Path.Combine(output, "model.onnx")).Should().BeTrue();
        File.Exists(Path.Combine(output, "tokenizer.json")).Should().BeTrue();
        return output;
    }

    [Fact]
    public async Task Serve_answers_a_streamed_openai_request_from_an_exported_model()
    {
        var model = await ExportTinyAsync(int4: true);
        using var process = QedProcess.Start(_dir.Path, null, "serve", "--model", "local:" + model, "--port", "0");
        try
        {
            string? line;
            using var timeout = new CancellationTokenSource(Limit);
            do line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            while (line is not null && !line.StartsWith("serving "));
            line.Should().NotBeNull(await process.StandardError.ReadToEndAsync());
            var baseUrl = line!.Split(" at ")[1].Split(' ')[0]; // http://127.0.0.1:PORT/v1
            baseUrl.Should().StartWith("http://127.0.0.1:");

            using var http = new HttpClient();
            using var response = await http.PostAsJsonAsync(baseUrl + "/chat/completions", new
            {
                model = "any", stream = true, max_tokens = 6, temperature = 0,
                messages = new[] { new { role = "user", content = "Prove that 1 + 1 = 2." } },
            });
            var events = (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ")).ToList();
            events[^1].Should().Be("data: [DONE]");
            var last = JsonNode.Parse(events[^2][6..])!;
            last["choices"]![0]!["finish_reason"]!.GetValue<string>().Should().BeOneOf("stop", "length");
            last["usage"]!["completion_tokens"]!.GetValue<int>().Should().BeInRange(1, 6);
            events.Should().Contain(e => e.Contains("\"reasoning_content\""));

            var health = await http.GetStringAsync(baseUrl.Replace("/v1", "") + "/health");
            health.Should().Contain("ok");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_without_the_model_files_or_network_fails_at_once_with_advice()
    {
        var env = new Dictionary<string, string?> { ["HF_HUB_CACHE"] = _dir.File("empty-cache"), ["HF_ENDPOINT"] = "http://127.0.0.1:9" };
        var r = await Qed(env, "serve", "--model", "local:acme/not-downloaded");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("not in the Hugging Face cache").And.Contain("local:/path/to/model").And.Contain("OpenAI-compatible endpoint");
    }

    [Fact]
    public async Task Tokenize_prints_ids_and_converts_jsonl_files()
    {
        var plain = await Qed(null, "tokenize", "--tokenizer", TinyTokenizer, "ab<|im_end|>");
        plain.ExitCode.Should().Be(0, plain.StdErr);
        plain.StdOut.Trim().Should().Be("283 509"); // "ab" is the second letter-pair merge (282 = "aa"), 509 = <|im_end|>

        var json = await Qed(null, "tokenize", "--tokenizer", Path.Combine(TinyTokenizer, "tokenizer.json"), "--json", "<think>");
        JsonNode.Parse(json.StdOut)!["ids"]!.AsArray().Select(i => i!.GetValue<int>()).Should().Equal(510);

        var input = _dir.Write("in.jsonl", "{\"text\": \"ab\", \"id\": 1}\n{\"text\": \" z\"}\n");
        var output = _dir.File("out.jsonl");
        var file = await Qed(null, "tokenize", "--tokenizer", TinyTokenizer, "--file", input, "--out", output);
        file.ExitCode.Should().Be(0, file.StdErr);
        var lines = File.ReadAllLines(output).Select(l => JsonNode.Parse(l)!).ToList();
        lines.Should().HaveCount(2);
        lines[0]["id"]!.GetValue<int>().Should().Be(1);
        lines[1]["text"]!.GetValue<string>().Should().Be(" z");
        lines[1]["ids"]!.AsArray().Select(i => i!.GetValue<int>()).Should().Equal(256 + 25);

        _dir.Write("bad.jsonl", "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n");
        var bad = await Qed(null, "tokenize", "--tokenizer", TinyTokenizer, "--file", _dir.File("bad.jsonl"), "--out", _dir.File("bad-out.jsonl"));
        bad.ExitCode.Should().Be(1);
        bad.StdErr.Should().Contain("bad.jsonl:2: field 'text'");
    }

    [SharedDataFact("models/qwen3-tokenizer/tokenizer.json")]
    public async Task Tokenize_with_the_qwen3_tokenizer_maps_special_token_text_to_its_id()
    {
        var r = await Qed(null, "tokenize", "--tokenizer", SharedData.PathOf("models/qwen3-tokenizer"), "<|im_start|>Hello, world!");
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Trim().Should().Be("151644 9707 11 1879 0");
    }
}
