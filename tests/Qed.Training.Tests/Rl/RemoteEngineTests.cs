using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Testing;
using Qed.Training.Checkpoints;
using Qed.Training.Models;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>GRPO with rollouts from two loopback policy servers: token-id prompts, log-probs, least-loaded scheduling, weight sync.</summary>
public class RemoteEngineTests
{
    [Fact]
    public async Task Training_on_remote_servers_syncs_every_version_to_every_server_and_stays_on_policy()
    {
        using var dir = new TempDirectory();
        var config = Qwen3Config.Load(Path.Combine(RepoPaths.Root, "configs", "train", "toy-copy", "config.json"));
        // The servers start with weights unrelated to the policy: only the sync makes them serve it.
        await using var a = await TokenCompletionServer.StartAsync(RandomModel(config, 99), [15, 13]);
        await using var b = await TokenCompletionServer.StartAsync(RandomModel(config, 98), [15, 13]);

        var options = GrpoOptionsLoader.Load(Path.Combine(RepoPaths.Root, "configs", "train", "grpo-tiny.yaml"), dir.Path, ModelDirectory.Resolve) with
        {
            Steps = 3, MaxLag = 0, SaveEvery = 0, Threads = 0,
            Engine = RolloutEngineKind.Remote,
            Remote = new RemoteEngineOptions { BaseUrls = [a.BaseUrl, b.BaseUrl], Model = "policy", ConcurrentRequests = 2 },
        };
        await new GrpoTrainer(options).RunAsync(null, null, CancellationToken.None);

        // Versions 0, 1, 2 were written and loaded by both servers before the steps that sample with them.
        foreach (var server in new[] { a, b })
        {
            server.LoadedPaths.Select(Path.GetFileName).Should().Equal("v0", "v1", "v2");
            server.CompletionRequests.Should().NotBeEmpty("least-loaded scheduling spreads 8 groups over both servers");
        }
        var request = a.CompletionRequests.First();
        request["return_tokens_as_token_ids"]!.GetValue<bool>().Should().BeTrue();
        request["logprobs"].Should().NotBeNull();
        request["n"]!.GetValue<long>().Should().Be(16);
        request["prompt"]!.AsArray().Should().HaveCount(2, "the prompt is sent as token ids: '7', '='");
        (a.CompletionRequests.Count + b.CompletionRequests.Count).Should().Be(3 * 8);

        // The servers sampled with exactly the trained weights at the same temperature, so the importance ratio is 1.
        foreach (var line in File.ReadAllLines(Path.Combine(dir.Path, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!))
        {
            line["ratio_mean"]!.GetValue<double>().Should().BeApproximately(1.0, 1e-4);
            line["clip_fraction"]!.GetValue<double>().Should().Be(0);
            line["policy_lag"]!.GetValue<double>().Should().Be(0);
        }
    }

    private static Qwen3ForCausalLM RandomModel(Qwen3Config config, long seed)
    {
        var model = new Qwen3ForCausalLM(config);
        model.InitializeWeights(seed);
        return model;
    }
}
