using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>
/// Delivery to one sink: its own bounded detail buffer, exact rollup accumulator, flush loop, retry with backoff
/// and counters. A failing, slow or hung sink only ever delays its own worker.
/// </summary>
internal sealed partial class SinkWorker : IDisposable
{
    private readonly IUsageSink _sink;
    private readonly TokenAccountingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PipelineMetrics? _metrics;
    private readonly object _gate = new();
    private readonly Queue<BufferedDetail> _buffer = new();
    private readonly AsyncSignal _work = new();
    private readonly AsyncSignal _flushRequested = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly IdGenerator _batchIds = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private Dictionary<UsageRollupKey, RollupCell> _rollups = [];
    private UsageBatch? _pending;
    private long _pendingCovers;
    private int _inFlightDetails;
    private long _appended;
    private long _delivered;
    private bool _overflowing;
    private bool _failing;
    private Task _loop = Task.CompletedTask;

    private long _deliveredRecords;
    private long _deliveredBatches;
    private long _droppedOverflow;
    private long _droppedQueueFull;
    private long _failedAttempts;
    private long _retries;

    public SinkWorker(IUsageSink sink, string name, TokenAccountingOptions options, TimeProvider time, ILogger logger, PipelineMetrics? metrics)
    {
        _sink = sink;
        Name = name;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    public string Name { get; }

    public IUsageSink Sink => _sink;

    public void Start() => _loop = Task.Run(RunAsync);

    /// <summary>Adds processed records: rollups always (exact), details within the buffer cap (oldest dropped first).</summary>
    public void Append(ReadOnlySpan<ProcessedRecord> records)
    {
        var wake = false;
        long droppedNow = 0;
        long droppedQueueFull = 0;
        var warnOverflow = false;
        lock (_gate)
        {
            foreach (ref readonly var item in records)
            {
                _appended++;
                if (!_rollups.TryGetValue(item.Key, out var cell))
                {
                    cell = new RollupCell();
                    _rollups.Add(item.Key, cell);
                }

                cell.Add(item.Record);
                if (item.DetailDropped)
                {
                    droppedQueueFull++;
                    continue;
                }

                if (_buffer.Count + _inFlightDetails >= _options.MaxBufferedRecords)
                {
                    droppedNow++;
                    if (!_overflowing)
                    {
                        _overflowing = true;
                        warnOverflow = true;
                    }

                    if (_buffer.Count == 0)
                    {
                        // Everything held is in flight: the newest detail is the one that cannot be kept.
                        continue;
                    }

                    _buffer.Dequeue();
                }

                _buffer.Enqueue(new BufferedDetail(item.Record, _appended));
            }

            _droppedOverflow += droppedNow;
            _droppedQueueFull += droppedQueueFull;
            wake = _buffer.Count >= _options.MaxBatchSize;
        }

        if (droppedNow > 0)
        {
            _metrics?.RecordsDropped(Name, PipelineMetrics.ReasonBufferFull, droppedNow);
        }

        if (droppedQueueFull > 0)
        {
            _metrics?.RecordsDropped(Name, PipelineMetrics.ReasonQueueFull, droppedQueueFull);
        }

        if (warnOverflow)
        {
            LogOverflow(_logger, Name, _options.MaxBufferedRecords);
        }

        if (wake)
        {
            _work.Set();
        }
    }

    /// <summary>Waits until everything appended so far is delivered, retrying failures until the token is cancelled.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_delivered >= _appended)
            {
                return;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((_appended, done));
        }

        _flushRequested.Set();
        _work.Set();
        try
        {
            await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _flushWaiters.RemoveAll(w => w.Done == done);
            }
        }
    }

    /// <summary>Stops the loop after it has had the chance to deliver within <paramref name="cancellationToken"/>.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown timeout: what is left is reported below.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(1), _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A hung sink write: abandoned, it cannot be awaited forever.
        }

        var left = Snapshot();
        if (left.BufferedRecords > 0 || left.PendingRollups > 0)
        {
            LogUndeliveredAtShutdown(_logger, Name, left.BufferedRecords, left.PendingRollups);
        }
    }

    /// <summary>Releases the stop signal; call after <see cref="StopAsync"/>.</summary>
    public void Dispose() => _stop.Dispose();

    public UsageSinkDiagnostics Snapshot()
    {
        lock (_gate)
        {
            return new UsageSinkDiagnostics(
                Name,
                Interlocked.Read(ref _deliveredRecords),
                Interlocked.Read(ref _deliveredBatches),
                _droppedOverflow,
                _droppedQueueFull,
                Interlocked.Read(ref _failedAttempts),
                Interlocked.Read(ref _retries),
                _buffer.Count + _inFlightDetails,
                _rollups.Count + (_pending?.Rollups.Count ?? 0));
        }
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var attempt = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (attempt == 0)
                {
                    await WaitAsync(_options.FlushInterval, _work, stop).ConfigureAwait(false);
                }
                else
                {
                    // Backoff after a failure; a flush request cuts it short once.
                    await WaitAsync(Backoff(attempt), _flushRequested, stop).ConfigureAwait(false);
                    Interlocked.Increment(ref _retries);
                }

                attempt = await DeliverAvailableAsync(attempt, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Delivers batches until nothing is left; returns the failed-attempt streak (0 when all went through).</summary>
    private async Task<int> DeliverAvailableAsync(int attempt, CancellationToken stop)
    {
        while (true)
        {
            if (_pending is null && !TakeBatch())
            {
                return 0;
            }

            if (!await TryWriteAsync(_pending!, stop).ConfigureAwait(false))
            {
                return attempt + 1;
            }

            attempt = 0;
        }
    }

    private bool TakeBatch()
    {
        lock (_gate)
        {
            if (_buffer.Count == 0 && _rollups.Count == 0)
            {
                _delivered = _appended;
                CompleteFlushWaiters();
                return false;
            }

            var count = Math.Min(_buffer.Count, _options.MaxBatchSize);
            var records = new UsageRecord[count];
            for (var i = 0; i < count; i++)
            {
                records[i] = _buffer.Dequeue().Record;
            }

            var rollups = new UsageRollup[_rollups.Count];
            var r = 0;
            foreach (var pair in _rollups)
            {
                rollups[r++] = pair.Value.ToRollup(pair.Key);
            }

            _rollups = new Dictionary<UsageRollupKey, RollupCell>(Math.Max(4, rollups.Length));
            _inFlightDetails = count;
            _pendingCovers = _buffer.TryPeek(out var next) ? next.Sequence - 1 : _appended;
            _pending = new UsageBatch(_batchIds.Next(), records, rollups);
            return true;
        }
    }

    private async Task<bool> TryWriteAsync(UsageBatch batch, CancellationToken stop)
    {
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.SinkTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop);
        try
        {
            var write = _sink.WriteAsync(batch, linked.Token);
            if (!write.IsCompletedSuccessfully)
            {
                // WaitAsync also abandons a sink that ignores its token.
                await write.AsTask().WaitAsync(_options.SinkTimeout, _time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _failedAttempts);
            _metrics?.SinkFailure(Name, ex is TimeoutException or OperationCanceledException ? "timeout" : "exception");
            _metrics?.FlushDuration(Name, _time.GetElapsedTime(started), succeeded: false);
            if (!_failing)
            {
                _failing = true;
                LogSinkFailing(_logger, ex, Name, batch.BatchId);
            }

            return false;
        }

        _metrics?.FlushDuration(Name, _time.GetElapsedTime(started), succeeded: true);
        Interlocked.Add(ref _deliveredRecords, batch.Records.Count);
        Interlocked.Increment(ref _deliveredBatches);
        if (_failing)
        {
            _failing = false;
            LogSinkRecovered(_logger, Name);
        }

        lock (_gate)
        {
            _pending = null;
            _inFlightDetails = 0;
            _delivered = Math.Max(_delivered, _pendingCovers);
            if (_buffer.Count + _inFlightDetails < _options.MaxBufferedRecords)
            {
                _overflowing = false;
            }

            CompleteFlushWaiters();
        }

        return true;
    }

    private void CompleteFlushWaiters()
    {
        for (var i = _flushWaiters.Count - 1; i >= 0; i--)
        {
            if (_flushWaiters[i].Target <= _delivered)
            {
                _flushWaiters[i].Done.TrySetResult();
                _flushWaiters.RemoveAt(i);
            }
        }
    }

    private async Task WaitAsync(TimeSpan delay, AsyncSignal signal, CancellationToken stop)
    {
        using var cancelDelay = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var delayTask = Task.Delay(delay, _time, cancelDelay.Token);
        await Task.WhenAny(signal.WaitAsync(), delayTask).ConfigureAwait(false);
        await cancelDelay.CancelAsync().ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
    }

    private TimeSpan Backoff(int attempt)
    {
        // base × 2^(attempt−1), capped, then ±20% jitter so many instances do not retry in step.
        var exponent = Math.Min(attempt - 1, 30);
        var ticks = Math.Min(_options.RetryMaxDelay.Ticks, _options.RetryBaseDelay.Ticks * (1L << exponent));
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Usage sink {Sink} holds more than {Cap} detail records: the oldest details are being dropped (rollups stay exact). Counted in diagnostics and the tokenaccounting.records.dropped metric.")]
    private static partial void LogOverflow(ILogger logger, string sink, int cap);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Usage sink {Sink} failed to write batch {BatchId}; it will be retried with backoff.")]
    private static partial void LogSinkFailing(ILogger logger, Exception exception, string sink, string batchId);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Usage sink {Sink} is writing again.")]
    private static partial void LogSinkRecovered(ILogger logger, string sink);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Usage sink {Sink} still held {Records} detail records and {Rollups} rollups at shutdown; they were not delivered.")]
    private static partial void LogUndeliveredAtShutdown(ILogger logger, string sink, int records, int rollups);

    private readonly record struct BufferedDetail(UsageRecord Record, long Sequence);
}
