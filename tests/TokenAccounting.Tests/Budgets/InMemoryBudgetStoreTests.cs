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
}
