using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using Npgsql;
using TokenAccounting.PostgreSql;
using TokenAccounting.Sqlite;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Throughput of the SQL ledgers. Each operation of the two detail benchmarks writes one batch of
/// <see cref="BatchSize"/> records (plus their rollups): detail rows/s = 1000 / (mean seconds per operation), and the
/// Median / P95 / Max columns are the time to flush one 1000-record batch. The rollup benchmark writes one batch of
/// <see cref="RollupsPerBatch"/> rollup deltas and no details: batches/s = 1 / (mean seconds per operation); the
/// 8-writer variant writes <see cref="ConcurrentBatches"/> such batches from 8 concurrent tasks per invocation (as 8
/// app instances would), reported per batch, so the server can group their commits.
/// </summary>
/// <remarks>
/// How the PostgreSQL server is found: when the environment variable <c>TOKENACCOUNTING_BENCH_POSTGRES</c> holds a
/// connection string, that server is used (a new database is created in it per run and dropped afterwards).
/// Otherwise the benchmark starts a throwaway cluster like the PostgreSQL tests do: it looks for <c>initdb</c> and
/// <c>pg_ctl</c> on PATH, then in Debian's <c>/usr/lib/postgresql/*/bin</c>, runs <c>initdb</c> in a temporary folder
/// (as the <c>postgres</c> user through <c>runuser</c> when running as root, since initdb refuses root), starts it on a
/// free loopback port with default durability settings (fsync on), and stops and deletes it in the global cleanup.
/// Extra server settings can be given in <c>TOKENACCOUNTING_BENCH_POSTGRES_OPTIONS</c> (for example
/// <c>-c synchronous_commit=off</c>; say so next to the numbers). A durable commit costs one WAL flush, so one
/// writer's rollup batches/s is bounded by the disk's fdatasync rate.
/// Without either, the PostgreSQL benchmarks fail in their setup with that reason; the SQLite one still runs.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(Percentiles))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The ledgers are disposed in [GlobalCleanup].")]
public class SqlLedgerBenchmarks
{
    public const int BatchSize = 1000;
    public const int RollupsPerBatch = 10;
    public const int ConcurrentBatches = 64;

    private static readonly DateTimeOffset Start = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    private UsageRecord[] _records = [];
    private UsageRollup[] _detailRollups = [];
    private UsageRollup[] _rollupDeltas = [];
    private string _folder = string.Empty;
    private SqliteUsageLedger? _sqlite;
    private PostgreSqlUsageLedger? _postgres;
    private ThrowawayCluster? _cluster;
    private string? _database;
    private string? _serverConnectionString;
    private long _batch;

    [GlobalSetup]
    public void Setup()
    {
        // Records without ids: the ledgers derive them from the batch id, so every operation writes fresh rows.
        _records = Enumerable.Range(0, BatchSize).Select(i => new UsageRecord
        {
            Model = i % 4 == 0 ? "gpt-4o-mini" : "gpt-4o",
            Provider = "openai",
            Tokens = new TokenCounts(1200 + i, 300, cachedInput: 512),
            CompletedAt = Start.AddMilliseconds(i),
            Latency = TimeSpan.FromMilliseconds(850),
            UserId = "user-" + (i % 50),
            TenantId = "tenant-" + (i % 5),
            ApiKeyId = "key-1",
            Route = "/chat",
            Tags = new Dictionary<string, string> { ["feature"] = "search" },
            Cost = new UsageCost(0.0017m, 0.00064m, 0m, 0.003m, 0m),
        }).ToArray();
        _detailRollups = [.. _records.GroupBy(UsageRollupKey.For).Select(g => new UsageRollup(
            g.Key, g.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens), g.Count(), g.Select(r => r.Cost!).Aggregate((a, b) => a + b)))];
        _rollupDeltas = [.. Enumerable.Range(0, RollupsPerBatch).Select(i => new UsageRollup(
            new UsageRollupKey(DateOnly.FromDateTime(Start.UtcDateTime), "gpt-4o", "openai", UsageOperation.Chat, "user-" + i, "tenant-1", null),
            new TokenCounts(1000, 200), 1, new UsageCost(0.0025m, 0m, 0m, 0.002m, 0m)))];

