using System.CommandLine;
using System.Globalization;
using Qed.Llm;
using Qed.Training.Checkpoints;
using Qed.Training.Rl;

namespace Qed.Cli.Commands;

/// <summary>Commands: train grpo and train rc (issue 7), added to the train group by <see cref="TrainCommands"/>.</summary>
internal static class TrainRlCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Rl("grpo", "GRPO with rubric rewards: rollouts from the policy (internal sampler or vLLM/SGLang), graded by a rule-based grader or an LLM judge; resumable.", reasoningCache: false);
        yield return Rl("rc", "Reasoning-cache RL: trajectories of reasoning and summary turns; their reasoning prompts become GRPO problems; resumable.", reasoningCache: true);
    }

    private static Command Rl(string name, string description, bool reasoningCache)
    {
        var config = new Option<string>("--config") { Description = $"{name} config YAML (see configs/train/{(reasoningCache ? "rc" : "grpo")}.yaml, docs/rl.md)", Required = true };
        var output = new Option<string?>("--out") { Description = "Output folder (overrides the config's 'out'); rerun with the same folder to resume" };
        var command = new Command(name, description) { config, output };
        return command.WithAction(async (parse, ct) =>
        {
            var options = GrpoOptionsLoader.Load(parse.GetValue(config)!, parse.GetValue(output), ModelDirectory.Resolve, reasoningCache);
            using var models = new ChatClientFactory(new ChatClientFactoryOptions { Warn = m => Console.Error.WriteLine("warning: " + m) });
            var lines = new StepLines(Console.Error);
            var result = await new GrpoTrainer(options, models).RunAsync(lines, m => Console.Error.WriteLine(m), ct);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name}: {result.Steps} steps (resumed from {result.ResumedFrom}), reward mean {result.FirstRewardMean:F3} → {result.LastRewardMean:F3}, model in {result.OutputDirectory}"));
            return 0;
        });
    }

    /// <summary>One line per step (synchronous, so lines never reorder).</summary>
    private sealed class StepLines(TextWriter writer) : IProgress<GrpoProgress>
    {
        public void Report(GrpoProgress p) => writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps} reward {p.RewardMean:F3} success {p.SuccessRate:P0} {p.TokensPerSecond:F0} tok/s judge failures {p.JudgeFailures} " +
            $"lag {p.PolicyLag:F1} wait {p.WaitSeconds:F2}s step {p.StepSeconds:F2}s elapsed {Format(p.Elapsed)} ETA {Format(p.EstimatedRemaining)}"));

        private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
    }
}
