using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using TokenAccounting.Reporting;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// A spend report over a 1,000,000-record ledger (issue 17 §4). SQLite, day-aligned range: answered from the daily
/// rollups (target ≤ 1 s). JSON-lines: the records stream through one pass, memory bounded by the number of grouping
/// keys (see <see cref="ReportHarness"/> for the peak working set). The baseline is the ledger's own query grouped by
/// every dimension, which the report is built from: the difference is the report's own work.
/// </summary>
/// <remarks>
/// Usage looks like an app's: 30 days, 200 users each in one of 20 tenants with that tenant's API key, 8 models, chat
/// with some embeddings, a quarter of the requests with cached input — about 50,000 rollup keys. The report covers the
/// last 15 days and compares them with the 15 before. The ledgers are written once in the global setup (minutes).
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 2, iterationCount: 10, invocationCount: 1)]
public class ReportBenchmarks
{
    public const int Records = 1_000_000;
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private string _folder = string.Empty;
    private SqliteUsageLedger? _sqlite;
    private SpendReportOptions _options = null!;

    public static SpendReportOptions Options => new(Start.AddDays(15), Start.AddDays(30)) { Top = 10 };

    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "ta-report-bench-" + Guid.NewGuid().ToString("N"));
        ReportHarness.WriteLedgersAsync(_folder, Records).GetAwaiter().GetResult();
        _sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={Path.Combine(_folder, "usage.db")};Pooling=False" });
        _options = Options;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public async Task<int> SqliteQueryAllDimensions()
    {
        var result = await _sqlite!.QueryTotalsAsync(new UsageQuery(_options.From.AddDays(-15), _options.To)
        {
            GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey],
        });
        return result.Rows.Count;
    }

    [Benchmark]
    public async Task<decimal> SqliteReport() => (await SpendReportBuilder.BuildAsync(_sqlite!, _options)).Totals.TotalCost;

    [Benchmark]
    public async Task<decimal> JsonLinesReport() =>
        (await SpendReportBuilder.BuildAsync(new InMemoryUsageQuery(JsonLinesUsageLedger.ReadAsync(Path.Combine(_folder, "usage-ledger")).ToBlockingEnumerable()), _options)).Totals.TotalCost;
}