        _folder = Path.Combine(Path.GetTempPath(), "ta-bench-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        _sqlite = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = $"Data Source={Path.Combine(_folder, "ledger.db")}" });

        _serverConnectionString = Environment.GetEnvironmentVariable("TOKENACCOUNTING_BENCH_POSTGRES");
        if (string.IsNullOrWhiteSpace(_serverConnectionString))
        {
            _cluster = ThrowawayCluster.TryStart(out var reason);
            _serverConnectionString = _cluster?.ConnectionString;
            if (_cluster is null)
            {
                Console.WriteLine($"// PostgreSQL benchmarks unavailable: {reason}");
                return;
            }
        }

        _database = "ta_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = new NpgsqlConnection(_serverConnectionString))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", admin);
            create.ExecuteNonQuery();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(_serverConnectionString) { Database = _database, Pooling = true }.ConnectionString;
        _postgres = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite?.Dispose();
        if (_postgres is not null)
        {
            _postgres.DisposeAsync().AsTask().GetAwaiter().GetResult();
            NpgsqlConnection.ClearAllPools();
            if (_cluster is null && _database is not null)
            {
                using var admin = new NpgsqlConnection(_serverConnectionString);
                admin.Open();
                using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
                drop.ExecuteNonQuery();
            }
        }

        _cluster?.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Benchmark(Baseline = true, Description = "SQLite: 1000-record batch")]
    public ValueTask SqliteDetails() => _sqlite!.WriteAsync(NextBatch(_records, _detailRollups), CancellationToken.None);

    [Benchmark(Description = "PostgreSQL: 1000-record batch")]
    public ValueTask PostgreSqlDetails() => Postgres.WriteAsync(NextBatch(_records, _detailRollups), CancellationToken.None);

    [Benchmark(Description = "PostgreSQL: rollup-only batch")]
    public ValueTask PostgreSqlRollupBatch() => Postgres.WriteAsync(NextBatch([], _rollupDeltas), CancellationToken.None);

    [Benchmark(Description = "PostgreSQL: rollup-only batch, 8 writers", OperationsPerInvoke = ConcurrentBatches)]
    public Task PostgreSqlRollupBatch8Writers()
    {
        var ledger = Postgres;
        return Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < ConcurrentBatches / 8; i++)
            {
                await ledger.WriteAsync(NextBatch([], _rollupDeltas), CancellationToken.None);
            }
        })));
    }

    private PostgreSqlUsageLedger Postgres => _postgres ?? throw new InvalidOperationException("No PostgreSQL server: set TOKENACCOUNTING_BENCH_POSTGRES or install PostgreSQL (see the class remarks).");

    private UsageBatch NextBatch(UsageRecord[] records, UsageRollup[] rollups) =>
        new("bench-" + Interlocked.Increment(ref _batch).ToString(System.Globalization.CultureInfo.InvariantCulture), records, rollups);

    private sealed class Percentiles : ManualConfig
    {
        public Percentiles() => AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Max);
    }

    /// <summary>A PostgreSQL cluster in a temporary folder on a free loopback port (the same recipe as the PostgreSQL tests).</summary>
    private sealed class ThrowawayCluster : IDisposable
    {
        private readonly string _folder;
        private readonly string _pgCtl;
        private readonly bool _asPostgres;

        private ThrowawayCluster(string folder, string pgCtl, bool asPostgres, string connectionString)
        {
            _folder = folder;
            _pgCtl = pgCtl;
            _asPostgres = asPostgres;
            ConnectionString = connectionString;
        }

        public string ConnectionString { get; }

        public static ThrowawayCluster? TryStart(out string reason)
        {
            var bin = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")) : [])
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
            if (bin is null)
            {
                reason = "initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin";
                return null;
            }

            var initdb = new FileInfo(Path.Combine(bin, "initdb"));
            bin = Path.GetDirectoryName(initdb.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb.FullName)!;
            var asPostgres = Environment.UserName == "root";
            var folder = Path.Combine(Path.GetTempPath(), "ta-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(folder);
            if (asPostgres && Run("chown", ["postgres", folder], false) != 0)
            {
                reason = "running as root and the folder could not be given to a 'postgres' user";
                return null;
            }

            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var data = Path.Combine(folder, "data");
            if (Run(Path.Combine(bin, "initdb"), ["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", data], asPostgres) != 0
                || Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "120", "-s", "-o", $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} {Environment.GetEnvironmentVariable("TOKENACCOUNTING_BENCH_POSTGRES_OPTIONS")}", "start"], asPostgres) != 0)
            {
                reason = $"the throwaway cluster did not start (see {folder})";
                return null;
            }

            reason = string.Empty;
            return new ThrowawayCluster(folder, Path.Combine(bin, "pg_ctl"), asPostgres, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres");
        }

        public void Dispose()
        {
            Run(_pgCtl, ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "-s", "stop"], _asPostgres);
            Directory.Delete(_folder, recursive: true);
        }

        private static int Run(string file, string[] arguments, bool asPostgres)
        {
            var start = new ProcessStartInfo(asPostgres ? "runuser" : file) { UseShellExecute = false };
            foreach (var argument in (asPostgres ? new[] { "-u", "postgres", "--", file } : []).Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
    }
}
