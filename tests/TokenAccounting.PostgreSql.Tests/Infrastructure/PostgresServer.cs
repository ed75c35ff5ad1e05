using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TokenAccounting.PostgreSql.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster for the test run: finds <c>initdb</c>/<c>pg_ctl</c> (PATH, then Debian's
/// <c>/usr/lib/postgresql/*/bin</c>; or only <c>TOKENACCOUNTING_POSTGRES_BIN</c> when set), initializes a cluster in a temporary folder, starts it on a free loopback port
/// with its socket in that folder, and on disposal stops it (<c>pg_ctl stop -m immediate</c>) and deletes the folder.
/// </summary>
/// <remarks>
/// <c>initdb</c> and <c>postgres</c> refuse to run as root; when the tests run as root the cluster is created and run
/// as the <c>postgres</c> user (created by Debian's package) through <c>runuser</c>, and the folder is given to it.
/// Without the binaries the tests skip with the reason, unless <c>TOKENACCOUNTING_REQUIRE_POSTGRES=1</c>, which turns
/// the missing server into a failure (CI sets it after installing PostgreSQL).
/// </remarks>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string RequireVariable = "TOKENACCOUNTING_REQUIRE_POSTGRES";

    /// <summary>When set, the only folder searched for initdb and pg_ctl.</summary>
    public const string BinariesVariable = "TOKENACCOUNTING_POSTGRES_BIN";

    private string? _folder;
    private string? _pgCtl;
    private bool _asPostgresUser;
    private int _databases;

    public string? UnavailableReason { get; private set; }

    public string AdminConnectionString { get; private set; } = string.Empty;

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or System.ComponentModel.Win32Exception or NpgsqlException or TimeoutException)
        {
            UnavailableReason = e.Message;
            await StopAsync();
        }
    }

    public Task DisposeAsync() => StopAsync();

    /// <summary>Skips the calling test (or fails it when PostgreSQL is required) when there is no server.</summary>
    public void EnsureAvailable()
    {
        if (UnavailableReason is null)
        {
            return;
        }

        if (Required)
        {
            throw new InvalidOperationException($"{RequireVariable}=1 but no PostgreSQL server could be started: {UnavailableReason}");
        }

        Skip.If(true, $"PostgreSQL is not available ({UnavailableReason}); set {RequireVariable}=1 to make this a failure.");
    }

    /// <summary>Creates an empty database for one test and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        EnsureAvailable();
        var name = $"ta_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, MaxPoolSize = 20 }.ConnectionString;
    }

    private async Task StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException($"initdb and pg_ctl were found neither on PATH nor in /usr/lib/postgresql/*/bin (nor in {BinariesVariable})");
        var initdb = Path.Combine(bin, "initdb");
        _pgCtl = Path.Combine(bin, "pg_ctl");
        _asPostgresUser = Environment.UserName == "root";
        if (_asPostgresUser && await RunAsync("id", ["-u", "postgres"], asPostgres: false, throwOnError: false) != 0)
        {
            throw new InvalidOperationException("the tests run as root, initdb refuses root, and there is no 'postgres' user to run it as");
        }

        _folder = Path.Combine(Path.GetTempPath(), "ta-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_folder);
        if (_asPostgresUser)
        {
            await RunAsync("chown", ["postgres", _folder], asPostgres: false);
        }

        var data = Path.Combine(_folder, "data");
        await RunAsync(initdb, ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D", data], asPostgres: _asPostgresUser);
        var port = FreePort();

        // fsync off: a throwaway cluster needs no crash durability, and the tests run on a shared machine.
        var serverOptions = $"-c listen_addresses=127.0.0.1 -p {port} -k {_folder} -c fsync=off -c max_connections=300";
        await RunAsync(_pgCtl, ["-D", data, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "120", "-s", "-o", serverOptions, "start"], asPostgres: _asPostgresUser, redirect: false);
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false;Timeout=60;Command Timeout=120";
        await using var probe = new NpgsqlConnection(AdminConnectionString);
        await probe.OpenAsync();
    }

    private async Task StopAsync()
    {
        if (_folder is null)
        {
            return;
        }

        if (_pgCtl is not null && Directory.Exists(Path.Combine(_folder, "data")))
        {
            await RunAsync(_pgCtl, ["-D", Path.Combine(_folder, "data"), "-m", "immediate", "-w", "-s", "stop"], asPostgres: _asPostgresUser, throwOnError: false, redirect: false);
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is not worth failing the run for.
        }

        _folder = null;
    }

    private static string? FindBinaries()
    {
        var only = Environment.GetEnvironmentVariable(BinariesVariable);
        var candidates = only is { Length: > 0 }
            ? [only]
            : (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (only is not { Length: > 0 } && Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        foreach (var folder in candidates)
        {
            var initdb = Path.Combine(folder, "initdb");
            if (File.Exists(initdb) && File.Exists(Path.Combine(folder, "pg_ctl")))
            {
                // /usr/local/bin may hold symlinks: use the real folder, where postgres itself lives too.
                var real = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
                return Path.GetDirectoryName(real);
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<int> RunAsync(string file, string[] arguments, bool asPostgres, bool throwOnError = true, bool redirect = true)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = redirect,
            RedirectStandardError = redirect,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var prefix in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(prefix);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = redirect ? process.StandardOutput.ReadToEndAsync() : Task.FromResult(string.Empty);
        var error = redirect ? process.StandardError.ReadToEndAsync() : Task.FromResult(string.Empty);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {process.ExitCode}: {await error}{await output}".Trim());
        }

        return process.ExitCode;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresTestGroup : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
