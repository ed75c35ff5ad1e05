using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;

namespace TokenAccounting.PostgreSql.Tests.Budgets;

/// <summary>Several app instances (each its own data source, store and manager) sharing budgets through one database.</summary>
[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlBudgetStoreInstancesTests(PostgresServer server)
{
    private static readonly BudgetSubject Acme = new() { TenantId = "acme" };

    public static TheoryData<string> Windows => ["day", "month", "lifetime", "rolling"];

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task ReserveAsync_FourInstancesRacingOnOneHardLimit_AdmitExactlyTheLimitAndCommitsSumUp(string window)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var policy = Policy(window, limit: 100m);
        var instances = Enumerable.Range(0, 4).Select(_ => new Instance(connectionString, clock, policy)).ToList();
        try
        {
            await instances[0].Manager.GetUsedAsync(policy.Name, Acme); // create the schema before the race
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = instances.SelectMany(instance => Enumerable.Range(0, 250).Select(_ => Task.Run(async () =>
            {
                await start.Task;
                try
                {
                    return await instance.Manager.ReserveAsync(BudgetAmount.FromTokens(1), Acme);
                }
                catch (BudgetExceededException)
                {
                    return null;
                }
            }))).ToList();
            start.SetResult();
            var reservations = await Task.WhenAll(attempts);

            var admitted = reservations.Where(r => r is not null).Select(r => r!).ToList();
            admitted.Count.ShouldBe(100);
            instances.Sum(i => i.Manager.Denials).ShouldBe(900);
            (await instances[1].Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(100m);

            // Each admitted call used 0, 1 or 2 tokens: commits replace the reservations by the actual amounts.
            await Task.WhenAll(admitted.Select((r, i) => r.CommitAsync(BudgetAmount.FromTokens(i % 3)).AsTask()));
            var committed = Enumerable.Range(0, 100).Sum(i => i % 3);
            (await instances[2].Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(committed);
            (await instances[3].Store.GetUsedAsync(new BudgetCounter(policy.Name, "acme", policy.Window, clock.GetUtcNow()))).ShouldBe(committed);
        }
        finally
        {
            foreach (var instance in instances)
            {
                await instance.DisposeAsync();
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task ReleaseAsync_OnAnotherInstancesBudget_GivesTheReservationBack(string window)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var policy = Policy(window, limit: 1000m);
        await using var first = new Instance(connectionString, clock, policy);
        await using var second = new Instance(connectionString, clock, policy);

        var held = await first.Manager.ReserveAsync(BudgetAmount.FromTokens(700), Acme);
        await Should.ThrowAsync<BudgetExceededException>(() => second.Manager.ReserveAsync(BudgetAmount.FromTokens(301), Acme).AsTask());
        await held.ReleaseAsync();
        var after = await second.Manager.ReserveAsync(BudgetAmount.FromTokens(1000), Acme);

        held.State.ShouldBe(BudgetReservationState.Released);
        after.State.ShouldBe(BudgetReservationState.Held);
        (await first.Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(1000m);
    }

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task ReserveAsync_SoftPolicyOnTwoInstances_AdmitsAllAndWarnsOnceAtTheThreshold(string window)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var policy = Policy(window, limit: 10m, BudgetEnforcement.Soft, warningThreshold: 0.8);
        await using var first = new Instance(connectionString, clock, policy);
        await using var second = new Instance(connectionString, clock, policy);
        var warnings = new System.Collections.Concurrent.ConcurrentBag<BudgetWarningEventArgs>();
        first.Manager.WarningThresholdCrossed += (_, e) => warnings.Add(e);
        second.Manager.WarningThresholdCrossed += (_, e) => warnings.Add(e);
        await first.Manager.GetUsedAsync(policy.Name, Acme);

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var attempts = new[] { first, second }.SelectMany(instance => Enumerable.Range(0, 10).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            return await instance.Manager.ReserveAsync(BudgetAmount.FromTokens(1), Acme);
        }))).ToList();
        start.SetResult();
        var reservations = await Task.WhenAll(attempts);

        reservations.Length.ShouldBe(20);
        (first.Manager.Denials + second.Manager.Denials).ShouldBe(0);
        (await second.Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(20m);
        // Adds to one counter serialize (row lock, or the advisory lock for rolling windows), so every add returns a
        // distinct total and exactly one of them, on one of the instances, moves the counter from 7 to 8.
        var warning = warnings.ShouldHaveSingleItem();
        warning.Used.ShouldBe(8m);
        warning.SubjectKey.ShouldBe("acme");
    }

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task Restart_NewStoreAndManagerOnTheSameDatabase_SeeTheCurrentWindowsUsage(string window)
    {
        var connectionString = await server.CreateDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var policy = Policy(window, limit: 100m);
        await using (var before = new Instance(connectionString, clock, policy))
        {
            var reservation = await before.Manager.ReserveAsync(BudgetAmount.FromTokens(50), Acme);
            await reservation.CommitAsync(BudgetAmount.FromTokens(30));
        }

        clock.Advance(TimeSpan.FromMinutes(5));
        await using var after = new Instance(connectionString, clock, policy);

        (await after.Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(30m);
        await Should.ThrowAsync<BudgetExceededException>(() => after.Manager.ReserveAsync(BudgetAmount.FromTokens(71), Acme).AsTask());
        (await after.Manager.ReserveAsync(BudgetAmount.FromTokens(70), Acme)).State.ShouldBe(BudgetReservationState.Held);

        clock.Advance(TimeSpan.FromDays(40));
        (await after.Manager.GetUsedAsync(policy.Name, Acme)).ShouldBe(window == "lifetime" ? 100m : 0m);
    }

    [SkippableFact]
    public async Task AddPostgreSqlBudgetStore_TwoContainersOnOneDatabase_EnforceOneBudget()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var policy = Policy("lifetime", limit: 100m);
        await using var first = Container(connectionString, policy);
        await using var second = Container(connectionString, policy);
        var firstBudgets = first.GetRequiredService<BudgetManager>();
        var secondBudgets = second.GetRequiredService<BudgetManager>();

        await (await firstBudgets.ReserveAsync(BudgetAmount.FromTokens(80), Acme)).CommitAsync(BudgetAmount.FromTokens(60));
        await Should.ThrowAsync<BudgetExceededException>(() => secondBudgets.ReserveAsync(BudgetAmount.FromTokens(41), Acme).AsTask());
        await secondBudgets.ReserveAsync(BudgetAmount.FromTokens(40), Acme);

        (await firstBudgets.GetUsedAsync(policy.Name, Acme)).ShouldBe(100m);
    }

    private static ServiceProvider Container(string connectionString, BudgetPolicy policy)
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting()
            .AddBudgets(policy)
            .AddPostgreSqlLedger(o => o.ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true }.ConnectionString)
            .AddPostgreSqlBudgetStore();
        return services.BuildServiceProvider();
    }

    private static BudgetPolicy Policy(string window, decimal limit, BudgetEnforcement enforcement = BudgetEnforcement.Hard, double? warningThreshold = null) => new()
    {
        Name = "tenant-tokens",
        Dimension = BudgetDimension.Tenant,
        Limit = limit,
        Window = PostgreSqlBudgetStoreTests.WindowFor(window),
        Enforcement = enforcement,
        WarningThreshold = warningThreshold,
    };

    /// <summary>One app instance: its own connection pool, store and manager.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly NpgsqlDataSource _dataSource;

        public Instance(string connectionString, TimeProvider clock, BudgetPolicy policy)
        {
            _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true, MaxPoolSize = 10 }.ConnectionString);
            Store = new PostgreSqlBudgetStore(_dataSource, clock);
            Manager = new BudgetManager([policy], Store, clock);
        }

        public PostgreSqlBudgetStore Store { get; }

        public BudgetManager Manager { get; }

        public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
    }
}
