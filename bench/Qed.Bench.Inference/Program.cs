// Local inference speed on this CPU, both engines, same thread count, on random Qwen3 checkpoints written to a temp
// directory: memory read bandwidth (the limit of decode), decode tokens/s at several contexts against that limit,
// aggregate throughput of parallel sequences, and prefill saved by prefix sharing. A bare llama.cpp decode loop on
// the same GGUF files (LLamaSharp's low-level API, no Qed code) shows what our engine costs around llama.cpp.
//
//   dotnet run -c Release --project bench/Qed.Bench.Inference [-- --shapes small,weights-bound --threads T --contexts 16,1000,4000,8000 --parts decode,batch,prefix,flash]
//
// Prints one line per figure: BENCH {"name": ..., ...}; the names and fields are listed in docs/local-inference.md.
using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text.Json;
using LLama.Native;
using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Gguf;
using Qed.Inference.Llama;
using Qed.Inference.Onnx;
using Qed.Bench.Inference;
using static Qed.Bench.Inference.Report;

var shapes = (Arg("--shapes") ?? "small,weights-bound").Split(',');
var parts = (Arg("--parts") ?? "decode,batch,prefix").Split(',');
int threads = Arg("--threads") is { } t ? int.Parse(t) : new LlamaOptions().ResolveThreads();
var small = new Qwen3Config
{
    HiddenSize = 1024, IntermediateSize = 3072, NumHiddenLayers = 8, NumAttentionHeads = 16, NumKeyValueHeads = 8,
    HeadDim = 128, VocabSize = 32_768, TieWordEmbeddings = false, TorchDtype = "bfloat16", MaxPositionEmbeddings = 16_384,
};
var weightsBound = small with { HiddenSize = 2048, IntermediateSize = 6144, NumHiddenLayers = 16 };
var tokenizerFixture = Path.Combine(FindRepoRoot(), "tests", "fixtures", "inference", "tiny-model");

double bandwidth = MeasureBandwidth(threads);
Emit(new { name = "memory_bandwidth", threads, buffer_mib = 1024, read_gb_per_s = Math.Round(bandwidth / 1e9, 2), load_average = LoadAverage() });

foreach (var shape in shapes)
{
    var config = shape == "small" ? small : shape == "weights-bound" ? weightsBound : throw new ArgumentException($"--shapes: unknown shape '{shape}'");
    var dir = Directory.CreateTempSubdirectory("qed-bench-").FullName;
    try
    {
        var checkpoint = Path.Combine(dir, "ckpt");
        var sw = Stopwatch.StartNew();
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, config, seed: 1, CancellationToken.None);
        foreach (var f in Directory.GetFiles(tokenizerFixture, "*.json")) File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)));
        Emit(new { name = "checkpoint", shape, parameters = RandomQwen3Checkpoint.TensorShapes(config).Sum(s => s.Shape.Aggregate(1L, (a, b) => a * b)), seconds = Math.Round(sw.Elapsed.TotalSeconds, 1) });

        var onnxDir = Path.Combine(dir, "onnx");
        sw.Restart();
        await new Qwen3OnnxExporter().ExportAsync(checkpoint, onnxDir, new OnnxExportOptions { Int4 = true }, CancellationToken.None);
        Emit(new { name = "export", shape, engine = "onnxruntime", weights = "int4", seconds = Math.Round(sw.Elapsed.TotalSeconds, 1) });
        var ggufTypes = shape == "small" ? new[] { "q4_0", "f32" } : new[] { "q8_0", "q4_0" };
        var ggufs = new Dictionary<string, string>();
        foreach (var type in ggufTypes)
        {
            sw.Restart();
            ggufs[type] = Path.Combine(dir, $"model-{type}.gguf");
            await new Qwen3GgufExporter().ExportAsync(checkpoint, ggufs[type], new GgufExportOptions { Type = type, QuantizeThreads = threads }, null, CancellationToken.None);
            Emit(new { name = "export", shape, engine = "llama.cpp", weights = type, seconds = Math.Round(sw.Elapsed.TotalSeconds, 1) });
        }
        Directory.Delete(checkpoint, recursive: true);

        int[] contexts = shape == "small" ? Arg("--contexts")?.Split(',').Select(int.Parse).ToArray() ?? [16, 1000, 4000, 8000] : [16];
        var bench = new EngineBench(config, bandwidth, threads, shape);
        if (parts.Contains("decode"))
        {
            foreach (var (type, path) in ggufs)
            {
                bench.BareDecode(path, type, contexts);
                await bench.LlamaDecodeAsync(path, type, contexts);
            }
            bench.OnnxDecode(onnxDir, contexts);
        }
        if (shape == "small" && parts.Contains("flash"))
            foreach (var flash in new[] { false, true })
                bench.BareDecode(ggufs["q4_0"], "q4_0", contexts, flash);
        if (shape == "small" && parts.Contains("prefix"))
        {
            await bench.LlamaPrefixAsync(ggufs["q4_0"], 1000);
            bench.OnnxPrefix(1000);
        }
        if (shape == "small" && parts.Contains("batch"))
        {
            await bench.LlamaBatchAsync(ggufs["q4_0"], [16, 1000], [1, 4, 8]);
            await bench.OnnxBatchAsync(onnxDir, [16, 1000], [1, 4, 8]);
        }
    }
    finally { Directory.Delete(dir, recursive: true); }
}
return 0;

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

