using System.Globalization;
using Qed.Inference.Chat;
using Qed.Training.Optimization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Qed.Training.Sft;

/// <summary>Reads an SFT YAML config into <see cref="SftOptions"/>; every error names the file, line and field.
/// Relative data/model/tokenizer paths are resolved against the config file's folder.</summary>
public static class SftOptionsLoader
{
    private static readonly HashSet<string> Known =
    [
        "model", "model_config", "init_seed", "tokenizer", "template", "data", "max_seq_len", "pack", "micro_batch_size",
        "grad_accum", "epochs", "max_steps", "lr", "schedule", "warmup_steps", "min_lr_ratio", "weight_decay",
        "adam_beta1", "adam_beta2", "adam_eps", "grad_clip", "seed", "save_every", "keep_checkpoints", "save_dtype",
        "threads", "device", "activation_checkpointing", "out", "log_every",
    ];

    /// <param name="outOverride">--out from the command line; wins over the config's <c>out</c>.</param>
    /// <param name="resolveModel">turns a <c>model</c> value (path or <c>local:ID</c>) into a directory</param>
    public static SftOptions Load(string path, string? outOverride, Func<string, string> resolveModel)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: config file not found");
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlException e) { throw new QedException($"{path}:{e.Start.Line}: invalid YAML ({e.Message})", e); }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
            throw new QedException($"{path}: the config must be a YAML mapping of fields");

        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!Known.Contains(key)) throw new QedException($"{path}:{keyNode.Start.Line}: unknown field '{key}'");
            fields[key] = value;
        }

        string At(string field) => $"{path}:{fields[field].Start.Line}: field '{field}'";
        string? Str(string field) => fields.TryGetValue(field, out var n)
            ? n is YamlScalarNode s ? s.Value : throw new QedException($"{At(field)} must be a single value")
            : null;
        T Parse<T>(string field, T fallback, Func<string, T?> parse, string expected) where T : struct
        {
            var s = Str(field);
            if (s is null) return fallback;
            return parse(s) ?? throw new QedException($"{At(field)} must be {expected}, got '{s}'");
        }
        int Int(string field, int fallback, int min = 0) 
        {
            var v = Parse<int>(field, fallback, s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null, "an integer");
            if (v < min) throw new QedException($"{At(field)} must be at least {min}, got {v}");
            return v;
        }
        long Long(string field, long fallback) =>
            Parse<long>(field, fallback, s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null, "an integer");
        double Num(string field, double fallback) =>
            Parse<double>(field, fallback, s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null, "a number");
        bool Bool(string field, bool fallback) =>
            Parse<bool>(field, fallback, s => s switch { "true" or "True" or "yes" => true, "false" or "False" or "no" => false, _ => null }, "true or false");
        string Rel(string p) => Path.GetFullPath(Path.Combine(baseDir, p));

        var model = Str("model");
        var modelConfig = Str("model_config");
        if ((model is null) == (modelConfig is null))
            throw new QedException($"{path}: give exactly one of 'model' (a checkpoint directory or local:ID) and 'model_config' (a config.json for random init)");
        string? modelDir = null;
        if (model is not null)
        {
            var local = model.StartsWith("local:", StringComparison.Ordinal) ? model : Rel(model);
            try { modelDir = resolveModel(local); }
            catch (QedException e) { throw new QedException($"{At("model")}: {e.Message}", e); }
        }

        IReadOnlyList<string> data = fields.TryGetValue("data", out var dataNode)
            ? dataNode switch
            {
                YamlScalarNode s => [Rel(s.Value ?? "")],
                YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode s ? Rel(s.Value ?? "")
                    : throw new QedException($"{path}:{c.Start.Line}: field 'data' entries must be file paths")).ToList(),
                _ => throw new QedException($"{At("data")} must be a path or a list of paths"),
            }
            : throw new QedException($"{path}: field 'data' is missing (JSONL or Parquet file(s))");

        var tokenizer = Str("tokenizer") is { } t ? Rel(t) : modelDir
            ?? throw new QedException($"{path}: field 'tokenizer' is required with 'model_config' (a folder holding tokenizer.json)");
        var template = Str("template") switch
        {
            null or "thinking-2507" => Qwen3TemplateVariant.Thinking2507,
            "hybrid" => Qwen3TemplateVariant.Hybrid,
            var other => throw new QedException($"{At("template")} must be thinking-2507 or hybrid, got '{other}'"),
        };
        var schedule = Str("schedule") switch
        {
            null or "cosine" => ScheduleKind.Cosine,
            "constant" => ScheduleKind.Constant,
            "linear" => ScheduleKind.Linear,
            var other => throw new QedException($"{At("schedule")} must be cosine, constant or linear, got '{other}'"),
        };
        var saveDtype = Str("save_dtype") ?? "float32";
        if (saveDtype is not ("float32" or "bfloat16" or "float16"))
            throw new QedException($"{At("save_dtype")} must be float32, bfloat16 or float16, got '{saveDtype}'");
        var device = Str("device") ?? "cpu";
        if (device != "cpu" && !device.StartsWith("cuda", StringComparison.Ordinal))
            throw new QedException($"{At("device")} must be cpu or cuda[:N], got '{device}'");
        var @out = outOverride ?? Str("out") ?? throw new QedException($"{path}: no output folder: give --out or field 'out'");
        long seed = Long("seed", 0);

        return new SftOptions
        {
            Model = modelDir,
            ModelConfig = modelConfig is null ? null : Rel(modelConfig),
            InitSeed = Long("init_seed", seed),
            Tokenizer = tokenizer,
            Template = template,
            Data = data,
            MaxSequenceLength = Int("max_seq_len", 2048, 8),
            Pack = Bool("pack", true),
            MicroBatchSize = Int("micro_batch_size", 1, 1),
            GradientAccumulation = Int("grad_accum", 1, 1),
            Epochs = Int("epochs", 1, 1),
            MaxSteps = Int("max_steps", 0),
            LearningRate = Num("lr", 1e-5),
            Schedule = schedule,
            WarmupSteps = Int("warmup_steps", 0),
            MinLearningRateRatio = Num("min_lr_ratio", 0),
            WeightDecay = Num("weight_decay", 0),
            AdamBeta1 = Num("adam_beta1", 0.9),
            AdamBeta2 = Num("adam_beta2", 0.999),
            AdamEpsilon = Num("adam_eps", 1e-8),
            GradientClip = Num("grad_clip", 1.0),
            Seed = seed,
            SaveEvery = Int("save_every", 0),
            KeepCheckpoints = Int("keep_checkpoints", 2, 1),
            SaveDtype = saveDtype,
            Threads = Int("threads", 0),
            Device = device,
            ActivationCheckpointing = Bool("activation_checkpointing", false),
            Out = Path.GetFullPath(@out),
            LogEvery = Int("log_every", 1, 1),
        };
    }
}
