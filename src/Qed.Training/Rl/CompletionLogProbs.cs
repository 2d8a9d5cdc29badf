using System.Globalization;
using System.Text.Json.Nodes;

namespace Qed.Training.Rl;

/// <summary>One choice of a vLLM/SGLang reply read as token ids and their log-probs, or why it could not be.</summary>
/// <param name="Error">null when parsed; else what was missing or malformed (never a silent empty completion)</param>
public sealed record ParsedCompletion(IReadOnlyList<int> TokenIds, IReadOnlyList<float> LogProbs, string? FinishReason, string? Error)
{
    public bool Ok => Error is null;
    public static ParsedCompletion Unparsable(string error) => new([], [], null, error);
}

/// <summary>
/// Reads token ids and log-probs out of OpenAI-compatible replies from servers started with
/// <c>--return-tokens-as-token-ids</c> (vLLM; tokens spelled <c>token_id:N</c>). Both shapes are understood:
/// completions (<c>choices[i].logprobs.tokens</c> + <c>token_logprobs</c>) and chat completions
/// (<c>choices[i].logprobs.content[j].token</c> + <c>logprob</c>). Pure functions.
/// </summary>
public static class CompletionLogProbs
{
    public const string TokenIdPrefix = "token_id:";

    /// <summary>The id in a <c>token_id:N</c> token string, or null.</summary>
    public static int? TokenId(string? token) =>
        token is not null && token.StartsWith(TokenIdPrefix, StringComparison.Ordinal)
        && int.TryParse(token.AsSpan(TokenIdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
            ? id : null;

    /// <summary>Every choice of a reply body, in <c>index</c> order.</summary>
    public static IReadOnlyList<ParsedCompletion> ParseReply(JsonNode? body)
    {
        if (body?["choices"] is not JsonArray choices) return [ParsedCompletion.Unparsable("the reply has no 'choices' array")];
        return choices.OrderBy(c => c?["index"] is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0).Select(ParseChoice).ToList();
    }

    public static ParsedCompletion ParseChoice(JsonNode? choice)
    {
        var finish = choice?["finish_reason"] is JsonValue f && f.TryGetValue<string>(out var s) ? s : null;
        if (choice?["logprobs"] is not JsonObject logprobs)
            return ParsedCompletion.Unparsable("the choice has no 'logprobs' (request logprobs and start the server so it returns them)");
        var ids = new List<int>();
        var values = new List<float>();
        if (logprobs["content"] is JsonArray content)
        {
            for (int i = 0; i < content.Count; i++)
            {
                var token = content[i]?["token"] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
                if (TokenId(token) is not { } id) return ParsedCompletion.Unparsable($"logprobs.content[{i}].token is '{token}', not token_id:N (start vLLM with --return-tokens-as-token-ids)");
                if (Number(content[i]?["logprob"]) is not { } lp) return ParsedCompletion.Unparsable($"logprobs.content[{i}].logprob is missing or not a number");
                ids.Add(id); values.Add(lp);
            }
        }
        else if (logprobs["tokens"] is JsonArray tokens && logprobs["token_logprobs"] is JsonArray tokenLogProbs)
        {
            if (tokens.Count != tokenLogProbs.Count) return ParsedCompletion.Unparsable($"logprobs has {tokens.Count} tokens but {tokenLogProbs.Count} token_logprobs");
            for (int i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i] is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : null;
                if (TokenId(token) is not { } id) return ParsedCompletion.Unparsable($"logprobs.tokens[{i}] is '{token}', not token_id:N (start vLLM with --return-tokens-as-token-ids)");
                if (Number(tokenLogProbs[i]) is not { } lp) return ParsedCompletion.Unparsable($"logprobs.token_logprobs[{i}] is missing or not a number");
                ids.Add(id); values.Add(lp);
            }
        }
        else return ParsedCompletion.Unparsable("logprobs has neither 'content' (chat) nor 'tokens' + 'token_logprobs' (completions)");
        return new ParsedCompletion(ids, values, finish, null);
    }

    private static float? Number(JsonNode? n)
    {
        if (n is not JsonValue v) return null;
        if (v.TryGetValue<double>(out var d)) return (float)d;
        if (v.TryGetValue<float>(out var f)) return f;
        if (v.TryGetValue<long>(out var l)) return l;
        return null;
    }
}
