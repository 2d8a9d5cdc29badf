using Qed.Inference.Chat;

namespace Qed.Inference.Engine;

/// <summary>Text ↔ token ids as an engine sees them: the prompt encoder and the output decoder.</summary>
public interface ITokenText
{
    /// <summary>Ids of a text; special-token text (&lt;|im_start|&gt;, &lt;think&gt;) maps to its id; nothing is added.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Text of ids, special tokens included; an incomplete UTF-8 character at the end decodes to U+FFFD.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The id of an added token such as &lt;/think&gt;, when the vocabulary has one.</summary>
    bool TryGetAddedToken(string text, out int id);
}

/// <summary>
/// The seam between the chat layer and an inference engine: ONNX Runtime (<see cref="LocalModel"/>) or llama.cpp
/// (<see cref="Llama.LlamaModel"/>). An engine takes prompt tokens and sampling settings and streams text chunks
/// split into reasoning and content; everything above it (<see cref="LocalChatClient"/>, serve, scaffolds) is the same.
/// </summary>
public interface ILocalEngine : IDisposable
{
    string Id { get; }
    /// <summary>"onnxruntime" or "llama.cpp".</summary>
    string EngineName { get; }
    ITokenText Tokenizer { get; }
    Qwen3ChatTemplate Template { get; }
    /// <summary>Longest sequence (prompt + output) one request may use.</summary>
    int MaxContext { get; }
    SamplingOptions DefaultSampling { get; }

    /// <summary>Generates one sequence; concurrent calls are independent (each has its own cache and sampler).</summary>
    IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken);
}
