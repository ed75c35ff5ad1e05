namespace TokenAccounting.Tests.Budgets;

/// <summary>
/// Recorded usage on a store that is not the in-memory one (a remote store does I/O): the pipeline's aggregator, and a
/// <c>Record()</c> that folds on a full ingest queue, never wait for it.
/// </summary>
public sealed class BudgetObservationTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    // Generous: only reached when the code under test blocks, which is the failure these tests look for.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static readonly BudgetPolicy Global = new() { Name = "global", Limit = 1_000_000, Unit = BudgetUnit.Tokens, Window = BudgetWindow.UtcDay };

    private static UsageRecord Tokens(long input) => new() { Model = "m", CompletedAt = Start, Tokens = new TokenCounts(input, 0) };

    [Fact]
    public async Task OnRecord_StoreNotAnswering_ReturnsAtOnceAndCountsWhenTheStoreAnswers()
    {
        var store = new GatedStore();
        var manager = new BudgetManager([Global], store, new FakeTimeProvider(Start));
        IUsageObserver observer = manager;

        try
        {
            await Task.Run(() => observer.OnRecord(Tokens(100))).WaitAsync(HangGuard);
            await store.Entered.Task.WaitAsync(HangGuard);
            store.Adjusted.ShouldBe(0);
        }
        finally
        {
            store.Open();
        }

        await observer.DrainAsync(CancellationToken.None).WaitAsync(HangGuard);
        (await manager.GetUsedAsync("global")).ShouldBe(100m);
    }

    [Fact]
    public async Task OnRecord_StoreBehindByTheQueueCapacity_ThrowsNamingTheProblemAndCountsTheQueuedOnes()
    {
        var store = new GatedStore();
        var manager = new BudgetManager([Global], store, new FakeTimeProvider(Start), countRecordedUsage: true, observationCapacity: 2);
        IUsageObserver observer = manager;

        try
        {
            await Task.Run(() => observer.OnRecord(Tokens(1))).WaitAsync(HangGuard);
            await store.Entered.Task.WaitAsync(HangGuard); // the first is with the store; two more fit in the queue
            observer.OnRecord(Tokens(10));
            observer.OnRecord(Tokens(100));
            var error = Should.Throw<InvalidOperationException>(() => observer.OnRecord(Tokens(1000)));
            error.Message.ShouldContain("behind by 2 records");
            error.Message.ShouldContain("CountRecordedUsage");
        }
        finally
        {
            store.Open();
        }

        await observer.DrainAsync(CancellationToken.None).WaitAsync(HangGuard);
        (await manager.GetUsedAsync("global")).ShouldBe(111m);
    }

    [Fact]
    public async Task Record_IngestQueueFullWhileTheStoreDoesNotAnswer_NeverWaits()
    {
        var store = new GatedStore();
        var manager = new BudgetManager([Global], store, new FakeTimeProvider(Start));
        var options = new TokenAccountingOptions { QueueCapacity = 1024 };
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], options, null, null, null, pricer: null, observers: [manager]);

        try
        {
            // Five queues' worth: the aggregator and the callers who fold on a full queue both reach the budget stage.
            await Task.Run(() =>
            {
                for (var i = 0; i < 5 * 1024; i++)
                {
                    recorder.Record(Tokens(1));
                }
            }).WaitAsync(HangGuard);
        }
        finally
        {
            store.Open();
        }

        await recorder.FlushAsync();
        (await manager.GetUsedAsync("global")).ShouldBe(5 * 1024m);
    }

    [Fact]
    public async Task FlushAsync_BudgetsOnAnAsynchronousStore_ReturnsAfterRecordedUsageIsCounted()
    {
        var store = new GatedStore();
        store.Open();
        var manager = new BudgetManager([Global], store, new FakeTimeProvider(Start));
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], null, null, null, null, pricer: null, observers: [manager]);

        for (var i = 1; i <= 200; i++)
        {
            recorder.Record(Tokens(i));
        }

        await recorder.FlushAsync();
        store.Adjusted.ShouldBe(200);
        (await manager.GetUsedAsync("global")).ShouldBe(200 * 201 / 2m);
    }

    [Fact]
    public async Task FlushAsync_StoreFailsInTheBackground_CountsAStageFailurePerRecord()
    {
        var store = new GatedStore { Failure = new InvalidOperationException("store down") };
        store.Open();
        var manager = new BudgetManager([Global], store, new FakeTimeProvider(Start));
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], null, null, null, null, pricer: null, observers: [manager]);

        recorder.Record(Tokens(1));
        recorder.Record(Tokens(2));
        await recorder.FlushAsync();

        recorder.GetDiagnostics().StageFailures.ShouldBe(2);
    }

    /// <summary>An in-memory store whose adjustments complete asynchronously, and only once <see cref="Open"/> is called.</summary>
    private sealed class GatedStore : IBudgetStore
    {
        private readonly InMemoryBudgetStore _inner = new();
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _adjusted;

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Failure { get; init; }

        public int Adjusted => Volatile.Read(ref _adjusted);

        public void Open() => _gate.TrySetResult();

        public ValueTask<BudgetStoreResult> TryAddAsync(BudgetCounter counter, decimal amount, decimal? limit, CancellationToken cancellationToken = default) =>
            _inner.TryAddAsync(counter, amount, limit, cancellationToken);

        public async ValueTask<decimal> AdjustAsync(BudgetCounter counter, decimal delta, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            await Task.Yield();
            if (Failure is not null)
            {
                throw Failure;
            }

            var used = await _inner.AdjustAsync(counter, delta, cancellationToken);
            Interlocked.Increment(ref _adjusted);
            return used;
        }

        public ValueTask<decimal> GetUsedAsync(BudgetCounter counter, CancellationToken cancellationToken = default) =>
            _inner.GetUsedAsync(counter, cancellationToken);
    }
}
