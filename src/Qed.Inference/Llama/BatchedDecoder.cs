using System.Runtime.CompilerServices;
using System.Threading.Channels;
using LLama.Exceptions;
using LLama.Native;
using Qed.Inference.Engine;

namespace Qed.Inference.Llama;

/// <summary>Counters of one decoder since it started.</summary>
public sealed record DecoderStatistics(long PrefillTokens, long PrefillTokensSaved, long GeneratedTokens, long Steps, long Preemptions, int Active, int Waiting);

/// <summary>
/// Continuous batching over one llama.cpp context, shared by every request to one model: a request becomes a
/// sequence (its own KV cells and sampler chain), sequences join and leave the batch between decode steps, and each
/// step carries one new token per decoding sequence plus prefill chunks of newly admitted ones, so all of them share
/// one pass over the weights. At most <see cref="LlamaOptions.MaxSequences"/> run at once; the rest queue in arrival
/// order. A cancelled request (or a client that stops reading) is dropped before the next step.
///
/// Prefix sharing: the KV cache is unified across sequences (llama.cpp's <c>kv_unified</c>; copying cells between
/// sequences aborts without it), so a new sequence whose tokens start like a running or recently finished one gets
/// that prefix by <c>llama_memory_seq_cp</c> — a cell copy without recomputation — and prefills only the rest. A
/// request whose prefix is still being prefilled by another sequence waits for it, so N candidates of one prompt
/// prefill it once. Finished sequences stay in the cache as prefix holders until their sequence id or cells are needed.
///
/// When the cache is full (decode reports no KV slot) idle holders are evicted first, then the newest running sequence
/// is preempted: its cells are freed and it returns to the front of the queue with its tokens so far and its sampler
/// state, so what it generates does not change.
///
/// All llama.cpp calls happen on the decoder's own thread.
/// </summary>
public sealed class BatchedDecoder : IDisposable
{
    private readonly SafeLLamaContextHandle _ctx;
    private readonly LlamaOptions _options;
    private readonly ITokenText _tokenizer;
    private readonly IReadOnlySet<int> _stops;
    private readonly int _batchSize, _sequenceIds;
    private readonly object _gate = new();
    private readonly List<Sequence> _incoming = new();
    private readonly LinkedList<Sequence> _waiting = new();
    private readonly List<Sequence> _active = new();
    private readonly List<Holder> _idle = new();
    private readonly Stack<int> _freeIds = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private volatile bool _disposed;
    private long _prefill, _saved, _generated, _steps, _preemptions, _admissions;
    /// <summary>After a preemption, how many sequences fit in the cache: no more are admitted until one finishes, or the
    /// preempted one would come straight back and push another out.</summary>
    private int _admitCap = int.MaxValue;

    public int ContextSize { get; }
    public int Threads { get; }

    public BatchedDecoder(SafeLlamaModelHandle model, LlamaOptions options, ITokenText tokenizer, IReadOnlySet<int> stops)
    {
        _options = options;
        _tokenizer = tokenizer;
        _stops = stops;
        ContextSize = options.Context > 0 ? options.Context : Math.Min(model.ContextSize, LlamaOptions.DefaultMaxContext);
        Threads = options.ResolveThreads();
        // Room in every step for one token per running sequence plus a prefill chunk.
        _batchSize = Math.Max(options.Batch, options.MaxSequences + 16);
        // Twice the running sequences, so finished ones can stay in the cache as prefix holders.
        _sequenceIds = Math.Min(256, options.MaxSequences * 2);
        var p = LLamaContextParams.Default();
        p.n_ctx = (uint)ContextSize;
        p.n_batch = (uint)_batchSize;
        p.n_ubatch = (uint)Math.Min(_batchSize, 512);
        p.n_seq_max = (uint)_sequenceIds;
        p.n_threads = Threads;
        p.n_threads_batch = Threads;
        p.llama_flash_attn_type = options.FlashAttention switch
        {
            true => LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_ENABLED,
            false => LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_DISABLED,
            null => LLamaFlashAttentionType.LLAMA_FLASH_ATTENTION_TYPE_AUTO,
        };
        p.kv_unified = true;
        try { _ctx = SafeLLamaContextHandle.Create(model, p); }
        catch (RuntimeError e)
        {
            throw new QedException($"llama.cpp cannot create a context of {ContextSize} tokens for {_sequenceIds} sequences ({e.Message}); lower --context", e);
        }
        for (int id = _sequenceIds - 1; id >= 0; id--) _freeIds.Push(id);
        _thread = new Thread(Loop) { IsBackground = true, Name = "llama.cpp batched decoder" };
        _thread.Start();
    }

