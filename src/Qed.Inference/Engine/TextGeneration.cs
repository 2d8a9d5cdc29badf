using System.Runtime.CompilerServices;
using System.Text;

namespace Qed.Inference.Engine;

/// <summary>What one generation should do. <see cref="StartsInReasoning"/>: the prompt already opened a
/// &lt;think&gt; block (the Thinking-2507 template does), so output is reasoning until &lt;/think&gt;.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<int> PromptTokens { get; init; }
    public required int MaxTokens { get; init; }
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;
    public IReadOnlyList<string> StopSequences { get; init; } = [];
    public bool StartsInReasoning { get; init; }
    /// <summary>Called with each sampled token as the engine produces it (on the engine's thread; keep it cheap): the
    /// benchmarks time decode steps with it, since text chunks do not map one to one onto tokens.</summary>
    public Action<int>? OnToken { get; init; }
}

public enum OutputChannel { Reasoning, Content }

/// <summary>Why generation ended: a stop token or stop sequence, or the token budget.</summary>
public enum GenerationFinish { Stop, Length }

/// <summary>One piece of streamed output; the last piece carries <see cref="Finish"/> and the token counts.
/// <see cref="CachedPromptTokens"/>: prompt tokens taken from a cached prefix instead of being prefilled.</summary>
public sealed record GenerationChunk(OutputChannel Channel, string Text, GenerationFinish? Finish = null, int PromptTokens = 0, int OutputTokens = 0,
    int CachedPromptTokens = 0);

/// <summary>
/// Runs the decode loop of one sequence: prefill, then one token at a time over the KV cache, sampling with its
/// own seeded sampler, until a stop token, a stop sequence, the token budget or the context end.
/// </summary>
public sealed class TextGenerator(LocalModel model)
{
    public async IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (request.PromptTokens.Count == 0) throw new QedException("the prompt is empty");
        if (request.MaxTokens <= 0) throw new QedException($"max_tokens must be positive, got {request.MaxTokens}");
        var sampler = new TokenSampler(request.Sampling);
        var output = new TokenOutput(model.Tokenizer, model.StopTokenIds, request.StopSequences, request.StartsInReasoning);

        using var cache = model.Decoder.NewCache();
        var prompt = request.PromptTokens.ToArray();
        var logits = await Task.Run(() => model.Decoder.Forward(cache, prompt, cancellationToken), cancellationToken);
        int produced = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int token = sampler.Next(logits);
            request.OnToken?.Invoke(token);
            produced++;
            foreach (var chunk in output.Push(token)) yield return chunk;
            if (output.Finished || produced >= request.MaxTokens || cache.Length >= model.MaxContext) break;
            logits = await Task.Run(() => model.Decoder.Forward(cache, [token], cancellationToken), cancellationToken);
        }
        foreach (var chunk in output.Finish(prompt.Length, produced)) yield return chunk;
    }
}

/// <summary>
/// Turns generated tokens into text: never splits a UTF-8 character across chunks, sends text before the
/// &lt;/think&gt; token to the reasoning channel and text after it to the content channel (newlines right after
/// &lt;/think&gt; dropped, as the chat template does), and holds back just enough text to cut a stop sequence out.
/// </summary>
public sealed class TokenOutput
{
    private readonly ITokenText _tokenizer;
    private readonly IReadOnlySet<int> _stopTokens;
    private readonly StopSequenceBuffer _text;
    private readonly int? _thinkOpen, _thinkClose;
    private readonly List<int> _pending = new();
    private OutputChannel _channel;
    private bool _atContentStart;
    private int _count;

    public TokenOutput(ITokenText tokenizer, IReadOnlySet<int> stopTokens, IReadOnlyList<string> stopSequences, bool startsInReasoning)
    {
        _tokenizer = tokenizer;
        _stopTokens = stopTokens;
        _text = new StopSequenceBuffer(stopSequences);
        _thinkOpen = tokenizer.TryGetAddedToken("<think>", out var o) ? o : null;
        _thinkClose = tokenizer.TryGetAddedToken("</think>", out var c) ? c : null;
        _channel = startsInReasoning ? OutputChannel.Reasoning : OutputChannel.Content;
    }

    /// <summary>True once a stop token or stop sequence was produced.</summary>
    public bool Finished { get; private set; }

    public IEnumerable<GenerationChunk> Push(int token)
    {
        if (Finished) yield break;
        _count++;
        if (_stopTokens.Contains(token)) { Finished = true; yield break; }
        if (token == _thinkClose && _channel == OutputChannel.Reasoning)
        {
            foreach (var c in DecodePending()) yield return c;
            var rest = _text.Flush();
            if (rest.Length > 0) yield return new GenerationChunk(OutputChannel.Reasoning, rest);
            _channel = OutputChannel.Content;
            _atContentStart = true;
            yield break;
        }
        if (token == _thinkOpen && _count == 1) { _channel = OutputChannel.Reasoning; yield break; }
        _pending.Add(token);
        if (_tokenizer.Decode(_pending).EndsWith('\uFFFD')) yield break; // a UTF-8 character continues in the next token
        foreach (var c in DecodePending()) yield return c;
    }

    private IEnumerable<GenerationChunk> DecodePending()
    {
        if (_pending.Count == 0) yield break;
        var piece = _tokenizer.Decode(_pending);
        _pending.Clear();
        if (_atContentStart)
        {
            piece = piece.TrimStart('\n');
            if (piece.Length == 0) yield break;
            _atContentStart = false;
        }
        var (emit, stopped) = _text.Append(piece);
        if (emit.Length > 0) yield return new GenerationChunk(_channel, emit);
        if (stopped) Finished = true;
    }

    /// <summary>Releases held text and closes the stream with the finish reason and token counts.</summary>
    public IEnumerable<GenerationChunk> Finish(int promptTokens, int outputTokens, int cachedPromptTokens = 0)
    {
        var finish = Finished ? GenerationFinish.Stop : GenerationFinish.Length;
        if (!Finished) foreach (var c in DecodePending()) yield return c;
        yield return new GenerationChunk(_channel, _text.Flush(), finish, promptTokens, outputTokens, cachedPromptTokens);
    }
}

/// <summary>Text of the current output segment, released as soon as it cannot be the start of a stop sequence.</summary>
internal sealed class StopSequenceBuffer(IReadOnlyList<string> stops)
{
    private readonly StringBuilder _held = new();
    private readonly int _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    private bool _stopped;

    /// <summary>Adds text; returns what can be released and whether a stop sequence was reached (text from the
    /// stop sequence on is dropped).</summary>
    public (string Emit, bool Stopped) Append(string piece)
    {
        if (_stopped) return ("", true);
        _held.Append(piece);
        var s = _held.ToString();
        int cut = -1;
        foreach (var stop in stops)
        {
            if (stop.Length == 0) continue;
            int i = s.IndexOf(stop, StringComparison.Ordinal);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0)
        {
            _held.Clear();
            _stopped = true;
            return (s[..cut], true);
        }
        int release = s.Length - _holdBack;
        if (release > 0 && char.IsHighSurrogate(s[release - 1])) release--;
        if (release <= 0) return ("", false);
        _held.Remove(0, release);
        return (s[..release], false);
    }

    public string Flush()
    {
        var s = _held.ToString();
        _held.Clear();
        return _stopped ? "" : s;
    }
}
