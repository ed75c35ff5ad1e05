using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace TokenAccounting.PostgreSql.Tests.DependencyInjection;

public sealed class PostgreSqlLedgerTokenAccountingBuilderExtensionsTests
{
    [Fact]
    public async Task AddPostgreSqlLedger_CalledTwice_RegistersOneLedgerAsSinkAndQuery()
    {
        var builder = new Builder();
        builder.AddPostgreSqlLedger(o => o.ConnectionString = "Host=127.0.0.1;Database=a");
        builder.AddPostgreSqlLedger(o => o.DetailRetention = TimeSpan.FromDays(30));
        await using var provider = builder.Services.BuildServiceProvider();

        var ledger = provider.GetRequiredService<PostgreSqlUsageLedger>();
        provider.GetServices<IUsageSink>().ShouldBe([ledger]);
        provider.GetRequiredService<IUsageQuery>().ShouldBeSameAs(ledger);
    }

    [Fact]
    public void AddPostgreSqlLedger_ContainerDisposedSynchronously_DisposesTheLedger()
    {
        var builder = new Builder();
        builder.AddPostgreSqlLedger(o => o.ConnectionString = "Host=127.0.0.1;Database=a");
        var provider = builder.Services.BuildServiceProvider();
        _ = provider.GetRequiredService<PostgreSqlUsageLedger>();

        Should.NotThrow(provider.Dispose);
    }

    [Fact]
    public async Task AddPostgreSqlLedger_WithoutConnectionString_UsesTheRegisteredDataSource()
    {
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Database=shared");
        var builder = new Builder();
        builder.Services.AddSingleton(dataSource);
        builder.AddPostgreSqlLedger(_ => { });
        await using var provider = builder.Services.BuildServiceProvider();

        provider.GetRequiredService<PostgreSqlUsageLedger>().DataSource.ShouldBeSameAs(dataSource);
    }

    [Fact]
    public async Task AddPostgreSqlLedger_NoConnectionStringAndNoDataSource_ThrowsNamingBoth()
    {
        var builder = new Builder();
        builder.AddPostgreSqlLedger(_ => { });
        await using var provider = builder.Services.BuildServiceProvider();

        var error = Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<PostgreSqlUsageLedger>());
        error.Message.ShouldContain("PostgreSqlLedgerOptions.ConnectionString or an NpgsqlDataSource");
    }

    private sealed class Builder : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }
}
