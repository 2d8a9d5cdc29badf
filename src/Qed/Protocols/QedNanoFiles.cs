namespace Qed.Protocols;

/// <summary>
/// The original harness's own prompt and agent files, at the commit that produced the published numbers. They are
/// fetched on first use and never shipped here; every copy is checked against the sha256 pinned below.
/// </summary>
public static class QedNanoFiles
{
    public const string Repository = "CMU-AIRe/QED-Nano";
    public const string Commit = "4d4051c03d6f7318212976ea1567516fbc2fe3f8";

    public const string ProofRun = "prompts/proofbench_run.txt";
    public const string AnswerRun = "prompts/answerbench_run.txt";
    public const string ProofJudge = "prompts/proofbench.txt";
    public const string MarkingSchemeJudge = "prompts/proofbench_proofbench.txt";
    public const string AnswerJudge = "prompts/answerbench.txt";
    public const string Filtering = "prompts/filtering.txt";
    public const string SchemaGeneration = "prompts/schema_generation.txt";

    /// <summary>Path under <c>eval/configs/</c> → sha256 of the file at <see cref="Commit"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Sha256 = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [ProofRun] = "01f6319829c11a11a554fbc5a7a2d81e5d79b17711c3eb21e698a7e28ca94355",
        [AnswerRun] = "9be7ab551a3a9659b35896beba3d44e5d3ddbfdee2450634a4bf2c1257f28d55",
        [ProofJudge] = "1f05fe22b17b20bf670daf6faad21e7904827e86002b54fe420513bf2b065cbd",
        [MarkingSchemeJudge] = "773236ab6cf1bfccfb821657b6fd75801816fc75e85cd6f9d764656328e958af",
        [AnswerJudge] = "77852b856741cd08de5e0de49f97aacfacd3e2453a561e71d610bfae0c8703a2",
        [Filtering] = "5048118218d20ce53d45504dcc863c9c5f08adaf8beddb7c82afaf8335f828c3",
        [SchemaGeneration] = "4db6741e96615824f2602473c02b462bcba511f0af7c036bc367e284de2f5d64",
        ["agents/deepseek_math.yaml"] = "f9efe0928b7e5a88ed704f3c6116ca6790e5a459841ba65d87a210a9d28fe846",
        ["agents/reasoning_cache.yaml"] = "93a7e1044617780ee18ef6dd6a46d441a40f0c5422d19c899a3b16e4a32acd9d",
        ["agents/nomos.yaml"] = "79dd20937ec6e09ecb7f37cbde622b1af67b0299b6b1bd122487f178e6f4ec16",
        ["agents/rsa_agent.yaml"] = "a8e01e56047cc55471caa62acf0b8307601979c664a55cbc560d51e9924ab566",
        ["agents/selfcheck.yaml"] = "efe14f6118701e13af2530eca208a1eeddfa90daceaa9b8233451a4aad610efa",
        ["agents/math_static_agent.yaml"] = "d655ca976225f612acb7e6420923d52ba440ea220fd46dd1683b0736846e5d69",
    };

    /// <summary>Our scaffold names → the original's agent config, so <c>--scaffold deepseek-math</c> under <c>qed-nano</c> is its <c>agents/deepseek_math.yaml</c>.</summary>
    public static readonly IReadOnlyDictionary<string, string> AgentForScaffold = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["reasoning-cache"] = "agents/reasoning_cache.yaml",
        ["deepseek-math"] = "agents/deepseek_math.yaml",
        ["nomos"] = "agents/nomos.yaml",
        ["rsa"] = "agents/rsa_agent.yaml",
        ["self-check"] = "agents/selfcheck.yaml",
        ["static-dag"] = "agents/math_static_agent.yaml",
    };

    public static string Url(string rawBase, string path) =>
        $"{GitHubRaw.Base(rawBase)}/{Repository}/{Commit}/eval/configs/{path}";
}
