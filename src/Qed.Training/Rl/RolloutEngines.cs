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
    public static IRewardGrader Create(GrpoOptions options, Qed.Llm.ChatClientFactory? models) => options.Grader.Kind switch
    {
        "first-integer" => new FirstIntegerGrader(options.MaxPoints),
        "answer" => throw new QedException("grader kind 'answer' (the answer checker) is not supported yet in this build: the answer checker has not landed on this branch"),
        "judge" => throw new QedException("grader kind 'judge' (ProofGrader) is not supported yet in this build: the proof grader has not landed on this branch"),
        var k => throw new QedException($"unknown grader kind '{k}'"),
    };
}
