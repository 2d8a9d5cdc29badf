using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>
/// Masks the values of the configured API keys in text before it is stored, logged or printed. Servers echo
/// keys back in error bodies ("invalid key sk-…"), and those bodies end up in <c>samples.error</c>, on stderr,
/// in the request log and in the viewer. One instance per <see cref="ChatClientFactory"/>: every key a model
/// config resolves is added when its pipeline is built.
/// </summary>
public sealed class SecretRedactor
{
    public const string Mask = "[redacted]";
    /// <summary>Shorter values ("", "x", "no") are placeholders local servers accept, not secrets; masking them
    /// would mangle ordinary words in messages.</summary>
    public const int MinSecretLength = 4;

    private readonly object _gate = new();
    private string[] _forms = [];

    public bool IsEmpty => Volatile.Read(ref _forms).Length == 0;

    /// <summary>Adds a secret: its raw value and the forms it takes inside JSON strings and URLs.</summary>
    public void Add(string? secret)
    {
        if (secret is null || secret.Length < MinSecretLength) return;
        string[] forms =
        [
            secret,
            JsonEncodedText.Encode(secret).ToString(),
            JsonEncodedText.Encode(secret, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(),
            Uri.EscapeDataString(secret),
        ];
        lock (_gate)
            // Longest first, so a key that contains another key is masked whole.
            _forms = _forms.Concat(forms).Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length).ToArray();
    }

    public string Redact(string text)
    {
        foreach (var form in Volatile.Read(ref _forms))
            if (text.Contains(form, StringComparison.Ordinal)) text = text.Replace(form, Mask, StringComparison.Ordinal);
        return text;
    }

    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);
}

/// <summary>
/// The outermost layer of a model's pipeline: every <see cref="ChatEndpointException"/> that leaves it has the
/// configured secrets masked, so no caller (run store, stderr, grades) ever holds a key in an error text.
/// </summary>
public sealed class RedactingChatClient(IChatClient inner, SecretRedactor redactor) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (ChatEndpointException e) when (!redactor.IsEmpty)
        {
            var redacted = e.Redacted(redactor);
            if (ReferenceEquals(redacted, e)) throw;
            throw redacted;
        }
    }
}

public static class SecretRedactionExtensions
{
    public static ChatClientBuilder UseSecretRedaction(this ChatClientBuilder builder, SecretRedactor redactor) =>
        builder.Use(inner => new RedactingChatClient(inner, redactor));
}
