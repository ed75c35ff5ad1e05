using System.Globalization;
using BenchmarkDotNet.Attributes;
using Perfolizer.Mathematics.OutlierDetection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using TokenAccounting.PostgreSql;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Detail throughput of the SQL ledgers: every iteration writes one batch of <see cref="BatchSize"/> new records (with
/// their rollups and batch id, in one durable transaction), so detail rows/s = 1000 / mean, and the Median / P95 / P99
/// columns are the time to flush one 1000-record batch. Each ledger is compared with a hand-written peer that writes
/// the same rows into a table of the same shape in the same database, one transaction per batch, and nothing else (no
/// rollups, no batch id, no duplicate check): for SQLite a prepared <c>SqliteCommand</c> with named parameters, for
/// PostgreSQL Npgsql's <c>NpgsqlBinaryImporter</c> (binary COPY).
/// </summary>
/// <remarks>
/// Records look like a running app's: ids from one generator (a prefix and a counter), completion times moving forward
/// batch after batch; they are built in the iteration setup, outside the measured time. SQLite runs in WAL mode with
/// <c>synchronous=FULL</c>; PostgreSQL with its defaults (<c>synchronous_commit=on</c>). The server is found as
/// <see cref="BenchPostgres"/> describes; without one, the PostgreSQL cases fail in their setup with the reason.
/// Outliers are kept: the slow batches (a WAL checkpoint, a slow flush) are part of sustained throughput. Each case
/// warms up with 300 batches before 200 measured ones: the tiered JIT takes a few hundred batches to settle the write
/// path (with 10 warm-ups, the first measured batches ran partly unoptimized code; a scratch loop with tiered
/// compilation off reaches its steady pace within its first 50 batches, one with it on only after about 200).
/// </remarks>
[MemoryDiagnoser]
[Outliers(OutlierMode.DontRemove)]
[Config(typeof(Columns))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SimpleJob(warmupCount: 300, iterationCount: 200, invocationCount: 1)]
public class SqlLedgerBenchmarks
{
    public const int BatchSize = 1000;

    private static readonly DateTimeOffset Start = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Columns36 =
    [
        "id", "batch_id", "model", "response_model", "provider", "operation",
        "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens", "cache_write_long_ttl_input_tokens", "reasoning_tokens",
        "provenance", "outcome", "degraded_reason", "started_at", "completed_at", "latency_us", "stage_durations_ms", "history_length",
        "correlation_id", "user_id", "tenant_id", "api_key_id", "route", "service_tier", "scope_path", "tags",
        "cost_input", "cost_cached_input", "cost_cache_write", "cost_output", "cost_reasoning", "cost_total", "text", "is_unpaired",
    ];

    private readonly string _idPrefix = Guid.NewGuid().ToString("N")[..20];
    private UsageRecord[] _template = [];
    private UsageBatch _batch = null!;
    private long _nextId;
    private int _iteration;
    private string _folder = string.Empty;
    private SqliteUsageLedger? _sqlite;
    private SqliteConnection? _sqlitePeer;
    private SqliteCommand? _sqlitePeerInsert;
    private BenchPostgres? _server;
    private PostgreSqlUsageLedger? _postgres;
    private NpgsqlDataSource? _postgresPeer;

    [GlobalSetup]
    public void Setup()
    {
        _template = Enumerable.Range(0, BatchSize).Select(i => new UsageRecord
        {
            Model = i % 4 == 0 ? "gpt-4o-mini" : "gpt-4o",
            Provider = "openai",
            Tokens = new TokenCounts(1200 + i, 300, cachedInput: 512),
            Latency = TimeSpan.FromMilliseconds(850),
            UserId = "user-" + (i % 50),
            TenantId = "tenant-" + (i % 5),
            ApiKeyId = "key-1",
            Route = "/chat",
            Tags = new Dictionary<string, string> { ["feature"] = "search" },
            Cost = new UsageCost(0.0017m, 0.00064m, 0m, 0.003m, 0m),
        }).ToArray();
        NextBatch();

        _folder = Path.Combine(Path.GetTempPath(), "ta-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        var database = $"Data Source={Path.Combine(_folder, "ledger.db")}";
        _sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = database });
        _sqlite.WriteAsync(new UsageBatch("schema", [], []), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _sqlitePeer = new SqliteConnection(database);
        _sqlitePeer.Open();
        Execute(_sqlitePeer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
        Execute(_sqlitePeer, "CREATE TABLE peer_records AS SELECT * FROM usage_records WHERE 0; CREATE UNIQUE INDEX ix_peer_id ON peer_records (id); CREATE INDEX ix_peer_completed_at ON peer_records (completed_at);");
        _sqlitePeerInsert = _sqlitePeer.CreateCommand();
        _sqlitePeerInsert.CommandText = $"INSERT INTO peer_records ({string.Join(", ", Columns36)}) VALUES ({string.Join(", ", Columns36.Select(c => "$" + c))})";
        foreach (var column in Columns36)
        {
            _sqlitePeerInsert.Parameters.Add(new SqliteParameter("$" + column, null));
        }

        _server = BenchPostgres.TryCreate(out var reason);
        if (_server is null)
        {
            Console.WriteLine($"// PostgreSQL benchmarks unavailable: {reason}");
            return;
        }

        _postgres = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = _server.ConnectionString });
        _postgres.WriteAsync(new UsageBatch("schema", [], []), CancellationToken.None).AsTask().GetAwaiter().GetResult();
        _postgresPeer = NpgsqlDataSource.Create(_server.ConnectionString);
        using var create = _postgresPeer.CreateCommand("CREATE TABLE peer_records (LIKE usage_records INCLUDING ALL)");
        create.ExecuteNonQuery();
    }

    // A fresh batch per iteration: new ids, completion times a minute after the previous batch's.
    [IterationSetup]
    public void NextBatch()
    {
        var completed = Start.AddMinutes(_iteration++);
        var records = new UsageRecord[BatchSize];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = _template[i] with
            {
                Id = _idPrefix + (++_nextId).ToString("x12", CultureInfo.InvariantCulture),
                CompletedAt = completed.AddMilliseconds(i),
            };
        }

        var rollups = records.GroupBy(UsageRollupKey.For).Select(g => new UsageRollup(
            g.Key, g.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens), g.Count(), g.Select(r => r.Cost!).Aggregate((a, b) => a + b))).ToArray();
        _batch = new UsageBatch("bench-" + _iteration.ToString(CultureInfo.InvariantCulture), records, rollups);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite?.Dispose();
        _sqlitePeerInsert?.Dispose();
        _sqlitePeer?.Dispose();
        SqliteConnection.ClearAllPools();
        _postgres?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _postgresPeer?.Dispose();
        _server?.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "peer: SqliteCommand per row, one transaction")]
    [BenchmarkCategory("SQLite")]
    public void SqlitePeer()
    {
        using var transaction = _sqlitePeer!.BeginTransaction();
        var insert = _sqlitePeerInsert!;
        insert.Transaction = transaction;
        var p = insert.Parameters;
        foreach (var r in _batch.Records)
        {
            var cost = r.Cost!;
            p[0].Value = r.Id;
            p[1].Value = _batch.BatchId;
            p[2].Value = r.Model;
            p[3].Value = (object?)r.ResponseModel ?? DBNull.Value;
            p[4].Value = r.Provider;
            p[5].Value = r.Operation.Value;
            p[6].Value = r.Tokens.Input;
            p[7].Value = r.Tokens.Output;
            p[8].Value = r.Tokens.CachedInput;
            p[9].Value = r.Tokens.CacheWriteInput;
            p[10].Value = r.Tokens.CacheWriteLongTtlInput;
            p[11].Value = r.Tokens.Reasoning;
            p[12].Value = "reported";
            p[13].Value = "succeeded";
            p[14].Value = DBNull.Value;
            p[15].Value = DBNull.Value;
            p[16].Value = r.CompletedAt!.Value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
            p[17].Value = r.Latency!.Value.Ticks / 10;
            p[18].Value = DBNull.Value;
            p[19].Value = DBNull.Value;
            p[20].Value = DBNull.Value;
            p[21].Value = r.UserId;
            p[22].Value = r.TenantId;
            p[23].Value = r.ApiKeyId;
            p[24].Value = r.Route;
            p[25].Value = DBNull.Value;
            p[26].Value = DBNull.Value;
            p[27].Value = System.Text.Json.JsonSerializer.Serialize(r.Tags);
            p[28].Value = cost.Input.ToString(CultureInfo.InvariantCulture);
            p[29].Value = cost.CachedInput.ToString(CultureInfo.InvariantCulture);
            p[30].Value = cost.CacheWrite.ToString(CultureInfo.InvariantCulture);
            p[31].Value = cost.Output.ToString(CultureInfo.InvariantCulture);
            p[32].Value = cost.Reasoning.ToString(CultureInfo.InvariantCulture);
            p[33].Value = cost.Total.ToString(CultureInfo.InvariantCulture);
            p[34].Value = DBNull.Value;
            p[35].Value = 0;
            insert.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    [Benchmark(Description = "SqliteUsageLedger: 1000-record batch")]
    [BenchmarkCategory("SQLite")]
    public ValueTask SqliteLedger() => _sqlite!.WriteAsync(_batch, CancellationToken.None);

    [Benchmark(Baseline = true, Description = "peer: NpgsqlBinaryImporter COPY, one transaction")]
    [BenchmarkCategory("PostgreSQL")]
    public async Task PostgreSqlPeer()
    {
        var connection = await Postgres(_postgresPeer).OpenConnectionAsync();
        await using (connection)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var writer = await connection.BeginBinaryImportAsync($"COPY peer_records ({string.Join(", ", Columns36)}) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var r in _batch.Records)
                {
                    var cost = r.Cost!;
                    writer.StartRow();
                    writer.Write(r.Id, NpgsqlDbType.Text);
                    writer.Write(_batch.BatchId, NpgsqlDbType.Text);
                    writer.Write(r.Model, NpgsqlDbType.Text);
                    writer.WriteNull();
                    writer.Write(r.Provider!, NpgsqlDbType.Text);
                    writer.Write(r.Operation.Value, NpgsqlDbType.Text);
                    writer.Write(r.Tokens.Input, NpgsqlDbType.Bigint);
                    writer.Write(r.Tokens.Output, NpgsqlDbType.Bigint);
                    writer.Write(r.Tokens.CachedInput, NpgsqlDbType.Bigint);
                    writer.Write(r.Tokens.CacheWriteInput, NpgsqlDbType.Bigint);
                    writer.Write(r.Tokens.CacheWriteLongTtlInput, NpgsqlDbType.Bigint);
                    writer.Write(r.Tokens.Reasoning, NpgsqlDbType.Bigint);
                    writer.Write("reported", NpgsqlDbType.Text);
                    writer.Write("succeeded", NpgsqlDbType.Text);
                    writer.WriteNull();
                    writer.WriteNull();
                    writer.Write(r.CompletedAt!.Value, NpgsqlDbType.TimestampTz);
                    writer.Write(r.Latency!.Value.Ticks / 10, NpgsqlDbType.Bigint);
                    writer.WriteNull();
                    writer.WriteNull();
                    writer.WriteNull();
                    writer.Write(r.UserId!, NpgsqlDbType.Text);
                    writer.Write(r.TenantId!, NpgsqlDbType.Text);
                    writer.Write(r.ApiKeyId!, NpgsqlDbType.Text);
                    writer.Write(r.Route!, NpgsqlDbType.Text);
                    writer.WriteNull();
                    writer.WriteNull();
                    writer.Write(System.Text.Json.JsonSerializer.Serialize(r.Tags), NpgsqlDbType.Jsonb);
                    writer.Write(cost.Input, NpgsqlDbType.Numeric);
                    writer.Write(cost.CachedInput, NpgsqlDbType.Numeric);
                    writer.Write(cost.CacheWrite, NpgsqlDbType.Numeric);
                    writer.Write(cost.Output, NpgsqlDbType.Numeric);
                    writer.Write(cost.Reasoning, NpgsqlDbType.Numeric);
                    writer.Write(cost.Total, NpgsqlDbType.Numeric);
                    writer.WriteNull();
                    writer.Write(false, NpgsqlDbType.Boolean);
                }

                await writer.CompleteAsync();
            }

            await transaction.CommitAsync();
        }
    }

    [Benchmark(Description = "PostgreSqlUsageLedger: 1000-record batch")]
    [BenchmarkCategory("PostgreSQL")]
    public ValueTask PostgreSqlLedger() => Postgres(_postgres).WriteAsync(_batch, CancellationToken.None);

    private static T Postgres<T>(T? value)
        where T : class =>
        value ?? throw new InvalidOperationException("No PostgreSQL server: set TOKENACCOUNTING_BENCH_POSTGRES or install PostgreSQL (see BenchPostgres).");

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Median, StatisticColumn.P95, new PercentileColumn(99));
    }
}
