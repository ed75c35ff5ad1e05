using System.Threading.Channels;

namespace TokenAccounting;

/// <summary>
/// Counts recorded usage into an asynchronous budget store off the pipeline's aggregator: records wait in a bounded
/// queue and one background loop adds them, in order, one at a time. The aggregator (and a <c>Record()</c> that folds
/// on a full ingest queue) never waits for the store; a store slower than the records fills the queue, and then a
/// record's usage is not counted and the enqueue throws (the pipeline counts and logs it as a stage failure).
/// </summary>
internal sealed class BudgetObservationQueue
{
    /// <summary>The default capacity: as many records as the pipeline's default ingest queue.</summary>
    public const int DefaultCapacity = 65_536;

    private readonly Channel<UsageRecord> _channel;
    private readonly Func<UsageRecord, CancellationToken, ValueTask> _observe;
    private readonly int _capacity;
    private readonly object _gate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private Task? _loop;
    private long _enqueued;
    private long _completed;

    public BudgetObservationQueue(Func<UsageRecord, CancellationToken, ValueTask> observe, int capacity = DefaultCapacity)
    {
        _observe = observe;
        _capacity = capacity;
        _channel = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>Gets or sets where the background loop reports a record it could not count (the pipeline's stage failures).</summary>
    public Action<Exception>? Failed { get; set; }

    /// <summary>Queues a record for counting; returns at once.</summary>
    /// <exception cref="InvalidOperationException">The queue is full: the store is slower than the records.</exception>
    public void Enqueue(UsageRecord record)
    {
        if (!_channel.Writer.TryWrite(record))
        {
            throw new InvalidOperationException(
                $"The budget store is behind by {_capacity} records: this record's usage was not added to the budget windows. "
                + "Reserve through BudgetManager.ReserveAsync for this traffic, use a faster store, or set BudgetOptions.CountRecordedUsage = false.");
        }

        // Counted once written: a drain never waits for a record that did not get in. The loop may count it done
        // first, which only lets a drain that started meanwhile return without it (it came after that drain).
        Interlocked.Increment(ref _enqueued);

        if (Volatile.Read(ref _loop) is null)
        {
            lock (_gate)
            {
                // The loop outlives the caller: it must not run under the caller's Activity or AsyncLocals.
                using (ExecutionContext.SuppressFlow())
                {
                    _loop ??= Task.Run(RunAsync);
                }
            }
        }
    }

    /// <summary>Completes when every record queued before the call has been counted (or failed).</summary>
    /// <param name="cancellationToken">Stops waiting (the records stay queued).</param>
    public Task DrainAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _enqueued);
        if (Interlocked.Read(ref _completed) >= target)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (Interlocked.Read(ref _completed) >= target)
            {
                return Task.CompletedTask;
            }

            _waiters.Add((target, done));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var reader = _channel.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var record))
            {
                try
                {
                    await _observe(record, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Report(ex);
                }

                Release(Interlocked.Increment(ref _completed));
            }
        }
    }

    private void Report(Exception exception)
    {
        try
        {
            Failed?.Invoke(exception);
        }
        catch (Exception)
        {
            // A failing failure handler must not stop the loop: the next records still need counting.
        }
    }

    private void Release(long completed)
    {
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= completed)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
