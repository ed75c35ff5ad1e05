using System.Collections.Concurrent;

namespace TokenAccounting.TestKit;

/// <summary>A sink that fails a chosen fraction of writes (seeded, so runs repeat) and otherwise applies batches once per id.</summary>
public sealed class FlakySink(double failureRate, int seed = 42) : IUsageSink
{
    private readonly Random _random = new(seed);
    private readonly object _gate = new();

    public InMemoryUsageSink Inner { get; } = new();

    public int Failures { get; private set; }

    public int Attempts { get; private set; }

    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Attempts++;
            if (_random.NextDouble() < failureRate)
            {
                Failures++;
                throw new IOException($"Injected failure of batch {batch.BatchId}.");
            }
        }

        return Inner.WriteAsync(batch, cancellationToken);
    }
}

/// <summary>A sink that is down until <see cref="Heal"/> is called.</summary>
public sealed class DownSink : IUsageSink
{
    private volatile bool _healed;

    public InMemoryUsageSink Inner { get; } = new();

    private readonly TaskCompletionSource _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _failedAttempts;

    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Completes when a write has failed at least once.</summary>
    public Task FirstFailure => _firstFailure.Task;

    public void Heal() => _healed = true;

    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        if (!_healed)
        {
            Interlocked.Increment(ref _failedAttempts);
            _firstFailure.TrySetResult();
            throw new InvalidOperationException("The sink is down.");
        }

        return Inner.WriteAsync(batch, cancellationToken);
    }
}

/// <summary>A sink whose writes never complete and ignore cancellation, until released.</summary>
public sealed class HungSink : IUsageSink
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Entered => _entered.Task;

    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public void Release() => _release.TrySetResult();

    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        _entered.TrySetResult();
        await _release.Task.ConfigureAwait(false);
    }
}

/// <summary>A sink that counts every call and batch id it sees, applying nothing twice.</summary>
public sealed class RecordingSink : IUsageSink
{
    public ConcurrentQueue<UsageBatch> Batches { get; } = new();

    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        Batches.Enqueue(batch);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A sink that completes <see cref="Reached"/> once it has received a number of detail records.</summary>
public sealed class SignallingSink(int expectedRecords) : IUsageSink
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _records;
    private int _batches;

    public Task Reached => _reached.Task;

    public int Records => Volatile.Read(ref _records);

    public int Batches => Volatile.Read(ref _batches);

    public InMemoryUsageSink Inner { get; } = new();

    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        await Inner.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _batches);
        if (Interlocked.Add(ref _records, batch.Records.Count) >= expectedRecords)
        {
            _reached.TrySetResult();
        }
    }
}
