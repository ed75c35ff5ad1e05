using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenAccounting;

/// <summary>
/// The default <see cref="IUsageRecorder"/>: <see cref="Record"/> attributes the record to the open scopes, tags
/// the current activity and enqueues it; a background aggregator enriches, prices, rolls up and hands records to
/// one worker per sink, which batches, retries and counts. Registered by <c>AddTokenAccounting()</c>; usable
/// without DI through <see cref="Create(IUsageSink[])"/> or the constructor. Dispose it to flush what is pending; a
/// recorder that is never disposed flushes, within <see cref="TokenAccountingOptions.ShutdownTimeout"/>, when the
/// process exits normally (<see cref="AppDomain.ProcessExit"/>).
/// </summary>
public sealed partial class UsageRecorder : IUsageRecorder, IDisposable, IAsyncDisposable
{
    private const int ChunkSize = 256;
    private const int MaxUnpricedModelsLogged = 1000;
    private static readonly TimeSpan StageFailureEpisode = TimeSpan.FromMinutes(1);

    private static readonly HashSet<UsageRecorder> s_live = [];
    private static bool s_processExitHooked;
    private static int s_nextStripe;

    // This thread's producer identity, read once per Record(): its managed thread id (high half: the scope buckets'
    // owner check) and its stripe, assigned round-robin with the sign bit set (low half); 0 until first use.
    [ThreadStatic]
    private static long t_producer;

    private readonly TokenAccountingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngestQueue[] _queues;
    private readonly SinkWorker[] _workers;
    private readonly Func<UsageRecord, UsageCost?>? _pricer;
    private readonly IUsageObserver[] _observers;
    private readonly PipelineMetrics _metrics;
    private readonly OverflowBuffer _overflow = new();
    private readonly object _flushGate = new();
    private readonly List<TaskCompletionSource> _drainWaiters = [];
    private readonly TaskCompletionSource _aggregatorExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, DateTimeOffset> _stageFailing = new(StringComparer.Ordinal);
    private readonly HashSet<(string? Provider, string Model)> _unpricedSeen = [];
    private readonly IngestItem[] _chunk = new IngestItem[ChunkSize];
    private readonly ProcessedRecord[] _processed = new ProcessedRecord[ChunkSize];
    private readonly ChunkRollups _chunkRollups = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _aggregator;
    private readonly long _wakeMask;
    private readonly UsageEnrichment _enrichment;
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile bool _backgroundAggregationSuspended;
    private int _idle;
    private int _drainRequested;
    private int _disposeStarted;
    private int _warnedAfterDispose;
    private long _aggregated;
    private long _foldedOnQueueFull;
    private long _rejectedAfterDispose;
    private long _stageFailures;

    /// <summary>Creates a recorder that delivers to <paramref name="sinks"/>.</summary>
    /// <param name="sinks">The sinks; each gets its own buffer and worker. The recorder does not dispose them.</param>
    /// <param name="options">The options (validated); defaults when null.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggerFactory">Where the pipeline logs warnings; none when null.</param>
    /// <param name="meterFactory">Where metrics are created; a shared static meter when null.</param>
    /// <param name="priceCatalog">Prices records that carry no cost; unknown models stay unpriced (cost null). None when null.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range; the message names it.</exception>
    public UsageRecorder(
        IEnumerable<IUsageSink> sinks,
        TokenAccountingOptions? options = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        IPriceCatalog? priceCatalog = null)
        : this(sinks, options, timeProvider, loggerFactory, meterFactory, pricer: priceCatalog is null ? null : record => UsagePricing.Price(priceCatalog, record), observers: null)
    {
    }

