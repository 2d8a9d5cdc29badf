using System.Text.Json.Nodes;
using Qed.Inference.Chat;
using Qed.Llm;

namespace Qed.Training.Rl;

/// <summary>Reads a GRPO / RC-RL YAML config into <see cref="GrpoOptions"/>; every error names the file, line and
/// field. Relative paths are resolved against the config file's folder.</summary>
public static class GrpoOptionsLoader
{
    private static readonly HashSet<string> Known =
    [
        "model", "model_config", "init_seed", "tokenizer", "template", "prompt_format", "policy_prompt",
        "problems", "toy_task", "toy_problems",
        "group_size", "samples_per_step", "temperature", "max_new_tokens", "engine", "remote", "max_lag",
        "grader", "think_end", "require_closed_thinking", "max_points", "on_grade_failure",
        "normalize_advantage_by_std", "clip_epsilon", "entropy_coef", "kl_coef",
        "micro_batch_size", "lr", "weight_decay", "adam_beta1", "adam_beta2", "adam_eps", "grad_clip",
        "steps", "seed", "save_every", "keep_checkpoints", "save_dtype", "threads", "device", "activation_checkpointing", "out",
        "rc", "reward",
    ];

    /// <param name="requireReasoningCache">true for <c>qed train rc</c>: the <c>rc</c> section must be present</param>
    public static GrpoOptions Load(string path, string? outOverride, Func<string, string> resolveModel, bool requireReasoningCache = false)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: config file not found");
        var y = YamlConfig.Load(path);
        foreach (var (key, _) in y.Root)
            if (!Known.Contains(key))
                throw y.Error(key, "unknown field" + (NearMiss.Closest(key, Known) is { } near ? $"; did you mean '{near}'?" : "") + " (docs/rl.md lists the fields)");
        var baseDir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Rel(string p) => Path.GetFullPath(Path.Combine(baseDir, p));

        int Int(string f, int fallback, int min = 0)
        {
            var v = y.Int(f) ?? fallback;
            if (v < min) throw y.Error(f, $"must be at least {min}, got {v}");
            return v;
        }
        double Num(string f, double fallback, double min = double.NegativeInfinity)
        {
            var v = y.Double(f) ?? fallback;
            if (v < min) throw y.Error(f, $"must be at least {min}, got {v}");
            return v;
        }
        T Choice<T>(string f, T fallback, params (string Name, T Value)[] choices)
        {
            var s = y.String(f);
            if (s is null) return fallback;
            foreach (var (name, value) in choices) if (name == s) return value;
            throw y.Error(f, $"must be one of {string.Join(", ", choices.Select(c => c.Name))}, got '{s}'");
        }

        var model = y.String("model");
        var modelConfig = y.String("model_config");
        if ((model is null) == (modelConfig is null))
            throw new QedException($"{path}: give exactly one of 'model' (a checkpoint directory or local:ID) and 'model_config' (a config.json for random init)");
        string? modelDir = null;
        if (model is not null)
        {
            try { modelDir = resolveModel(model.StartsWith("local:", StringComparison.Ordinal) ? model : Rel(model)); }
            catch (QedException e) { throw y.Error("model", e.Message); }
        }
        var tokenizer = y.String("tokenizer") is { } t ? Rel(t) : modelDir
            ?? throw new QedException($"{path}: field 'tokenizer' is required with 'model_config' (a folder holding tokenizer.json)");

        var problems = y.Strings("problems").Select(Rel).ToList();
        var toy = y.String("toy_task");
        if (toy is not null && toy != "copy") throw y.Error("toy_task", $"must be copy, got '{toy}'");
        if ((problems.Count == 0) == (toy is null))
            throw new QedException($"{path}: give exactly one of 'problems' (JSONL/Parquet/CSV files with a problem and a marking scheme or answer) and 'toy_task'");

        var engine = Choice("engine", RolloutEngineKind.Internal, ("internal", RolloutEngineKind.Internal), ("remote", RolloutEngineKind.Remote));
        RemoteEngineOptions? remote = null;
        if (y.Object("remote") is { } r) remote = ReadRemote(y, r, Rel);
        if (engine == RolloutEngineKind.Remote && remote is null) throw y.Error("engine", "engine: remote needs a 'remote' section (base_urls, model, reload)");

