using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The PostgreSQL server the SQL ledger benchmarks write to, and a fresh database in it per benchmark class.
/// </summary>
/// <remarks>
/// When the environment variable <c>TOKENACCOUNTING_BENCH_POSTGRES</c> holds a connection string, that server is used
/// (a new database is created per run and dropped afterwards). Otherwise a throwaway cluster is started the way the
/// PostgreSQL tests do it: <c>initdb</c> and <c>pg_ctl</c> from PATH or Debian's <c>/usr/lib/postgresql/*/bin</c>, run as
/// the <c>postgres</c> user through <c>runuser</c> when running as root (initdb refuses root), a temporary folder, a free
/// loopback port, default durability settings (fsync on, <c>synchronous_commit=on</c>), stopped and deleted on dispose.
/// Extra server settings can be given in <c>TOKENACCOUNTING_BENCH_POSTGRES_OPTIONS</c> (for example
/// <c>-c synchronous_commit=off</c>; say so next to the numbers).
/// </remarks>
internal sealed class BenchPostgres : IDisposable
{
    private readonly ThrowawayCluster? _cluster;
    private readonly string _serverConnectionString;
    private readonly string _database;

    private BenchPostgres(ThrowawayCluster? cluster, string serverConnectionString)
    {
        _cluster = cluster;
        _serverConnectionString = serverConnectionString;
        _database = "ta_bench_" + Guid.NewGuid().ToString("N")[..12];
        using var admin = new NpgsqlConnection(serverConnectionString);
        admin.Open();
        using var create = new NpgsqlCommand($"CREATE DATABASE \"{_database}\"", admin);
        create.ExecuteNonQuery();
        ConnectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = _database, Pooling = true }.ConnectionString;
    }

    /// <summary>The connection string of the benchmark's own database.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts (or connects to) a server and creates a database; null, with the reason, when there is no server.</summary>
    public static BenchPostgres? TryCreate(out string reason)
    {
        var server = Environment.GetEnvironmentVariable("TOKENACCOUNTING_BENCH_POSTGRES");
        if (!string.IsNullOrWhiteSpace(server))
        {
            reason = string.Empty;
            return new BenchPostgres(null, server);
        }

        var cluster = ThrowawayCluster.TryStart(out reason);
        return cluster is null ? null : new BenchPostgres(cluster, cluster.ConnectionString);
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is null)
        {
            using var admin = new NpgsqlConnection(_serverConnectionString);
            admin.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
            drop.ExecuteNonQuery();
        }

        _cluster?.Dispose();
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
