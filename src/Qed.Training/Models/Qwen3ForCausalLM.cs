using Qed.Inference.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>The decoder stack under the Hugging Face prefix <c>model.</c>: embed_tokens, layers.N, norm.</summary>
public sealed class Qwen3Model : nn.Module
{
    internal readonly Embedding EmbedTokens;
    internal readonly ModuleList<Qwen3DecoderLayer> Layers;
    internal readonly RmsNorm Norm;

    public Qwen3Model(Qwen3Config c) : base("Qwen3Model")
    {
        EmbedTokens = nn.Embedding(c.VocabSize, c.HiddenSize);
        Layers = nn.ModuleList(Enumerable.Range(0, c.NumHiddenLayers).Select(i => new Qwen3DecoderLayer(c, i)).ToArray());
        Norm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        register_module("embed_tokens", EmbedTokens);
        register_module("layers", Layers);
        register_module("norm", Norm);
    }
}

/// <summary>
/// Qwen3 causal language model on TorchSharp with Hugging Face parameter names (<c>model.embed_tokens.weight</c>,
/// <c>model.layers.N.self_attn.q_proj.weight</c>, …, <c>lm_head.weight</c>; with tied embeddings the head reuses
/// <c>model.embed_tokens.weight</c> and has no parameter of its own), so a safetensors checkpoint maps 1:1.
/// </summary>
public sealed class Qwen3ForCausalLM : nn.Module
{
    private readonly Qwen3Model _model;
    private readonly Linear? _lmHead;
    private readonly RotaryEmbedding _rope;

    public Qwen3Config Config { get; }

    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations
    /// (activation checkpointing): less memory, about one extra forward of compute.</summary>
    public bool ActivationCheckpointing { get; set; }

    public Qwen3ForCausalLM(Qwen3Config config) : base("Qwen3ForCausalLM")
    {
        config.Validate();
        Config = config;
        _model = new Qwen3Model(config);
        register_module("model", _model);
        if (!config.TieWordEmbeddings)
        {
            _lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
            register_module("lm_head", _lmHead);
        }
        _rope = new RotaryEmbedding(config.HeadDim, config.RopeTheta);
    }

    /// <summary>Random initialisation as transformers does it: N(0, std) for linear and embedding weights, ones for norms.</summary>
    public void InitializeWeights(long seed, double std = 0.02)
    {
        var generator = new Generator((ulong)seed);
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else p.normal_(0, std, generator);
        }
    }

    /// <summary>Hidden states after the final norm. <paramref name="inputIds"/>: [B, T] int64 → [B, T, C].</summary>
    /// <param name="positionIds">[B, T] int64; default 0..T-1 (after the cached positions when a cache is given)</param>
    /// <param name="attentionMask">boolean [B, 1, T, T_total], true where a query may attend a key (packed samples);
    /// null means plain causal attention</param>
    public Tensor HiddenStates(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null)
    {
        long b = inputIds.shape[0], t = inputIds.shape[1];
        long past = cache?.Length ?? 0;
        positionIds ??= arange(past, past + t, ScalarType.Int64, inputIds.device).unsqueeze(0).expand(b, t);
        var h = _model.EmbedTokens.forward(inputIds);
        var (cos, sin) = _rope.Angles(positionIds, h.dtype);
        foreach (var layer in _model.Layers)
        {
            h = ActivationCheckpointing && cache is null && is_grad_enabled()
                ? CheckpointedLayer.Run(layer, h, cos, sin, attentionMask)
                : layer.Forward(h, cos, sin, attentionMask, cache);
        }
        return _model.Norm.forward(h);
    }

    /// <summary>Next-token logits for hidden states [.., C] → [.., V].</summary>
    public Tensor Logits(Tensor hidden) =>
        _lmHead is not null ? _lmHead.forward(hidden) : nn.functional.linear(hidden, _model.EmbedTokens.weight!);

    /// <summary>Logits for every position: [B, T] → [B, T, V].</summary>
    public Tensor Forward(Tensor inputIds, Tensor? positionIds = null, Tensor? attentionMask = null, KvCache? cache = null) =>
        Logits(HiddenStates(inputIds, positionIds, attentionMask, cache));

    public KvCache NewCache() => new(Config.NumHiddenLayers);

    /// <summary>Parameters by Hugging Face name, as they appear in a checkpoint.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedWeights() => named_parameters().ToList();

    internal Tensor EmbeddingWeight => _model.EmbedTokens.weight!;
}
