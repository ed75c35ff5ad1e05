namespace TokenAccounting.Tests.Budgets;

/// <summary>What a denial says about when to retry, for each window kind, with time driven by a manual clock.</summary>
public sealed class BudgetRetryAfterTests
{
    private static readonly BudgetSubject Anyone = new();

    private static (BudgetManager Manager, FakeTimeProvider Time) Manager(DateTimeOffset start, BudgetWindow window, decimal limit = 100)
    {
        var time = new FakeTimeProvider(start);
        return (new BudgetManager([new BudgetPolicy { Name = "p", Limit = limit, Window = window }], new InMemoryBudgetStore(), time), time);
    }

    [Fact]
    public async Task ReserveAsync_DayWindowExhausted_RetryAfterIsTheTimeToUtcMidnight()
    {
        var (manager, time) = Manager(new DateTimeOffset(2026, 1, 15, 13, 30, 0, TimeSpan.FromHours(2)), BudgetWindow.UtcDay); // 11:30 UTC
        await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone).AsTask());

        denied.WindowEnd.ShouldBe(new DateTimeOffset(2026, 1, 16, 0, 0, 0, TimeSpan.Zero));
        denied.RetryAfter.ShouldBe(TimeSpan.FromHours(12.5));
        denied.Message.ShouldContain("retry after 12:30:00");

        time.Advance(denied.RetryAfter!.Value - TimeSpan.FromTicks(1));
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone).AsTask());
        time.Advance(TimeSpan.FromTicks(1));
        await manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone);
    }

    [Fact]
    public async Task ReserveAsync_MonthWindowExhausted_RetryAfterRunsToTheFirstOfNextMonth()
    {
        var (manager, _) = Manager(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero), BudgetWindow.UtcMonth);
        await manager.ReserveAsync(BudgetAmount.FromTokens(90), Anyone);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(20), Anyone).AsTask());

        denied.WindowEnd.ShouldBe(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        denied.RetryAfter.ShouldBe(TimeSpan.FromHours(1));
        denied.Remaining.ShouldBe(10m);
    }

    [Fact]
    public async Task ReserveAsync_RequestLargerThanTheLimit_NeverFitsSoRetryAfterIsNull()
    {
        var (manager, _) = Manager(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero), BudgetWindow.UtcDay);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(101), Anyone).AsTask());

        denied.RetryAfter.ShouldBeNull();
        denied.WindowEnd.ShouldBe(new DateTimeOffset(2026, 1, 16, 0, 0, 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task ReserveAsync_LifetimeWindowExhausted_HasNoWindowEndAndNoRetryAfter()
    {
        var (manager, _) = Manager(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero), BudgetWindow.Lifetime);
        await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone).AsTask());

        denied.WindowEnd.ShouldBeNull();
        denied.RetryAfter.ShouldBeNull();
    }

    [Fact]
    public async Task ReserveAsync_RollingWindowExhausted_RetryAfterIsWhenEnoughUsageSlidesOutOfTheBuckets()
    {
        // Rolling(1 h): buckets of one minute; an amount leaves the window 61 bucket starts after its bucket's start.
        var (manager, time) = Manager(new DateTimeOffset(2026, 1, 15, 12, 0, 30, TimeSpan.Zero), BudgetWindow.Rolling(TimeSpan.FromHours(1)));
        await manager.ReserveAsync(BudgetAmount.FromTokens(60), Anyone);    // bucket 12:00, leaves at 13:01
        time.SetUtcNow(new DateTimeOffset(2026, 1, 15, 12, 20, 10, TimeSpan.Zero));
        await manager.ReserveAsync(BudgetAmount.FromTokens(40), Anyone);    // bucket 12:20, leaves at 13:21
        time.SetUtcNow(new DateTimeOffset(2026, 1, 15, 12, 30, 0, TimeSpan.Zero));

        // 50 fits once the 60 have left (40 + 50 ≤ 100): at 13:01, 31 minutes from now.
        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(50), Anyone).AsTask());
        denied.WindowEnd.ShouldBeNull();
        denied.RetryAfter.ShouldBe(TimeSpan.FromMinutes(31));

        // 70 needs the 40 gone as well: at 13:21.
        (await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(70), Anyone).AsTask()))
            .RetryAfter.ShouldBe(TimeSpan.FromMinutes(51));
        (await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(101), Anyone).AsTask()))
            .RetryAfter.ShouldBeNull();

        time.Advance(denied.RetryAfter!.Value - TimeSpan.FromTicks(1));
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(50), Anyone).AsTask());
        time.Advance(TimeSpan.FromTicks(1));
        await manager.ReserveAsync(BudgetAmount.FromTokens(50), Anyone);
    }

    [Fact]
    public async Task ReserveAsync_RollingWindowOnAStoreThatDoesNotSay_AssumesTheWholeWindowAndOneBucket()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero));
        var manager = new BudgetManager([new BudgetPolicy { Name = "p", Limit = 10, Window = BudgetWindow.Rolling(TimeSpan.FromMinutes(60)) }], new SilentStore(), time);
        await manager.ReserveAsync(BudgetAmount.FromTokens(10), Anyone);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone).AsTask());

        denied.RetryAfter.ShouldBe(TimeSpan.FromMinutes(61));
    }

    [Fact]
    public void GetEnd_FixedWindows_AreTheNextUtcBoundaryAndNullOtherwise()
    {
        var at = new DateTimeOffset(2028, 2, 29, 23, 59, 59, TimeSpan.Zero);
        BudgetWindow.UtcDay.GetEnd(at).ShouldBe(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero));
        BudgetWindow.UtcMonth.GetEnd(at).ShouldBe(new DateTimeOffset(2028, 3, 1, 0, 0, 0, TimeSpan.Zero));
        BudgetWindow.UtcMonth.GetEnd(DateTimeOffset.MaxValue).ShouldBe(DateTimeOffset.MaxValue);
        BudgetWindow.Lifetime.GetEnd(at).ShouldBeNull();
        BudgetWindow.Rolling(TimeSpan.FromHours(1)).GetEnd(at).ShouldBeNull();
    }

    /// <summary>A store that keeps the default <see cref="IBudgetStore.GetRetryAtAsync"/> (as a store written before it existed).</summary>
    private sealed class SilentStore : IBudgetStore
    {
        private readonly InMemoryBudgetStore _inner = new();

        public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default) =>
            _inner.TryAddAsync(counter, amount, limit, cancellationToken);

        public ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default) => _inner.AdjustAsync(counter, delta, cancellationToken);

        public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default) => _inner.GetUsedAsync(counter, cancellationToken);
    }
}
