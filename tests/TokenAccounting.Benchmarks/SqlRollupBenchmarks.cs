using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using TokenAccounting.PostgreSql;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Rollup-upsert batches on PostgreSQL: each batch carries <see cref="RollupsPerBatch"/> rollup deltas and no details,
/// and is applied with its batch id in its own durable transaction (one statement, one round trip). Results are per
/// batch: batches/s = 1 / mean. One writer is the baseline; the 8-writer cases run <see cref="Writers"/> concurrent
/// writers (as that many app instances would) of <see cref="BatchesPerWriter"/> batches each per invocation, either on
/// keys of their own (each instance's users) or all on the same keys (row locks make them take turns).
/// </summary>
/// <remarks>
/// A durable commit waits for a WAL flush, so one writer's rate is bounded by the disk's flush latency; concurrent
/// writers share flushes (group commit). The server is found as <see cref="BenchPostgres"/> describes.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class SqlRollupBenchmarks
{
    public const int RollupsPerBatch = 10;
    public const int Writers = 8;
    public const int BatchesPerWriter = 8;

    private static readonly DateOnly Day = new(2026, 1, 15);

    private UsageRollup[][] _keysPerWriter = [];
    private UsageRollup[] _sharedKeys = [];
    private BenchPostgres? _server;
    private PostgreSqlUsageLedger? _ledger;
    private long _batch;

    [GlobalSetup]
    public void Setup()
    {
        _keysPerWriter = [.. Enumerable.Range(0, Writers).Select(w => Deltas("instance-" + w.ToString(CultureInfo.InvariantCulture) + "-user-"))];
        _sharedKeys = Deltas("user-");
        _server = BenchPostgres.TryCreate(out var reason)
            ?? throw new InvalidOperationException($"No PostgreSQL server for the rollup benchmarks: {reason}. Set TOKENACCOUNTING_BENCH_POSTGRES or install PostgreSQL.");
        _ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = _server.ConnectionString });
        _ledger.WriteAsync(new UsageBatch("schema", [], []), CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ledger?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "rollup batch, 1 writer")]
    public ValueTask OneWriter() => _ledger!.WriteAsync(NextBatch(_sharedKeys), CancellationToken.None);

    [Benchmark(Description = "rollup batch, 8 writers on their own keys", OperationsPerInvoke = Writers * BatchesPerWriter)]
    public Task EightWritersOwnKeys() => RunWriters(w => _keysPerWriter[w]);

    [Benchmark(Description = "rollup batch, 8 writers on the same keys", OperationsPerInvoke = Writers * BatchesPerWriter)]
    public Task EightWritersSameKeys() => RunWriters(_ => _sharedKeys);

    private static UsageRollup[] Deltas(string userPrefix) =>
    [
        .. Enumerable.Range(0, RollupsPerBatch).Select(i => new UsageRollup(
            new UsageRollupKey(Day, "gpt-4o", "openai", UsageOperation.Chat, userPrefix + i.ToString(CultureInfo.InvariantCulture), "tenant-1", null),
            new TokenCounts(1000, 200),
            1,
            new UsageCost(0.0025m, 0m, 0m, 0.002m, 0m))),
    ];

    private Task RunWriters(Func<int, UsageRollup[]> keys)
    {
        var ledger = _ledger!;
        return Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var deltas = keys(w);
            for (var i = 0; i < BatchesPerWriter; i++)
            {
                await ledger.WriteAsync(NextBatch(deltas), CancellationToken.None);
            }
        })));
    }

    private UsageBatch NextBatch(UsageRollup[] rollups) =>
        new("rollups-" + Interlocked.Increment(ref _batch).ToString(CultureInfo.InvariantCulture), [], rollups);

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
