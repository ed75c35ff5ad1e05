using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace TokenAccounting.AspNetCore.Tests.Startup;

// Read-only folders are set up with Unix file modes.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TokenAccountingStartupTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ta-startup-").FullName;

    public void Dispose()
    {
        foreach (var dir in Directory.EnumerateDirectories(_root, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.Delete(_root, recursive: true);
    }

    private static IHost BuildHost(Action<ITokenAccountingBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.ClearProviders();
        configure(builder.Services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromHours(1)).ValidateOnStart());
        return builder.Build();
    }

    private static async Task<string> StartFailureAsync(IHost host)
    {
        using (host)
        {
            var error = await Should.ThrowAsync<Exception>(() => host.StartAsync());
            return error.ToString();
        }
    }

    /// <summary>A path under a regular file can be neither created nor written, whoever runs the tests.</summary>
    private string UnderAFile(string rest)
    {
        var blocker = Path.Combine(_root, "not-a-folder");
        File.WriteAllText(blocker, "x");
        return Path.Combine(blocker, rest);
    }

    [Fact]
    public async Task StoppedAsync_ContainerAlreadyDisposed_DoesNotThrowAndTheRecordIsDelivered()
    {
        // A test host torn down while it stops can dispose the container before the lifecycle's StoppedAsync runs.
        var host = BuildHost(b => b.AddInMemorySink());
        await host.StartAsync();
        var lifecycle = host.Services.GetServices<IHostedService>().OfType<TokenAccountingHostedService>().Single();
        var sink = host.Services.GetRequiredService<InMemoryUsageSink>();
        host.Services.GetRequiredService<IUsageRecorder>().Record(new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(10, 5) });

        host.Dispose();

        await Should.NotThrowAsync(() => lifecycle.StoppedAsync(CancellationToken.None));
        sink.Records.ShouldHaveSingleItem().Model.ShouldBe("gpt-4o");
    }

    [Fact]
    public async Task StartAsync_JsonLinesFolderNotCreatable_FailsNamingTheFolderAndOption()
    {
        var folder = UnderAFile("ledger");
        var host = BuildHost(b => b.AddJsonLinesSink(o => o.PathTemplate = Path.Combine(folder, "usage-{date}.jsonl")));

        var message = await StartFailureAsync(host);

        message.ShouldContain($"The JSON-lines ledger folder '{folder}'");
        message.ShouldContain("JsonLinesUsageSinkOptions.PathTemplate");
    }

    [SkippableFact]
    public async Task StartAsync_JsonLinesFolderReadOnly_FailsNamingTheFolder()
    {
        Skip.If(Environment.UserName == "root", "root writes into read-only folders; the not-creatable test covers the path.");
        var folder = Path.Combine(_root, "read-only");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var host = BuildHost(b => b.AddJsonLinesSink(o => o.PathTemplate = Path.Combine(folder, "usage-{date}.jsonl")));

        (await StartFailureAsync(host)).ShouldContain($"The JSON-lines ledger folder '{folder}'");
    }

    [Fact]
    public async Task StartAsync_SqliteDataSourceIsAFolder_FailsNamingTheDataSource()
    {
        var folder = Path.Combine(_root, "a-folder.db");
        Directory.CreateDirectory(folder);
        var host = BuildHost(b => b.AddSqliteLedger(o => o.ConnectionString = $"Data Source={folder}"));

        var message = await StartFailureAsync(host);

        message.ShouldContain($"SqliteUsageLedger(Data Source={folder})");
        message.ShouldContain("failed its startup write");
    }

    [Fact]
    public async Task StartAsync_SqliteFolderNotCreatable_FailsNamingThePath()
    {
        var path = UnderAFile("ledger/usage.db");
        var host = BuildHost(b => b.AddSqliteLedger(o => o.ConnectionString = $"Data Source={path}"));

        var message = await StartFailureAsync(host);

        message.ShouldContain("The usage recorder could not be created");
        message.ShouldContain(Path.Combine(_root, "not-a-folder"));
    }

    [SkippableFact]
    public async Task StartAsync_SqliteInReadOnlyFolder_FailsNamingTheDataSource()
    {
        Skip.If(Environment.UserName == "root", "root writes into read-only folders; the folder-as-data-source test covers the probe.");
        var folder = Path.Combine(_root, "read-only-db");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var path = Path.Combine(folder, "usage.db");
        var host = BuildHost(b => b.AddSqliteLedger(o => o.ConnectionString = $"Data Source={path}"));

        (await StartFailureAsync(host)).ShouldContain($"SqliteUsageLedger(Data Source={path})");
    }

    [Fact]
    public async Task StartAsync_PriceFileMissing_FailsNamingTheOptionAndPath()
    {
        var path = Path.Combine(_root, "missing-prices.json");
        var host = BuildHost(b => b.AddLiteLlmPricing(path));

        var message = await StartFailureAsync(host);

        message.ShouldContain($"PricingOptions.LiteLlmFilePath '{path}'");
    }

    [Fact]
    public async Task StartAsync_PriceFileNotJson_FailsNamingThePath()
    {
        var path = Path.Combine(_root, "prices.json");
        File.WriteAllText(path, "{ not json");
        var host = BuildHost(b => b.AddLiteLlmPricing(path));

        (await StartFailureAsync(host)).ShouldContain($"PricingOptions.LiteLlmFilePath '{path}'");
    }

    [Fact]
    public async Task StartAsync_BadPricingConfiguration_FailsNamingTheKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pricing:Models:0:Model"] = "my-model",
            ["Pricing:Models:0:Input"] = "cheap",
            ["Pricing:Models:0:Output"] = "1",
        }).Build();
        var host = BuildHost(b => b.AddPricing(configuration.GetSection("Pricing")));

        var message = await StartFailureAsync(host);

        message.ShouldContain("The price catalog could not be built");
        message.ShouldContain("Pricing:Models:0:Input");
    }

    [Fact]
    public async Task StartAsync_BadRecorderOption_FailsNamingTheOption()
    {
        var host = BuildHost(b => b.Services.Configure<TokenAccountingOptions>(o => o.MaxBatchSize = 0));

        (await StartFailureAsync(host)).ShouldContain("MaxBatchSize");
    }

    [Fact]
    public async Task StartAsync_WebApplicationWithBadLedger_FailsBeforeServingARequest()
    {
        var folder = UnderAFile("web-ledger");
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddTokenAccounting().AddAspNetCore().AddJsonLinesSink(o => o.PathTemplate = Path.Combine(folder, "usage-{date}.jsonl"));
        await using var app = builder.Build();
        app.UseTokenAccounting();

        var error = await Should.ThrowAsync<InvalidOperationException>(() => app.StartAsync());

        error.Message.ShouldContain(folder);
    }

    [Fact]
    public async Task StartAsync_GoodConfiguration_CreatesTheSqliteLedgerAtStartup()
    {
        var path = Path.Combine(_root, "data", "usage.db");
        using var host = BuildHost(b => b.AddSqliteLedger(o => o.ConnectionString = $"Data Source={path}").AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_root, "jsonl", "usage-{date}.jsonl")).AddPricing());

        await host.StartAsync();

        File.Exists(path).ShouldBeTrue("the probe opened the database and its schema before any request");
        Directory.Exists(Path.Combine(_root, "jsonl")).ShouldBeTrue();
        Directory.EnumerateFileSystemEntries(Path.Combine(_root, "jsonl")).ShouldBeEmpty("the folder probe leaves no file behind");
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_RecordsPending_AreOnDiskWhenItReturns()
    {
        var folder = Path.Combine(_root, "ledger");
        using var host = BuildHost(b => b.AddJsonLinesSink(o => o.PathTemplate = Path.Combine(folder, "usage-{date}.jsonl")));
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<IUsageRecorder>();
        for (var i = 1; i <= 200; i++)
        {
            recorder.Record(Usage.Chat("gpt-4o", i, 1, userId: "alice"));
        }

        await host.StopAsync();

        var lines = new List<UsageRecord>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(folder))
        {
            lines.Add(record);
        }

        lines.Count.ShouldBe(200, "the flush interval is an hour: only the stop flushed them");
        lines.Sum(r => r.Tokens.Input).ShouldBe(200 * 201 / 2);
    }

    [Fact]
    public async Task ValidateTokenAccountingAsync_PlainServiceProvider_FailsNamingTheFolder()
    {
        var folder = UnderAFile("plain");
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddJsonLinesSink(o => o.PathTemplate = Path.Combine(folder, "usage-{date}.jsonl"));
        await using var provider = services.BuildServiceProvider();

        var error = await Should.ThrowAsync<InvalidOperationException>(() => provider.ValidateTokenAccountingAsync());

        error.Message.ShouldContain(folder);
    }

    [Fact]
    public async Task ValidateTokenAccountingAsync_GoodConfiguration_Passes()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddJsonLinesSink(o => o.PathTemplate = Path.Combine(_root, "ok", "usage-{date}.jsonl")).AddInMemorySink();
        await using var provider = services.BuildServiceProvider();

        await provider.ValidateTokenAccountingAsync();

        Directory.Exists(Path.Combine(_root, "ok")).ShouldBeTrue();
    }

    [Fact]
    public async Task ValidateTokenAccountingAsync_NothingRegistered_SaysWhatToCall()
    {
        await using var provider = new ServiceCollection().BuildServiceProvider();

        (await Should.ThrowAsync<InvalidOperationException>(() => provider.ValidateTokenAccountingAsync())).Message.ShouldContain("AddTokenAccounting()");
    }
}
