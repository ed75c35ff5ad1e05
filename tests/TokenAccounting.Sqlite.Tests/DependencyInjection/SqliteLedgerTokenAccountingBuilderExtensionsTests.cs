using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenAccounting.Sqlite.Tests.DependencyInjection;

public sealed class SqliteLedgerTokenAccountingBuilderExtensionsTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public void AddSqliteLedger_CalledTwice_RegistersOneLedgerAsSinkAndQuery()
    {
        var builder = new Builder();
        builder.AddSqliteLedger(o => o.ConnectionString = "Data Source=ignored.db");
        builder.AddSqliteLedger(o => o.ConnectionString = _db.ConnectionString);
        using var provider = builder.Services.BuildServiceProvider();

        var ledger = provider.GetRequiredService<SqliteUsageLedger>();
        provider.GetServices<IUsageSink>().ShouldBe([ledger]);
        provider.GetRequiredService<IUsageQuery>().ShouldBeSameAs(ledger);
        provider.GetRequiredService<IOptions<SqliteLedgerOptions>>().Value.ConnectionString.ShouldBe(_db.ConnectionString);
    }

    [Fact]
    public void AddSqliteLedger_BesideAnotherSink_KeepsBoth()
    {
        var builder = new Builder();
        builder.Services.AddSingleton<IUsageSink, NullSink>();
        builder.AddSqliteLedger(o => o.ConnectionString = _db.ConnectionString);
        using var provider = builder.Services.BuildServiceProvider();

        provider.GetServices<IUsageSink>().Select(s => s.GetType().Name).ShouldBe(["NullSink", "SqliteUsageLedger"]);
    }

    [Fact]
    public void AddSqliteLedger_MissingConnectionString_FailsValidationNamingTheOption()
    {
        var builder = new Builder();
        builder.AddSqliteLedger(_ => { });
        using var provider = builder.Services.BuildServiceProvider();

        var error = Should.Throw<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SqliteLedgerOptions>>().Value);
        error.Message.ShouldContain("SqliteLedgerOptions.ConnectionString is required");
    }

    private sealed class Builder : ITokenAccountingBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }

    private sealed class NullSink : IUsageSink
    {
        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
