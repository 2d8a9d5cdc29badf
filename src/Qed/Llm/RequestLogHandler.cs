using System.Text.Json.Nodes;

namespace Qed.Llm;

/// <summary>
/// Optional request log (JSON lines): every HTTP exchange with a model endpoint, as sent on the wire.
/// It sits on the HttpClient rather than the chat pipeline because only there are the headers visible;
/// the Authorization header (and any header whose name mentions a key) is written as "[redacted]", and the value
/// of every configured key is masked wherever else it appears (a server may echo it in its error body).
/// </summary>
public sealed class RequestLogHandler : DelegatingHandler
{
    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SecretRedactor _secrets;
    private const int MaxBody = 1 << 20;

    public RequestLogHandler(string path, HttpMessageHandler inner, SecretRedactor? secrets = null) : base(inner)
    {
        _secrets = secrets ?? new SecretRedactor();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public static bool IsSecretHeader(string name) =>
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
        || name.Contains("key", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = new JsonObject();
        foreach (var h in request.Headers)
            headers[h.Key] = IsSecretHeader(h.Key) ? "[redacted]" : _secrets.Redact(string.Join(", ", h.Value));
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var started = DateTimeOffset.UtcNow;
        var entry = new JsonObject
        {
            ["time"] = started.ToString("O"),
            ["method"] = request.Method.Method,
            ["url"] = _secrets.RedactOrNull(request.RequestUri?.ToString()),
            ["headers"] = headers,
            ["request_body"] = Clip(body),
        };
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            entry["status"] = (int)response.StatusCode;
            // Streams are left untouched (reading them here would defeat streaming); JSON bodies are logged.
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                entry["response_body"] = Clip(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            }
            return response;
        }
        catch (Exception e)
        {
            entry["error"] = e.GetType().Name + ": " + _secrets.Redact(e.Message);
            throw;
        }
        finally
        {
            entry["elapsed_ms"] = (DateTimeOffset.UtcNow - started).TotalMilliseconds;
            await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try { await _writer.WriteLineAsync(entry.ToJsonString()).ConfigureAwait(false); }
            finally { _gate.Release(); }
        }
    }

    private string? Clip(string? s) => s is null ? null : _secrets.Redact(s.Length <= MaxBody ? s : s[..MaxBody] + "…");

    protected override void Dispose(bool disposing)
    {
        if (disposing) _writer.Dispose();
        base.Dispose(disposing);
    }
}
