using Microsoft.Extensions.Logging;

namespace TokenAccounting.Tests.Budgets;

/// <summary>A store that fails at the wrong moment never over-admits, never leaks a hold, and Dispose never throws.</summary>
public sealed class BudgetReservationStoreFailureTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly BudgetSubject Anyone = new();

    private static BudgetPolicy Policy(string name, decimal limit) => new() { Name = name, Limit = limit, Window = BudgetWindow.UtcDay };

    [Fact]
    public async Task CommitAsync_StoreFails_StaysHeldAndARetryCountsTheOverrun()
    {
        // The reproduction of issue 12: limit 1,000, a reservation of 500, the actual use 1,489, the store down at commit.
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("daily", 1_000)], store, new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(500), Anyone);
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting"));

        var failure = await Should.ThrowAsync<BudgetStoreException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(1_489)).AsTask());

        failure.PolicyName.ShouldBe("daily");
        failure.Operation.ShouldBe(BudgetStoreOperation.Commit);
        failure.InnerException.ShouldBeOfType<TimeoutException>();
        failure.Message.ShouldContain("'daily'");
        reservation.State.ShouldBe(BudgetReservationState.Held);
        manager.SettlementFailures.ShouldBe(1);

        await reservation.CommitAsync(BudgetAmount.FromTokens(1_489));

        reservation.State.ShouldBe(BudgetReservationState.Committed);
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(1_489m);
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone).AsTask());
    }

    [Fact]
    public async Task CommitAsync_StoreFailsOnTheSecondPolicy_RetrySettlesEachPolicyOnce()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("a", 1_000), Policy("b", 1_000)], store, new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting b"), c => c.PolicyName == "b");

        (await Should.ThrowAsync<BudgetStoreException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(300)).AsTask())).PolicyName.ShouldBe("b");
        (await manager.GetUsedAsync("a", Anyone)).ShouldBe(300m, "policy a took the commit before b failed");

        await reservation.CommitAsync(BudgetAmount.FromTokens(300));

        (await manager.GetUsedAsync("a", Anyone)).ShouldBe(300m, "the retry does not add a's difference twice");
        (await manager.GetUsedAsync("b", Anyone)).ShouldBe(300m);
    }

    [Fact]
    public async Task CommitAsync_RetriedWithAnotherAmount_ThrowsAndKeepsThePendingOne()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("daily", 1_000)], store, new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(10), Anyone);
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting"));
        await Should.ThrowAsync<BudgetStoreException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(40)).AsTask());

        (await Should.ThrowAsync<InvalidOperationException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(41)).AsTask())).Message.ShouldContain("same amount");
        Should.Throw<InvalidOperationException>(() => reservation.Release()).Message.ShouldContain("commit");

        await reservation.CommitAsync(BudgetAmount.FromTokens(40));
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(40m);
    }

    [Fact]
    public async Task ReleaseAsync_StoreFails_ThrowsNamingThePolicyAndCanBeRetried()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("daily", 100)], store, new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting"));

        var failure = await Should.ThrowAsync<BudgetStoreException>(() => reservation.ReleaseAsync().AsTask());

        failure.Operation.ShouldBe(BudgetStoreOperation.Release);
        failure.PolicyName.ShouldBe("daily");
        reservation.State.ShouldBe(BudgetReservationState.Held);
        await reservation.ReleaseAsync();
        reservation.State.ShouldBe(BudgetReservationState.Released);
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(0m);
    }

    [Fact]
    public async Task Dispose_StoreFails_NeverMasksTheCallersExceptionAndTheReleaseLandsInTheBackground()
    {
        var time = new SignallingTimeProvider(Start);
        var store = new FakeBudgetStore();
        using var logs = new FakeLoggerProvider();
        var manager = new BudgetManager([Policy("daily", 100)], store, time, logger: logs.CreateLogger("budgets"));
        store.FailNext(2, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting")); // Dispose's attempt, then the first background attempt

        var callerFailure = Should.Throw<HttpRequestException>(() =>
        {
            using var reservation = manager.Reserve(BudgetAmount.FromTokens(100), Anyone);
            throw new HttpRequestException("the model call failed");
        });

        callerFailure.Message.ShouldBe("the model call failed", "Dispose must not replace the caller's exception with the store's");
        manager.PendingSettlements.ShouldBe(1);
        manager.SettlementFailures.ShouldBe(1);
        var warning = logs.Collector.GetSnapshot().ShouldHaveSingleItem();
        warning.Level.ShouldBe(LogLevel.Warning);
        warning.Id.Id.ShouldBe(1101);
        warning.Exception.ShouldBeOfType<BudgetStoreException>().PolicyName.ShouldBe("daily");
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(100m, "still held: the give-back has not landed yet");

        // The background loop retries after 1 s; the store still fails, so it backs off and retries again after 2 s.
        await manager.RetryPendingAsync(CancellationToken.None);
        manager.SettlementFailures.ShouldBe(2);
        manager.PendingSettlements.ShouldBe(1);

        var loop = manager.RetryLoop.ShouldNotBeNull();

        // The loop starts its delay on its own thread: advance only once that delay is on the clock.
        await time.WhenTimerScheduledAsync();
        time.Advance(BudgetManager.RetryDelay);
        await loop;

        manager.PendingSettlements.ShouldBe(0);
        manager.RetryLoop.ShouldBeNull("the loop ends once nothing is pending");
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(0m, "the hold was given back, not leaked");
        await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);
    }

    [Fact]
    public async Task DisposeAsync_AfterAFailedCommit_RetriesTheCommitNotARelease()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("daily", 1_000)], store, new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);
        store.FailNext(3, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting"));

        await Should.ThrowAsync<BudgetStoreException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(700)).AsTask());
        await reservation.DisposeAsync(); // second attempt fails too: handed to the background
        manager.PendingSettlements.ShouldBe(1);
        await manager.RetryPendingAsync(CancellationToken.None); // third attempt fails
        manager.PendingSettlements.ShouldBe(1);

        await manager.RetryPendingAsync(CancellationToken.None);

        manager.PendingSettlements.ShouldBe(0);
        manager.SettlementFailures.ShouldBe(3);
        reservation.State.ShouldBe(BudgetReservationState.Committed);
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(700m, "the overrun is counted, the estimate not given back");
        await Should.ThrowAsync<InvalidOperationException>(() => reservation.CommitAsync(BudgetAmount.FromTokens(700)).AsTask());
    }

    [Fact]
    public async Task ReserveAsync_StoreFailsOnTheSecondPolicy_GivesBackTheFirstAndNamesThePolicy()
    {
        var store = new FakeBudgetStore();
        store.FailAlways(BudgetStoreOperations.TryAdd, new TimeoutException("store timed out reserving b"), c => c.PolicyName == "b");
        var manager = new BudgetManager([Policy("a", 1_000), Policy("b", 1_000)], store, new FakeTimeProvider(Start));

        var failure = await Should.ThrowAsync<BudgetStoreException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(10), Anyone).AsTask());

        failure.PolicyName.ShouldBe("b");
        failure.Operation.ShouldBe(BudgetStoreOperation.Reserve);
        failure.InnerException.ShouldBeOfType<TimeoutException>();
        (await manager.GetUsedAsync("a", Anyone)).ShouldBe(0m);
    }

    [Fact]
    public async Task ReserveAsync_GiveBackFails_TheOtherGiveBacksStillLandAndTheFailedOneIsRetried()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("a", 1_000), Policy("b", 1_000), Policy("c", 5)], store, new FakeTimeProvider(Start));
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting a"), c => c.PolicyName == "a");

        // c denies; a and b are given back, and a's give-back fails.
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(10), Anyone).AsTask());

        (await manager.GetUsedAsync("b", Anyone)).ShouldBe(0m, "a failing give-back must not skip the ones after it");
        (await manager.GetUsedAsync("a", Anyone)).ShouldBe(10m);
        manager.PendingSettlements.ShouldBe(1);

        await manager.RetryPendingAsync(CancellationToken.None);

        (await manager.GetUsedAsync("a", Anyone)).ShouldBe(0m);
        manager.PendingSettlements.ShouldBe(0);
    }

    [Fact]
    public async Task FlushAsync_PendingSettlement_IsRetriedAtOnce()
    {
        var store = new FakeBudgetStore();
        var manager = new BudgetManager([Policy("daily", 1_000)], store, new FakeTimeProvider(Start));
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], null, null, null, null, pricer: null, observers: [manager]);
        var reservation = await manager.ReserveAsync(BudgetAmount.FromTokens(100), Anyone);
        store.FailNext(1, BudgetStoreOperations.Adjust, new TimeoutException("store timed out adjusting"));
        await reservation.DisposeAsync();
        manager.PendingSettlements.ShouldBe(1);

        await recorder.FlushAsync();

        manager.PendingSettlements.ShouldBe(0);
        (await manager.GetUsedAsync("daily", Anyone)).ShouldBe(0m);
    }

    [Fact]
    public async Task ReserveAsync_CancelledByTheCaller_ThrowsOperationCanceledUnwrapped()
    {
        var manager = new BudgetManager([Policy("daily", 1_000)], new InMemoryBudgetStore(), new FakeTimeProvider(Start));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => manager.ReserveAsync(BudgetAmount.FromTokens(1), Anyone, cts.Token).AsTask());
    }
}
