using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;

namespace TokenAccounting.PostgreSql.Tests.Budgets;

[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlBudgetStoreTests(PostgresServer server)
{
    private static readonly DateTimeOffset Noon = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Windows => ["day", "month", "lifetime", "rolling"];

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task TryAddAsync_ExhaustedWindow_DeniesEvenZeroAndReportsUsed(string window)
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var counter = new BudgetCounter("p", "acme", WindowFor(window), Noon);

        (await store.TryAddAsync(counter, 60m, 100m)).ShouldBe(new BudgetStoreResult(true, 60m));
        (await store.TryAddAsync(counter, 41m, 100m)).ShouldBe(new BudgetStoreResult(false, 60m));
        (await store.TryAddAsync(counter, 40m, 100m)).ShouldBe(new BudgetStoreResult(true, 100m));
        (await store.TryAddAsync(counter, 0m, 100m)).ShouldBe(new BudgetStoreResult(false, 100m));
        (await store.TryAddAsync(counter, 5m, null)).ShouldBe(new BudgetStoreResult(true, 105m));
        (await store.GetUsedAsync(counter)).ShouldBe(105m);
    }

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task TryAddAsync_AmountAboveLimitOnEmptyWindow_IsDeniedAndStoresNothing(string window)
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var counter = new BudgetCounter("p", string.Empty, WindowFor(window), Noon);

        (await store.TryAddAsync(counter, 101m, 100m)).ShouldBe(new BudgetStoreResult(false, 0m));
        (await store.TryAddAsync(counter, 0.5m, 0m)).ShouldBe(new BudgetStoreResult(false, 0m));
        (await store.GetUsedAsync(counter)).ShouldBe(0m);
    }

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task AdjustAsync_NegativeBeyondUsed_StopsAtZero(string window)
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var counter = new BudgetCounter("p", "acme", WindowFor(window), Noon);
        await store.TryAddAsync(counter, 30m, 100m);

        (await store.AdjustAsync(counter, 12.5m)).ShouldBe(42.5m);
        (await store.AdjustAsync(counter, -1000m)).ShouldBe(0m);
        (await store.AdjustAsync(counter with { SubjectKey = "never-used" }, -5m)).ShouldBe(0m);
        (await store.TryAddAsync(counter, 100m, 100m)).Admitted.ShouldBeTrue();
    }

    [SkippableFact]
    public async Task AdjustAsync_ReservationFromAnEndedDay_LeavesTheCurrentDayAlone()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var yesterday = new BudgetCounter("p", "acme", BudgetWindow.UtcDay, Noon);
        var today = yesterday with { At = Noon.AddDays(1) };
        await store.TryAddAsync(yesterday, 50m, 100m);
        await store.TryAddAsync(today, 10m, 100m);

        (await store.AdjustAsync(yesterday, -50m)).ShouldBe(0m);

        (await store.GetUsedAsync(today)).ShouldBe(10m);
    }

    [SkippableFact]
    public async Task RollingWindow_AmountCountsForTheDurationPlusAtMostOneBucket_ThenSlidesOutAndIsDeleted()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var window = BudgetWindow.Rolling(TimeSpan.FromHours(1)); // buckets of one minute
        var at = new BudgetCounter("p", "acme", window, Noon);
        await store.TryAddAsync(at, 60m, 100m);
        await store.TryAddAsync(at with { At = Noon.AddMinutes(30) }, 10m, 100m);

        (await store.TryAddAsync(at with { At = Noon.AddMinutes(31) }, 31m, 100m)).ShouldBe(new BudgetStoreResult(false, 70m));
        (await store.GetUsedAsync(at with { At = Noon.AddMinutes(60).AddSeconds(59) })).ShouldBe(70m);
        (await store.GetUsedAsync(at with { At = Noon.AddMinutes(61) })).ShouldBe(10m);
        (await store.TryAddAsync(at with { At = Noon.AddMinutes(61) }, 90m, 100m)).ShouldBe(new BudgetStoreResult(true, 100m));
        (await CountRowsAsync(dataSource)).ShouldBe(2); // the noon bucket slid out and was trimmed
        (await store.GetUsedAsync(at with { At = Noon.AddMinutes(91) })).ShouldBe(90m);
    }

    [SkippableFact]
    public async Task RollingWindow_AdjustAsync_ReturnsTheWindowIncludingLaterBuckets()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var reserved = new BudgetCounter("p", "acme", BudgetWindow.Rolling(TimeSpan.FromMinutes(10)), Noon);
        await store.TryAddAsync(reserved, 40m, 100m);
        await store.TryAddAsync(reserved with { At = Noon.AddMinutes(2) }, 25m, 100m);

        (await store.AdjustAsync(reserved, -15m)).ShouldBe(50m);
        (await store.GetUsedAsync(reserved with { At = Noon.AddMinutes(3) })).ShouldBe(50m);
    }

    [SkippableFact]
    public async Task Counters_OfDifferentPoliciesSubjectsAndDurations_AreSeparate()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);
        var counter = new BudgetCounter("a", "1:b", BudgetWindow.Rolling(TimeSpan.FromHours(1)), Noon);
        await store.TryAddAsync(counter, 7m, null);

        (await store.GetUsedAsync(counter with { PolicyName = "a:1", SubjectKey = "b" })).ShouldBe(0m);
        (await store.GetUsedAsync(counter with { SubjectKey = "1:c" })).ShouldBe(0m);
        (await store.GetUsedAsync(counter with { Window = BudgetWindow.Rolling(TimeSpan.FromHours(2)) })).ShouldBe(0m);
        (await store.GetUsedAsync(counter with { Window = BudgetWindow.UtcDay })).ShouldBe(0m);
        (await store.GetUsedAsync(counter)).ShouldBe(7m);
    }

    [SkippableFact]
    public async Task TryAddAsync_NegativeAmount_ThrowsNamingTheParameter()
    {
        await using var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync());
        var store = new PostgreSqlBudgetStore(dataSource);

        var error = await Should.ThrowAsync<ArgumentOutOfRangeException>(() => store.TryAddAsync(new BudgetCounter("p", "", BudgetWindow.UtcDay, Noon), -1m, 10m).AsTask());

        error.ParamName.ShouldBe("amount");
    }

    internal static BudgetWindow WindowFor(string window) => window switch
    {
        "day" => BudgetWindow.UtcDay,
        "month" => BudgetWindow.UtcMonth,
        "lifetime" => BudgetWindow.Lifetime,
        "rolling" => BudgetWindow.Rolling(TimeSpan.FromHours(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, "unknown window"),
    };

    private static async Task<long> CountRowsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM usage_budget_counters");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
