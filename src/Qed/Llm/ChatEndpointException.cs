namespace Qed.Llm;

/// <summary>The typed signal a failed request carries; retry decisions look only at this.</summary>
public enum EndpointFailure
{
    /// <summary>HTTP 429.</summary>
    RateLimited,
    /// <summary>HTTP 5xx.</summary>
    ServerError,
    /// <summary>No reply within the configured timeout.</summary>
    Timeout,
    /// <summary>No connection could be made: refused, name not resolved, connect timed out, TLS failed.</summary>
    ConnectionFailed,
    /// <summary>A connection was made but dropped before the reply was complete.</summary>
    ConnectionReset,
    /// <summary>The endpoint reported (by error code or param) that prompt plus max_tokens exceed the context.</summary>
    ContextOverflow,
    /// <summary>A 2xx reply whose body is not the JSON we expect (garbage, cut-off JSON, no choices).</summary>
    InvalidResponse,
    /// <summary>401/403: the key is wrong.</summary>
    Unauthorized,
    /// <summary>Other 4xx: the request itself is wrong; retrying will not help.</summary>
    BadRequest,
    /// <summary>HTTP 404: no such route or model here (a <c>base_url</c> without <c>/v1</c>, a wrong model name); a
    /// configuration error that every further request would repeat.</summary>
    NotFound,
    /// <summary>The server ended the reply without finishing it (<c>finish_reason</c> <c>abort</c> or <c>error</c>, or a
    /// stream's <c>[DONE]</c> with no finish reason): the partial text is not an answer.</summary>
    Aborted,
}

/// <summary>A request to a model endpoint failed; <see cref="Failure"/> says how, <see cref="Endpoint"/> where.</summary>
public sealed class ChatEndpointException : Exception
{
    public EndpointFailure Failure { get; }
    public string Endpoint { get; }
    public int? StatusCode { get; }
    public TimeSpan? RetryAfter { get; }
    /// <summary>The message without the endpoint prefix.</summary>
    public string Detail { get; }

    public ChatEndpointException(EndpointFailure failure, string endpoint, string message, int? statusCode = null,
        TimeSpan? retryAfter = null, Exception? inner = null)
        : base($"{endpoint}: {message}", inner)
    {
        Detail = message;
        Failure = failure;
        Endpoint = endpoint;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    public bool IsTransient => Failure is EndpointFailure.RateLimited or EndpointFailure.ServerError
        or EndpointFailure.Timeout or EndpointFailure.ConnectionFailed or EndpointFailure.ConnectionReset
        or EndpointFailure.InvalidResponse or EndpointFailure.Aborted;

    /// <summary>The same failure with every configured secret masked; the inner exception's text is not kept.</summary>
    public ChatEndpointException Redacted(SecretRedactor redactor)
    {
        var endpoint = redactor.Redact(Endpoint);
        var detail = redactor.Redact(Detail);
        return endpoint == Endpoint && detail == Detail ? this
            : new ChatEndpointException(Failure, endpoint, detail, StatusCode, RetryAfter);
    }
}
