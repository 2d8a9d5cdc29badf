// Local engine speed on this CPU: prefill and decode tokens/s and peak RSS for random Qwen3 models exported by
// our exporter, and decode speed against the memory-bandwidth limit (weight bytes read per token ÷ measured
// read bandwidth). Each model runs in a child process so its peak RSS is its own.
//
//   dotnet run -c Release --project bench/Qed.Bench.Inference            # all models
//   dotnet run -c Release --project bench/Qed.Bench.Inference -- --one scaled-int4
//
// Prints one line per figure: BENCH {"name": ..., ...}.
using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Onnx;

var models = new Dictionary<string, (Qwen3Config Config, bool Int4)>
{
    ["tiny-fp32"] = (RandomQwen3Checkpoint.Tiny(), false),
    ["tiny-int4"] = (RandomQwen3Checkpoint.Tiny(), true),
    // A scaled config: 8 layers at hidden 1024 (Qwen3-0.6B widths), vocab cut to 32k so export stays quick.
    ["scaled-int4"] = (new Qwen3Config
    {
        HiddenSize = 1024, IntermediateSize = 3072, NumHiddenLayers = 8, NumAttentionHeads = 16, NumKeyValueHeads = 8,
        HeadDim = 128, VocabSize = 32_768, TieWordEmbeddings = false, TorchDtype = "bfloat16", MaxPositionEmbeddings = 4096,
    }, true),
};

if (args is ["--one", var one])
{
    await RunOne(one, models[one].Config, models[one].Int4);
    return 0;
}

Emit(new { name = "memory_read_bandwidth", gb_per_s = Math.Round(MeasureBandwidth() / 1e9, 2), threads = Environment.ProcessorCount });
foreach (var name in models.Keys)
{
    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
    psi.ArgumentList.Add(typeof(Program).Assembly.Location);
    psi.ArgumentList.Add("--one");
    psi.ArgumentList.Add(name);
    using var child = Process.Start(psi)!;
    string? line;
    while ((line = await child.StandardOutput.ReadLineAsync()) is not null) Console.WriteLine(line);
    await child.WaitForExitAsync();
    if (child.ExitCode != 0) { Console.Error.WriteLine($"bench {name} failed ({child.ExitCode})"); return 1; }
}
return 0;

static async Task RunOne(string name, Qwen3Config config, bool int4)
{
    var root = Directory.CreateTempSubdirectory("qed-bench-").FullName;
    try
    {
        var checkpoint = Path.Combine(root, "ckpt");
        var export = Path.Combine(root, "onnx");
        var sw = Stopwatch.StartNew();
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, config, seed: 1, CancellationToken.None);
        await new Qwen3OnnxExporter().ExportAsync(checkpoint, export, new OnnxExportOptions { Int4 = int4 }, CancellationToken.None);
        double exportSeconds = sw.Elapsed.TotalSeconds;

        long dataBytes = new FileInfo(Path.Combine(export, Qwen3OnnxExporter.DataFileName)).Length;
        // Decode reads every weight once per token, except the embedding table, of which it reads one row
        // (unless it doubles as the fp32 head).
        long embeddingBytes = (long)config.VocabSize * config.HiddenSize * 4;
        long bytesPerToken = dataBytes - (config.TieWordEmbeddings && !int4 ? 0 : embeddingBytes);

        using var decoder = new OnnxDecoder(Path.Combine(export, Qwen3OnnxExporter.ModelFileName));
        var random = new Random(3);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(config.VocabSize)).ToArray();

        using (var warm = decoder.NewCache()) decoder.Forward(warm, Tokens(16), default);

        const int prefillTokens = 512;
        double prefillSeconds;
        using (var cache = decoder.NewCache())
        {
            var prompt = Tokens(prefillTokens);
            sw.Restart();
            decoder.Forward(cache, prompt, default);
            prefillSeconds = sw.Elapsed.TotalSeconds;
        }

        const int decodeTokens = 64;
        double decodeSeconds;
        using (var cache = decoder.NewCache())
        {
            var logits = decoder.Forward(cache, Tokens(32), default);
            sw.Restart();
            for (int i = 0; i < decodeTokens; i++) logits = decoder.Forward(cache, [TokenSampler.ArgMax(logits)], default);
            decodeSeconds = sw.Elapsed.TotalSeconds;
        }

        double bandwidth = MeasureBandwidth();
        double decodePerSecond = decodeTokens / decodeSeconds;
        double limit = bandwidth / bytesPerToken;
        Emit(new
        {
            name = "local_engine",
            model = name,
            layers = config.NumHiddenLayers, hidden = config.HiddenSize, vocab = config.VocabSize,
            weights = int4 ? "int4-block32" : "fp32",
            weight_file_bytes = dataBytes,
            weight_bytes_per_token = bytesPerToken,
            prefill_tokens = prefillTokens,
            prefill_tokens_per_s = Math.Round(prefillTokens / prefillSeconds, 1),
            decode_tokens = decodeTokens,
            decode_tokens_per_s = Math.Round(decodePerSecond, 1),
            bandwidth_gb_per_s = Math.Round(bandwidth / 1e9, 2),
            decode_limit_tokens_per_s = Math.Round(limit, 1),
            decode_fraction_of_limit = Math.Round(decodePerSecond / limit, 3),
            peak_rss_mb = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
            export_seconds = Math.Round(exportSeconds, 1),
            threads = Environment.ProcessorCount,
        });
    }
    finally { Directory.Delete(root, recursive: true); }
}

// Best of five multi-threaded sequential reads of a 512 MiB buffer (far larger than any cache).
static double MeasureBandwidth()
{
    var buffer = new float[128 * 1024 * 1024];
    for (int i = 0; i < buffer.Length; i += 1024) buffer[i] = i;
    double best = 0;
    int threads = Environment.ProcessorCount;
    for (int round = 0; round < 5; round++)
    {
        var sw = Stopwatch.StartNew();
        var sums = new float[threads];
        Parallel.For(0, threads, t =>
        {
            int chunk = buffer.Length / threads, start = t * chunk;
            var acc = Vector<float>.Zero;
            var span = buffer.AsSpan(start, chunk);
            for (int i = 0; i + Vector<float>.Count <= span.Length; i += Vector<float>.Count) acc += new Vector<float>(span[i..]);
            sums[t] = Vector.Sum(acc);
        });
        best = Math.Max(best, buffer.Length * 4.0 / sw.Elapsed.TotalSeconds);
        if (sums.Sum() < 0) Console.Error.Write(""); // keep the reads observable
    }
    return best;
}

static void Emit(object figure) => Console.WriteLine("BENCH " + JsonSerializer.Serialize(figure));
