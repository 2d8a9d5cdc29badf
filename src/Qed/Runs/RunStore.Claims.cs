using System.Globalization;
using System.Text.Json;
using Qed.Benchmarks;

namespace Qed.Runs;

/// <summary>Who holds a piece of work and until when (unix milliseconds, renewed while the holder works).</summary>
public sealed record ClaimRecord(string Key, string Holder, DateTimeOffset ExpiresAt);

// Claims: the rows that let several processes share one store without requesting anything twice (see WorkClaims).
public sealed partial class RunStore
{
    private const string ClaimsSchema = """

        CREATE TABLE IF NOT EXISTS claims(
          work_key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL, claimed_at TEXT NOT NULL);
        """;

    private readonly object _claimsGate = new();
    private WorkClaims? _claims;

    /// <summary>This store's claim holder (one per open store, so one per process in normal use), made on first use.</summary>
    public WorkClaims Claims
    {
        get
        {
            lock (_claimsGate) return _claims ??= new WorkClaims(this);
        }
    }

    private async Task DisposeClaimsAsync()
    {
        WorkClaims? claims;
        lock (_claimsGate) (claims, _claims) = (_claims, null);
        if (claims is not null) await claims.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the claim on <paramref name="key"/> when nobody holds it, its lease has expired, or
    /// <paramref name="holder"/> already holds it; one statement, so two processes can never both succeed.
    /// </summary>
    public async Task<bool> TryClaimAsync(string key, string holder, TimeSpan lease, CancellationToken ct = default)
    {
        var now = DateTimeOffset.UtcNow;
        return await WriteRowsAsync(ct, new Statement("""
            INSERT INTO claims(work_key, holder, expires_at, claimed_at) VALUES($k,$h,$exp,$at)
            ON CONFLICT(work_key) DO UPDATE SET holder=excluded.holder, expires_at=excluded.expires_at, claimed_at=excluded.claimed_at
            WHERE claims.holder=excluded.holder OR claims.expires_at < $now
            """, [("$k", key), ("$h", holder), ("$exp", (now + lease).ToUnixTimeMilliseconds()), ("$at", Time(now)),
            ("$now", now.ToUnixTimeMilliseconds())])).ConfigureAwait(false) == 1;
    }

    /// <summary>Takes over a claim from a holder known to be gone, only if that holder still has it.</summary>
    public async Task<bool> TakeOverClaimAsync(string key, string deadHolder, string holder, TimeSpan lease, CancellationToken ct = default)
    {
        var now = DateTimeOffset.UtcNow;
        return await WriteRowsAsync(ct, new Statement(
            "UPDATE claims SET holder=$h, expires_at=$exp, claimed_at=$at WHERE work_key=$k AND holder=$dead",
            [("$k", key), ("$h", holder), ("$exp", (now + lease).ToUnixTimeMilliseconds()), ("$at", Time(now)), ("$dead", deadHolder)]))
            .ConfigureAwait(false) == 1;
    }

    /// <summary>Extends every claim of <paramref name="holder"/>; returns how many it holds.</summary>
    public Task<int> RenewClaimsAsync(string holder, TimeSpan lease, CancellationToken ct = default) => WriteRowsAsync(ct, new Statement(
        "UPDATE claims SET expires_at=$exp WHERE holder=$h",
        [("$h", holder), ("$exp", (DateTimeOffset.UtcNow + lease).ToUnixTimeMilliseconds())]));

    public Task ReleaseClaimAsync(string key, string holder, CancellationToken ct = default) => WriteRowsAsync(ct, new Statement(
        "DELETE FROM claims WHERE work_key=$k AND holder=$h", [("$k", key), ("$h", holder)]));

    public Task ReleaseClaimsAsync(string holder, CancellationToken ct = default) => WriteRowsAsync(ct, new Statement(
        "DELETE FROM claims WHERE holder=$h", [("$h", holder)]));

    public async Task<ClaimRecord?> FindClaimAsync(string key, CancellationToken ct = default) =>
        (await ReadAsync("SELECT work_key, holder, expires_at FROM claims WHERE work_key=$k",
            r => new ClaimRecord(r.GetString(0), r.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(2))), ct, ("$k", key))
            .ConfigureAwait(false)).FirstOrDefault();

    /// <summary>The grade one judge gave one sample, if any.</summary>
    public async Task<GradeRecord?> FindGradeAsync(string sampleId, string judgeId, CancellationToken ct = default) =>
        (await ReadAsync(GradeSelect + " WHERE sample_id=$s AND judge_id=$j", ReadGrade, ct, ("$s", sampleId), ("$j", judgeId))
            .ConfigureAwait(false)).FirstOrDefault();

    // ---- batches of samples (streamed inputs) ----------------------------------------------------------

    /// <summary>Creates each sample as pending unless it exists, all in one transaction.</summary>
    public Task AddSamplesAsync(IReadOnlyList<(string SampleId, string RunId, Problem Problem, int RunIndex)> samples, CancellationToken ct = default)
    {
        if (samples.Count == 0) return Task.CompletedTask;
        var at = Time(DateTimeOffset.UtcNow);
        return WriteAsync(ct, samples.Select(s => new Statement("""
            INSERT OR IGNORE INTO samples(sample_id, run_id, problem_id, run_index, problem, status, updated_at)
            VALUES($id,$run,$pid,$idx,$problem,'pending',$at)
            """, [("$id", s.SampleId), ("$run", s.RunId), ("$pid", s.Problem.Id), ("$idx", s.RunIndex),
            ("$problem", JsonSerializer.Serialize(s.Problem, Json)), ("$at", at)])).ToArray());
    }

    /// <summary>The status of each of these samples that exists.</summary>
    public async Task<IReadOnlyDictionary<string, SampleStatus>> SampleStatusesAsync(IReadOnlyCollection<string> sampleIds, CancellationToken ct = default)
    {
        if (sampleIds.Count == 0) return new Dictionary<string, SampleStatus>();
        var rows = await ReadAsync("SELECT sample_id, status FROM samples WHERE sample_id IN (SELECT value FROM json_each($ids))",
            r => (r.GetString(0), SampleStatusText.Parse(r.GetString(1))), ct, ("$ids", JsonSerializer.Serialize(sampleIds))).ConfigureAwait(false);
        return rows.ToDictionary(r => r.Item1, r => r.Item2);
    }

    /// <summary>Puts a sample back to pending on purpose (e.g. to measure a replay), keeping its steps.</summary>
    public Task ReopenSampleAsync(string sampleId, CancellationToken ct = default) => WriteAsync(
        "UPDATE samples SET status='pending', answer=NULL, reasoning=NULL, error=NULL, input_tokens=0, output_tokens=0, cost_usd=0, " +
        "calls=0, seconds=0, updated_at=$at WHERE sample_id=$id",
        ct, ("$id", sampleId), ("$at", Time(DateTimeOffset.UtcNow)));
}
