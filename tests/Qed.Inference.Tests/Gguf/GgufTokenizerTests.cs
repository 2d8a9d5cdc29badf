using System.Text.Json;
using LLama.Native;
using Qed.Inference.Checkpoints;
using Qed.Inference.Gguf;
using Qed.Inference.Llama;
using Qed.Inference.Tokenization;
using Qed.Testing;

namespace Qed.Inference.Tests.Gguf;

/// <summary>The tokenizer our GGUF carries, run by llama.cpp, against <see cref="Qwen3Tokenizer"/> on the shared Qwen3 vectors.</summary>
public sealed class GgufTokenizerTests
{
    private const string Tokenizer = "models/qwen3-tokenizer/tokenizer.json";
    private const string TokenizerConfig = "models/qwen3-tokenizer/tokenizer_config.json";
    private const string Vectors = "models/qwen3-tokenizer/vectors.jsonl";

    [SharedDataFact(Tokenizer, TokenizerConfig, Vectors)]
    public async Task Ids_equal_Qwen3Tokenizer_on_the_shared_vectors_and_decode_back()
    {
        var dir = Directory.CreateTempSubdirectory("qed-gguf-tok-").FullName;
        try
        {
            // A one-layer model with the real 151,936-id vocabulary: only the tokenizer matters here.
            var config = RandomQwen3Checkpoint.Tiny(vocabSize: 151_936) with
            {
                HiddenSize = 32, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, NumKeyValueHeads = 1,
                TieWordEmbeddings = true, TorchDtype = "bfloat16",
            };
            await RandomQwen3Checkpoint.WriteAsync(dir, config, seed: 7, CancellationToken.None);
            File.Copy(SharedData.PathOf(Tokenizer), Path.Combine(dir, "tokenizer.json"));
            File.Copy(SharedData.PathOf(TokenizerConfig), Path.Combine(dir, "tokenizer_config.json"));
            var gguf = Path.Combine(dir, "model.gguf");
            await new Qwen3GgufExporter().ExportAsync(dir, gguf, new GgufExportOptions { Type = "bf16" }, null, CancellationToken.None);

            LlamaRuntime.EnsureLoaded();
            var p = LLamaModelParams.Default();
            p.vocab_only = true;
            using var model = SafeLlamaModelHandle.LoadFromFile(gguf, p);
            var llama = new LlamaTokenText(model);
            var reference = Qwen3Tokenizer.Load(dir);
            int line = 0, rows = 0;
            foreach (var row in File.ReadLines(SharedData.PathOf(Vectors)))
            {
                line++;
                if (string.IsNullOrWhiteSpace(row)) continue;
                using var doc = JsonDocument.Parse(row);
                var text = doc.RootElement.GetProperty("text").GetString()!;
                var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                llama.Encode(text).Should().Equal(reference.Encode(text), $"vectors.jsonl line {line}");
                llama.Encode(text).Should().Equal(ids, $"vectors.jsonl line {line}");
                llama.Decode(ids).Should().Be(text, $"vectors.jsonl line {line}");
                rows++;
            }
            rows.Should().BeGreaterThan(10);
            var special = "<|im_start|>user\nHi<|im_end|>\n<think>\nok\n</think>";
            llama.Encode(special).Should().Equal(reference.Encode(special));
            llama.TryGetAddedToken("</think>", out var close).Should().BeTrue();
            close.Should().Be(reference.TokenId("</think>"));
            model.Vocab.EOS.Should().Be((LLamaToken)reference.TokenId("<|im_end|>"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
