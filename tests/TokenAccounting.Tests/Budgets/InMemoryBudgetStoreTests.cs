namespace TokenAccounting.Tests.Budgets;

public sealed class InMemoryBudgetStoreTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 1, 15, 23, 59, 0, TimeSpan.Zero);

    [Fact]
    public async Task AdjustAsync_ForAWindowThatEnded_LeavesTheCurrentWindowAlone()
    {
        var store = new InMemoryBudgetStore();
        var yesterday = new BudgetCounter("p", "", BudgetWindow.UtcDay, Day1);
        var today = yesterday with { At = Day1.AddMinutes(2) };
        (await store.TryAddAsync(yesterday, 10m, 100m)).ShouldBe(new BudgetStoreResult(true, 10m));
        (await store.TryAddAsync(today, 5m, 100m)).ShouldBe(new BudgetStoreResult(true, 5m));

        // Committing yesterday's reservation late (actual 4 instead of 10) must not touch today's counter.
        (await store.AdjustAsync(yesterday, -6m)).ShouldBe(5m);
        (await store.GetUsedAsync(today)).ShouldBe(5m);
    }

    [Fact]
    public async Task TryAddAsync_OverLimit_IsNotAdmittedAndReportsUsed()
    {
        var store = new InMemoryBudgetStore();
        var counter = new BudgetCounter("p", "u", BudgetWindow.Lifetime, Day1);
        await store.TryAddAsync(counter, 8m, 10m);

        (await store.TryAddAsync(counter, 3m, 10m)).ShouldBe(new BudgetStoreResult(false, 8m));
        (await store.TryAddAsync(counter, 2m, 10m)).ShouldBe(new BudgetStoreResult(true, 10m));
        (await store.TryAddAsync(counter, 0m, 10m)).Admitted.ShouldBeFalse();
        (await store.TryAddAsync(counter, 5m, null)).ShouldBe(new BudgetStoreResult(true, 15m));
    }

    [Fact]
    public async Task AdjustAsync_BelowZero_ClampsAtZero()
    {
        var store = new InMemoryBudgetStore();
        var counter = new BudgetCounter("p", "", BudgetWindow.UtcMonth, Day1);
        await store.TryAddAsync(counter, 1m, null);

        (await store.AdjustAsync(counter, -5m)).ShouldBe(0m);
    }

    [Fact]
    public async Task TryAddAsync_RollingWindowAtManyDistinctTicks_KeepsAtMost61BucketsAndAllocatesNothingPerCall()
    {
        var store = new InMemoryBudgetStore();
        var window = BudgetWindow.Rolling(TimeSpan.FromHours(1));
        var counter = new BudgetCounter("p", "u", window, Day1);
        await store.TryAddAsync(counter, 1m, null); // creates the counter

        // 200,000 reservations, each at its own tick, across three hours: before bucketing, one entry per tick.
        var step = TimeSpan.FromHours(3) / 200_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 200_000; i++)
        {
            await store.TryAddAsync(counter with { At = Day1 + (step * i) + TimeSpan.FromTicks(i % 7) }, 1m, null);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        store.CountRollingBuckets("p", "u").ShouldBeLessThanOrEqualTo(61);
        allocated.ShouldBeLessThan(64 * 1024, "memory must not grow with the request rate × window length");

        // The last hour (plus at most one bucket) is what remains counted: 66,667 adds per hour, one bucket ≈ 1,111.
        var used = await store.GetUsedAsync(counter with { At = Day1 + TimeSpan.FromHours(3) });
        used.ShouldBeInRange(66_000m, 66_667m + 1_112m);
    }

    [Fact]
    public async Task GetUsedAsync_RollingWindow_CountsAnAmountForAtLeastTheDurationAndAtMostOneBucketLonger()
    {
        var store = new InMemoryBudgetStore();
        var window = BudgetWindow.Rolling(TimeSpan.FromMinutes(60)); // buckets of one minute
        var at = new DateTimeOffset(2026, 1, 15, 12, 0, 30, TimeSpan.Zero);
        var counter = new BudgetCounter("p", "", window, at);
        await store.TryAddAsync(counter, 7m, 100m);

        (await store.GetUsedAsync(counter with { At = at + TimeSpan.FromMinutes(60) })).ShouldBe(7m, "exactly the duration later it still counts");
        (await store.GetUsedAsync(counter with { At = new DateTimeOffset(2026, 1, 15, 13, 0, 59, TimeSpan.Zero) })).ShouldBe(7m, "within one bucket longer");
        (await store.GetUsedAsync(counter with { At = new DateTimeOffset(2026, 1, 15, 13, 1, 0, TimeSpan.Zero) })).ShouldBe(0m, "once its bucket is 61 buckets old");
    }

    [Fact]
    public async Task AdjustAsync_RollingWindow_ForAMomentThatSlidOut_IsIgnoredAndNeverBelowZero()
    {
        var store = new InMemoryBudgetStore();
        var window = BudgetWindow.Rolling(TimeSpan.FromMinutes(60));
        var old = new BudgetCounter("p", "", window, Day1);
        var now = old with { At = Day1 + TimeSpan.FromHours(2) };
        await store.TryAddAsync(old, 50m, null);
        await store.TryAddAsync(now, 5m, null);

        (await store.AdjustAsync(old, 30m)).ShouldBe(5m, "the old moment's window has ended");
        (await store.AdjustAsync(now, -9m)).ShouldBe(0m);
    }

    [Theory]
    [InlineData(BudgetWindowKind.UtcDay)]
    [InlineData(BudgetWindowKind.Rolling)]
    [InlineData(BudgetWindowKind.Lifetime)]
    public async Task AdjustAsync_SumPastDecimalMaxValue_SaturatesInsteadOfThrowing(BudgetWindowKind kind)
    {
        var store = new InMemoryBudgetStore();
        var window = kind switch
        {
            BudgetWindowKind.Rolling => BudgetWindow.Rolling(TimeSpan.FromMinutes(60)),
            BudgetWindowKind.Lifetime => BudgetWindow.Lifetime,
            _ => BudgetWindow.UtcDay,
        };
        var counter = new BudgetCounter("p", "", window, Day1);
        await store.TryAddAsync(counter, decimal.MaxValue - 1m, null);

        (await store.AdjustAsync(counter, 10m)).ShouldBe(decimal.MaxValue);
        (await store.AdjustAsync(counter with { At = Day1.AddSeconds(61) }, decimal.MaxValue)).ShouldBe(decimal.MaxValue);
        (await store.TryAddAsync(counter, decimal.MaxValue, null)).Used.ShouldBe(decimal.MaxValue);
        (await store.TryAddAsync(counter, 1m, decimal.MaxValue)).Admitted.ShouldBeFalse("a saturated counter denies");
    }
}
