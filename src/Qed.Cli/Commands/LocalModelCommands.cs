using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Inference;
using Qed.Inference.Engine;
using Qed.Inference.Gguf;
using Qed.Inference.Llama;
using Qed.Inference.Hub;
using Qed.Inference.Onnx;
using Qed.Inference.Serving;
using Qed.Inference.Tokenization;
using Spectre.Console;

namespace Qed.Cli.Commands;

/// <summary>Commands: pull, serve, tokenize, export-onnx (issue 5), export-gguf (issue 16): the local model's life cycle.</summary>
internal static class LocalModelCommands
{
    // Token text such as "<|im_start|>" stays readable in JSON output instead of becoming \u003C escapes.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEnumerable<Command> Create() => [Pull(), Serve(), Tokenize(), ExportOnnx(), ExportGguf()];

    private static Command Pull()
    {
        var repo = new Argument<string>("REPO_ID") { Description = "Hub repository: owner/name (a model) or datasets/owner/name" };
        var revision = new Option<string>("--revision") { Description = "branch, tag or commit", DefaultValueFactory = _ => "main" };
        var include = new Option<string[]>("--include") { Description = "only files matching these glob patterns (repeatable)", AllowMultipleArgumentsPerToken = true };
        var repoType = new Option<string?>("--repo-type") { Description = "model (default) or dataset" };
        var command = new Command("pull", "Download a Hugging Face repository into the Hugging Face cache ($HF_HOME/hub or ~/.cache/huggingface/hub); resumable, verified, reusing cached files")
            { repo, revision, include, repoType };
        return command.WithAction(async (parse, ct) =>
        {
            var hubRepo = HubRepo.Parse(parse.GetValue(repo)!);
            hubRepo = parse.GetValue(repoType) switch
            {
                null or "model" => hubRepo,
                "dataset" => hubRepo with { Type = HubRepoType.Dataset },
                var other => throw new QedException($"--repo-type '{other}' is not model or dataset"),
            };
            var options = HubOptions.FromEnvironment();
            using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
            var downloader = new HubDownloader(http, options);
            var patterns = parse.GetValue(include) ?? [];
            PullResult result;
            if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected)
            {
                result = null!;
                await AnsiConsole.Progress().AutoClear(false).Columns(
                        new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn())
                    .StartAsync(async ctx =>
                    {
                        var bar = ctx.AddTask(hubRepo.Id, maxValue: 1);
                        result = await downloader.PullAsync(hubRepo, parse.GetValue(revision)!, patterns, new InlineProgress<PullProgress>(p =>
                        {
                            bar.MaxValue = Math.Max(1, p.TotalSize);
                            bar.Value = p.TotalBytes;
                            bar.Description = p.File;
                        }), ct);
                        bar.Value = bar.MaxValue;
                    });
            }
            else
            {
                string? current = null;
                result = await downloader.PullAsync(hubRepo, parse.GetValue(revision)!, patterns, new InlineProgress<PullProgress>(p =>
                {
                    if (p.File == current) return;
                    current = p.File;
                    Console.Error.WriteLine($"pull: {p.File} ({p.FileSize:N0} bytes) [{p.TotalBytes:N0}/{p.TotalSize:N0}]");
                }), ct);
            }
            Console.Error.WriteLine($"pull: {result.Files.Count} files at {result.Commit}: {result.Downloaded} downloaded, {result.Reused} already cached");
            Console.WriteLine(result.SnapshotFolder);
            return 0;
        });
    }

    private static Command Serve()
    {
        var model = new Option<string>("--model") { Description = "local:PATH.gguf, local:DIR (GGUF or ONNX export) or local:REPO_ID[:QUANT]", Required = true };
        var host = new Option<string>("--host") { Description = "address to bind (loopback unless told otherwise)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "TCP port (0 picks a free one)", DefaultValueFactory = _ => 8000 };
        var command = new Command("serve", "Serve a local model over an OpenAI-compatible API (/v1/chat/completions, /v1/models, /health); concurrent clients share one batched llama.cpp context") { model, host, port };
        var llama = LlamaCliOptions.AddTo(command);
        return command.WithAction(async (parse, ct) =>
        {
            var reference = parse.GetValue(model)!;
            if (!reference.StartsWith(LocalModelSource.Prefix, StringComparison.Ordinal))
                throw new QedException($"--model '{reference}': serve runs local models only; write local:DIR or local:REPO_ID");
            var id = reference[LocalModelSource.Prefix.Length..];
            using var source = LocalModelSource.FromEnvironment(llama.Read(parse));
            using var client = await source.OpenAsync(reference, ct);
            await using var server = await ChatCompletionsServer.StartAsync(client, id, parse.GetValue(host)!, parse.GetValue(port), ct);
            Console.WriteLine($"serving {id} at {server.Address.ToString().TrimEnd('/')}/v1 (Ctrl-C to stop)");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            return 0;
        });
    }

    private static Command Tokenize()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "directory holding tokenizer.json, or the file", Required = true };
        var json = new Option<bool>("--json") { Description = "print {\"text\", \"ids\"} as JSON instead of space-separated ids" };
        var file = new Option<string?>("--file") { Description = "JSONL input: one object with a 'text' field per line" };
        var output = new Option<string?>("--out") { Description = "JSONL output for --file: each line with 'text' and 'ids'" };
        var text = new Argument<string?>("TEXT") { Description = "text to tokenize", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("tokenize", "Token ids of a text (no special tokens added; special-token text maps to its id)") { tokenizer, json, file, output, text };
        return command.WithAction(async (parse, ct) =>
        {
            var t = Qwen3Tokenizer.Load(parse.GetValue(tokenizer)!);
            var input = parse.GetValue(file);
            if (input is null)
            {
                var value = parse.GetValue(text) ?? throw new QedException("give a TEXT to tokenize, or --file IN.jsonl --out OUT.jsonl");
                var ids = t.Encode(value);
                Console.WriteLine(parse.GetValue(json)
                    ? new JsonObject { ["text"] = value, ["ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()) }.ToJsonString(Readable)
                    : string.Join(' ', ids));
                return 0;
            }
            var outPath = parse.GetValue(output) ?? throw new QedException("--file needs --out OUT.jsonl");
            if (!File.Exists(input)) throw new QedException($"{input}: file not found");
            var tmp = outPath + ".partial";
            int line = 0, rows = 0;
            await using (var writer = new StreamWriter(tmp))
            {
                foreach (var row in File.ReadLines(input))
                {
                    line++;
                    if (string.IsNullOrWhiteSpace(row)) continue;
                    JsonObject obj;
                    try { obj = JsonNode.Parse(row) as JsonObject ?? throw new QedException($"{input}:{line}: not a JSON object"); }
                    catch (JsonException e) { throw new QedException($"{input}:{line}: invalid JSON ({e.Message})", e); }
                    if (obj["text"] is not JsonValue v || !v.TryGetValue<string>(out var value))
                        throw new QedException($"{input}:{line}: field 'text' is missing or not a string");
                    obj["ids"] = new JsonArray(t.Encode(value).Select(i => (JsonNode)i).ToArray());
                    await writer.WriteLineAsync(obj.ToJsonString(Readable).AsMemory(), ct);
                    rows++;
                }
            }
            File.Move(tmp, outPath, overwrite: true);
            Console.Error.WriteLine($"tokenize: {rows} lines → {outPath}");
            return 0;
        });
    }

    private static Command ExportOnnx()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Hugging Face Qwen3 checkpoint directory (config.json + safetensors)", Required = true };
        var output = new Option<string>("--out") { Description = "output directory (model.onnx, model.onnx.data, tokenizer and config files)", Required = true };
        var int4 = new Option<bool>("--int4") { Description = "quantize linear layers to int4 (com.microsoft MatMulNBits)" };
        var blockSize = new Option<int>("--block-size") { Description = "int4 quantization block size", DefaultValueFactory = _ => 32 };
        var accuracy = new Option<int>("--accuracy-level") { Description = "MatMulNBits accuracy_level (4 = int8 activations, about 3× faster decode; 0 = fp32 compute, exact against dequantized weights)", DefaultValueFactory = _ => 4 };
        var command = new Command("export-onnx", "Export a Qwen3 checkpoint to an ONNX decoder with KV cache for the local engine") { checkpoint, output, int4, blockSize, accuracy };
        return command.WithAction(async (parse, ct) =>
        {
            var options = new OnnxExportOptions { Int4 = parse.GetValue(int4), BlockSize = parse.GetValue(blockSize), AccuracyLevel = parse.GetValue(accuracy) };
            if (options.BlockSize < 16 || (options.BlockSize & (options.BlockSize - 1)) != 0)
                throw new QedException($"--block-size {options.BlockSize}: must be a power of two ≥ 16");
            var outDir = parse.GetValue(output)!;
            await new Qwen3OnnxExporter().ExportAsync(parse.GetValue(checkpoint)!, outDir, options, ct);
            var data = new FileInfo(Path.Combine(outDir, Qwen3OnnxExporter.DataFileName));
            Console.WriteLine($"exported {(options.Int4 ? "int4" : "fp32")} model to {Path.Combine(outDir, Qwen3OnnxExporter.ModelFileName)} ({data.Length:N0} bytes of weights)");
            return 0;
        });
    }

    private static Command ExportGguf()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Hugging Face Qwen3 checkpoint directory (config.json + safetensors + tokenizer.json)", Required = true };
        var output = new Option<string>("--out") { Description = "output .gguf file", Required = true };
        var type = new Option<string>("--type") { Description = "weight type: " + string.Join("|", GgufWeightTypes.All) + " (quantized types by llama.cpp's quantizer)", DefaultValueFactory = _ => "f16" };
        var command = new Command("export-gguf", "Export a Qwen3 checkpoint to a GGUF v3 file for the llama.cpp engine") { checkpoint, output, type };
        return command.WithAction(async (parse, ct) =>
        {
            var t = parse.GetValue(type)!.ToLowerInvariant();
            GgufWeightTypes.QuantizedFileType(t);
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) throw new QedException($"--out {outPath}: the file name must end in .gguf");
            await new Qwen3GgufExporter().ExportAsync(parse.GetValue(checkpoint)!, outPath, new GgufExportOptions { Type = t },
                new InlineProgress<string>(m => Console.Error.WriteLine("export-gguf: " + m)), ct);
            Console.WriteLine($"exported {t} model to {outPath} ({new FileInfo(outPath).Length:N0} bytes)");
            return 0;
        });
    }
}

