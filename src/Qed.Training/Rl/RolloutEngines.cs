using TorchSharp;
using Qed.Inference.Checkpoints;
using Qed.Training.Models;

namespace Qed.Training.Rl;

/// <summary>Builds the rollout engine a config asks for.</summary>
public static class RolloutEngines
{
    public static Task<IRolloutEngine> CreateAsync(GrpoOptions options, Qwen3Config config, IReadOnlyList<int> stopIds, CancellationToken cancellationToken)
    {
        IRolloutEngine engine = options.Engine switch
        {
            RolloutEngineKind.Internal => InternalEngine(config, stopIds, options.Device),
            _ => new RemoteRolloutEngine(options.Remote!, config, Path.Combine(options.Out, "sync-weights"), options.Tokenizer),
        };
        return Task.FromResult(engine);
    }

    private static InternalRolloutEngine InternalEngine(Qwen3Config config, IReadOnlyList<int> stopIds, string device)
    {
        var model = new Qwen3ForCausalLM(config);
        model.to(TorchSharp.torch.device(device));
        return new InternalRolloutEngine(model, stopIds, TorchSharp.torch.device(device));
    }
}

/// <summary>Builds the reward grader a config asks for.</summary>
public static class RewardGraders
{
    public static async Task<IRewardGrader> CreateAsync(GrpoOptions options, Qed.Llm.ChatClientFactory? models, CancellationToken cancellationToken)
    {
        switch (options.Grader.Kind)
        {
            case "first-integer":
                return new FirstIntegerGrader(options.MaxPoints);
            case "answer" when options.Grader.Model is null:
                return new AnswerCheckerGrader(options.MaxPoints);
            case "answer":
                return new AnswerCheckerGrader(options.MaxPoints, await JudgeAsync(options, models, cancellationToken).ConfigureAwait(false));
            case "judge":
                return await JudgeAsync(options, models, cancellationToken).ConfigureAwait(false);
            default:
                throw new QedException($"unknown grader kind '{options.Grader.Kind}'");
        }
    }

    private static async Task<IRewardGrader> JudgeAsync(GrpoOptions options, Qed.Llm.ChatClientFactory? models, CancellationToken cancellationToken)
    {
        if (models is null) throw new QedException("the judge grader needs a chat client factory");
        var judge = await models.OpenAsync(options.Grader.Model!, cancellationToken).ConfigureAwait(false);
        if (options.RewardProtocol == "qed-nano")
            return new QedNanoRewardGrader(judge.Chat, new Qed.Llm.PromptLibrary(options.Grader.Prompt).Get("Rl", "judge-qed-nano"));
        return new JudgeRewardGrader(new Qed.Grading.ProofGrader(judge, new Qed.Llm.PromptLibrary(options.Grader.Prompt), answerChecker: new Qed.Grading.SymbolicAnswerChecker()));
    }
}