        var graderNode = y.Object("grader") ?? throw new QedException($"{path}: field 'grader' is missing (kind: first-integer | answer | judge)");
        var kind = graderNode["kind"]?.GetValue<string>() ?? throw y.Error("grader", "needs 'kind' (first-integer, answer or judge)");
        if (kind is not ("first-integer" or "answer" or "judge")) throw y.Error("grader", $"kind must be first-integer, answer or judge, got '{kind}'");
        var judgeModel = graderNode["model"]?.GetValue<string>();
        if (kind == "judge" && judgeModel is null) throw y.Error("grader", "kind judge needs 'model' (a model config, as for qed grade)");
        var graderPrompt = graderNode["prompt"]?.GetValue<string>();
        var grader = new RewardGraderOptions(kind, judgeModel is null ? null : IsPathLike(judgeModel) ? Rel(judgeModel) : judgeModel,
            graderPrompt is null ? null : Rel(graderPrompt),
            (int?)graderNode["concurrency"]?.GetValue<long>() ?? 64);

        var rewardProtocol = "qed";
        if (y.Object("reward") is { } rewardNode)
        {
            foreach (var (k, _) in rewardNode)
                if (k != "protocol") throw y.Error("reward", $"unknown field '{k}'" + (NearMiss.Closest(k, ["protocol"]) is { } n ? $"; did you mean '{n}'?" : "") + " (reward has: protocol)");
            rewardProtocol = rewardNode["protocol"] is JsonValue pv && pv.TryGetValue<string>(out var ps) ? ps
                : throw y.Error("reward", "protocol must be qed or qed-nano");
            if (rewardProtocol is not ("qed" or "qed-nano")) throw y.Error("reward", $"protocol must be qed or qed-nano, got '{rewardProtocol}'");
            if (rewardProtocol == "qed-nano" && kind != "judge") throw y.Error("reward", "protocol qed-nano is the published judge reward: it needs grader kind judge");
        }

        ReasoningCacheOptions? rc = null;
        if (y.Object("rc") is { } rcNode)
        {
            var summarizer = rcNode["summarizer"]?.GetValue<string>() ?? throw y.Error("rc", "needs 'summarizer' (a model reference)");
            rc = new ReasoningCacheOptions
            {
                Summarizer = IsPathLike(summarizer) ? Rel(summarizer) : summarizer,
                ReasoningSteps = (int?)rcNode["reasoning_steps"]?.GetValue<long>() ?? 3,
                StatesPerTrajectory = (int?)rcNode["states_per_trajectory"]?.GetValue<long>() ?? 2,
                ReasoningMaxTokens = (int?)rcNode["reasoning_max_tokens"]?.GetValue<long>(),
                PromptDirectory = rcNode["prompt_dir"]?.GetValue<string>() is { } pd ? Rel(pd) : null,
            };
            if (rc.ReasoningSteps < 1) throw y.Error("rc", "reasoning_steps must be at least 1");
            if (rc.StatesPerTrajectory < 1 || rc.StatesPerTrajectory > rc.ReasoningSteps + 1)
                throw y.Error("rc", $"states_per_trajectory must be between 1 and reasoning_steps + 1 = {rc.ReasoningSteps + 1}");
        }
        if (requireReasoningCache && rc is null) throw new QedException($"{path}: qed train rc needs an 'rc' section (summarizer, reasoning_steps, states_per_trajectory)");

        var saveDtype = y.String("save_dtype") ?? "float32";
        if (saveDtype is not ("float32" or "bfloat16" or "float16")) throw y.Error("save_dtype", $"must be float32, bfloat16 or float16, got '{saveDtype}'");
        var device = y.String("device") ?? "cpu";
        if (device != "cpu" && !device.StartsWith("cuda", StringComparison.Ordinal)) throw y.Error("device", $"must be cpu or cuda[:N], got '{device}'");
        var @out = outOverride ?? y.String("out") ?? throw new QedException($"{path}: no output folder: give --out or field 'out'");
        var seed = (long)(y.Double("seed") ?? 0);

