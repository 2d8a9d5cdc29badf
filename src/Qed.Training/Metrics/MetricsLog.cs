using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Training.Metrics;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per logged step (step, loss, lr, grad_norm, tokens_per_s, …). On resume
/// the lines after the checkpoint's step are dropped, so the file reads as if the run had never stopped.
/// </summary>
public sealed class MetricsLog : IAsyncDisposable
{
    public const string FileName = "metrics.jsonl";
    private readonly StreamWriter _writer;

    private MetricsLog(StreamWriter writer) => _writer = writer;

    public static async Task<MetricsLog> OpenAsync(string directory, long resumedStep, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            var kept = (await File.ReadAllLinesAsync(path, cancellationToken))
                .Where(line => line.Length > 0 && StepOf(line) is long s && s <= resumedStep).ToList();
            await File.WriteAllLinesAsync(path, kept, cancellationToken);
        }
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new MetricsLog(new StreamWriter(stream) { AutoFlush = true });
    }

    private static long? StepOf(string line)
    {
        try { return JsonNode.Parse(line)?["step"]?.GetValue<long>(); }
        catch (JsonException) { return null; }   // a torn last line from a kill
    }

    public async Task WriteAsync(JsonObject record, CancellationToken cancellationToken) =>
        await _writer.WriteLineAsync(record.ToJsonString().AsMemory(), cancellationToken);

    public async ValueTask DisposeAsync() => await _writer.DisposeAsync();
}
