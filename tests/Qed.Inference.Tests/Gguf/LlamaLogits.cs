using LLama.Native;
using Qed.Inference.Llama;

namespace Qed.Inference.Tests.Gguf;

/// <summary>Logits straight from llama.cpp (LLamaSharp's low-level API, one sequence, no Qed engine code): what the
/// GGUF file itself computes, to hold against the plain C# reference.</summary>
internal sealed class LlamaLogits : IDisposable
{
    private readonly SafeLlamaModelHandle _model;
    private readonly SafeLLamaContextHandle _ctx;
    private readonly LLamaBatch _batch = new();
    private int _position;

    public LlamaLogits(string gguf)
    {
        LlamaRuntime.EnsureLoaded();
        _model = SafeLlamaModelHandle.LoadFromFile(gguf, LLamaModelParams.Default());
        var p = LLamaContextParams.Default();
        p.n_ctx = 256;
        p.n_batch = 256;
        p.n_ubatch = 256;
        p.n_seq_max = 1;
        p.n_threads = 1;
        p.n_threads_batch = 1;
        p.llama_flash_attn_type = LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED;
        // llama.cpp keeps K and V in f16 by default (about 1e-3 off on these logits); f32 makes the comparison about the weights.
        p.type_k = GGMLType.GGML_TYPE_F32;
        p.type_v = GGMLType.GGML_TYPE_F32;
        _ctx = SafeLLamaContextHandle.Create(_model, p);
    }

    public int VocabSize => _model.Vocab.Count;

    /// <summary>Feeds tokens after what the context holds; returns the logits of every fed position.</summary>
    public float[][] Feed(IReadOnlyList<int> tokens)
    {
        _batch.Clear();
        for (int i = 0; i < tokens.Count; i++) _batch.Add(tokens[i], _position + i, (LLamaSeqId)0, true);
        var result = _ctx.Decode(_batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode: {result}");
        _position += tokens.Count;
        return Enumerable.Range(0, tokens.Count).Select(i => _ctx.GetLogitsIth(i).ToArray()).ToArray();
    }

    public void Dispose()
    {
        _ctx.Dispose();
        _model.Dispose();
    }
}