        var options = new GrpoOptions
        {
            Model = modelDir,
            ModelConfig = modelConfig is null ? null : Rel(modelConfig),
            InitSeed = (long)(y.Double("init_seed") ?? seed),
            Tokenizer = tokenizer,
            Template = Choice("template", Qwen3TemplateVariant.Thinking2507, ("thinking-2507", Qwen3TemplateVariant.Thinking2507), ("hybrid", Qwen3TemplateVariant.Hybrid)),
            PromptFormat = Choice("prompt_format", PromptFormat.Chat, ("chat", PromptFormat.Chat), ("raw", PromptFormat.Raw)),
            PolicyPrompt = y.String("policy_prompt") is { } pp ? Rel(pp) : null,
            Problems = problems,
            ToyTask = toy,
            ToyProblems = Int("toy_problems", 64, 1),
            GroupSize = Int("group_size", 16, 1),
            SamplesPerStep = Int("samples_per_step", 1024, 1),
            Temperature = Num("temperature", 0.8, 1e-3),
            MaxNewTokens = Int("max_new_tokens", 49152, 1),
            Engine = engine,
            Remote = remote,
            MaxLag = Int("max_lag", 1, 0),
            Grader = grader,
            ThinkEnd = y.String("think_end") ?? "</think>",
            RequireClosedThinking = y.Bool("require_closed_thinking") ?? true,
            MaxPoints = Num("max_points", 7, 1e-9),
            RewardProtocol = rewardProtocol,
            OnGradeFailure = Choice("on_grade_failure", GradeFailurePolicy.Skip, ("skip", GradeFailurePolicy.Skip), ("zero", GradeFailurePolicy.Zero), ("error", GradeFailurePolicy.Error)),
            NormalizeAdvantageByStd = y.Bool("normalize_advantage_by_std") ?? false,
            ClipEpsilon = Num("clip_epsilon", 4, 0),
            EntropyCoefficient = Num("entropy_coef", 1e-4),
            KlCoefficient = Num("kl_coef", 0, 0),
            MicroBatchSize = Int("micro_batch_size", 16, 1),
            LearningRate = Num("lr", 1e-6, 0),
            WeightDecay = Num("weight_decay", 0.01, 0),
            AdamBeta1 = Num("adam_beta1", 0.9, 0),
            AdamBeta2 = Num("adam_beta2", 0.999, 0),
            AdamEpsilon = Num("adam_eps", 1e-8, 0),
            GradientClip = Num("grad_clip", 0.3, 0),
            Steps = Int("steps", 100, 1),
            Seed = seed,
            SaveEvery = Int("save_every", 10),
            KeepCheckpoints = Int("keep_checkpoints", 2, 1),
            SaveDtype = saveDtype,
            Threads = Int("threads", 0),
            Device = device,
            ActivationCheckpointing = y.Bool("activation_checkpointing") ?? false,
            Out = Path.GetFullPath(@out),
            ReasoningCache = rc,
        };
        if (options.SamplesPerStep % options.GroupSize != 0)
            throw y.Error("samples_per_step", $"must be a multiple of group_size ({options.GroupSize}), got {options.SamplesPerStep}");
        if (options.KlCoefficient > 0 && options.Engine == RolloutEngineKind.Remote && options.Model is null)
            throw y.Error("kl_coef", "the KL reference is the starting model; give 'model'");
        return options;
    }

    private static double? Number(JsonNode? n) => n is JsonValue v
        ? v.TryGetValue<double>(out var d) ? d : v.TryGetValue<long>(out var l) ? l : null
        : null;

    private static bool IsPathLike(string reference) =>
        !reference.StartsWith("local:", StringComparison.Ordinal) &&
        (reference.EndsWith(".yaml", StringComparison.Ordinal) || reference.EndsWith(".yml", StringComparison.Ordinal));

    private static RemoteEngineOptions ReadRemote(YamlConfig y, JsonObject r, Func<string, string> rel)
    {
        var urls = r["base_urls"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => throw y.Error("remote", "needs 'base_urls' (one URL or a list, e.g. http://host:8000/v1)"),
        };
        var model = r["model"]?.GetValue<string>() ?? throw y.Error("remote", "needs 'model' (the name the servers serve)");
        var reload = new WeightReloadOptions();
        if (r["reload"] is JsonObject rl)
        {
            var kind = rl["kind"]?.GetValue<string>() ?? "sglang";
            if (kind is not ("sglang" or "post" or "none")) throw y.Error("remote", $"reload.kind must be sglang, post or none, got '{kind}'");
            reload = new WeightReloadOptions(kind,
                rl["path"]?.GetValue<string>() ?? (kind == "sglang" ? "/update_weights_from_disk" : throw y.Error("remote", "reload.kind post needs reload.path")),
                rl["body"]?.GetValue<string>() ?? "{\"model_path\": \"{{path}}\"}",
                Number(rl["timeout"]) ?? 600);
        }
        return new RemoteEngineOptions
        {
            BaseUrls = urls,
            Model = model,
            ConcurrentRequests = (int?)r["concurrent_requests"]?.GetValue<long>() ?? 64,
            TimeoutSeconds = Number(r["timeout"]) ?? 3600,
            MaxRetries = (int?)r["max_retries"]?.GetValue<long>() ?? 5,
            ApiKeyEnv = r["api_key_env"]?.GetValue<string>(),
            Reload = reload,
            WeightsDirectory = r["weights_dir"]?.GetValue<string>() is { } w ? rel(w) : null,
        };
    }
}
