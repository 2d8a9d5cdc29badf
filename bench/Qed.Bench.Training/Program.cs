// Training-step benchmark: TorchSharp (this repository's Qwen3 + AdamW) against PyTorch eager on the same
// config, batch, sequence length and thread count. Each side runs in its own process so peak memory is its own.
//   dotnet run -c Release --project bench/Qed.Bench.Training                 both configs, both engines
//   dotnet run -c Release --project bench/Qed.Bench.Training -- parity-dump DIR   input for tools/hf-parity/compare.py
// Prints one BENCH line (JSON) per config and engine, then one comparison line per config.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Training.Checkpoints;
using Qed.Training.Models;
using Qed.Training.Optimization;
using Qed.Training.Policy;
using TorchSharp;
using static TorchSharp.torch;

var configs = new Dictionary<string, (Qwen3Config Model, int Batch, int Sequence)>
{
    ["tiny"] = (new Qwen3Config
    {
        HiddenSize = 96, IntermediateSize = 256, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 24,
        VocabSize = 416, RopeTheta = 10000, TieWordEmbeddings = true, TorchDtype = "float32",
    }, 4, 256),
    ["scaled"] = (new Qwen3Config
    {
        HiddenSize = 512, IntermediateSize = 1408, NumHiddenLayers = 6, NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 64,
        VocabSize = 8192, RopeTheta = 1_000_000, TieWordEmbeddings = true, TorchDtype = "float32",
    }, 2, 512),
};
int threads = int.Parse(Environment.GetEnvironmentVariable("QED_BENCH_THREADS") ?? "2", CultureInfo.InvariantCulture);
int warmup = 2, measured = int.Parse(Environment.GetEnvironmentVariable("QED_BENCH_STEPS") ?? "6", CultureInfo.InvariantCulture);

switch (args.FirstOrDefault())
{
    case "torchsharp-step":
        Console.WriteLine(TorchSharpStep(configs[args[1]].Model, configs[args[1]].Batch, configs[args[1]].Sequence).ToJsonString());
        return 0;
    case "parity-dump":
        await ParityDump(args[1]);
        return 0;
}

foreach (var (name, (model, batch, sequence)) in configs)
{
    var ours = RunChild("dotnet", [typeof(Program).Assembly.Location, "torchsharp-step", name]);
    ours["name"] = $"training.step.{name}.torchsharp";
    Console.WriteLine("BENCH " + ours.ToJsonString());
    var python = Environment.GetEnvironmentVariable("QED_PYTHON") ?? (File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
    var config = model.ToJson();
    JsonObject? theirs = null;
    try
    {
        theirs = RunChild(python, [Path.Combine(AppContext.BaseDirectory, "pytorch_step.py"), config.ToJsonString(), batch.ToString(), sequence.ToString(),
            threads.ToString(), warmup.ToString(), measured.ToString()]);
        theirs["name"] = $"training.step.{name}.pytorch";
        Console.WriteLine("BENCH " + theirs.ToJsonString());
    }
    catch (Exception e) { Console.WriteLine($"BENCH {{\"name\":\"training.step.{name}.pytorch\",\"error\":{JsonSerializer.Serialize(e.Message)}}}"); }
    if (theirs is not null)
        Console.WriteLine("BENCH " + new JsonObject
        {
            ["name"] = $"training.step.{name}.ratio",
            ["torchsharp_over_pytorch_step_time"] = Math.Round(ours["step_ms"]!.GetValue<double>() / theirs["step_ms"]!.GetValue<double>(), 3),
            ["target"] = 1.15,
        }.ToJsonString());
}
return 0;

JsonObject RunChild(string file, string[] arguments)
{
    var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
    // Debian's PyTorch calls the system BLAS (OpenBLAS once libopenblas0-pthread is installed), which has its own pool.
    start.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
    start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
    foreach (var a in arguments.Where(a => a.Length > 0)) start.ArgumentList.Add(a);
    using var process = Process.Start(start)!;
    var stdout = process.StandardOutput.ReadToEnd();
    var stderr = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{file} failed ({process.ExitCode}): {stderr.Trim()}");
    return JsonNode.Parse(stdout.Trim().Split('\n')[^1])!.AsObject();
}

JsonObject TorchSharpStep(Qwen3Config config, int batch, int sequence)
{
    torch.set_num_threads(threads);
    long baseline = PeakRssKb();
    using var model = new Qwen3ForCausalLM(config);
    model.InitializeWeights(0);
    model.train();
    var weights = model.NamedWeights();
    var parameters = weights.Select(w => w.Parameter).ToList();
    using var optimizer = new AdamW(weights, weightDecay: 0.01);
    var generator = new Generator(0);
    using var ids = randint(0, config.VocabSize, [batch, sequence + 1], generator: generator);
    var times = new List<double>();
    for (int step = 0; step < warmup + measured; step++)
    {
        var clock = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var input = ids.narrow(1, 0, sequence);
            var labels = ids.narrow(1, 1, sequence);
            var logits = model.Forward(input);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, config.VocabSize), labels.reshape(-1));
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, 1.0);
            optimizer.Update(1e-4);
            optimizer.ZeroGrad();
        }
        if (step >= warmup) times.Add(clock.Elapsed.TotalMilliseconds);
    }
    double ms = times.Average();
    return new JsonObject
    {
        ["engine"] = "torchsharp 0.107.0 / libtorch 2.10.0", ["threads"] = threads, ["batch"] = batch, ["seq"] = sequence,
        ["params"] = parameters.Sum(p => p.numel()), ["step_ms"] = Math.Round(ms, 2),
        ["tokens_per_s"] = Math.Round(batch * sequence / (ms / 1000), 1),
        ["peak_rss_mb"] = Math.Round(PeakRssKb() / 1024.0, 1), ["peak_rss_over_start_mb"] = Math.Round((PeakRssKb() - baseline) / 1024.0, 1),
    };
}

static long PeakRssKb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    return 0;
}

static async Task ParityDump(string directory)
{
    var config = new Qwen3Config
    {
        HiddenSize = 64, IntermediateSize = 160, NumHiddenLayers = 3, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 32,
        VocabSize = 416, RopeTheta = 1_000_000, TieWordEmbeddings = false, TorchDtype = "float32", EosTokenIds = [410],
    };
    using var model = new Qwen3ForCausalLM(config);
    model.InitializeWeights(1234, std: 0.08);
    using (no_grad()) foreach (var (name, p) in model.NamedWeights()) if (name.Contains("norm")) p.normal_(1.0, 0.1);
    model.eval();
    var hf = Path.Combine(directory, "hf");
    await Qwen3Checkpoint.SaveAsync(model, hf, TensorDType.F32, null, CancellationToken.None);
    int[] tokens = [409, 31, 7, 250, 99, 12, 410, 409, 5, 77, 300, 2, 18, 140];
    float[][] logits;
    using (var scope = NewDisposeScope())
    using (no_grad())
    {
        var all = model.Forward(tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]))[0];
        logits = Enumerable.Range(0, tokens.Length).Select(i => all[i].data<float>().ToArray()).ToArray();
    }
    var greedy = new PolicySampler(model).Sample(tokens, 1, new PolicySamplingOptions(16, Temperature: 0))[0].TokenIds;
    await File.WriteAllTextAsync(Path.Combine(directory, "expected.json"),
        JsonSerializer.Serialize(new { tokens, logits, greedy }));
    Console.WriteLine($"wrote {hf} and {Path.Combine(directory, "expected.json")}");
}
