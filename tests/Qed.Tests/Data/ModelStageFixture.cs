using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Data;

/// <summary>A loopback OpenAI-compatible server and the real client pipeline pointed at it.</summary>
public sealed class LoopbackModel : IAsyncDisposable
{
    public LoopbackChatServer Server { get; }
    private readonly ChatClientFactory _factory;

    private LoopbackModel(LoopbackChatServer server)
    {
        Server = server;
        _factory = new ChatClientFactory(new ChatClientFactoryOptions
        {
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            Environment = _ => null,
        });
    }

    public static async Task<LoopbackModel> StartAsync(Func<RecordedRequest, ScriptedReply>? responder = null) =>
        new(await LoopbackChatServer.StartAsync(responder));

    public ModelClient Client(int concurrentRequests = 16, int maxRetries = 3) => _factory.Create(ModelConfigLoader.Parse("teacher.yaml",
        $"model: teacher\nbase_url: {Server.BaseUrl}\ndelimiters:\n- </think>\nconcurrent_requests: {concurrentRequests}\nmax_retries: {maxRetries}\n"));

    public async ValueTask DisposeAsync()
    {
        _factory.Dispose();
        await Server.DisposeAsync();
    }
}
