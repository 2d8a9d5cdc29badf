using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>A seeded run store served by the viewer on a loopback port, and (where chromium exists) one browser.</summary>
public sealed class ViewerFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "qed-viewer-tests-" + Guid.NewGuid().ToString("N"));
    private ViewerApp? _app;

    public string DbPath => Path.Combine(_dir, "qed.db");
    public ViewerApp App => _app ?? throw new InvalidOperationException("not started");
    public Uri Address => App.Address;
    public Browser? Browser { get; private set; }
    public const int PageSize = 50;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await SeededStore.WriteAsync(DbPath, [.. SeedData.Runs(), SeedData.Large("run-large", problems: 120, perProblem: 2)]);
        _app = ViewerApp.Create(new RunStoreResults(DbPath), new ViewerOptions("127.0.0.1", 0, PageSize));
        await _app.StartAsync(CancellationToken.None);
        if (Browser.MissingReason is null) Browser = await Viewer.Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class ViewerCollection : ICollectionFixture<ViewerFixture>
{
    public const string Name = "viewer";
}
