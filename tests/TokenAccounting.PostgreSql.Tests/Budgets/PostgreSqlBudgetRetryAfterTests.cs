using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;

namespace TokenAccounting.PostgreSql.Tests.Budgets;

/// <summary>Denials through the PostgreSQL store carry when to retry, for each window kind; sums saturate.</summary>
[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlBudgetRetryAfterTests(PostgresServer server)
{
    private static readonly BudgetSubject Acme = new() { TenantId = "acme" };

    private async Task<(BudgetManager Manager, FakeTimeProvider Time, NpgsqlDataSource DataSource)> ManagerAsync(BudgetWindow window, DateTimeOffset start)
    {
        var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var time = new FakeTimeProvider(start);
        var manager = new BudgetManager(
            [new BudgetPolicy { Name = "tenant", Dimension = BudgetDimension.Tenant, Limit = 100, Window = window }],
            new PostgreSqlBudgetStore(dataSource, time),
            time);
        return (manager, time, dataSource);
    }

    [SkippableFact]
    public async Task ReserveAsync_RollingWindowExhausted_RetryAfterComesFromTheBuckets()
    {
        var (manager, time, dataSource) = await ManagerAsync(BudgetWindow.Rolling(TimeSpan.FromHours(1)), new DateTimeOffset(2026, 1, 15, 12, 0, 30, TimeSpan.Zero));
        await using var _ = dataSource;
        await manager.ReserveAsync(BudgetAmount.FromTokens(60), Acme);     // bucket 12:00, leaves the window at 13:01
        time.SetUtcNow(new DateTimeOffset(2026, 1, 15, 12, 20, 10, TimeSpan.Zero));
        await manager.ReserveAsync(BudgetAmount.FromTokens(40), Acme);     // bucket 12:20, leaves at 13:21
        time.SetUtcNow(new DateTimeOffset(2026, 1, 15, 12, 30, 0, TimeSpan.Zero));

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(50), Acme).AsTask());

        denied.WindowEnd.ShouldBeNull();
        denied.RetryAfter.ShouldBe(TimeSpan.FromMinutes(31));
        (await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(70), Acme).AsTask())).RetryAfter.ShouldBe(TimeSpan.FromMinutes(51));
        (await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(101), Acme).AsTask())).RetryAfter.ShouldBeNull();

        time.Advance(denied.RetryAfter!.Value - TimeSpan.FromTicks(1));
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(50), Acme).AsTask());
        time.Advance(TimeSpan.FromTicks(1));
        await manager.ReserveAsync(BudgetAmount.FromTokens(50), Acme);
    }

    [SkippableTheory]
    [InlineData("day", 12.5)]
    [InlineData("month", 396.5)] // 16 days 12.5 hours to February 1st
    public async Task ReserveAsync_FixedWindowExhausted_RetryAfterRunsToTheWindowEnd(string window, double hours)
    {
        var (manager, time, dataSource) = await ManagerAsync(PostgreSqlBudgetStoreTests.WindowFor(window), new DateTimeOffset(2026, 1, 15, 11, 30, 0, TimeSpan.Zero));
        await using var _ = dataSource;
        await manager.ReserveAsync(BudgetAmount.FromTokens(100), Acme);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Acme).AsTask());

        denied.RetryAfter.ShouldBe(TimeSpan.FromHours(hours));
        denied.WindowEnd.ShouldBe(time.GetUtcNow() + TimeSpan.FromHours(hours));
        time.Advance(denied.RetryAfter!.Value);
        await manager.ReserveAsync(BudgetAmount.FromTokens(1), Acme);
    }

    [SkippableFact]
    public async Task ReserveAsync_LifetimeWindowExhausted_NeverFrees()
    {
        var (manager, _, dataSource) = await ManagerAsync(BudgetWindow.Lifetime, new DateTimeOffset(2026, 1, 15, 11, 30, 0, TimeSpan.Zero));
        await using var _ = dataSource;
        await manager.ReserveAsync(BudgetAmount.FromTokens(100), Acme);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Acme).AsTask());

        denied.RetryAfter.ShouldBeNull();
        denied.WindowEnd.ShouldBeNull();
    }

    [SkippableTheory]
    [MemberData(nameof(PostgreSqlBudgetStoreTests.Windows), MemberType = typeof(PostgreSqlBudgetStoreTests))]
    public async Task AdjustAsync_SumPastDecimalMaxValue_SaturatesAndStillReads(string window)
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var counter = new BudgetCounter("p", "acme", PostgreSqlBudgetStoreTests.WindowFor(window), new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        await store.AdjustAsync(counter, decimal.MaxValue - 1m);

        (await store.AdjustAsync(counter, decimal.MaxValue)).ShouldBe(decimal.MaxValue);
        (await store.GetUsedAsync(counter)).ShouldBe(decimal.MaxValue);
        (await store.TryAddAsync(counter, 1m, decimal.MaxValue)).ShouldBe(new BudgetStoreResult(false, decimal.MaxValue));
    }
}
