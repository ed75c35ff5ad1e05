using TokenAccounting.PostgreSql;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Reporting.Tests.Infrastructure;

/// <summary>
/// Deterministic usage spread over days, models (one without a price), providers, users, tenants, API keys and
/// operations, priced by the built-in catalog; written to each kind of ledger, with the expected figures computed
/// straight from the records (not through any query).
/// </summary>
internal sealed class GeneratedUsage
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly (string Model, string Provider)[] Models =
    [
        ("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic"), ("in-house-llm", "local"),
    ];

    public GeneratedUsage(int count, int days, int seed = 17)
    {
        var random = new Random(seed);
        var records = new List<UsageRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var (model, provider) = Models[random.Next(Models.Length)];
            var input = random.Next(10, 5000);
            var cached = random.Next(4) == 0 ? random.Next(0, input / 2) : 0;
            var output = random.Next(1, 2000);
            var reasoning = random.Next(3) == 0 ? random.Next(0, output) : 0;
            var embeddings = random.Next(10) == 0;
            records.Add(new UsageRecord
            {
                Id = $"gen-{seed}-{i}",
                Model = embeddings ? "text-embedding-3-small" : model,
                Provider = embeddings ? "openai" : provider,
                Operation = embeddings ? UsageOperation.Embeddings : UsageOperation.Chat,
                Tokens = embeddings ? new TokenCounts(input, 0) : new TokenCounts(input, output, cachedInput: cached, reasoning: reasoning),
                CompletedAt = Start.AddDays(random.Next(days)).AddSeconds(random.Next(86_400)),
                UserId = random.Next(8) == 0 ? null : $"user-{random.Next(12):00}",
                TenantId = $"tenant-{(char)('a' + random.Next(5))}",
                ApiKeyId = random.Next(3) == 0 ? null : $"key-{random.Next(4)}",
            });
        }

        Records = [.. UsageRepricer.WithCost(records, PriceCatalog.BuiltIn)];
        Days = days;
    }

    public IReadOnlyList<UsageRecord> Records { get; }

    public int Days { get; }

    public DateTimeOffset End => Start.AddDays(Days);

    public IEnumerable<UsageRecord> In(DateTimeOffset from, DateTimeOffset to) =>
        Records.Where(r => r.CompletedAt >= from && r.CompletedAt < to);

    public static decimal Cost(IEnumerable<UsageRecord> records) => records.Sum(r => r.Cost?.Total ?? 0m);

    public static TokenCounts Tokens(IEnumerable<UsageRecord> records) => records.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens);

    /// <summary>Cached tokens valued at the uncached minus the cached rate, at the price of each record's UTC day.</summary>
    public static decimal CacheSavings(IEnumerable<UsageRecord> records, IPriceCatalog catalog) =>
        records.Where(r => r.Tokens.CachedInput > 0).Sum(r =>
        {
            var day = new DateTimeOffset(r.CompletedAt!.Value.UtcDateTime.Date, TimeSpan.Zero);
            return catalog.FindPrice(r.Provider, r.Model, day) is { } price
                ? r.Tokens.CachedInput * (price.Input - (price.CachedInput ?? price.Input)) / 1_000_000m
                : 0m;
        });

    public IEnumerable<UsageBatch> Batches(int size = 500)
    {
        for (var i = 0; i < Records.Count; i += size)
        {
            var chunk = Records.Skip(i).Take(size).ToArray();
            yield return LedgerUsage.Batch($"batch-{i}", chunk);
        }
    }

    public async Task WriteJsonLinesAsync(string folder)
    {
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });
        foreach (var batch in Batches())
        {
            await sink.WriteAsync(batch, CancellationToken.None);
        }
    }

    /// <summary>
    /// Writes the batches as the pipeline does when it drops details under overload: every batch's rollups are
    /// complete, but its detail lines lack the records <paramref name="dropped"/> picks.
    /// </summary>
    public async Task WriteJsonLinesDroppingDetailsAsync(string folder, Func<UsageRecord, int, bool> dropped)
    {
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });
        var index = 0;
        foreach (var batch in Batches())
        {
            var kept = batch.Records.Where(r => !dropped(r, index++)).ToArray();
            await sink.WriteAsync(new UsageBatch(batch.BatchId, kept, batch.Rollups), CancellationToken.None);
        }
    }

    public async Task WriteSqliteAsync(string path)
    {
        using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={path};Pooling=False" });
        foreach (var batch in Batches())
        {
            await ledger.WriteAsync(batch, CancellationToken.None);
        }
    }

    public async Task WritePostgreSqlAsync(string connectionString)
    {
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        foreach (var batch in Batches())
        {
            await ledger.WriteAsync(batch, CancellationToken.None);
        }
    }
}
