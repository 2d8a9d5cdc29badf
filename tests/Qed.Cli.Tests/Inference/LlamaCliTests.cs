using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Testing;

namespace Qed.Cli.Tests.Inference;

/// <summary>`qed export-gguf`, `qed serve` and `qed prove` on the llama.cpp engine as a user runs them (real processes, loopback HTTP).</summary>
public sealed class LlamaCliTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);
    private static string TinyTokenizer => Path.Combine(RepoPaths.Fixtures, "inference", "tiny-model");
    // Threads pinned to one so tests behave the same on a busy machine.
    private static readonly Dictionary<string, string?> Env = new() { ["QED_LLAMA_THREADS"] = "1", ["QED_LLAMA_CONTEXT"] = "4096" };

    public void Dispose() => _dir.Dispose();

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, Env, Limit, args);

    private async Task<string> ExportTinyAsync(string type = "f32")
    {
        var checkpoint = _dir.File("ckpt");
        if (!Directory.Exists(checkpoint))
        {
            await RandomQwen3Checkpoint.WriteAsync(checkpoint, RandomQwen3Checkpoint.Tiny(), seed: 5, CancellationToken.None);
            foreach (var f in Directory.GetFiles(TinyTokenizer, "*.json")) File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)));
        }
        var output = _dir.File($"tiny-{type}.gguf");
        var r = await Qed("export-gguf", "--checkpoint", checkpoint, "--out", output, "--type", type);
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain($"exported {type} model to {output}");
        File.Exists(output).Should().BeTrue();
        return output;
    }

    [Fact]
    public async Task Export_gguf_refuses_an_unknown_type_and_a_missing_checkpoint_in_one_line()
    {
        var bad = await Qed("export-gguf", "--checkpoint", _dir.File("nope"), "--out", _dir.File("x.gguf"), "--type", "q2");
        bad.ExitCode.Should().NotBe(0);
        bad.StdErr.Should().Contain("--type 'q2'").And.NotContain("   at ");
        var missing = await Qed("export-gguf", "--checkpoint", _dir.File("nope"), "--out", _dir.File("x.gguf"), "--type", "q8_0");
        missing.ExitCode.Should().Be(1);
        missing.StdErr.Should().Contain("config.json not found").And.NotContain("   at ");
    }

    [Fact]
    public async Task Serve_streams_to_concurrent_clients_from_one_gguf()
    {
        var model = await ExportTinyAsync("q8_0");
        using var process = QedProcess.Start(_dir.Path, Env, "serve", "--model", "local:" + model, "--port", "0", "--max-sequences", "4");
        try
        {
            string? line;
            using var timeout = new CancellationTokenSource(Limit);
            do line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            while (line is not null && !line.StartsWith("serving "));
            if (line is null) throw new Xunit.Sdk.XunitException("qed serve exited: " + await process.StandardError.ReadToEndAsync());
            var baseUrl = line!.Split(" at ")[1].Split(' ')[0];

            using var http = new HttpClient { Timeout = Limit };
            async Task<(string Text, JsonNode Last)> Stream(string prompt)
            {
                using var response = await http.PostAsJsonAsync(baseUrl + "/chat/completions", new
                {
                    model = "any", stream = true, max_tokens = 12, temperature = 0,
                    messages = new[] { new { role = "user", content = prompt } },
                });
                response.EnsureSuccessStatusCode();
                var events = (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ")).ToList();
                events[^1].Should().Be("data: [DONE]");
                var text = string.Concat(events.SkipLast(1).Select(e => JsonNode.Parse(e[6..])!["choices"]?.AsArray().FirstOrDefault()?["delta"])
                    .Select(d => (d?["reasoning_content"]?.GetValue<string>() ?? "") + (d?["content"]?.GetValue<string>() ?? "")));
                return (text, JsonNode.Parse(events[^2][6..])!);
            }
            string[] prompts = ["Prove that 1 + 1 = 2.", "Show that there are infinitely many primes.", "Prove that 1 + 1 = 2.", "Find x."];
            var alone = await Stream(prompts[0]);
            var together = await Task.WhenAll(prompts.Select(Stream));
            foreach (var (text, last) in together)
            {
                last["choices"]![0]!["finish_reason"]!.GetValue<string>().Should().BeOneOf("stop", "length");
                last["usage"]!["completion_tokens"]!.GetValue<int>().Should().BeInRange(1, 12);
            }
            together[0].Text.Should().Be(alone.Text, "greedy output does not depend on the batch it ran in");
            together[2].Text.Should().Be(alone.Text);
            together[1].Text.Should().NotBe(alone.Text);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Prove_runs_end_to_end_on_a_gguf_with_a_scaffold()
    {
        var model = await ExportTinyAsync();
        var r = await Qed("prove", "--model", "local:" + model, "--scaffold", "reasoning-cache", "--db", _dir.File("q.db"), "--json", "Prove that 1 + 1 = 2.");
        r.ExitCode.Should().Be(0, r.StdErr);
        var json = JsonNode.Parse(r.StdOut)!;
        json["status"]!.GetValue<string>().Should().NotBe("failed");
        json["steps"]!.AsArray().Count.Should().BeGreaterThan(1);
        json["usage"]!["calls"]!.GetValue<long>().Should().BeGreaterThan(1);
        json["usage"]!["output_tokens"]!.GetValue<long>().Should().BeGreaterThan(0);
        json["steps"]!.AsArray().Should().AllSatisfy(s => s!["model"]!.GetValue<string>().Should().Contain("tiny-f32.gguf"));
    }

    [Fact]
    public async Task Prove_without_the_default_model_names_it_and_the_onnx_alternative()
    {
        var env = new Dictionary<string, string?> { ["HF_HUB_CACHE"] = _dir.File("hf-cache"), ["HF_ENDPOINT"] = "http://127.0.0.1:9", ["HF_HUB_OFFLINE"] = "1" };
        var r = await QedProcess.RunAsync(_dir.Path, env, Limit, "prove", "--db", _dir.File("q.db"), "Prove it.");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("local:lm-provers/QED-Nano").And.Contain("onnx-community/QED-Nano-ONNX").And.NotContain("   at ");
    }
}
