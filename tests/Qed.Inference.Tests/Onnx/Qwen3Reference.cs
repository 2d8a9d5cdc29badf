using Qed.Inference.Checkpoints;

namespace Qed.Inference.Tests.Onnx;

/// <summary>
/// An independent, deliberately plain Qwen3 forward pass (loops over floats, double accumulators, no KV cache):
/// the yardstick for the exported ONNX graph. It follows the Hugging Face modelling code, not our exporter.
/// <paramref name="linearWeight"/> lets the int4 test substitute dequantized weights for every linear layer.
/// </summary>
internal sealed class Qwen3Reference
{
    private readonly Qwen3Config _c;
    private readonly Func<string, float[]> _tensor;
    private readonly Func<string, float[], int, int, float[]> _linearWeight;

    public Qwen3Reference(Qwen3Config config, SafetensorsCheckpoint weights, Func<string, float[], int, int, float[]>? linearWeight = null)
    {
        _c = config;
        var cache = new Dictionary<string, float[]>();
        _tensor = name => cache.TryGetValue(name, out var t) ? t : cache[name] = weights.ReadSingles(name);
        _linearWeight = linearWeight ?? ((_, w, _, _) => w);
    }

    private float[] Linear(string name, int outF, int inF)
    {
        var key = "linear:" + name;
        return _linears.TryGetValue(key, out var w) ? w : _linears[key] = _linearWeight(name, _tensor(name), outF, inF);
    }
    private readonly Dictionary<string, float[]> _linears = new();

    /// <summary>Logits [position][vocab] for every position of <paramref name="tokens"/>.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        int n = tokens.Count, H = _c.HiddenSize, nh = _c.NumAttentionHeads, nkv = _c.NumKeyValueHeads, hd = _c.HeadDim;
        var embed = _tensor("model.embed_tokens.weight");
        var x = new float[n][];
        for (int t = 0; t < n; t++) x[t] = embed.AsSpan(tokens[t] * H, H).ToArray();

        for (int layer = 0; layer < _c.NumHiddenLayers; layer++)
        {
            string p = $"model.layers.{layer}.";
            var q = new float[n][]; var k = new float[n][]; var v = new float[n][];
            for (int t = 0; t < n; t++)
            {
                var h = RmsNorm(x[t], _tensor(p + "input_layernorm.weight"));
                q[t] = MatVec(Linear(p + "self_attn.q_proj.weight", nh * hd, H), h, nh * hd);
                k[t] = MatVec(Linear(p + "self_attn.k_proj.weight", nkv * hd, H), h, nkv * hd);
                v[t] = MatVec(Linear(p + "self_attn.v_proj.weight", nkv * hd, H), h, nkv * hd);
                for (int head = 0; head < nh; head++) NormRotate(q[t], head * hd, _tensor(p + "self_attn.q_norm.weight"), t);
                for (int head = 0; head < nkv; head++) NormRotate(k[t], head * hd, _tensor(p + "self_attn.k_norm.weight"), t);
            }
            for (int t = 0; t < n; t++)
            {
                var ctx = new float[nh * hd];
                for (int head = 0; head < nh; head++)
                {
                    int kvHead = head / (nh / nkv);
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < hd; d++) dot += q[t][head * hd + d] * k[s][kvHead * hd + d];
                        scores[s] = dot / Math.Sqrt(hd);
                        max = Math.Max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.Exp(scores[s] - max); sum += scores[s]; }
                    for (int d = 0; d < hd; d++)
                    {
                        double acc = 0;
                        for (int s = 0; s <= t; s++) acc += scores[s] / sum * v[s][kvHead * hd + d];
                        ctx[head * hd + d] = (float)acc;
                    }
                }
                var o = MatVec(Linear(p + "self_attn.o_proj.weight", H, nh * hd), ctx, H);
                for (int i = 0; i < H; i++) x[t][i] += o[i];

                var h2 = RmsNorm(x[t], _tensor(p + "post_attention_layernorm.weight"));
                int I = _c.IntermediateSize;
                var gate = MatVec(Linear(p + "mlp.gate_proj.weight", I, H), h2, I);
                var up = MatVec(Linear(p + "mlp.up_proj.weight", I, H), h2, I);
                var act = new float[I];
                for (int i = 0; i < I; i++) act[i] = (float)(gate[i] / (1 + Math.Exp(-gate[i])) * up[i]);
                var down = MatVec(Linear(p + "mlp.down_proj.weight", H, I), act, H);
                for (int i = 0; i < H; i++) x[t][i] += down[i];
            }
        }

        var headName = _c.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
        var lmHead = Linear(headName, _c.VocabSize, H);
        return x.Select(xt => MatVec(lmHead, RmsNorm(xt, _tensor("model.norm.weight")), _c.VocabSize)).ToArray();
    }

    /// <summary>Per-head RMS norm, then rotary embedding at position <paramref name="pos"/> (rotate-half convention).</summary>
    private void NormRotate(float[] vec, int offset, float[] weight, int pos)
    {
        int hd = _c.HeadDim, half = hd / 2;
        var normed = RmsNorm(vec.AsSpan(offset, hd).ToArray(), weight);
        for (int j = 0; j < half; j++)
        {
            double invFreq = 1.0 / Math.Pow(_c.RopeTheta, 2.0 * j / hd);
            double angle = pos * invFreq;
            double c = Math.Cos(angle), s = Math.Sin(angle);
            vec[offset + j] = (float)(normed[j] * c - normed[j + half] * s);
            vec[offset + j + half] = (float)(normed[j + half] * c + normed[j] * s);
        }
    }

    private float[] RmsNorm(float[] x, float[] weight)
    {
        double ms = 0;
        foreach (var v in x) ms += (double)v * v;
        double inv = 1 / Math.Sqrt(ms / x.Length + _c.RmsNormEps);
        return x.Select((v, i) => (float)(v * inv * weight[i])).ToArray();
    }

    private static float[] MatVec(float[] w, float[] x, int rows)
    {
        int cols = x.Length;
        var y = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double acc = 0;
            for (int c = 0; c < cols; c++) acc += (double)w[r * cols + c] * x[c];
            y[r] = (float)acc;
        }
        return y;
    }
}
