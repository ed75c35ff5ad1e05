using System.Globalization;
using BenchmarkDotNet.Attributes;
using Perfolizer.Mathematics.OutlierDetection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using TokenAccounting.PostgreSql;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Rollup-upsert batches on PostgreSQL: each batch carries <see cref="RollupsPerBatch"/> rollup deltas and no details,
/// and is applied with its batch id in its own durable transaction (one prepared statement, one round trip). Results
/// are per batch: batches/s = 1 / mean. With one writer, and with <see cref="Writers"/> concurrent writers (as that many
/// app instances would) of <see cref="BatchesPerWriter"/> batches each per invocation, either on keys of their own
/// (each instance's users) or all on the same keys (row locks make them take turns).
/// </summary>
/// <remarks>
/// The baseline of each group is the machine's floor for the same shape of work: a durable transaction that inserts
/// one integer into a table without indexes, from as many writers. A durable commit waits for a WAL flush, so neither
/// can go faster than the disk flushes (concurrent writers share flushes: group commit) and the CPU runs client and
/// server. The server is found as <see cref="BenchPostgres"/> describes. Outliers are kept (slow flushes are part of
/// sustained throughput).
/// </remarks>
[MemoryDiagnoser]
[Outliers(OutlierMode.DontRemove)]
[Config(typeof(Columns))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
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
    private Npgsql.NpgsqlDataSource? _floor;
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
        // Without the reset on close, like the ledger's own data source.
        _floor = Npgsql.NpgsqlDataSource.Create(new Npgsql.NpgsqlConnectionStringBuilder(_server.ConnectionString) { NoResetOnClose = true }.ConnectionString);
        using var create = _floor.CreateCommand("CREATE TABLE floor_commits (x integer NOT NULL)");
        create.ExecuteNonQuery();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ledger?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _floor?.Dispose();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "floor: one-row durable INSERT, 1 writer")]
    [BenchmarkCategory("1 writer")]
    public Task FloorOneWriter() => FloorCommit();

    [Benchmark(Description = "rollup batch, 1 writer")]
    [BenchmarkCategory("1 writer")]
    public ValueTask OneWriter() => _ledger!.WriteAsync(NextBatch(_sharedKeys), CancellationToken.None);

    [Benchmark(Baseline = true, Description = "floor: one-row durable INSERT, 8 writers", OperationsPerInvoke = Writers * BatchesPerWriter)]
    [BenchmarkCategory("8 writers")]
    public Task FloorEightWriters() => RunWriters(async _ => await FloorCommit());

    [Benchmark(Description = "rollup batch, 8 writers on their own keys", OperationsPerInvoke = Writers * BatchesPerWriter)]
    [BenchmarkCategory("8 writers")]
    public Task EightWritersOwnKeys() => RunWriters(w => _ledger!.WriteAsync(NextBatch(_keysPerWriter[w]), CancellationToken.None));

    [Benchmark(Description = "rollup batch, 8 writers on the same keys", OperationsPerInvoke = Writers * BatchesPerWriter)]
    [BenchmarkCategory("8 writers")]
    public Task EightWritersSameKeys() => RunWriters(_ => _ledger!.WriteAsync(NextBatch(_sharedKeys), CancellationToken.None));

    private static UsageRollup[] Deltas(string userPrefix) =>
    [
        .. Enumerable.Range(0, RollupsPerBatch).Select(i => new UsageRollup(
            new UsageRollupKey(Day, "gpt-4o", "openai", UsageOperation.Chat, userPrefix + i.ToString(CultureInfo.InvariantCulture), "tenant-1", null),
            new TokenCounts(1000, 200),
            1,
            new UsageCost(0.0025m, 0m, 0m, 0.002m, 0m))),
    ];

    private static Task RunWriters(Func<int, ValueTask> write) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < BatchesPerWriter; i++)
            {
                await write(w);
            }
        })));

    private async Task FloorCommit()
    {
        await using var command = _floor!.CreateCommand("INSERT INTO floor_commits (x) VALUES (1)");
        await command.ExecuteNonQueryAsync();
    }

    private UsageBatch NextBatch(UsageRollup[] rollups) =>
        new("rollups-" + Interlocked.Increment(ref _batch).ToString(CultureInfo.InvariantCulture), [], rollups);

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
