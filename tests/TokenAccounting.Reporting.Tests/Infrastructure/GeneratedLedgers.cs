using TokenAccounting.Sqlite;

namespace TokenAccounting.Reporting.Tests.Infrastructure;

/// <summary>One generated usage set written once per test class to a JSON-lines folder and a SQLite file.</summary>
public sealed class GeneratedLedgers : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();

    internal GeneratedUsage Usage { get; } = new(count: 3000, days: 20);

    public string JsonLinesFolder => _folder.File("usage-ledger");

    public string SqlitePath => _folder.File("usage.db");

    internal IUsageQuery Open(string kind) => kind switch
    {
        "memory" => new InMemoryUsageQuery(Usage.Records),
        "jsonlines" => new InMemoryUsageQuery(JsonLinesUsageLedger.ReadAsync(JsonLinesFolder).ToBlockingEnumerable()),
        "jsonlines-query" => new JsonLinesUsageQuery(JsonLinesFolder),
        "sqlite" => new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={SqlitePath};Pooling=False" }),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "memory, jsonlines, jsonlines-query or sqlite"),
    };

    public async Task InitializeAsync()
    {
        await Usage.WriteJsonLinesAsync(JsonLinesFolder);
        await Usage.WriteSqliteAsync(SqlitePath);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();
}