static string FindRepoRoot()
{
    for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        if (File.Exists(Path.Combine(d.FullName, "Directory.Packages.props"))) return d.FullName;
    throw new InvalidOperationException("run from inside the repository");
}


// Best of five rounds: every thread reads its share of a 1 GiB buffer with 256-bit loads into four accumulators
// (independent adds, so the loop is limited by memory, not by the add latency).
static double MeasureBandwidth(int threads)
{
    var buffer = new float[256 * 1024 * 1024];
    for (int i = 0; i < buffer.Length; i += 1024) buffer[i] = i;
    double best = 0;
    for (int round = 0; round < 5; round++)
    {
        var sums = new float[threads];
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            int chunk = buffer.Length / threads;
            var span = buffer.AsSpan(t * chunk, chunk);
            Vector256<float> a = default, b = default, c = default, d = default;
            ref float start = ref span[0];
            int n = span.Length - 32, i = 0;
            for (; i <= n; i += 32)
            {
                a += Vector256.LoadUnsafe(ref start, (nuint)i);
                b += Vector256.LoadUnsafe(ref start, (nuint)(i + 8));
                c += Vector256.LoadUnsafe(ref start, (nuint)(i + 16));
                d += Vector256.LoadUnsafe(ref start, (nuint)(i + 24));
            }
            sums[t] = Vector256.Sum(a + b + c + d);
        });
        best = Math.Max(best, buffer.Length * 4.0 / sw.Elapsed.TotalSeconds);
        if (sums.Sum() == float.NegativeInfinity) Console.Error.Write(""); // keep the reads observable
    }
    return best;
}


namespace Qed.Bench.Inference
{
    internal static class Report
    {
        public static double LoadAverage() => File.Exists("/proc/loadavg")
            ? double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) : -1;

