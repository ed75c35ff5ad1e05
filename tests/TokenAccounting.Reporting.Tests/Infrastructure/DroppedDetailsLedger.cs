namespace TokenAccounting.Reporting.Tests.Infrastructure;

/// <summary>
/// A JSON-lines ledger written as after an overload: the rollup lines hold every record exactly, the detail lines
/// lack every third one (the pipeline drops details, never rollups).
/// </summary>
public sealed class DroppedDetailsLedger : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();

    internal GeneratedUsage Usage { get; } = new(count: 3000, days: 20, seed: 23);

    public string Folder => _folder.File("usage-ledger");

    /// <summary>Gets the ids of the records whose detail lines were dropped.</summary>
    public HashSet<string> Dropped { get; } = new(StringComparer.Ordinal);

    internal IEnumerable<UsageRecord> Kept => Usage.Records.Where(r => !Dropped.Contains(r.Id!));

    public async Task InitializeAsync()
    {
        await Usage.WriteJsonLinesDroppingDetailsAsync(Folder, (record, index) =>
        {
            var drop = index % 3 == 1;
            if (drop)
            {
                Dropped.Add(record.Id!);
            }

            return drop;
        });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();
}
