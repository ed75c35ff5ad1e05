namespace TokenAccounting.Tests.Diagnostics;

/// <summary>
/// A sink whose first <paramref name="failures"/> writes throw; every write moves the manual clock, so flush durations
/// are exact: <paramref name="failingWrite"/> per failing write, <paramref name="succeedingWrite"/> per good one.
/// </summary>
internal sealed class FailFirstWritesSink(int failures, FakeTimeProvider time, TimeSpan failingWrite, TimeSpan succeedingWrite) : IUsageSink
{
    private int _writes;

    public InMemoryUsageSink Inner { get; } = new();

    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _writes) <= failures)
        {
            time.Advance(failingWrite);
            throw new IOException("Injected sink failure.");
        }

        time.Advance(succeedingWrite);
        return Inner.WriteAsync(batch, cancellationToken);
    }
}

/// <summary>An aggregator stage that blocks on the first record until released, so a test can fill the ingest queue.</summary>
internal sealed class BlockingObserver : IUsageObserver, IDisposable
{
    private readonly ManualResetEventSlim _release = new();
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    public Task Entered => _entered.Task;

    public void Release() => _release.Set();

    public void OnRecord(UsageRecord record)
    {
        if (Interlocked.Increment(ref _calls) == 1)
        {
            _entered.TrySetResult();
            _release.Wait();
        }
    }

    public void Dispose() => _release.Dispose();
}