    internal UsageRecorder(
        IEnumerable<IUsageSink> sinks,
        TokenAccountingOptions? options,
        TimeProvider? timeProvider,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory,
        Func<UsageRecord, UsageCost?>? pricer,
        IEnumerable<IUsageObserver>? observers)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _options = TokenAccountingOptionsValidator.EnsureValid(options ?? new TokenAccountingOptions());
        _time = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("TokenAccounting.UsageRecorder");
        // One queue per stripe of producer threads, so concurrent callers do not contend on one enqueue position.
        var stripes = (int)Math.Min(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount));
        var perStripe = Math.Max(2, _options.QueueCapacity / stripes);
        _queues = new IngestQueue[stripes];
        for (var i = 0; i < stripes; i++)
        {
            _queues[i] = new IngestQueue(perStripe);
        }

        _wakeMask = Math.Min(_queues[0].Capacity / 4, 1024) - 1;
        _pricer = pricer;
        _enrichment = new UsageEnrichment(_options.CaptureText, pricer, StageFailed, unpriced: NoteUnpriced);
        _metrics = new PipelineMetrics(meterFactory, _options.IncludeUserDimensionsInMetrics, countUnpriced: pricer is not null);
        _observers = [_metrics, .. observers ?? []];
        foreach (var observer in _observers)
        {
            var stage = observer.GetType().Name;
            observer.BackgroundFailed = exception => StageFailed(exception, stage);
        }

        var sinkList = sinks.ToList();
        if (sinkList.Any(s => s is null))
        {
            throw new ArgumentException("The sinks must not contain null.", nameof(sinks));
        }

        var sinkLogger = loggerFactory.CreateLogger("TokenAccounting.Sinks");
        _workers = new SinkWorker[sinkList.Count];
        for (var i = 0; i < sinkList.Count; i++)
        {
            _workers[i] = new SinkWorker(sinkList[i], SinkName(sinkList, i), _options, _time, sinkLogger, _metrics, StageFailed);
        }

        _metrics.Attach(this);
        foreach (var worker in _workers)
        {
            worker.Start();
        }

        // UnsafeStart: the aggregator outlives the request that may have created the recorder (lazily, through DI) and
        // must not carry its Activity or AsyncLocals into every stage and sink write that follows.
        _aggregator = new Thread(AggregatorLoop) { IsBackground = true, Name = "TokenAccounting aggregator" };
        _aggregator.UnsafeStart();

        RegisterForProcessExit(this);
    }

    internal PipelineMetrics Metrics => _metrics;

    /// <summary>Gets the options in effect.</summary>
    public TokenAccountingOptions Options => _options;

    /// <summary>Gets the sinks, in delivery-worker order.</summary>
    public IReadOnlyList<IUsageSink> Sinks => Array.ConvertAll(_workers, w => w.Sink);

    /// <summary>Creates a recorder with default options that delivers to <paramref name="sinks"/>.</summary>
    public static UsageRecorder Create(params IUsageSink[] sinks) => new(sinks);

    /// <summary>Creates a recorder with <paramref name="options"/> that delivers to <paramref name="sinks"/>.</summary>
    public static UsageRecorder Create(TokenAccountingOptions options, params IUsageSink[] sinks) => new(sinks, options);

    /// <inheritdoc />
    public void Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Validate();
        RecordValidated(record);
    }

    /// <summary><see cref="Record"/> for a record already validated (the tracker validates before it pairs).</summary>
    internal void RecordValidated(UsageRecord record)
    {
        if (Volatile.Read(ref _disposeStarted) != 0)
        {
            RejectAfterDispose();
            return;
        }

        var producer = t_producer;
        if (producer == 0)
        {
            producer = AssignProducer();
        }

        var item = UsageEnrichment.Attribute(record, _time, (int)(producer >> 32));
        var activity = Activity.Current;
        if (activity is { IsAllDataRequested: true })
        {
            UsageActivityTags.Apply(activity, record, _pricer);
        }

        // This thread's stripe first; when it is full, the others, so the whole QueueCapacity is usable.
        var stripe = (int)producer;
        var queued = false;
        for (var i = 0; i < _queues.Length; i++)
        {
            var result = _queues[(stripe + i) & (_queues.Length - 1)].TryEnqueue(item, out var position);
            if (result == IngestQueue.Full)
            {
                continue;
            }

            if (result == IngestQueue.Closed)
            {
                // Disposal closed the queues after this call checked: the final drain has been fixed without it.
                RejectAfterDispose();
                return;
            }

            // The aggregator polls; producers wake it only every so often, so a burst never pays a wake-up per record.
            if ((position & _wakeMask) == 0 && Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
            {
                Wake();
            }

            queued = true;
            break;
        }

        if (!queued && !OverflowOnQueueFull(item))
        {
            return;
        }

        // Accepted, queued or overflowed: its histogram samples, here on the caller's thread.
        if (_metrics.SamplesEnabled)
        {
            RecordSamples(record, item.Scope);
        }
    }

    /// <summary>
    /// The caller's share of the metrics: the record's two histogram samples, once it is accepted (queued or overflowed).
    /// A listener that throws is counted and logged as a stage failure, never thrown into <see cref="Record"/>.
    /// </summary>
    private void RecordSamples(UsageRecord record, UsageScope? scope)
    {
        try
        {
            _metrics.RecordSamples(record, scope);
        }
        catch (Exception ex)
        {
            StageFailed(ex, nameof(PipelineMetrics));
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Signals the aggregator to hand on everything recorded before the call, then waits for every sink to acknowledge
    /// it and for background stages (budget counting on a remote store) to catch up — all within
    /// <see cref="TokenAccountingOptions.FlushTimeout"/>, whatever is stuck (a slow price catalog, event handler or
    /// sink). On timeout it logs a warning and returns; what is undelivered stays buffered and is retried.
    /// </remarks>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = new CancellationTokenSource(_options.FlushTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await RequestDrain().WaitAsync(linked.Token).ConfigureAwait(false);

            // Sinks acknowledge, and stages that count in the background (budgets on a remote store) catch up.
            await Task.WhenAll(_workers.Select(w => w.FlushAsync(linked.Token)).Concat(_observers.Select(o => o.DrainAsync(linked.Token))))
                .WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFlushTimedOut(_logger, _options.FlushTimeout);
        }
    }

    /// <summary>
    /// Gets the items that each sink could never write (records and rollup deltas isolated from failing batches and set
    /// aside): the last <see cref="TokenAccountingOptions.MaxQuarantinedPerSink"/> per sink, oldest first. All of them
    /// are counted in <see cref="UsageSinkDiagnostics.QuarantinedRecords"/> and
    /// <see cref="UsageSinkDiagnostics.QuarantinedRollups"/>, and in the <c>tokenaccounting.records.quarantined</c> metric.
    /// </summary>
    public IReadOnlyList<QuarantinedUsage> GetQuarantine() => _workers.SelectMany(w => w.Quarantine()).ToArray();

    /// <summary>Gets a snapshot of the pipeline's counters: accepted, aggregated, dropped, failed and retried, per sink.</summary>
    public UsagePipelineDiagnostics GetDiagnostics()
    {
        // Accepted = rejected after dispose + aggregated + still queued (ring or overflow); no shared counter on the hot path.
        // Read the aggregated count first: a record moves from queued to aggregated, never back.
        var rejected = Interlocked.Read(ref _rejectedAfterDispose);
        var aggregated = Interlocked.Read(ref _aggregated);
        var queued = QueueLength() + (int)Math.Min(int.MaxValue, _overflow.Count);
        return new(
            rejected + aggregated + queued,
            aggregated,
            Interlocked.Read(ref _foldedOnQueueFull),
            rejected,
            Interlocked.Read(ref _stageFailures),
            queued,
            Array.ConvertAll(_workers, w => w.Snapshot()));
    }

    /// <summary>
    /// Flushes what is pending within <see cref="TokenAccountingOptions.ShutdownTimeout"/> and stops the pipeline.
    /// Records given to <see cref="Record"/> afterwards are not recorded: they are counted in
    /// <see cref="UsagePipelineDiagnostics.RecordsRejectedAfterDispose"/> and a warning is logged once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposeStarted, 1) != 0)
        {
            await _disposed.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            UnregisterFromProcessExit(this);

            // Close the queues: a Record() already past its disposed check either got its item in before the close
            // (then the final drain takes it) or is told the queue is closed (then it is counted as rejected).
            foreach (var queue in _queues)
            {
                queue.Close();
            }

            using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
            _stopping = true;
            Wake();
            try
            {
                await _aggregatorExited.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A pipeline stage (a price catalog, a metrics listener) is stuck: do not hang the caller's shutdown on it.
                LogAggregatorStuck(_logger, _options.ShutdownTimeout);
            }

            await Task.WhenAll(_workers.Select(w => w.StopAsync(timeout.Token)).Append(DrainObserversAsync(timeout.Token))).ConfigureAwait(false);
            foreach (var worker in _workers)
            {
                worker.Dispose();
            }
        }
        finally
        {
            _metrics.Detach(this);
            if (_aggregatorExited.Task.IsCompleted)
            {
                // A late Record() that still signals finds it disposed; Wake() ignores that.
                _wake.Dispose();
            }

            _disposed.TrySetResult();
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Benchmarks only: stops the background aggregator from draining, so the caller-thread cost of Record() is
    /// measured apart from the aggregation it hands off. FlushAsync still has the aggregator drain.
    /// </summary>
    internal void SuspendBackgroundAggregation(bool suspended) => _backgroundAggregationSuspended = suspended;

    /// <summary>Tests: completes once the aggregator has handed on everything recorded before the call.</summary>
    internal Task DrainAggregatorAsync() => RequestDrain();

    internal int SumBufferedRecords()
    {
        var sum = 0;
        foreach (var worker in _workers)
        {
            sum += worker.Snapshot().BufferedRecords;
        }

        return sum;
    }

    private static string SinkName(List<IUsageSink> sinks, int index)
    {
        var type = sinks[index].GetType();
        var sameTypeBefore = sinks.Take(index).Count(s => s.GetType() == type);
        return sameTypeBefore == 0 ? type.Name : $"{type.Name}#{sameTypeBefore + 1}";
    }

    private void AggregatorLoop()
    {
        // Poll every millisecond while records flow, backing off to 50 ms when idle. Producers wake the aggregator
        // early only on a filling queue; FlushAsync wakes it and waits for the drain it asked for.
        var idleRounds = 0;
        try
        {
            while (true)
            {
                var drained = 0;

                // Read once per round: a stop seen here is followed by the final drain below, then the exit.
                var stopping = _stopping;
                try
                {
                    List<TaskCompletionSource>? waiters = null;
                    if (Volatile.Read(ref _drainRequested) != 0)
                    {
                        Interlocked.Exchange(ref _drainRequested, 0);
                        lock (_flushGate)
                        {
                            waiters = [.. _drainWaiters];
                            _drainWaiters.Clear();
                        }
                    }

                    if (waiters is not null || stopping)
                    {
                        // Everything enqueued before the request (or, when stopping, before the queues closed).
                        drained = DrainUpTo(SnapshotPositions(), closeOverflow: stopping);
                    }
                    else if (!_backgroundAggregationSuspended)
                    {
                        drained = DrainAvailable();
                    }

                    if (waiters is not null)
                    {
                        foreach (var waiter in waiters)
                        {
                            waiter.TrySetResult();
                        }
                    }
                }
                catch (Exception ex)
                {
                    // Never let a stage kill the process: count it, log it once per episode, keep going.
                    StageFailed(ex, "aggregator");
                }

                if (stopping)
                {
                    return;
                }

                idleRounds = drained > 0 ? 0 : Math.Min(idleRounds + 1, 6);
                Interlocked.Exchange(ref _idle, 1);
                _wake.WaitOne(idleRounds == 0 ? 1 : Math.Min(50, 1 << idleRounds));
                Volatile.Write(ref _idle, 0);
            }
        }
        finally
        {
            lock (_flushGate)
            {
                foreach (var waiter in _drainWaiters)
                {
                    waiter.TrySetResult();
                }

                _drainWaiters.Clear();
            }

            _aggregatorExited.TrySetResult();
        }
    }

    /// <summary>Asks the aggregator to drain what was enqueued before now; completes when it has.</summary>
    private Task RequestDrain()
    {
        if (_aggregatorExited.Task.IsCompleted)
        {
            return Task.CompletedTask;
        }

        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushGate)
        {
            _drainWaiters.Add(waiter);
        }

        Interlocked.Exchange(ref _drainRequested, 1);
        Wake();
        if (_aggregatorExited.Task.IsCompleted)
        {
            waiter.TrySetResult();
        }

        return waiter.Task;
    }

    private void Wake()
    {
        try
        {
            _wake.Set();
        }
        catch (ObjectDisposedException)
        {
            // Signalled after disposal: nothing is waiting any more.
        }
    }

    private static void RegisterForProcessExit(UsageRecorder recorder)
    {
        lock (s_live)
        {
            s_live.Add(recorder);
            if (!s_processExitHooked)
            {
                AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
                s_processExitHooked = true;
            }
        }
    }

    private static void UnregisterFromProcessExit(UsageRecorder recorder)
    {
        lock (s_live)
        {
            s_live.Remove(recorder);
        }
    }

    private static void OnProcessExit(object? sender, EventArgs e)
    {
        UsageRecorder[] live;
        lock (s_live)
        {
            live = [.. s_live];
        }

        if (live.Length == 0)
        {
            return;
        }

        // Recorders nobody disposed flush what they hold, all at once, before the process goes. ProcessExit handlers are
        // synchronous, so this one waits — bounded in real time by the longest ShutdownTimeout, because a recorder's own
        // timeout runs on its TimeProvider, and a fake clock (in a test host) or a stuck sink must not hold the exit.
        var bound = live.Max(r => r._options.ShutdownTimeout);
        var flushes = Array.ConvertAll(live, r => Task.Run(async () =>
        {
            try
            {
                await r.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogStageFailed(r._logger, ex, "process-exit flush");
            }
        }));
        if (!Task.WaitAll(flushes, bound))
        {
            for (var i = 0; i < live.Length; i++)
            {
                if (!flushes[i].IsCompleted)
                {
                    LogProcessExitFlushTimedOut(live[i]._logger, bound);
                }
            }
        }
    }

    /// <summary>
    /// Gives this thread its producer identity on its first <c>Record()</c>: its managed thread id, and a stripe assigned
    /// round-robin so concurrent producers spread out (see <see cref="t_producer"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long AssignProducer()
    {
        var stripe = Interlocked.Increment(ref s_nextStripe) | int.MinValue;
        return t_producer = ((long)Environment.CurrentManagedThreadId << 32) | (uint)stripe;
    }

    private int QueueLength()
    {
        var sum = 0;
        foreach (var queue in _queues)
        {
            sum += queue.Count;
        }

        return sum;
    }

    private long[] SnapshotPositions()
    {
        var positions = new long[_queues.Length];
        for (var i = 0; i < positions.Length; i++)
        {
            positions[i] = _queues[i].EnqueuePosition;
        }

        return positions;
    }

    /// <summary>Aggregator only: processes what is in the queues now, then what overflowed.</summary>
    private int DrainAvailable()
    {
        var drained = 0;
        while (true)
        {
            var count = 0;
            foreach (var queue in _queues)
            {
                while (count < ChunkSize && queue.TryDequeue(out var item))
                {
                    _chunk[count++] = item;
                }
            }

            if (count == 0)
            {
                return drained + DrainOverflow(close: false);
            }

            drained += count;
            ProcessChunk(count, detailDropped: false);
        }
    }

    /// <summary>Aggregator only: processes everything up to the given positions (waiting for producers mid-enqueue), then what overflowed.</summary>
    private int DrainUpTo(long[] targets, bool closeOverflow)
    {
        var drained = 0;
        while (true)
        {
            var count = 0;
            for (var q = 0; q < _queues.Length; q++)
            {
                while (count < ChunkSize && _queues[q].TryDequeueUpTo(targets[q], out var item))
                {
                    _chunk[count++] = item;
                }
            }

            if (count == 0)
            {
                return drained + DrainOverflow(closeOverflow);
            }

            drained += count;
            ProcessChunk(count, detailDropped: false);
        }
    }

    private int DrainOverflow(bool close)
    {
        // What overflowed so far (all of it once closed: no push is in flight then), not what keeps arriving meanwhile:
        // the ingest queues are drained again first.
        if (close)
        {
            _overflow.Close();
        }

        var available = close ? long.MaxValue : _overflow.Count;
        var drained = 0;
        while (drained < available)
        {
            var count = _overflow.Take(_chunk.AsSpan(0, (int)Math.Min(ChunkSize, available - drained)));
            if (count == 0)
            {
                break;
            }

            ProcessChunk(count, detailDropped: true);
            _overflow.Processed(count);

            drained += count;
        }

        return drained;
    }

    private void ProcessChunk(int count, bool detailDropped)
    {
        try
        {
            Process(_chunk.AsSpan(0, count), detailDropped);
        }
        finally
        {
            Array.Clear(_chunk, 0, count);
        }
    }

    /// <summary>Returns whether the record was accepted: false when disposal closed the overflow buffer first (counted as rejected).</summary>
    private bool OverflowOnQueueFull(in IngestItem item)
    {
        // The aggregator cannot keep up: leave the record in a lock-free overflow buffer that the aggregator empties
        // (rolling it up exactly and dropping only its detail). The caller never takes a lock the aggregator holds.
        if (!_overflow.TryPush(item))
        {
            RejectAfterDispose();
            return false;
        }

        Interlocked.Increment(ref _foldedOnQueueFull);
        if (Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
        {
            Wake();
        }

        return true;
    }

    private void Process(ReadOnlySpan<IngestItem> items, bool detailDropped)
    {
        try
        {
            // Records that overflowed the ingest queue keep only their rollup. When no stage would read what enrichment
            // adds (no scope to inherit from, nothing to price, no observer but the metrics, which read neither the id
            // nor the time), they are rolled up as recorded, keyed on the time the hot path fixed: no copy per record
            // while the pipeline is behind, and the burst it is behind on drains sooner.
            var asRecorded = detailDropped && _observers.Length == 1;
            for (var i = 0; i < items.Length; i++)
            {
                if (asRecorded && items[i].Scope is null && (items[i].Record.Cost is not null || _pricer is null))
                {
                    ProcessAsRecorded(items[i], i);
                    continue;
                }

                UsageRecord record;
                try
                {
                    record = _enrichment.Enrich(items[i], detailKept: !detailDropped);
                }
                catch (Exception ex)
                {
                    // Deliver the record as recorded rather than lose it.
                    StageFailed(ex, "enrich");
                    record = items[i].Record with { Id = items[i].Record.Id ?? _enrichment.NextId(), CompletedAt = items[i].CompletedAt, Text = _options.CaptureText ? items[i].Record.Text : null };
                }

                foreach (var observer in _observers)
                {
                    try
                    {
                        observer.OnRecord(record);
                    }
                    catch (Exception ex)
                    {
                        StageFailed(ex, observer.GetType().Name);
                    }
                }

                _processed[i] = new ProcessedRecord(record, detailDropped);

                // Rolled up once here, merged per key by each sink worker.
                _chunkRollups.Add(UsageRollupKey.For(record), record);
            }

            var processed = _processed.AsSpan(0, items.Length);
            try
            {
                // The metrics' counters, from the chunk's rollup sums (the histogram samples were recorded per record).
                _metrics.PublishChunk(_chunkRollups);
            }
            catch (Exception ex)
            {
                StageFailed(ex, nameof(PipelineMetrics));
            }

            foreach (var observer in _observers)
            {
                try
                {
                    observer.OnChunkEnd();
                }
                catch (Exception ex)
                {
                    StageFailed(ex, observer.GetType().Name);
                }
            }

            foreach (var worker in _workers)
            {
                try
                {
                    worker.Append(processed, _chunkRollups);
                }
                catch (Exception ex)
                {
                    StageFailed(ex, "rollups");
                }
            }
        }
        finally
        {
            _chunkRollups.Clear();
            _processed.AsSpan(0, items.Length).Clear();
        }

        Interlocked.Add(ref _aggregated, items.Length);
    }

    /// <summary>A record whose detail is dropped, rolled up as recorded (see <see cref="Process"/>).</summary>
    private void ProcessAsRecorded(in IngestItem item, int index)
    {
        var record = item.Record;

        // Its histogram samples were recorded by Record(); its counters come from the chunk's rollups.
        _processed[index] = new ProcessedRecord(record, DetailDropped: true);
        _chunkRollups.Add(UsageRollupKey.For(record, item.CompletedAt), record);
    }

    private async Task DrainObserversAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_observers.Select(o => o.DrainAsync(cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogObserversBehind(_logger, _options.ShutdownTimeout);
        }
    }

    /// <summary>Aggregator only: warns once per (provider, model) that has no price (bounded), besides the unpriced counters.</summary>
    private void NoteUnpriced(UsageRecord record)
    {
        if (_unpricedSeen.Count > MaxUnpricedModelsLogged || !_unpricedSeen.Add((record.Provider, record.Model)))
        {
            return;
        }

        if (_unpricedSeen.Count > MaxUnpricedModelsLogged)
        {
            LogTooManyUnpriced(_logger, MaxUnpricedModelsLogged);
            return;
        }

        LogUnpricedModel(_logger, record.Model, record.Provider ?? "unknown");
    }

    private void StageFailed(Exception exception, string stage)
    {
        Interlocked.Increment(ref _stageFailures);
        bool log;
        var now = _time.GetUtcNow();
        lock (_stageFailing)
        {
            // One warning per episode: a stage that keeps failing is logged again only after a quiet minute.
            log = !_stageFailing.TryGetValue(stage, out var last) || now - last >= StageFailureEpisode;
            _stageFailing[stage] = now;
        }

        if (log)
        {
            LogStageFailed(_logger, exception, stage);
        }
    }

    private void RejectAfterDispose()
    {
        Interlocked.Increment(ref _rejectedAfterDispose);
        if (Interlocked.Exchange(ref _warnedAfterDispose, 1) == 0)
        {
            LogRecordAfterDispose(_logger);
        }
    }

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "No price for model {Model} (provider {Provider}): its records are recorded with cost null (counted in UnpricedByModel and tokenaccounting.records.unpriced). Add a price to the catalog. Logged once per model.")]
    private static partial void LogUnpricedModel(ILogger logger, string model, string provider);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "More than {Count} models without a price were seen; further ones are only counted.")]
    private static partial void LogTooManyUnpriced(ILogger logger, int count);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "A usage pipeline stage ({Stage}) threw; the record was still delivered. Counted in diagnostics as a stage failure; further failures of this stage are only counted until it has been quiet for a minute.")]
    private static partial void LogStageFailed(ILogger logger, Exception exception, string stage);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Record() was called on a disposed UsageRecorder: the record was not recorded. Further occurrences are only counted (RecordsRejectedAfterDispose).")]
    private static partial void LogRecordAfterDispose(ILogger logger);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "The process is exiting and the usage recorder did not finish flushing within {Timeout}: what it still held was not delivered.")]
    private static partial void LogProcessExitFlushTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "The usage aggregator did not stop within {Timeout}: a pipeline stage is blocked. Records still queued were not delivered.")]
    private static partial void LogAggregatorStuck(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Budget counting in the background did not catch up within {Timeout}: usage it had not added yet is not in the budget windows.")]
    private static partial void LogObserversBehind(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "FlushAsync gave up after {Timeout}: undelivered records stay buffered and are retried in the background.")]
    private static partial void LogFlushTimedOut(ILogger logger, TimeSpan timeout);
}