/// <summary>
/// Writes the benchmark's ledgers, and times one report of each kind with the peak working set, and every query the
/// SQLite report asks (its grouping, range, source, rows and time):
/// <c>dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- report-harness [records] [folder]</c>.
/// Given a folder, the ledgers are written there only when it holds none yet, and kept (so runs can be compared on the
/// same data, and a ledger written by an older version is migrated on open).
/// </summary>
public static class ReportHarness
{
    public static async Task WriteLedgersAsync(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        string[] models = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3", "o4-mini", "claude-sonnet-4-5", "claude-haiku-4-5"];
        using var sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={Path.Combine(folder, "usage.db")};Pooling=False" });
        await using var jsonLines = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-ledger", "usage-{date}.jsonl") });
        const int batchSize = 5000;
        for (var written = 0; written < count; written += batchSize)
        {
            var batch = new List<UsageRecord>(batchSize);
            for (var i = written; i < Math.Min(count, written + batchSize); i++)
            {
                var user = random.Next(200);
                var model = models[random.Next(models.Length)];
                var embeddings = random.Next(20) == 0;
                var input = random.Next(100, 8000);
                var output = embeddings ? 0 : random.Next(10, 1500);
                batch.Add(new UsageRecord
                {
                    Id = "bench-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    Model = embeddings ? "text-embedding-3-small" : model,
                    Provider = embeddings || model.StartsWith("gpt", StringComparison.Ordinal) || model.StartsWith('o') ? "openai" : "anthropic",
                    Operation = embeddings ? UsageOperation.Embeddings : UsageOperation.Chat,
                    Tokens = new TokenCounts(input, output, cachedInput: random.Next(4) == 0 ? input / 2 : 0, reasoning: model.StartsWith('o') ? output / 2 : 0),
                    CompletedAt = ReportBenchmarks.Start.AddSeconds(random.NextDouble() * 30 * 86_400),
                    UserId = "user-" + user.ToString("000", System.Globalization.CultureInfo.InvariantCulture),
                    TenantId = "tenant-" + (user % 20).ToString("00", System.Globalization.CultureInfo.InvariantCulture),
                    ApiKeyId = "key-" + (user % 20).ToString("00", System.Globalization.CultureInfo.InvariantCulture),
                });
            }

            var priced = UsageRepricer.WithCost(batch, PriceCatalog.BuiltIn).ToList();
            var rollups = priced.GroupBy(UsageRollupKey.For)
                .Select(g => new UsageRollup(
                    g.Key,
                    g.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens),
                    g.Count(),
                    g.Where(r => r.Cost is not null).Select(r => r.Cost!).Aggregate((UsageCost?)null, (sum, c) => sum is null ? c : sum + c),
                    g.Count(r => r.Cost is null)))
                .ToList();
            var usageBatch = new UsageBatch("bench-batch-" + written.ToString(System.Globalization.CultureInfo.InvariantCulture), priced, rollups);
            await sqlite.WriteAsync(usageBatch, CancellationToken.None);
            await jsonLines.WriteAsync(usageBatch, CancellationToken.None);
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : ReportBenchmarks.Records;
        var keep = args.Length > 2;
        var folder = keep ? Path.GetFullPath(args[2]) : Path.Combine(Path.GetTempPath(), "ta-report-harness-" + Guid.NewGuid().ToString("N"));
        try
        {
            if (!File.Exists(Path.Combine(folder, "usage.db")))
            {
                var write = Stopwatch.StartNew();
                await WriteLedgersAsync(folder, count);
                Console.WriteLine($"wrote {count:N0} records to SQLite and JSON-lines in {write.Elapsed.TotalSeconds:N1} s");
            }

            using (var sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={Path.Combine(folder, "usage.db")};Pooling=False" }))
            {
                var query = Stopwatch.StartNew();
                var rows = await sqlite.QueryTotalsAsync(new UsageQuery(ReportBenchmarks.Options.From.AddDays(-15), ReportBenchmarks.Options.To)
                {
                    GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey],
                });
                Console.WriteLine($"SQLite query grouped by every dimension alone: {query.Elapsed.TotalMilliseconds:N0} ms, {rows.Rows.Count:N0} rows");
                await Time("SQLite, day-aligned (rollups)", () => SpendReportBuilder.BuildAsync(sqlite, ReportBenchmarks.Options).AsTask());
                await Time("SQLite, day-aligned (rollups), again", () => SpendReportBuilder.BuildAsync(sqlite, ReportBenchmarks.Options).AsTask());
                Console.WriteLine("The queries the SQLite report asks:");
                await Time("SQLite, day-aligned (rollups), timed per query", () => SpendReportBuilder.BuildAsync(new TimedQuery(sqlite), ReportBenchmarks.Options).AsTask());
            }

            var ledger = Path.Combine(folder, "usage-ledger");
            await Time("JSON-lines (one streaming pass)", () => SpendReportBuilder.BuildAsync(new InMemoryUsageQuery(JsonLinesUsageLedger.ReadAsync(ledger).ToBlockingEnumerable()), ReportBenchmarks.Options).AsTask());
            return 0;
        }
        finally
        {
            if (!keep)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task Time(string name, Func<Task<SpendReport>> build)
    {
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.PeakWorkingSet64;
        var stopwatch = Stopwatch.StartNew();
        var report = await build();
        stopwatch.Stop();
        process.Refresh();
        Console.WriteLine($"{name}: {stopwatch.Elapsed.TotalMilliseconds:N0} ms, {report.Totals.RequestCount:N0} requests, source {report.Source}, peak working set {process.PeakWorkingSet64 / 1048576.0:N0} MiB (was {before / 1048576.0:N0} MiB), managed heap {GC.GetTotalMemory(false) / 1048576.0:N0} MiB");
    }

    /// <summary>Prints each query a report asks, with its time (not an <see cref="InMemoryUsageQuery"/>, so the report takes the SQL path).</summary>
    private sealed class TimedQuery(IUsageQuery inner) : IUsageQuery
    {
        public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
        {
            var stopwatch = Stopwatch.StartNew();
            var result = await inner.QueryTotalsAsync(query, cancellationToken);
            Console.WriteLine(
                $"  [{string.Join(", ", query.GroupBy)}] {query.From:yyyy-MM-dd}..{query.To:yyyy-MM-dd}: {result.Source}, {result.Rows.Count:N0} rows, {stopwatch.Elapsed.TotalMilliseconds:N0} ms");
            return result;
        }
    }
}
