using System.CommandLine;
using System.Globalization;
using Qed.Training.Checkpoints;
using Qed.Training.Sft;

namespace Qed.Cli.Commands;

/// <summary>Commands: train sft (issue 6); grpo and rc arrive with issue 7.</summary>
internal static class TrainCommands
{
    public static IEnumerable<Command> Create()
    {
        var train = new Command("train", "Train a model: sft (supervised fine-tuning), grpo (RL with rubric rewards), rc (reasoning-cache RL).");
        train.Subcommands.Add(Sft());
        foreach (var rl in TrainRlCommands.Create()) train.Subcommands.Add(rl);
        yield return train;
    }

    private static Command Sft()
    {
        var config = new Option<string>("--config") { Description = "SFT config YAML (see configs/train/sft-tiny.yaml, docs/training.md)", Required = true };
        var output = new Option<string?>("--out") { Description = "Output folder (overrides the config's 'out'); rerun with the same folder to resume" };
        var command = new Command("sft", "Supervised fine-tuning of a Qwen3 model on chat/proof data; resumable, writes Hugging Face checkpoints.")
        {
            config, output,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var options = SftOptionsLoader.Load(parse.GetValue(config)!, parse.GetValue(output), ModelDirectory.Resolve);
            var bar = new ProgressLine(Console.Error);
            var result = await new SftTrainer(options).RunAsync(
                new Progress(bar), message => bar.Message(message), ct);
            bar.Finish();
            Console.WriteLine($"sft: {result.Steps} steps (resumed from {result.ResumedFrom}), final loss {result.FinalLoss.ToString("F4", CultureInfo.InvariantCulture)}, model in {result.OutputDirectory}");
            return 0;
        });
    }

    /// <summary>Reports synchronously (IProgress's default posts to the thread pool and can reorder lines).</summary>
    private sealed class Progress(ProgressLine bar) : IProgress<SftProgress>
    {
        public void Report(SftProgress value) => bar.Draw(value);
    }

    /// <summary>One redrawn line on a terminal (a line per step when stderr is redirected):
    /// bar, step, loss, learning rate, tokens/s, elapsed and ETA.</summary>
    private sealed class ProgressLine(TextWriter writer)
    {
        private readonly bool _interactive = !Console.IsErrorRedirected;
        private bool _open;

        public void Draw(SftProgress p)
        {
            const int width = 24;
            int filled = (int)(width * p.Step / Math.Max(1, p.TotalSteps));
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', width - filled)}] step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:0.00e+0} " +
                $"{p.TokensPerSecond:F0} tok/s elapsed {Format(p.Elapsed)} ETA {Format(p.EstimatedRemaining)}");
            if (_interactive) { writer.Write("\r" + line.PadRight(110)); _open = true; }
            else writer.WriteLine(line);
        }

        public void Message(string text)
        {
            if (_open) { writer.WriteLine(); _open = false; }
            writer.WriteLine(text);
        }

        public void Finish()
        {
            if (_open) writer.WriteLine();
            _open = false;
        }

        private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
    }
}
