using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Qed.Inference.Serving;

/// <summary>A client sent a field the server cannot use; answered with HTTP 400 and an OpenAI-style error object
/// whose <c>param</c> names the field (e.g. <c>max_tokens</c>, <c>messages[0].content[1].text</c>).</summary>
internal sealed class InvalidRequestException(string param, string message) : Exception(message)
{
    public string Param { get; } = param;
}

/// <summary>
/// One <c>POST /v1/chat/completions</c> body, checked field by field before anything reaches the engine: every field we
/// read must have the JSON type and range the OpenAI API gives it, or the request is refused naming the field. Nothing
/// here throws anything but <see cref="InvalidRequestException"/>, so no client input becomes a 500.
/// </summary>
internal sealed record ChatCompletionsRequest(List<ChatMessage> Messages, ChatOptions Options, bool Stream)
{
    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static ChatCompletionsRequest Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new InvalidRequestException("", "the request body must be a JSON object");
        var messages = ReadMessages(body);

        var options = new ChatOptions
        {
            MaxOutputTokens = PositiveInt(body, "max_completion_tokens") ?? PositiveInt(body, "max_tokens"),
            Temperature = Real(body, "temperature", 0, 100, "from 0 to 100"),
            TopP = Real(body, "top_p", double.Epsilon, 1, "greater than 0 and at most 1"),
        };
        var topK = Integer(body, "top_k", -1, int.MaxValue, "-1 (no limit) or a whole number of 0 or more");
        options.TopK = topK is > 0 ? (int)topK : null; // vLLM treats -1 (and 0) as "no top-k"
        options.Seed = Integer(body, "seed", long.MinValue, long.MaxValue, "a whole number that fits in 64 bits");
        options.StopSequences = Stop(body);
        Real(body, "presence_penalty", -2, 2, "from -2 to 2");
        Real(body, "frequency_penalty", -2, 2, "from -2 to 2");
        if (Integer(body, "n", 1, int.MaxValue, "a whole number of 1 or more") is > 1)
            throw new InvalidRequestException("n", "'n': this server returns one choice per request (n = 1)");
        if (Get(body, "chat_template_kwargs") is { } kw)
        {
            if (kw.ValueKind != JsonValueKind.Object) throw new InvalidRequestException("chat_template_kwargs", "'chat_template_kwargs' must be an object");
            if (Get(kw, "enable_thinking") is { } et)
            {
                if (et.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    throw new InvalidRequestException("chat_template_kwargs.enable_thinking", "'chat_template_kwargs.enable_thinking' must be true or false");
                (options.AdditionalProperties ??= new())["enable_thinking"] = et.GetBoolean();
            }
        }
        var stream = Get(body, "stream") switch
        {
            null => false,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw new InvalidRequestException("stream", "'stream' must be true or false"),
        };
        return new ChatCompletionsRequest(messages, options, stream);
    }

    private static List<ChatMessage> ReadMessages(JsonElement body)
    {
        if (Get(body, "messages") is not { ValueKind: JsonValueKind.Array } msgs || msgs.GetArrayLength() == 0)
            throw new InvalidRequestException("messages", "'messages' must be a non-empty array");
        var messages = new List<ChatMessage>();
        var index = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            var at = $"messages[{index}]";
            if (m.ValueKind != JsonValueKind.Object) throw new InvalidRequestException(at, $"'{at}' must be an object with a role and content");
            var role = Get(m, "role") is { ValueKind: JsonValueKind.String } r ? r.GetString()! : throw new InvalidRequestException($"{at}.role", $"'{at}.role' is missing or not a string");
            if (!Roles.Contains(role))
                throw new InvalidRequestException($"{at}.role", $"'{at}.role': '{role}' is not one of {string.Join(", ", Roles)}");
            var contents = new List<AIContent>();
            switch (Get(m, "reasoning_content"))
            {
                case null: break;
                case { ValueKind: JsonValueKind.String } rc: contents.Add(new TextReasoningContent(rc.GetString()!)); break;
                default: throw new InvalidRequestException($"{at}.reasoning_content", $"'{at}.reasoning_content' must be a string");
            }
            switch (Get(m, "content"))
            {
                case null: break;
                case { ValueKind: JsonValueKind.String } c: contents.Add(new TextContent(c.GetString()!)); break;
                case { ValueKind: JsonValueKind.Array } parts:
                    var p = 0;
                    foreach (var part in parts.EnumerateArray())
                    {
                        var partAt = $"{at}.content[{p++}]";
                        if (part.ValueKind != JsonValueKind.Object) throw new InvalidRequestException(partAt, $"'{partAt}' must be an object {{\"type\": \"text\", \"text\": ...}}");
                        var type = Get(part, "type");
                        if (type is { ValueKind: not JsonValueKind.String }) throw new InvalidRequestException($"{partAt}.type", $"'{partAt}.type' must be a string");
                        if (type is { } t && t.GetString() != "text")
                            throw new InvalidRequestException($"{partAt}.type", $"'{partAt}.type': part type '{t.GetString()}' is not supported (text only)");
                        if (Get(part, "text") is not { ValueKind: JsonValueKind.String } text)
                            throw new InvalidRequestException($"{partAt}.text", $"'{partAt}.text' is missing or not a string");
                        contents.Add(new TextContent(text.GetString()!));
                    }
                    break;
                default: throw new InvalidRequestException($"{at}.content", $"'{at}.content' must be a string or an array of text parts");
            }
            messages.Add(new ChatMessage(new ChatRole(role), contents));
            index++;
        }
        return messages;
    }

    private static IList<string>? Stop(JsonElement body)
    {
        switch (Get(body, "stop"))
        {
            case null: return null;
            case { ValueKind: JsonValueKind.String } s: return [s.GetString()!];
            case { ValueKind: JsonValueKind.Array } a:
                var list = new List<string>();
                var i = 0;
                foreach (var item in a.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String) throw new InvalidRequestException($"stop[{i}]", $"'stop[{i}]' must be a string");
                    list.Add(item.GetString()!);
                    i++;
                }
                return list;
            default: throw new InvalidRequestException("stop", "'stop' must be a string or an array of strings");
        }
    }

    /// <summary>The field, or null when it is absent or JSON null (both mean "use the default").</summary>
    private static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static int? PositiveInt(JsonElement body, string name) =>
        (int?)Integer(body, name, 1, int.MaxValue, $"a whole number from 1 to {int.MaxValue}");

    private static long? Integer(JsonElement body, string name, long min, long max, string range)
    {
        if (Get(body, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var n) || n < min || n > max)
            throw new InvalidRequestException(name, $"'{name}' must be {range} (got {Shown(v)})");
        return n;
    }

    private static float? Real(JsonElement body, string name, double min, double max, string range)
    {
        if (Get(body, name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var x) || !double.IsFinite(x) || x < min || x > max)
            throw new InvalidRequestException(name, $"'{name}' must be a number {range} (got {Shown(v)})");
        return (float)x;
    }

    private static string Shown(JsonElement v)
    {
        var raw = v.GetRawText();
        return raw.Length <= 40 ? raw : raw[..40] + "…";
    }
}
