namespace TokenAccounting.Testing.Tests.Budgets;

public sealed class FakeBudgetStoreTests
{
    private static readonly BudgetCounter Counter = new("daily", "user:alice", BudgetWindow.UtcDay, new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task TryAddAsync_FailNext_FailsWithoutChangingTheCounterThenWorks()
    {
        var store = new FakeBudgetStore();
        store.FailNext(1, BudgetStoreOperations.TryAdd);

        var failure = await Should.ThrowAsync<IOException>(() => store.TryAddAsync(Counter, 10m, 100m).AsTask());
        var admitted = await store.TryAddAsync(Counter, 10m, 100m);

        failure.Message.ShouldBe("FakeBudgetStore: injected failure of TryAdd on policy 'daily', subject 'user:alice'.");
        admitted.ShouldBe(new BudgetStoreResult(true, 10m));
        (await store.GetUsedAsync(Counter)).ShouldBe(10m);
        store.CallCount.ShouldBe(3);
        store.FailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task AdjustAsync_FailAlwaysOnAdjust_FailsOnlyAdjustUntilHealed()
    {
        var store = new FakeBudgetStore();
        await store.TryAddAsync(Counter, 40m, null);
        store.FailAlways(BudgetStoreOperations.Adjust, new TimeoutException("store timeout"));

        (await Should.ThrowAsync<TimeoutException>(() => store.AdjustAsync(Counter, -10m).AsTask())).Message.ShouldBe("store timeout");
        await Should.ThrowAsync<TimeoutException>(() => store.AdjustAsync(Counter, -10m).AsTask());
        (await store.GetUsedAsync(Counter)).ShouldBe(40m);
        store.Heal();
        (await store.AdjustAsync(Counter, -10m)).ShouldBe(30m);
    }

    [Fact]
    public async Task AdjustAsync_FailNextForOneCounter_FailsOnlyThatCounterAndOthersUseUpNothing()
    {
        var store = new FakeBudgetStore();
        var other = Counter with { PolicyName = "monthly" };
        await store.TryAddAsync(Counter, 40m, null);
        await store.TryAddAsync(other, 40m, null);
        store.FailNext(1, BudgetStoreOperations.Adjust, counters: c => c.PolicyName == "daily");

        (await store.AdjustAsync(other, -10m)).ShouldBe(30m, "another counter works and uses up nothing");
        var failure = await Should.ThrowAsync<IOException>(() => store.AdjustAsync(Counter, -10m).AsTask());
        (await store.AdjustAsync(Counter, -10m)).ShouldBe(30m, "the one failure was used up by the matching counter");

        failure.Message.ShouldContain("policy 'daily'");
        store.FailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task TryAddAsync_FailAlwaysForOneCounter_FailsThatCounterUntilHealed()
    {
        var store = new FakeBudgetStore();
        var other = Counter with { PolicyName = "monthly" };
        store.FailAlways(BudgetStoreOperations.TryAdd, new TimeoutException("store timeout"), c => c.PolicyName == "daily");

        await Should.ThrowAsync<TimeoutException>(() => store.TryAddAsync(Counter, 10m, 100m).AsTask());
        await Should.ThrowAsync<TimeoutException>(() => store.TryAddAsync(Counter, 10m, 100m).AsTask());
        (await store.TryAddAsync(other, 10m, 100m)).ShouldBe(new BudgetStoreResult(true, 10m));
        store.Heal();
        (await store.TryAddAsync(Counter, 10m, 100m)).ShouldBe(new BudgetStoreResult(true, 10m));
        store.FailureCount.ShouldBe(2);
    }

    [Fact]
    public async Task ReserveAsync_StoreFailing_SurfacesTheInjectedStoreError()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([new BudgetPolicy { Name = "daily", Limit = 100 }], store, new FakeTimeProvider());
        store.FailAlways();

        var exception = await Should.ThrowAsync<Exception>(async () => await manager.ReserveAsync(BudgetAmount.FromTokens(10)));

        // The manager may wrap store errors to name the policy; the injected failure must be the error or its cause.
        (exception as IOException ?? exception.InnerException as IOException).ShouldNotBeNull(exception.ToString());
        store.FailureCount.ShouldBe(1);
    }
}
