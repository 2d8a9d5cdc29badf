using System.Text.Json;
using System.Text.Json.Serialization;

namespace Qed.Training.Sft;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint: where the loop stands. Written last into a checkpoint folder, so
/// a folder with this file is complete. The optimizer moments and the torch RNG state sit beside it in
/// <c>optimizer.safetensors</c>; the learning rate is a function of <see cref="Step"/> and the data position a
/// function of (seed, <see cref="Step"/>), recorded here for people and checked on resume.
/// </summary>
public sealed record TrainerState
{
    public const string FileName = "trainer_state.json";
    public const string OptimizerFileName = "optimizer.safetensors";
    public const string MasterWeightsFileName = "master_weights.safetensors";

    [JsonPropertyName("step")] public required long Step { get; init; }
    [JsonPropertyName("total_steps")] public required long TotalSteps { get; init; }
    [JsonPropertyName("epoch")] public required int Epoch { get; init; }
    [JsonPropertyName("micro_batch_in_epoch")] public required int MicroBatchInEpoch { get; init; }
    [JsonPropertyName("optimizer_step")] public required long OptimizerStep { get; init; }
    [JsonPropertyName("tokens_seen")] public required long TokensSeen { get; init; }
    [JsonPropertyName("fingerprint")] public required string Fingerprint { get; init; }
    [JsonPropertyName("completed")] public bool Completed { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public async Task SaveAsync(string directory, CancellationToken cancellationToken) =>
        await File.WriteAllTextAsync(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json), cancellationToken);

    public static TrainerState Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        try { return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path)) ?? throw new QedException($"{path}: empty trainer state"); }
        catch (JsonException e) { throw new QedException($"{path}: unreadable trainer state ({e.Message})", e); }
    }
}
