using LLama.Exceptions;
using LLama.Native;

namespace Qed.Inference.Llama;

/// <summary>
/// Loads llama.cpp (from the LLamaSharp backend package the app references: CPU, CUDA, Vulkan, Metal) once per
/// process and keeps its log quiet. llama.cpp's logger is process-wide state owned by the native library, so this is
/// the one place that sets it; warnings and errors still reach stderr.
/// </summary>
public static class LlamaRuntime
{
    private static readonly Lazy<bool> Loaded = new(() =>
    {
        NativeLogConfig.llama_log_set((level, message) =>
        {
            if (level is LLamaLogLevel.Error) Console.Error.Write("llama.cpp: " + message);
        });
        NativeApi.llama_empty_call();
        return true;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureLoaded()
    {
        try { _ = Loaded.Value; }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or RuntimeError)
        {
            throw new QedException($"llama.cpp could not be loaded ({e.GetBaseException().Message}); the LLamaSharp backend package " +
                "(LLamaSharp.Backend.Cpu, or a GPU one) must be referenced by the app; see docs/local-inference.md", e);
        }
    }
}
