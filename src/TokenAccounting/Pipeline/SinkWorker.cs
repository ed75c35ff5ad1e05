using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>
/// Delivery to one sink: its own bounded detail buffer, exact rollup accumulator, flush loop, retry with backoff
/// and counters. A failing, slow or hung sink only ever delays its own worker.
/// </summary>
internal sealed partial class SinkWorker : IDisposable
{
    /// <summary>
    /// The fewest buffered details an idle worker writes without waiting for <see cref="TokenAccountingOptions.MaxBatchSize"/>
    /// or <see cref="TokenAccountingOptions.FlushInterval"/> (at most MaxBatchSize): the aggregator's chunk, so a steady
    /// stream is written about once per drained chunk, and a trickle still waits for the interval (one write per
    /// record would cost a sink round trip each).
    /// </summary>
    public const int GroupCommitSize = 256;

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
    // The batch in flight: one part, or several while a failing batch is split to isolate what its sink cannot write.
    private readonly List<Part> _parts = [];
    private readonly Queue<QuarantinedUsage> _quarantine = new();
    private readonly Action<Exception, string>? _stageFailed;
    private readonly int _groupCommitSize;
    private long _pendingCovers;
    private int _inFlightDetails;
    private int _inFlightRollups;
    private bool _episodeAlive;
    private int _episodeQuarantined;
    private readonly List<string> _episodeQuarantinedIds = [];
    private string? _episodeReason;
    private long _droppedThisOverflow;
    private bool _saturationLogged;
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
    private long _quarantinedRecords;
    private long _quarantinedRollups;

    public SinkWorker(IUsageSink sink, string name, TokenAccountingOptions options, TimeProvider time, ILogger logger, PipelineMetrics? metrics, Action<Exception, string>? stageFailed = null)
    {
        _stageFailed = stageFailed;
        _sink = sink;
        Name = name;
        _options = options;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        _groupCommitSize = Math.Min(options.MaxBatchSize, GroupCommitSize);
    }

    public string Name { get; }

    public IUsageSink Sink => _sink;

