using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace TokenAccounting.PostgreSql.Tests.DependencyInjection;

public sealed class PostgreSqlBudgetStoreBuilderExtensionsTests
{
    private static readonly BudgetPolicy Policy = new() { Name = "daily", Limit = 10m };

    [Fact]
    public async Task AddPostgreSqlBudgetStore_BeforeAddBudgets_IsTheManagersStore()
    {
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Database=shared");
        var builder = new Builder();
        builder.Services.AddSingleton(dataSource);
        builder.AddPostgreSqlBudgetStore().AddBudgets(Policy);
        await using var provider = builder.Services.BuildServiceProvider();

        var store = provider.GetRequiredService<IBudgetStore>().ShouldBeOfType<PostgreSqlBudgetStore>();
        store.DataSource.ShouldBeSameAs(dataSource);
        builder.Services.Count(d => d.ServiceType == typeof(IBudgetStore)).ShouldBe(1);
    }

    [Fact]
    public async Task AddPostgreSqlBudgetStore_AfterAddBudgets_ReplacesTheInMemoryDefault()
    {
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Database=shared");
        var builder = new Builder();
        builder.Services.AddSingleton(dataSource);
        builder.AddBudgets(Policy).AddPostgreSqlBudgetStore().AddPostgreSqlBudgetStore();
        await using var provider = builder.Services.BuildServiceProvider();

        provider.GetRequiredService<IBudgetStore>().ShouldBeSameAs(provider.GetRequiredService<PostgreSqlBudgetStore>());
        builder.Services.Count(d => d.ServiceType == typeof(IBudgetStore)).ShouldBe(1);
        builder.Services.Count(d => d.ServiceType == typeof(PostgreSqlBudgetStore)).ShouldBe(1);
    }

    [Fact]
    public async Task AddPostgreSqlBudgetStore_AnotherStoreRegisteredFirst_KeepsIt()
    {
        var custom = new InMemoryBudgetStore();
        var builder = new Builder();
        builder.Services.AddSingleton<IBudgetStore>(custom);
        builder.AddPostgreSqlBudgetStore().AddBudgets(Policy);
        await using var provider = builder.Services.BuildServiceProvider();

        provider.GetRequiredService<IBudgetStore>().ShouldBeSameAs(custom);
    }

    [Fact]
    public async Task AddPostgreSqlBudgetStore_WithTheLedger_UsesTheLedgersDataSource()
    {
        var builder = new Builder();
        builder.AddPostgreSqlLedger(o => o.ConnectionString = "Host=127.0.0.1;Database=a").AddPostgreSqlBudgetStore();
        await using var provider = builder.Services.BuildServiceProvider();

        provider.GetRequiredService<PostgreSqlBudgetStore>().DataSource.ShouldBeSameAs(provider.GetRequiredService<PostgreSqlUsageLedger>().DataSource);
    }

    [Fact]
    public async Task AddPostgreSqlBudgetStore_NoLedgerAndNoDataSource_ThrowsNamingBoth()
    {
        var builder = new Builder();
        builder.AddPostgreSqlBudgetStore();
        await using var provider = builder.Services.BuildServiceProvider();

        var error = Should.Throw<InvalidOperationException>(() => provider.GetRequiredService<IBudgetStore>());
        error.Message.ShouldContain("AddPostgreSqlLedger(...) or an NpgsqlDataSource");
    }

    private sealed class Builder : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }
}
