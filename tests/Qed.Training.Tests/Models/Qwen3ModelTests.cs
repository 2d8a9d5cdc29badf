using Qed.Inference.Checkpoints;
using Qed.Training.Checkpoints;
using Qed.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Tests.Models;

public class Qwen3ModelTests
{
    [Fact]
    public void Parameters_carry_the_hugging_face_names()
    {
        using var untied = TinyModels.Model(tied: false);
        var names = untied.NamedWeights().Select(w => w.Name).ToHashSet();
        names.Should().Contain(
        [
            "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.k_norm.weight",
            "model.layers.1.mlp.gate_proj.weight", "model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight",
            "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
        ]);
        names.Should().HaveCount(3 + 2 * 11);
        untied.NamedWeights().Single(w => w.Name == "model.layers.0.self_attn.k_proj.weight").Parameter.shape.Should().Equal(32, 64);

        using var tied = TinyModels.Model(tied: true);
        tied.NamedWeights().Select(w => w.Name).Should().NotContain("lm_head.weight");
    }

    [Fact]
    public void Decoding_with_the_kv_cache_gives_the_logits_of_a_full_forward()
    {
        using var model = TinyModels.Model();
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 409, 5, 17, 200, 33, 90, 12, 410 }, [1, 8]);
        var full = model.Forward(ids);                                       // [1, 8, V]

        using var cache = model.NewCache();
        var prefill = model.Forward(ids.narrow(1, 0, 5), cache: cache);      // 5 prompt tokens at once
        var steps = new List<Tensor> { prefill };
        for (int t = 5; t < 8; t++) steps.Add(model.Forward(ids.narrow(1, t, 1), cache: cache));
        var incremental = cat(steps, 1);

        (incremental - full).abs().max().item<float>().Should().BeLessThan(1e-5f);
        cache.Length.Should().Be(8);
    }

    [Fact]
    public void Packed_samples_do_not_attend_to_each_other()
    {
        using var model = TinyModels.Model();
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var a = new long[] { 409, 5, 17, 200, 33 };
        var b = new long[] { 409, 90, 12 };
        var alone = cat([model.Forward(tensor(a, [1, 5])), model.Forward(tensor(b, [1, 3]))], 1);

        var packed = tensor(a.Concat(b).ToArray(), [1, 8]);
        var positions = tensor(new long[] { 0, 1, 2, 3, 4, 0, 1, 2 }, [1, 8]);
        var segments = tensor(new long[] { 0, 0, 0, 0, 0, 1, 1, 1 }, [1, 8]);
        var mask = segments.unsqueeze(2).eq(segments.unsqueeze(1)).logical_and(ones(8, 8, ScalarType.Bool).tril()).unsqueeze(1);
        var together = model.Forward(packed, positions, mask);

        (together - alone).abs().max().item<float>().Should().BeLessThan(1e-5f);
    }

    [Fact]
    public async Task Save_and_load_round_trip_in_hugging_face_layout()
    {
        var dir = TinyModels.TempDir();
        using var model = TinyModels.Model(tied: false, seed: 7);
        await Qwen3Checkpoint.SaveAsync(model, dir, TensorDType.F32, TinyModels.Tokenizer, CancellationToken.None);

        File.Exists(Path.Combine(dir, "config.json")).Should().BeTrue();
        File.Exists(Path.Combine(dir, "model.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(dir, "tokenizer.json")).Should().BeTrue();
        using (var file = SafetensorsCheckpoint.Open(dir))
            file.Names.Should().Contain("lm_head.weight").And.Contain("model.layers.1.self_attn.q_norm.weight");

        using var loaded = Qwen3Checkpoint.Load(dir);
        loaded.Config.Should().BeEquivalentTo(model.Config with { TorchDtype = "float32" });
        using var scope = NewDisposeScope();
        foreach (var ((name, p), (name2, q)) in model.NamedWeights().Zip(loaded.NamedWeights()))
        {
            name2.Should().Be(name);
            p.allclose(q, 0, 0).Should().BeTrue(name);
        }
    }

    [Fact]
    public async Task Bfloat16_checkpoints_round_to_the_nearest_bfloat16()
    {
        var dir = TinyModels.TempDir();
        using var model = TinyModels.Model(seed: 3);
        await Qwen3Checkpoint.SaveAsync(model, dir, TensorDType.BF16, null, CancellationToken.None);
        Qwen3Config.Load(dir).TorchDtype.Should().Be("bfloat16");
        using var loaded = Qwen3Checkpoint.Load(dir);
        using var scope = NewDisposeScope();
        var original = model.NamedWeights()[0].Parameter;
        var expected = original.to_type(ScalarType.BFloat16).to_type(ScalarType.Float32);
        loaded.NamedWeights()[0].Parameter.allclose(expected, 0, 0).Should().BeTrue();
    }

    [Fact]
    public void Loading_a_checkpoint_with_a_missing_weight_names_it()
    {
        var dir = TinyModels.TempDir();
        using var model = TinyModels.Model();
        model.Config.SaveAsync(dir, CancellationToken.None).GetAwaiter().GetResult();
        var writer = new SafetensorsWriter();
        foreach (var (name, p) in model.NamedWeights().Where(w => w.Name != "model.norm.weight"))
            TensorConversion.Add(writer, name, p, TensorDType.F32);
        writer.WriteCheckpointAsync(dir, 1L << 30, CancellationToken.None).GetAwaiter().GetResult();

        var act = () => Qwen3Checkpoint.Load(dir);
        act.Should().Throw<QedException>().WithMessage("*model.norm.weight*");
    }

    [Fact]
    public void Activation_checkpointing_gives_the_same_gradients()
    {
        using var model = TinyModels.Model(tied: false, seed: 11);
        model.train();
        var ids = tensor(new long[] { 409, 5, 17, 200, 33, 90, 12, 410, 7, 8 }, [2, 5]);

        float[][] Grads(bool checkpointing)
        {
            model.ActivationCheckpointing = checkpointing;
            foreach (var (_, p) in model.NamedWeights()) p.grad?.zero_();
            using var scope = NewDisposeScope();
            var logits = model.Forward(ids);
            logits.square().mean().backward();
            return model.NamedWeights().Select(w => w.Parameter.grad!.data<float>().ToArray()).ToArray();
        }

        var plain = Grads(false);
        var recomputed = Grads(true);
        for (int i = 0; i < plain.Length; i++)
            recomputed[i].Zip(plain[i], (x, y) => Math.Abs(x - y)).Max().Should().BeLessThan(1e-6f, model.NamedWeights()[i].Name);
    }
}