    public void Start()
    {
        // The loop outlives whatever request created the recorder: it must not run under that request's Activity or AsyncLocals.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(RunAsync);
        }
    }

    /// <summary>Gets the last quarantined items, oldest first.</summary>
    public QuarantinedUsage[] Quarantine()
    {
        lock (_gate)
        {
            return [.. _quarantine];
        }
    }

    /// <summary>
    /// Adds a chunk of processed records: its rollup deltas always (exact), the details within the buffer cap (oldest
    /// dropped first).
    /// </summary>
    public void Append(ReadOnlySpan<ProcessedRecord> records, ChunkRollups rollups)
    {
        var wake = false;
        long droppedNow = 0;
        long droppedQueueFull = 0;
        var warnOverflow = false;
        var saturated = rollups.Saturated;
        lock (_gate)
        {
            foreach (var (key, delta) in rollups.Cells)
            {
                if (!_rollups.TryGetValue(key, out var cell))
                {
                    cell = new RollupCell();
                    _rollups.Add(key, cell);
                }

                if (!cell.Add(delta))
                {
                    saturated = true;
                }
            }

            foreach (ref readonly var item in records)
            {
                _appended++;
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
            _droppedThisOverflow += droppedNow;
            _droppedQueueFull += droppedQueueFull;

            // A full batch wakes the worker; so does a group's worth when the worker is idle (no batch in flight, none
            // backing off): what is buffered is written now instead of waiting for a full batch or the flush interval,
            // so that under a steady stream details spend a chunk's time here, not a batch's, and die young. While a
            // write is in flight records keep gathering, so a slow sink still gets full batches.
            wake = _buffer.Count >= _options.MaxBatchSize || (_parts.Count == 0 && _buffer.Count >= _groupCommitSize);
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

        if (saturated)
        {
            RollupSaturated();
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

        lock (_gate)
        {
            LogEpisodeQuarantine();
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
                _rollups.Count + _inFlightRollups,
                Interlocked.Read(ref _quarantinedRecords),
                Interlocked.Read(ref _quarantinedRollups));
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
            if (_parts.Count == 0 && !TakeBatch())
            {
                return 0;
            }

            switch (await TryWriteAsync(_parts[0], stop).ConfigureAwait(false))
            {
                case WriteOutcome.Delivered:
                    attempt = 0;
                    break;
                case WriteOutcome.Isolated:
                    // Split or quarantined: go on with the next part at once (the data, not the sink, was at fault).
                    break;
                default:
                    return attempt + 1;
            }
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
            _inFlightRollups = rollups.Length;
            _pendingCovers = _buffer.TryPeek(out var next) ? next.Sequence - 1 : _appended;
            _parts.Add(new Part(new UsageBatch(_batchIds.Next(), records, rollups)));
            _episodeAlive = false;
            return true;
        }
    }

    private async Task<WriteOutcome> TryWriteAsync(Part part, CancellationToken stop)
    {
        var batch = part.Batch;
        var started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(_options.SinkTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stop);
        try
        {
            var write = _sink.WriteAsync(batch, linked.Token);
            if (!write.IsCompletedSuccessfully)
            {
                // WaitAsync also abandons a sink that ignores its token.
                var task = write.AsTask();
                try
                {
                    await task.WaitAsync(_options.SinkTimeout, _time, stop).ConfigureAwait(false);
                }
                finally
                {
                    if (!task.IsCompleted)
                    {
                        // Abandoned: observe its eventual failure, so it never surfaces as an unobserved task exception.
                        _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var kind = SinkErrorClassifier.Classify(ex);
            Interlocked.Increment(ref _failedAttempts);
            _metrics?.SinkFailure(Name, SinkErrorClassifier.ErrorType(ex, kind));
            _metrics?.FlushDuration(Name, _time.GetElapsedTime(started), succeeded: false);
            if (!_failing)
            {
                _failing = true;
                LogSinkFailing(_logger, ex, Name, batch.BatchId, kind);
            }

            return OnFailure(part, ex, kind);
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
            RemovePart(part, delivered: true);
            _episodeAlive = true;
            foreach (var other in _parts)
            {
                other.TriedThisRound = false;
            }
        }

        return WriteOutcome.Delivered;
    }

    /// <summary>Decides, from how the write failed, whether to retry the part, split it, or quarantine it.</summary>
    private WriteOutcome OnFailure(Part part, Exception exception, SinkErrorKind kind)
    {
        lock (_gate)
        {
            switch (kind)
            {
                case SinkErrorKind.Transient:
                    part.Streak = 0;
                    return WriteOutcome.Retry;
                case SinkErrorKind.Permanent:
                    Isolate(part, exception);
                    return WriteOutcome.Isolated;
            }

            // Unknown: "the same way N times" makes it a data error, as far as the sink shows it is otherwise alive.
            var signature = SinkErrorClassifier.Signature(exception);
            part.Streak = string.Equals(part.Signature, signature, StringComparison.Ordinal) ? part.Streak + 1 : 1;
            part.Signature = signature;
            if (!part.Confirmed && part.Streak < _options.SplitBatchAfterFailures)
            {
                return WriteOutcome.Retry;
            }

            if (_episodeAlive)
            {
                Isolate(part, exception);
                return WriteOutcome.Isolated;
            }

            if (_parts.Count == 1 && !part.Confirmed && part.Units > 1)
            {
                // First split of the batch: if one half goes through, the sink is alive and the other half holds the fault.
                Split(part, signature);
                return WriteOutcome.Isolated;
            }

            part.TriedThisRound = true;
            var untried = _parts.FindIndex(p => !p.TriedThisRound);
            if (untried >= 0)
            {
                _parts.Remove(part);
                _parts.Add(part);
                return WriteOutcome.Isolated;
            }

            // Every part fails the same way: the sink is at fault, not the data. Back off and try them all again.
            foreach (var other in _parts)
            {
                other.TriedThisRound = false;
            }

            return WriteOutcome.Retry;
        }
    }

    /// <summary>Under the lock: quarantines what the sink named, or the last unit, or splits the part in two.</summary>
    private void Isolate(Part part, Exception exception)
    {
        var batch = part.Batch;
        if (exception is UsageSinkRejectedException { RecordIds.Count: > 0 } rejected)
        {
            var named = new HashSet<string>(rejected.RecordIds, StringComparer.Ordinal);
            var bad = batch.Records.Where(r => r.Id is not null && named.Contains(r.Id)).ToList();
            if (bad.Count > 0)
            {
                foreach (var record in bad)
                {
                    QuarantineRecord(batch.BatchId, record, exception);
                }

                var keep = batch.Records.Where(r => r.Id is null || !named.Contains(r.Id)).ToArray();
                ReplacePart(part, [new Part(new UsageBatch(batch.BatchId + ".r", keep, batch.Rollups))]);
                return;
            }
        }

        if (part.Units > 1)
        {
            Split(part, SinkErrorClassifier.Signature(exception));
            return;
        }

        if (batch.Records.Count == 1)
        {
            QuarantineRecord(batch.BatchId, batch.Records[0], exception);
        }
        else
        {
            QuarantineRollup(batch.BatchId, batch.Rollups[0], exception);
        }

        RemovePart(part);
    }

    private void Split(Part part, string signature)
    {
        var batch = part.Batch;
        var half = (part.Units + 1) / 2;
        var records = batch.Records;
        var rollups = batch.Rollups;
        var firstRecords = Math.Min(records.Count, half);
        var firstRollups = half - firstRecords;
        var first = new UsageBatch(batch.BatchId + ".0", Slice(records, 0, firstRecords), Slice(rollups, 0, firstRollups));
        var second = new UsageBatch(batch.BatchId + ".1", Slice(records, firstRecords, records.Count - firstRecords), Slice(rollups, firstRollups, rollups.Count - firstRollups));
        ReplacePart(part, [new Part(first) { Confirmed = true, Signature = signature }, new Part(second) { Confirmed = true, Signature = signature }]);
    }

    private static T[] Slice<T>(IReadOnlyList<T> items, int start, int count)
    {
        var slice = new T[count];
        for (var i = 0; i < count; i++)
        {
            slice[i] = items[start + i];
        }

        return slice;
    }

    private void ReplacePart(Part part, Part[] replacements)
    {
        var index = _parts.IndexOf(part);
        _parts.RemoveAt(index);
        _parts.InsertRange(index, replacements.Where(p => p.Units > 0));
    }

    private void QuarantineRecord(string batchId, UsageRecord record, Exception exception)
    {
        _inFlightDetails--;
        Interlocked.Increment(ref _quarantinedRecords);
        _metrics?.RecordsQuarantined(Name, "record", 1);
        Keep(new QuarantinedUsage(Name, batchId, record, null, Reason(exception), _time.GetUtcNow()));
        if (_episodeQuarantinedIds.Count < 20)
        {
            _episodeQuarantinedIds.Add(record.Id ?? "(no id)");
        }
    }

    private void QuarantineRollup(string batchId, UsageRollup rollup, Exception exception)
    {
        _inFlightRollups--;
        Interlocked.Increment(ref _quarantinedRollups);
        _metrics?.RecordsQuarantined(Name, "rollup", 1);
        Keep(new QuarantinedUsage(Name, batchId, null, rollup, Reason(exception), _time.GetUtcNow()));
        if (_episodeQuarantinedIds.Count < 20)
        {
            _episodeQuarantinedIds.Add("rollup " + rollup.Key);
        }
    }

    private void Keep(QuarantinedUsage item)
    {
        _episodeQuarantined++;
        _episodeReason ??= item.Reason;
        if (_options.MaxQuarantinedPerSink == 0)
        {
            return;
        }

        if (_quarantine.Count >= _options.MaxQuarantinedPerSink)
        {
            _quarantine.Dequeue();
        }

        _quarantine.Enqueue(item);
    }

    private static string Reason(Exception exception) => $"{exception.GetType().Name}: {exception.Message}";

    /// <summary>Under the lock: a part is done (delivered or quarantined); when it was the last, the batch is.</summary>
    private void RemovePart(Part part, bool delivered = false)
    {
        _parts.Remove(part);
        if (delivered)
        {
            _inFlightDetails -= part.Batch.Records.Count;
            _inFlightRollups -= part.Batch.Rollups.Count;
        }

        if (_parts.Count > 0)
        {
            return;
        }

        _inFlightDetails = 0;
        _inFlightRollups = 0;
        _delivered = Math.Max(_delivered, _pendingCovers);
        if (_overflowing && _buffer.Count <= _options.MaxBufferedRecords / 2)
        {
            // The episode ends only once the sink has caught up well below its cap, not after every delivered batch.
            _overflowing = false;
            LogOverflowEnded(_logger, Name, _droppedThisOverflow);
            _droppedThisOverflow = 0;
        }

        LogEpisodeQuarantine();
        CompleteFlushWaiters();
    }

    private void LogEpisodeQuarantine()
    {
        if (_episodeQuarantined == 0)
        {
            return;
        }

        LogQuarantined(_logger, Name, _episodeQuarantined, string.Join(", ", _episodeQuarantinedIds) + (_episodeQuarantined > _episodeQuarantinedIds.Count ? ", …" : string.Empty), _episodeReason ?? string.Empty);
        _episodeQuarantined = 0;
        _episodeQuarantinedIds.Clear();
        _episodeReason = null;
    }

    private void RollupSaturated()
    {
        _stageFailed?.Invoke(new OverflowException($"A rollup sum of sink {Name} reached the largest value it can hold; it is kept there (saturated), not wrapped."), "rollups");
        if (!_saturationLogged)
        {
            _saturationLogged = true;
            LogRollupSaturated(_logger, Name);
        }
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

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Usage sink {Sink} failed to write batch {BatchId} ({Kind} error); it will be retried with backoff, or split to isolate what it cannot write.")]
    private static partial void LogSinkFailing(ILogger logger, Exception exception, string sink, string batchId, SinkErrorKind kind);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Usage sink {Sink} can never write {Count} items; they were isolated from their batch and quarantined (everything else was delivered): {Ids}. Reason: {Reason}. Counted in diagnostics and the tokenaccounting.records.quarantined metric; see UsageRecorder.GetQuarantine().")]
    private static partial void LogQuarantined(ILogger logger, string sink, int count, string ids, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "Usage sink {Sink} has caught up: {Dropped} detail records were dropped during the overflow.")]
    private static partial void LogOverflowEnded(ILogger logger, string sink, long dropped);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "A rollup sum of usage sink {Sink} reached the largest value it can hold: it is kept there (saturated), never wrapped. Counted as a stage failure.")]
    private static partial void LogRollupSaturated(ILogger logger, string sink);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Usage sink {Sink} is writing again.")]
    private static partial void LogSinkRecovered(ILogger logger, string sink);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Usage sink {Sink} still held {Records} detail records and {Rollups} rollups at shutdown; they were not delivered.")]
    private static partial void LogUndeliveredAtShutdown(ILogger logger, string sink, int records, int rollups);

    private enum WriteOutcome
    {
        Delivered,
        Retry,
        Isolated,
    }

    private readonly record struct BufferedDetail(UsageRecord Record, long Sequence);

    /// <summary>A batch, or a part of one being isolated, with its failure streak.</summary>
    private sealed class Part(UsageBatch batch)
    {
        public UsageBatch Batch { get; } = batch;

        public int Units => Batch.Records.Count + Batch.Rollups.Count;

        /// <summary>Consecutive failures of the same unknown kind.</summary>
        public int Streak { get; set; }

        public string? Signature { get; set; }

        /// <summary>Split off a batch that failed the same way repeatedly: that failure isolates at once.</summary>
        public bool Confirmed { get; set; }

        public bool TriedThisRound { get; set; }
    }
}