    public DecoderStatistics Statistics
    {
        get
        {
            lock (_gate)
                return new DecoderStatistics(Interlocked.Read(ref _prefill), Interlocked.Read(ref _saved), Interlocked.Read(ref _generated),
                    Interlocked.Read(ref _steps), Interlocked.Read(ref _preemptions), _activeCount, _waitingCount + _incoming.Count);
        }
    }
    private volatile int _activeCount, _waitingCount;

    public async IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (request.PromptTokens.Count == 0) throw new QedException("the prompt is empty");
        if (request.MaxTokens <= 0) throw new QedException($"max_tokens must be positive, got {request.MaxTokens}");
        if (request.PromptTokens.Count >= ContextSize)
            throw new QedException($"the prompt has {request.PromptTokens.Count} tokens, more than the context of {ContextSize} (--context)");
        ObjectDisposedException.ThrowIf(_disposed, this);
        request.Sampling.Validate();
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sequence = new Sequence(request, lifetime.Token, new TokenOutput(_tokenizer, _stops, request.StopSequences, request.StartsInReasoning));
        using var wakeOnCancel = lifetime.Token.Register(() => _wake.Set());
        lock (_gate) _incoming.Add(sequence);
        _wake.Set();
        try
        {
            await foreach (var chunk in sequence.Output.Reader.ReadAllAsync(cancellationToken)) yield return chunk;
        }
        finally
        {
            // Finished, failed, cancelled or abandoned by the reader: in the last three cases the sequence is still
            // in the batch and this frees it before the next step.
            lifetime.Cancel();
        }
    }

    private void Loop()
    {
        var batch = new LLamaBatch();
        var plan = new List<(Sequence Seq, int Count, int LogitsIndex)>();
        while (true)
        {
            lock (_gate)
            {
                foreach (var s in _incoming) _waiting.AddLast(s);
                _incoming.Clear();
            }
            if (_disposed) break;
            try
            {
                DropCancelled();
                Admit();
                _activeCount = _active.Count;
                _waitingCount = _waiting.Count;
                if (_active.Count == 0 || !BuildBatch(batch, plan))
                {
                    _wake.WaitOne(_waiting.Count > 0 ? 5 : 200);
                    continue;
                }
                var result = _ctx.Decode(batch);
                if (result == DecodeResult.NoKvSlot)
                {
                    MakeRoom();
                    continue;
                }
                if (result != DecodeResult.Ok) throw new QedException($"llama.cpp decode failed ({result})");
                Interlocked.Increment(ref _steps);
                foreach (var (seq, count, index) in plan)
                {
                    seq.Cached += count;
                    if (index >= 0) Advance(seq, seq.Chain.Sample(_ctx, index));
                }
            }
            catch (Exception e)
            {
                foreach (var s in _active.ToArray()) Fail(s, e is QedException ? e : new QedException($"llama.cpp: {e.Message}", e));
            }
        }
        var disposed = new ObjectDisposedException(nameof(BatchedDecoder));
        foreach (var s in _active.ToArray()) Fail(s, disposed);
        foreach (var s in _waiting) { s.Output.Writer.TryComplete(disposed); s.Chain.Dispose(); }
        lock (_gate) foreach (var s in _incoming) { s.Output.Writer.TryComplete(disposed); s.Chain.Dispose(); }
    }

    private void DropCancelled()
    {
        foreach (var s in _active.ToArray())
            if (s.Cancellation.IsCancellationRequested) Fail(s, new OperationCanceledException(s.Cancellation));
        for (var node = _waiting.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Cancellation.IsCancellationRequested)
            {
                node.Value.Output.Writer.TryComplete(new OperationCanceledException(node.Value.Cancellation));
                node.Value.Chain.Dispose();
                _waiting.Remove(node);
            }
            node = next;
        }
    }

    /// <summary>Moves queued requests into the batch while there is room, each starting from the longest cached prefix.</summary>
    private void Admit()
    {
        for (var node = _waiting.First; node is not null && _active.Count < Math.Min(_options.MaxSequences, _admitCap);)
        {
            var next = node.Next;
            var seq = node.Value;
            var (holder, shared, wait) = _options.PrefixSharing ? BestPrefix(seq) : (null, 0, false);
            if (wait) { node = next; continue; } // its prefix is being prefilled right now: copy it once it is there
            if (!TryTakeSequenceId(out int id)) break;
            _waiting.Remove(node);
            seq.Id = id;
            seq.Order = ++_admissions;
            if (holder is not null && shared > 0)
            {
                _ctx.MemorySequenceCopy((LLamaSeqId)holder.Id, (LLamaSeqId)id, 0, shared);
                holder.LastUsed = _admissions;
                if (!seq.Started) seq.SavedPrompt = Math.Min(shared, seq.PromptCount);
                Interlocked.Add(ref _saved, shared);
            }
            seq.Cached = shared;
            seq.Started = true;
            _active.Add(seq);
            node = next;
        }
    }

    /// <summary>The running or idle sequence sharing the longest prefix with <paramref name="seq"/>'s tokens (at least
    /// one token is always left to run, for its logits). <c>Wait</c>: a running sequence will hold a longer prefix once
    /// its prefill gets there.</summary>
    private (Holder? Holder, int Shared, bool Wait) BestPrefix(Sequence seq)
    {
        Holder? best = null;
        int bestShared = 0;
        bool wait = false;
        int limit = seq.Tokens.Count - 1;
        foreach (var h in _active.Cast<Holder>().Concat(_idle))
        {
            int common = CommonPrefix(h.Tokens, seq.Tokens, limit);
            int available = Math.Min(common, h.Cached);
            if (available > bestShared) { best = h; bestShared = available; }
            if (h is Sequence running && common > h.Cached && running.Cached < running.PromptCount && common - bestShared >= MinimumShared) wait = true;
        }
        if (bestShared < MinimumShared) (best, bestShared) = (null, 0);
        return (best, bestShared, wait);
    }

    /// <summary>Copying fewer cells than this costs more bookkeeping than it saves.</summary>
    private const int MinimumShared = 4;

    private static int CommonPrefix(IReadOnlyList<int> a, IReadOnlyList<int> b, int limit)
    {
        int n = Math.Min(Math.Min(a.Count, b.Count), limit), i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
    }

    private bool TryTakeSequenceId(out int id)
    {
        if (_freeIds.TryPop(out id)) return true;
        if (_idle.Count == 0) return false;
        var oldest = _idle.MinBy(h => h.LastUsed)!;
        Evict(oldest);
        return _freeIds.TryPop(out id);
    }

    private void Evict(Holder holder)
    {
        _ctx.MemorySequenceRemove((LLamaSeqId)holder.Id, -1, -1);
        _idle.Remove(holder);
        _freeIds.Push(holder.Id);
    }

    /// <summary>One token per decoding sequence first (they are what users wait on), then prefill chunks in admission order.</summary>
    private bool BuildBatch(LLamaBatch batch, List<(Sequence, int, int)> plan)
    {
        batch.Clear();
        plan.Clear();
        int budget = _batchSize;
        foreach (var s in _active.OrderBy(s => s.Order))
        {
            if (s.Tokens.Count - s.Cached != 1) continue;
            int index = batch.Add(s.Tokens[s.Cached], s.Cached, (LLamaSeqId)s.Id, true);
            plan.Add((s, 1, index));
            if (s.Cached < s.PromptCount) Interlocked.Increment(ref _prefill); // the prompt's last token, after a shared prefix
            budget--;
        }
        foreach (var s in _active.OrderBy(s => s.Order))
        {
            int pending = s.Tokens.Count - s.Cached;
            if (pending <= 1 || budget <= 0) continue;
            int count = Math.Min(pending, budget);
            int last = -1;
            for (int i = 0; i < count; i++)
            {
                bool isLast = s.Cached + i == s.Tokens.Count - 1;
                int index = batch.Add(s.Tokens[s.Cached + i], s.Cached + i, (LLamaSeqId)s.Id, isLast);
                if (isLast) last = index;
            }
            plan.Add((s, count, last));
            Interlocked.Add(ref _prefill, count);
            budget -= count;
        }
        return batch.TokenCount > 0;
    }

    /// <summary>The sampled token joins the sequence; the sequence ends on a stop token or sequence, its budget, or the context end.</summary>
    private void Advance(Sequence seq, LLamaToken sampled)
    {
        int token = (int)sampled;
        seq.Request.OnToken?.Invoke(token);
        seq.All.Add(token);
        seq.Produced++;
        Interlocked.Increment(ref _generated);
        foreach (var chunk in seq.Text.Push(token)) seq.Output.Writer.TryWrite(chunk);
        if (seq.Text.Finished || seq.Produced >= seq.Request.MaxTokens || seq.Tokens.Count >= ContextSize)
        {
            foreach (var chunk in seq.Text.Finish(seq.PromptCount, seq.Produced, seq.SavedPrompt)) seq.Output.Writer.TryWrite(chunk);
            seq.Output.Writer.TryComplete();
            Retire(seq);
        }
    }

    /// <summary>A finished sequence keeps its cells as a prefix holder (when sharing is on); a failed one frees them.</summary>
    private void Retire(Sequence seq, bool keep = true)
    {
        _active.Remove(seq);
        _admitCap = int.MaxValue;
        seq.Chain.Dispose();
        if (keep && _options.PrefixSharing && seq.Cached > 0)
        {
            _idle.Add(new Holder { Id = seq.Id, Tokens = seq.Tokens.Take(seq.Cached).ToArray(), Cached = seq.Cached, LastUsed = _admissions });
        }
        else
        {
            _ctx.MemorySequenceRemove((LLamaSeqId)seq.Id, -1, -1);
            _freeIds.Push(seq.Id);
        }
    }

    private void Fail(Sequence seq, Exception error)
    {
        seq.Output.Writer.TryComplete(error);
        Retire(seq, keep: false);
    }

    /// <summary>No KV slot for the step: free idle holders first, then preempt the newest running sequence.</summary>
    private void MakeRoom()
    {
        if (_idle.Count > 0)
        {
            foreach (var h in _idle.ToArray()) Evict(h);
            return;
        }
        if (_active.Count <= 1)
        {
            // One sequence alone fills the cache: it ends as truncated, as it would at the context end.
            foreach (var s in _active.ToArray())
            {
                foreach (var chunk in s.Text.Finish(s.PromptCount, s.Produced, s.SavedPrompt)) s.Output.Writer.TryWrite(chunk);
                s.Output.Writer.TryComplete();
                Retire(s, keep: false);
            }
            return;
        }
        var victim = _active.MaxBy(s => s.Order)!;
        _active.Remove(victim);
        _ctx.MemorySequenceRemove((LLamaSeqId)victim.Id, -1, -1);
        _freeIds.Push(victim.Id);
        victim.Cached = 0;
        _waiting.AddFirst(victim);
        _admitCap = Math.Max(1, _active.Count);
        Interlocked.Increment(ref _preemptions);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Set();
        _thread.Join();
        _ctx.Dispose();
        _wake.Dispose();
    }

    /// <summary>Cells of the cache that belong to one sequence id: tokens [0, Cached) of <see cref="Tokens"/>.</summary>
    private class Holder
    {
        public int Id { get; set; } = -1;
        public IReadOnlyList<int> Tokens { get; set; } = [];
        public int Cached { get; set; }
        public long LastUsed { get; set; }
    }

    private sealed class Sequence : Holder
    {
        public Sequence(GenerationRequest request, CancellationToken cancellation, TokenOutput text)
        {
            Request = request;
            Cancellation = cancellation;
            Text = text;
            PromptCount = request.PromptTokens.Count;
            All = new List<int>(request.PromptTokens);
            Tokens = All;
            Chain = CreateChain(request.Sampling);
        }

        /// <summary>Prompt and generated tokens (the same list as <see cref="Holder.Tokens"/>).</summary>
        public List<int> All { get; }
        public GenerationRequest Request { get; }
        public CancellationToken Cancellation { get; }
        public TokenOutput Text { get; }
        public int PromptCount { get; }
        public int Produced { get; set; }
        public int SavedPrompt { get; set; }
        public bool Started { get; set; }
        public long Order { get; set; }
        public SafeLLamaSamplerChainHandle Chain { get; }
        public Channel<GenerationChunk> Output { get; } = Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    /// <summary>
    /// llama.cpp's sampler chain in the order our ONNX sampler applies the same settings: temperature, top-k, top-p,
    /// min-p, then a seeded draw (greedy at temperature 0). A null seed draws a random one.
    /// </summary>
    internal static SafeLLamaSamplerChainHandle CreateChain(SamplingOptions s)
    {
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        if (s.Temperature == 0)
        {
            chain.AddGreedySampler();
            return chain;
        }
        chain.AddTemperature(s.Temperature);
        if (s.TopK > 0) chain.AddTopK(s.TopK);
        if (s.TopP < 1) chain.AddTopP(s.TopP, 1);
        if (s.MinP > 0) chain.AddMinP(s.MinP, 1);
        uint seed = s.Seed is long l ? unchecked((uint)(l ^ (l >> 32))) : (uint)Random.Shared.NextInt64(0, uint.MaxValue);
        chain.AddDistributionSampler(seed);
        return chain;
    }
}
