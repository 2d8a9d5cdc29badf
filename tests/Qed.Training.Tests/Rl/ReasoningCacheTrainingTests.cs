using System.Text.Json.Nodes;
using Qed.Llm;
using Qed.Testing;
using Qed.Training.Checkpoints;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>qed train rc's path end to end: YAML with an rc section → trajectories with a loopback summariser → GRPO steps.</summary>
public class ReasoningCacheTrainingTests
{
    [Fact]
    public async Task Rc_run_trains_on_reasoning_cache_states_built_with_the_summariser()
    {
        using var dir = new TempDirectory();
        int summaries = 0;
        await using var server = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text($"notes {Interlocked.Increment(ref summaries)}: 4 = 2 * 2"));
        var summarizer = dir.Write("summarizer.yaml", $"model: summarizer\nbase_url: {server.BaseUrl}\nmax_retries: 0\n");
        var problems = dir.Write("problems.jsonl",
            """{"problem": "What is 2 + 2?", "answer": "4"}""" + "\n" + """{"problem": "What is 3 + 4?", "answer": "7"}""" + "\n");
        var config = dir.Write("rc.yaml", $"""
            model_config: {Path.Combine(RepoPaths.Root, "configs", "train", "tiny-qwen3.json")}
            tokenizer: {TinyModels.Tokenizer}
            problems: {problems}
            group_size: 4
            samples_per_step: 8
            max_new_tokens: 6
            max_lag: 1
            grader:
              kind: answer
            require_closed_thinking: false
            rc:
              summarizer: {summarizer}
              reasoning_steps: 2
              states_per_trajectory: 2
              reasoning_max_tokens: 6
            lr: 1.0e-3
            steps: 2
            save_every: 1
            """);
        var options = GrpoOptionsLoader.Load(config, Path.Combine(dir.Path, "out"), ModelDirectory.Resolve, requireReasoningCache: true);
        options.ReasoningCache!.StatesPerTrajectory.Should().Be(2);

        using var models = new ChatClientFactory();
        var result = await new GrpoTrainer(options, models).RunAsync(null, null, CancellationToken.None);

        result.Steps.Should().Be(2);
        // Per step: 8 samples / group of 4 = 2 states = 1 trajectory (2 states each) of 2 summary turns.
        server.RequestCount.Should().Be(2 * 2);
        var metrics = File.ReadAllLines(Path.Combine(dir.Path, "out", "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        metrics.Should().HaveCount(2);
        metrics.Should().OnlyContain(m => m["rollouts"]!.GetValue<long>() == 8 && m["states_s"]!.GetValue<double>() > 0);
        Directory.Exists(Path.Combine(dir.Path, "out", "checkpoint-2")).Should().BeTrue();
    }

    [Fact]
    public void Rc_command_refuses_a_config_without_an_rc_section()
    {
        using var dir = new TempDirectory();
        var load = () => GrpoOptionsLoader.Load(Path.Combine(RepoPaths.Root, "configs", "train", "grpo-tiny.yaml"), dir.Path, ModelDirectory.Resolve, requireReasoningCache: true);
        load.Should().Throw<QedException>().WithMessage("*needs an 'rc' section*");
    }
}
