using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;

namespace TokenAccounting.PostgreSql.Tests.Budgets;

[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlBudgetCounterTests(PostgresServer server)
{
    [SkippableFact]
    public async Task TryReserveAsync_EightInstancesRacingOnOneLimit_AdmitExactlyTheLimit()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var dataSources = Enumerable.Range(0, 8)
            .Select(_ => NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = true, MaxPoolSize = 8 }.ConnectionString))
            .ToList();
        try
        {
            var counters = dataSources.Select(d => new PostgreSqlBudgetCounter(d)).ToList();
            await counters[0].GetUsedAsync("warm", "up");
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var attempts = counters.SelectMany(counter => Enumerable.Range(0, 100).Select(_ => Task.Run(async () =>
            {
                await start.Task;
                return await counter.TryReserveAsync("tenant:acme", "day:2026-01-15", 1m, 100m);
            }))).ToList();
            start.SetResult();
            var results = await Task.WhenAll(attempts);

            results.Count(r => r.Succeeded).ShouldBe(100);
            results.Where(r => !r.Succeeded).ShouldAllBe(r => r.Used == 100m && r.Remaining == 0m);
            results.Where(r => r.Succeeded).Select(r => r.Used).OrderBy(u => u).ShouldBe(Enumerable.Range(1, 100).Select(i => (decimal)i));
            (await counters[3].GetUsedAsync("tenant:acme", "day:2026-01-15")).ShouldBe(100m);
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task TryReserveAsync_AmountLargerThanWhatRemains_IsDeniedWithUsedAndRemaining()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var counter = new PostgreSqlBudgetCounter(dataSource);

        var first = await counter.TryReserveAsync("b", "w", 0.75m, 1.00m);
        var second = await counter.TryReserveAsync("b", "w", 0.30m, 1.00m);
        var tooBigForEmptyWindow = await counter.TryReserveAsync("b", "other", 2m, 1m);

        first.ShouldBe(new PostgreSqlBudgetReservation(true, 0.75m, 0.25m));
        second.ShouldBe(new PostgreSqlBudgetReservation(false, 0.75m, 0.25m));
        tooBigForEmptyWindow.ShouldBe(new PostgreSqlBudgetReservation(false, 0m, 1m));
    }

    [SkippableFact]
    public async Task CommitAndRelease_AdjustTheWindowByActualMinusReserved()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var counter = new PostgreSqlBudgetCounter(dataSource);
        await counter.TryReserveAsync("b", "w", 500m, 1000m);
        await counter.TryReserveAsync("b", "w", 300m, 1000m);

        (await counter.CommitAsync("b", "w", reserved: 500m, actual: 420m)).ShouldBe(720m);
        (await counter.ReleaseAsync("b", "w", reserved: 300m)).ShouldBe(420m);
        (await counter.CommitAsync("b", "w", reserved: 0m, actual: 700m)).ShouldBe(1120m);
        (await counter.AdjustAsync("b", "w", -5000m)).ShouldBe(0m);
        (await counter.TryReserveAsync("b", "w", 1000m, 1000m)).Succeeded.ShouldBeTrue();
    }

    [SkippableFact]
    public async Task TryReserveAsync_NegativeAmount_ThrowsNamingTheParameter()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var counter = new PostgreSqlBudgetCounter(dataSource);

        var error = await Should.ThrowAsync<ArgumentOutOfRangeException>(() => counter.TryReserveAsync("b", "w", -1m, 10m).AsTask());

        error.ParamName.ShouldBe("amount");
    }
}