/// <summary>The llama.cpp engine's flags (defaults from QED_LLAMA_* environment variables), shared by serve and prove.</summary>
internal sealed class LlamaCliOptions
{
    private Option<int?> _gpuLayers = null!, _context = null!, _maxSequences = null!, _threads = null!;
    private Option<string?> _flash = null!;

    public static LlamaCliOptions AddTo(Command command)
    {
        var o = new LlamaCliOptions
        {
            _gpuLayers = new Option<int?>("--gpu-layers") { Description = "layers to offload to the GPU (needs a GPU backend package; -1 = all; env QED_LLAMA_GPU_LAYERS)" },
            _context = new Option<int?>("--context") { Description = "KV cache tokens shared by all sequences of a GGUF model (default: the model's, at most 32768; env QED_LLAMA_CONTEXT)" },
            _maxSequences = new Option<int?>("--max-sequences") { Description = "sequences decoded together; more requests queue (default 8; env QED_LLAMA_MAX_SEQUENCES)" },
            _threads = new Option<int?>("--threads") { Description = "CPU threads for llama.cpp (default: the cores not busy; env QED_LLAMA_THREADS)" },
            _flash = new Option<string?>("--flash-attention") { Description = "on|off|auto (default off: slower on CPU at long context; env QED_LLAMA_FLASH_ATTENTION)" },
        };
        foreach (var option in new Option[] { o._gpuLayers, o._context, o._maxSequences, o._threads, o._flash }) command.Options.Add(option);
        return o;
    }

    public LlamaOptions Read(ParseResult parse)
    {
        var options = LlamaOptions.FromEnvironment();
        if (parse.GetValue(_gpuLayers) is int g) options = options with { GpuLayers = g };
        if (parse.GetValue(_context) is int c) options = options with { Context = c };
        if (parse.GetValue(_maxSequences) is int m) options = options with { MaxSequences = m };
        if (parse.GetValue(_threads) is int t) options = options with { Threads = t };
        if (parse.GetValue(_flash) is { } f) options = options with { FlashAttention = LlamaOptions.ParseFlashAttention(f, "--flash-attention") };
        options.Validate();
        return options;
    }
}
