using System.Globalization;

namespace Qed.Inference.Llama;

/// <summary>
/// How a GGUF model is run: layers offloaded to a GPU backend (<c>gpu_layers</c>), the KV cache size shared by all
/// sequences (<c>context</c>), sequences decoded together (<c>max_sequences</c>; more requests queue), CPU threads,
/// flash attention, and the tokens one decode step may carry (<c>batch</c>: prefill chunks plus one token per decoding
/// sequence). Built once from the CLI flags or <c>QED_LLAMA_*</c> environment variables.
/// </summary>
public sealed record LlamaOptions
{
    /// <summary>Layers offloaded to the GPU (needs a GPU backend package); 0 = CPU only, -1 = all.</summary>
    public int GpuLayers { get; init; }
    /// <summary>KV cells shared by all sequences (llama.cpp's unified cache); 0 = the model's training context, at most 32768.</summary>
    public int Context { get; init; }
    public int MaxSequences { get; init; } = 8;
    /// <summary>0 = the cores not already busy (see <see cref="ResolveThreads"/>).</summary>
    public int Threads { get; init; }
    /// <summary>null = llama.cpp decides ("auto", which turns it on for CPUs too); off by default: on this CPU it made decode at 8k
    /// context 3× slower (docs/local-inference.md).</summary>
    public bool? FlashAttention { get; init; } = false;
    public int Batch { get; init; } = 512;
    /// <summary>Copy a cached prompt prefix from another sequence instead of prefilling it again.</summary>
    public bool PrefixSharing { get; init; } = true;

    public const int DefaultMaxContext = 32_768;

    public static LlamaOptions FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        int Int(string name, int fallback)
        {
            var v = getEnv(name);
            if (string.IsNullOrWhiteSpace(v)) return fallback;
            return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i
                : throw new QedException($"environment variable {name}='{v}' is not an integer");
        }
        var flash = getEnv("QED_LLAMA_FLASH_ATTENTION");
        var options = new LlamaOptions
        {
            GpuLayers = Int("QED_LLAMA_GPU_LAYERS", 0),
            Context = Int("QED_LLAMA_CONTEXT", 0),
            MaxSequences = Int("QED_LLAMA_MAX_SEQUENCES", 8),
            Threads = Int("QED_LLAMA_THREADS", 0),
            FlashAttention = string.IsNullOrWhiteSpace(flash) ? false : ParseFlashAttention(flash, "QED_LLAMA_FLASH_ATTENTION"),
        };
        options.Validate();
        return options;
    }

    /// <summary>on | off | auto.</summary>
    public static bool? ParseFlashAttention(string text, string source) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        "auto" => null,
        _ => throw new QedException($"{source} '{text}': expected on, off or auto"),
    };

    public void Validate()
    {
        if (GpuLayers < -1) throw new QedException($"gpu_layers must be ≥ -1 (-1 = all), got {GpuLayers}");
        if (Context < 0) throw new QedException($"context must be ≥ 0 (0 = the model's), got {Context}");
        if (MaxSequences is < 1 or > 128) throw new QedException($"max_sequences must be in 1..128, got {MaxSequences}");
        if (Threads < 0) throw new QedException($"threads must be ≥ 0 (0 = the free cores), got {Threads}");
        if (Batch < 16) throw new QedException($"batch must be ≥ 16, got {Batch}");
    }

    /// <summary>
    /// llama.cpp's threads spin-wait for each other at every operation, so one thread more than the cores actually free
    /// stalls them all (decode fell to 1–2 tok/s at load 12 on a 2-core machine). Unless told, use the cores minus the
    /// one-minute load average of the other processes, at least one.
    /// </summary>
    public int ResolveThreads()
    {
        if (Threads > 0) return Threads;
        int cores = Environment.ProcessorCount;
        double load = 0;
        try
        {
            if (File.Exists("/proc/loadavg"))
                load = double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        return Math.Clamp(cores - (int)Math.Round(load), 1, cores);
    }
}
