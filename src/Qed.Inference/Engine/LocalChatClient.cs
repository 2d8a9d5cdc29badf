using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using Qed.Inference.Chat;

namespace Qed.Inference.Engine;

/// <summary>
/// An in-process engine (<see cref="ILocalEngine"/>: ONNX Runtime or llama.cpp) as an <see cref="IChatClient"/>:
/// renders the chat template, generates, and returns the reasoning (before &lt;/think&gt;) as <see cref="TextReasoningContent"/> and the answer as
/// <see cref="TextContent"/>, with token usage. ChatOptions map to sampling: Temperature, TopP, TopK, Seed,
/// MaxOutputTokens, StopSequences, AdditionalProperties["min_p"] (float); AdditionalProperties["enable_thinking"] (bool)
/// reaches the hybrid template. Usage reports prompt tokens served from a shared prefix as cached input tokens.
/// Each call has its own KV cache and sampler, so concurrent calls do not interfere.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    private readonly ILocalEngine _model;
    private readonly IDisposable? _owned;

    public LocalChatClient(ILocalEngine model, bool ownsModel = true) : this(model, ownsModel ? model : null) { }

    /// <param name="owned">what to dispose with the client (the engine, a lease on a shared engine, or nothing).</param>
    public LocalChatClient(ILocalEngine model, IDisposable? owned)
    {
        _model = model;
        _owned = owned;
    }

    public ILocalEngine Engine => _model;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        ChatResponseUpdate? last = null;
        UsageDetails? usage = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            foreach (var c in update.Contents)
            {
                if (c is TextReasoningContent r) reasoning.Append(r.Text);
                else if (c is TextContent t) content.Append(t.Text);
                else if (c is UsageContent u) usage = u.Details;
            }
            last = update;
        }
        var parts = new List<AIContent>();
        if (reasoning.Length > 0) parts.Add(new TextReasoningContent(reasoning.ToString()));
        parts.Add(new TextContent(content.ToString()));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, parts))
        {
            ResponseId = last?.ResponseId,
            ModelId = _model.Id,
            CreatedAt = last?.CreatedAt,
            FinishReason = last?.FinishReason,
            Usage = usage,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = BuildRequest(messages, options);
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await foreach (var chunk in _model.GenerateAsync(request, cancellationToken).WithCancellation(cancellationToken))
        {
            var update = new ChatResponseUpdate { Role = ChatRole.Assistant, ResponseId = id, MessageId = id, ModelId = _model.Id, CreatedAt = created };
            if (chunk.Text.Length > 0)
                update.Contents.Add(chunk.Channel == OutputChannel.Reasoning ? new TextReasoningContent(chunk.Text) : new TextContent(chunk.Text));
            if (chunk.Finish is { } finish)
            {
                update.FinishReason = finish == GenerationFinish.Stop ? ChatFinishReason.Stop : ChatFinishReason.Length;
                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = chunk.PromptTokens,
                    OutputTokenCount = chunk.OutputTokens,
                    TotalTokenCount = chunk.PromptTokens + chunk.OutputTokens,
                    CachedInputTokenCount = chunk.CachedPromptTokens,
                }));
            }
            if (update.Contents.Count > 0 || update.FinishReason is not null) yield return update;
        }
    }

    /// <summary>The prompt tokens and sampling settings for a chat, as the engine will run them.</summary>
    public GenerationRequest BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        bool? enableThinking = options?.AdditionalProperties?.TryGetValue("enable_thinking", out var et) == true && et is bool b ? b : null;
        var prompt = _model.Template.Render(Qwen3ChatTemplate.FromChatMessages(messages), addGenerationPrompt: true, enableThinking);
        var tokens = _model.Tokenizer.Encode(prompt);
        int room = _model.MaxContext - tokens.Count;
        if (room <= 0) throw new QedException($"the prompt has {tokens.Count} tokens, more than the model's context of {_model.MaxContext}");
        var defaults = _model.DefaultSampling;
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? defaults.Temperature,
            TopP = options?.TopP ?? defaults.TopP,
            TopK = options?.TopK ?? defaults.TopK,
            Seed = options?.Seed,
            MinP = options?.AdditionalProperties?.TryGetValue("min_p", out var mp) == true ? MinP(mp) : defaults.MinP,
        };
        sampling.Validate();
        return new GenerationRequest
        {
            PromptTokens = tokens,
            MaxTokens = Math.Min(options?.MaxOutputTokens ?? room, room),
            Sampling = sampling,
            StopSequences = options?.StopSequences?.ToArray() ?? [],
            StartsInReasoning = prompt.EndsWith("<think>\n", StringComparison.Ordinal),
        };
    }

    private static float MinP(object? value) => value switch
    {
        float f => f,
        double d => (float)d,
        System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Number } e => e.GetSingle(),
        string t when float.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var p) => p,
        _ => throw new QedException($"min_p must be a number, got '{value}'"),
    };

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata(_model.EngineName == "llama.cpp" ? "qed-local-llama.cpp" : "qed-local-onnx", null, _model.Id)
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(_model) ? _model
        : null;

    public void Dispose()
    {
        _owned?.Dispose();
    }
}
