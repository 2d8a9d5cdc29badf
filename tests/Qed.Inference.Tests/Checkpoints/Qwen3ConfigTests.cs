using Qed.Inference.Checkpoints;

namespace Qed.Inference.Tests.Checkpoints;

public sealed class Qwen3ConfigTests
{
    // The config.json of Qwen3-4B-Thinking-2507 as published (architecture fields).
    private const string Qwen3_4B = """
    {
      "architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
      "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
      "hidden_size": 2560, "initializer_range": 0.02, "intermediate_size": 9728,
      "max_position_embeddings": 262144, "max_window_layers": 36, "model_type": "qwen3",
      "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8,
      "rms_norm_eps": 1e-06, "rope_scaling": null, "rope_theta": 5000000, "sliding_window": null,
      "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
      "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
    }
    """;

    [Fact]
    public void Parses_the_published_Qwen3_4B_config()
    {
        var c = Qwen3Config.Parse(Qwen3_4B);
        c.Should().BeEquivalentTo(Qwen3Config.Qwen3_4B_Thinking_2507);
        c.RopeScalingJson.Should().BeNull();
    }

    [Fact]
    public async Task Save_then_load_round_trips()
    {
        var dir = Directory.CreateTempSubdirectory("qed-cfg-").FullName;
        try
        {
            var c = Qwen3Config.Qwen3_4B_Thinking_2507 with { EosTokenIds = [151645, 151643], TieWordEmbeddings = false };
            await c.SaveAsync(dir, CancellationToken.None);
            Qwen3Config.Load(dir).Should().BeEquivalentTo(c);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Bad_fields_are_named()
    {
        var act = () => Qwen3Config.Parse("""{"hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 2, "vocab_size": 10, "head_dim": 4}""", "ckpt/config.json");
        act.Should().Throw<QedException>().WithMessage("ckpt/config.json: field 'num_key_value_heads'*");
        var missing = () => Qwen3Config.Parse("""{"hidden_size": 8}""", "c.json");
        missing.Should().Throw<QedException>().WithMessage("c.json: field 'num_attention_heads' is missing*");
        var wrongType = () => Qwen3Config.Parse("""{"model_type": "llama"}""", "c.json");
        wrongType.Should().Throw<QedException>().WithMessage("*'model_type' is 'llama'*");
    }
}