        public static void Emit(object figure) => Console.WriteLine("BENCH " + JsonSerializer.Serialize(figure));
    }

    internal sealed class EngineBench(Qwen3Config config, double bandwidth, int threads, string shape)
    {
        private static void Emit(object figure) => Report.Emit(figure);
        private static double LoadAverage() => Report.LoadAverage();
        private const int DecodeTokens = 24;
        private readonly Random _random = new(3);
        // The fixture tokenizer's ordinary tokens: random prompts never contain a stop token.
        private int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => _random.Next(500)).ToArray();

        /// <summary>KV bytes read per decoded token at a context: every layer reads K and V of every cached position.</summary>
        private long KvBytes(int context, int bytesPerValue) => 2L * config.NumHiddenLayers * config.NumKeyValueHeads * config.HeadDim * context * bytesPerValue;

        private void EmitDecode(string engine, string weights, int context, double tokensPerSecond, long weightBytes, int kvBytesPerValue)
        {
            long bytes = weightBytes + KvBytes(context, kvBytesPerValue);
            double limit = bandwidth / bytes;
            Emit(new
            {
                name = "local_decode", engine, shape, weights, context, threads,
                decode_tokens_per_s = Math.Round(tokensPerSecond, 2),
                bytes_per_token = bytes,
                fraction_of_limit = Math.Round(tokensPerSecond / limit, 3),
                load_average = LoadAverage(),
            });
        }

        private static LLamaContextParams ContextParams(int threads, int context, int sequences)
        {
            var p = LLamaContextParams.Default();
            p.n_ctx = (uint)context;
            p.n_batch = 512;
            p.n_ubatch = 512;
            p.n_seq_max = (uint)sequences;
            p.n_threads = threads;
            p.n_threads_batch = threads;
            p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
            return p;
        }

        /// <summary>LLamaSharp's low-level API only: prefill to each context, then a greedy decode loop.</summary>
        /// <param name="flash">null: the ordinary local_decode lines (flash attention off, as our engine runs); true/false:
        /// <c>flash_attention</c> lines comparing the two settings.</param>
        public void BareDecode(string gguf, string weights, int[] contexts, bool? flash = null)
        {
            LlamaRuntime.EnsureLoaded();
            using var model = SafeLlamaModelHandle.LoadFromFile(gguf, LLamaModelParams.Default());
            var p = ContextParams(threads, contexts.Max() + 2 * DecodeTokens + 64, 1);
            if (flash == true) p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED;
            using var ctx = SafeLLamaContextHandle.Create(model, p);
            var batch = new LLamaBatch();
            int position = 0;
            long weightBytes = GgufFile.DecodeWeightBytes(gguf);
            foreach (var context in contexts)
            {
                var prompt = Tokens(context - position);
                for (int start = 0; start < prompt.Length; start += 512)
                {
                    batch.Clear();
                    int n = Math.Min(512, prompt.Length - start);
                    for (int i = 0; i < n; i++) batch.Add(prompt[start + i], position + i, (LLamaSeqId)0, start + i == prompt.Length - 1);
                    Check(ctx.Decode(batch));
                    position += n;
                }
                var sw = Stopwatch.StartNew();
                for (int step = 0; step < DecodeTokens; step++)
                {
                    var logits = ctx.GetLogitsIth(batch.TokenCount - 1);
                    int next = TokenSampler.ArgMax(logits);
                    batch.Clear();
                    batch.Add(next, position++, (LLamaSeqId)0, true);
                    Check(ctx.Decode(batch));
                }
                if (flash is bool f)
                    Emit(new { name = "flash_attention", engine = "llama.cpp-bare", shape, weights, context, threads, flash_attention = f,
                        decode_tokens_per_s = Math.Round(DecodeTokens / sw.Elapsed.TotalSeconds, 2), load_average = LoadAverage() });
                else EmitDecode("llama.cpp-bare", weights, context, DecodeTokens / sw.Elapsed.TotalSeconds, weightBytes, 2);
                // The next context continues this sequence: only the difference is prefilled.
            }
        }

        private static void Check(DecodeResult r) { if (r != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {r}"); }

        /// <summary>Our engine (BatchedDecoder) serving one request per context; decode speed from the token timestamps.</summary>
        public async Task LlamaDecodeAsync(string gguf, string weights, int[] contexts)
        {
            // Prefix sharing on: each longer context extends the previous prompt, so only the difference is prefilled.
            using var model = LlamaModel.Open(gguf, "bench", new LlamaOptions { Context = contexts.Max() + 4 * DecodeTokens + 64, Threads = threads, MaxSequences = 8 });
            long weightBytes = GgufFile.DecodeWeightBytes(gguf);
            var prompt = new List<int>();
            foreach (var context in contexts)
            {
                prompt.AddRange(Tokens(context - prompt.Count));
                var stamps = await TimedAsync(model, prompt.ToArray(), DecodeTokens + 1);
                EmitDecode("llama.cpp", weights, context, Rate(stamps), weightBytes, 2);
            }
        }

        public void OnnxDecode(string onnxDir, int[] contexts)
        {
            using var decoder = new OnnxDecoder(Path.Combine(onnxDir, Qwen3OnnxExporter.ModelFileName), threads);
            long weightBytes = new FileInfo(Path.Combine(onnxDir, Qwen3OnnxExporter.DataFileName)).Length - (long)config.VocabSize * config.HiddenSize * 4;
            foreach (var context in contexts)
            {
                // The cache is filled with zeros instead of prefilled: a step costs the same whatever the values.
                using var cache = decoder.NewCache(context - 1);
                var logits = decoder.Forward(cache, Tokens(1), default);
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < DecodeTokens; i++) logits = decoder.Forward(cache, [TokenSampler.ArgMax(logits)], default);
                EmitDecode("onnxruntime", "int4", context, DecodeTokens / sw.Elapsed.TotalSeconds, weightBytes, 4);
            }
        }

        private static async Task<List<long>> TimedAsync(ILocalEngine engine, int[] prompt, int maxTokens)
        {
            var stamps = new List<long>();
            var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = maxTokens, Sampling = SamplingOptions.Greedy, OnToken = _ => stamps.Add(Stopwatch.GetTimestamp()) };
            await foreach (var _ in engine.GenerateAsync(request, default)) { }
            return stamps;
        }

        private static double Rate(List<long> stamps) =>
            stamps.Count < 3 ? 0 : (stamps.Count - 1) / Stopwatch.GetElapsedTime(stamps[0], stamps[^1]).TotalSeconds;

        /// <summary>S concurrent requests; aggregate tokens/s over the window in which all of them were decoding.</summary>
        private async Task BatchAsync(ILocalEngine engine, string name, int[] contexts, int[] sequences)
        {
            foreach (var context in contexts)
                foreach (var s in sequences)
                {
                    var prompts = Enumerable.Range(0, s).Select(_ => Tokens(context)).ToArray();
                    var all = await Task.WhenAll(prompts.Select(p => Task.Run(() => TimedAsync(engine, p, DecodeTokens + 1))));
                    long start = all.Max(x => x[0]), end = all.Min(x => x[^1]);
                    int count = all.Sum(x => x.Count(stamp => stamp > start && stamp <= end));
                    double seconds = Stopwatch.GetElapsedTime(start, end).TotalSeconds;
                    Emit(new { name = "local_batch", engine = name, context, sequences = s, threads, aggregate_tokens_per_s = Math.Round(count / seconds, 2), load_average = LoadAverage() });
                }
        }

        public async Task LlamaBatchAsync(string gguf, int[] contexts, int[] sequences)
        {
            using var model = LlamaModel.Open(gguf, "bench", new LlamaOptions { Context = 8 * (contexts.Max() + 2 * DecodeTokens) + 256, Threads = threads, MaxSequences = 8, PrefixSharing = false });
            await BatchAsync(model, "llama.cpp", contexts, sequences);
        }

        public async Task OnnxBatchAsync(string onnxDir, int[] contexts, int[] sequences)
        {
            using var model = LocalModel.Open(onnxDir, "bench", threads);
            await BatchAsync(model, "onnxruntime", contexts, sequences);
        }

        public async Task LlamaPrefixAsync(string gguf, int promptTokens)
        {
            using var model = LlamaModel.Open(gguf, "bench", new LlamaOptions { Context = 2 * promptTokens + 512, Threads = threads, MaxSequences = 8 });
            var prompt = Tokens(promptTokens);
            var before = model.Decoder.Statistics;
            var sw = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            {
                var request = new GenerationRequest { PromptTokens = prompt, MaxTokens = 8, Sampling = new SamplingOptions { Temperature = 1, Seed = i } };
                await foreach (var _ in model.GenerateAsync(request, default)) { }
            })));
            var after = model.Decoder.Statistics;
            Emit(new
            {
                name = "local_prefix", engine = "llama.cpp", candidates = 8, prompt_tokens = promptTokens,
                prefill_tokens = after.PrefillTokens - before.PrefillTokens,
                prefill_tokens_saved = after.PrefillTokensSaved - before.PrefillTokensSaved,
                seconds = Math.Round(sw.Elapsed.TotalSeconds, 2),
            });
        }

        /// <summary>The ONNX engine has no shared cache: every candidate prefills the whole prompt.</summary>
        public void OnnxPrefix(int promptTokens) =>
            Emit(new { name = "local_prefix", engine = "onnxruntime", candidates = 8, prompt_tokens = promptTokens, prefill_tokens = 8 * promptTokens, prefill_tokens_saved = 0 });
    }
}
