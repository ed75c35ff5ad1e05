using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenAccounting;

/// <summary>
/// The default <see cref="IUsageRecorder"/>: <see cref="Record"/> attributes the record to the open scopes, tags
/// the current activity and enqueues it; a background aggregator enriches, prices, rolls up and hands records to
/// one worker per sink, which batches, retries and counts. Registered by <c>AddTokenAccounting()</c>; usable
/// without DI through <see cref="Create(IUsageSink[])"/> or the constructor. Dispose it to flush what is pending.
/// </summary>
public sealed partial class UsageRecorder : IUsageRecorder, IDisposable, IAsyncDisposable
{
    private const int ChunkSize = 256;

    private static int s_nextStripe;

    [ThreadStatic]
    private static int t_stripe;

    private readonly TokenAccountingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IngestQueue[] _queues;
    private readonly SinkWorker[] _workers;
    private readonly Func<UsageRecord, UsageCost?>? _pricer;
    private readonly IUsageObserver[] _observers;
    private readonly PipelineMetrics _metrics;
    private readonly object _aggregateLock = new();
    private readonly IngestItem[] _chunk = new IngestItem[ChunkSize];
    private readonly ProcessedRecord[] _processed = new ProcessedRecord[ChunkSize];
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _aggregator;
    private readonly long _wakeMask;
    private readonly IdGenerator _ids = new();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private volatile bool _backgroundAggregationSuspended;
    private int _idle;
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
            _workers[i] = new SinkWorker(sinkList[i], SinkName(sinkList, i), _options, _time, sinkLogger, _metrics);
        }

        _metrics.Attach(this);
        foreach (var worker in _workers)
        {
            worker.Start();
        }

        _aggregator = new Thread(AggregatorLoop) { IsBackground = true, Name = "TokenAccounting aggregator" };
        _aggregator.Start();
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
        if (Volatile.Read(ref _disposeStarted) != 0)
        {
            RejectAfterDispose();
            return;
        }

        var scope = UsageScope.NearestOpen(UsageScope.CurrentRaw);
        var mask = scope is null ? 0UL : UsageScope.AddToChain(scope, record.Operation, record.Model, record.Tokens);
        var activity = Activity.Current;
        if (activity is { IsAllDataRequested: true })
        {
            UsageActivityTags.Apply(activity, record, _pricer);
        }

        var item = new IngestItem(record, scope, mask, record.CompletedAt ?? _time.GetUtcNow());
        // This thread's stripe first; when it is full, the others, so the whole QueueCapacity is usable.
        var stripe = ProducerStripe();
        for (var i = 0; i < _queues.Length; i++)
        {
            if (!_queues[(stripe + i) & (_queues.Length - 1)].TryEnqueue(item, out var position))
            {
                continue;
            }

            // The aggregator polls; producers wake it only every so often, so a burst never pays a wake-up per record.
            if ((position & _wakeMask) == 0 && Volatile.Read(ref _idle) == 1 && Interlocked.Exchange(ref _idle, 0) == 1)
            {
                _wake.Set();
            }

            if (Volatile.Read(ref _disposeStarted) != 0)
            {
                // Raced with disposal past its final drain: hand the record to the sink buffers ourselves.
                DrainQueue();
            }

            return;
        }

        FoldOnQueueFull(item);
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        DrainQueue();
        using var timeout = new CancellationTokenSource(_options.FlushTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            // Sinks acknowledge, and stages that count in the background (budgets on a remote store) catch up.
            await Task.WhenAll(_workers.Select(w => w.FlushAsync(linked.Token)).Concat(_observers.Select(o => o.DrainAsync(linked.Token))))
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFlushTimedOut(_logger, _options.FlushTimeout);
        }
    }

    /// <summary>Gets a snapshot of the pipeline's counters: accepted, aggregated, dropped, failed and retried, per sink.</summary>
    public UsagePipelineDiagnostics GetDiagnostics()
    {
        // Accepted = aggregated (folded ones included) + still queued; no shared counter on the hot path.
        var queued = QueueLength();
        var aggregated = Interlocked.Read(ref _aggregated);
        return new(
            aggregated + queued,
            aggregated,
            Interlocked.Read(ref _foldedOnQueueFull),
            Interlocked.Read(ref _rejectedAfterDispose),
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
            _stopping = true;
            _wake.Set();
            if (!_aggregator.Join(_options.ShutdownTimeout))
            {
                // A pipeline stage (a budget store, a metrics listener) is stuck: do not hang the caller's shutdown on it.
                LogAggregatorStuck(_logger, _options.ShutdownTimeout);
            }
            else
            {
                DrainQueue();
            }

            using var timeout = new CancellationTokenSource(_options.ShutdownTimeout, _time);
            await Task.WhenAll(_workers.Select(w => w.StopAsync(timeout.Token)).Append(DrainObserversAsync(timeout.Token))).ConfigureAwait(false);
            foreach (var worker in _workers)
            {
                worker.Dispose();
            }
        }
        finally
        {
            _metrics.Detach(this);
            _wake.Dispose();
            _disposed.TrySetResult();
        }
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Benchmarks only: stops the background aggregator from draining, so the caller-thread cost of Record() is
    /// measured apart from the aggregation it hands off. FlushAsync still drains on the caller's thread.
    /// </summary>
    internal void SuspendBackgroundAggregation(bool suspended) => _backgroundAggregationSuspended = suspended;

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
        // early only on a filling queue; FlushAsync drains on the caller's thread, so nothing waits on this pace.
        var idleRounds = 0;
        while (true)
        {
            var drained = _backgroundAggregationSuspended ? 0 : DrainQueue();
            if (_stopping)
            {
                return;
            }

            idleRounds = drained > 0 ? 0 : Math.Min(idleRounds + 1, 6);
            Interlocked.Exchange(ref _idle, 1);
            _wake.WaitOne(idleRounds == 0 ? 1 : Math.Min(50, 1 << idleRounds));
            Volatile.Write(ref _idle, 0);
        }
    }

    /// <summary>Gets this thread's stripe: assigned round-robin on first use, so concurrent producers spread out.</summary>
    private static int ProducerStripe()
    {
        var stripe = t_stripe;
        if (stripe == 0)
        {
            stripe = t_stripe = Interlocked.Increment(ref s_nextStripe) | int.MinValue;
        }

        return stripe;
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

    private int DrainQueue()
    {
        var drained = 0;
        while (true)
        {
            lock (_aggregateLock)
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
                    return drained;
                }

                drained += count;
                Process(_chunk.AsSpan(0, count), detailDropped: false);
                Array.Clear(_chunk, 0, count);
            }
        }
    }

    private void FoldOnQueueFull(in IngestItem item)
    {
        // The aggregator cannot keep up: do its work for this one record here, keeping totals exact and dropping
        // only the detail. Bounded by one chunk of the aggregator's work, never by a sink.
        Interlocked.Increment(ref _foldedOnQueueFull);
        lock (_aggregateLock)
        {
            _chunk[0] = item;
            Process(_chunk.AsSpan(0, 1), detailDropped: true);
            _chunk[0] = default;
        }
    }

    private void Process(ReadOnlySpan<IngestItem> items, bool detailDropped)
    {
        for (var i = 0; i < items.Length; i++)
        {
            var record = Enrich(items[i]);
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

            _processed[i] = new ProcessedRecord(record, UsageRollupKey.For(record), detailDropped);
        }

        Interlocked.Add(ref _aggregated, items.Length);
        var processed = _processed.AsSpan(0, items.Length);
        foreach (var worker in _workers)
        {
            worker.Append(processed);
        }

        processed.Clear();
    }

    private UsageRecord Enrich(in IngestItem item)
    {
        var record = item.Record;
        var scope = item.Scope;
        var userId = record.UserId ?? scope?.EffectiveUserId;
        var tenantId = record.TenantId ?? scope?.EffectiveTenantId;
        var tags = UsageScope.MergeTags(scope?.EffectiveTags, record.Tags);
        var scopePath = record.ScopePath ?? scope?.Path;
        var apiKeyId = record.ApiKeyId ?? scope?.EffectiveApiKeyId;
        var route = record.Route ?? scope?.EffectiveRoute;
        var text = _options.CaptureText ? record.Text : null;
        if (record.Id is null || record.CompletedAt is null || !ReferenceEquals(userId, record.UserId) || !ReferenceEquals(tenantId, record.TenantId)
            || !ReferenceEquals(tags, record.Tags) || !ReferenceEquals(scopePath, record.ScopePath) || !ReferenceEquals(text, record.Text)
            || !ReferenceEquals(apiKeyId, record.ApiKeyId) || !ReferenceEquals(route, record.Route))
        {
            record = record with
            {
                Id = record.Id ?? _ids.Next(),
                CompletedAt = item.CompletedAt,
                UserId = userId,
                TenantId = tenantId,
                Tags = tags,
                ScopePath = scopePath,
                ApiKeyId = apiKeyId,
                Route = route,
                Text = text,
            };
        }

        if (record.Cost is null && _pricer is not null)
        {
            try
            {
                if (_pricer(record) is { } cost)
                {
                    record = record with { Cost = cost };
                }
            }
            catch (Exception ex)
            {
                StageFailed(ex, "pricing");
            }
        }

        if (record.Cost is { } priced && scope is not null)
        {
            UsageScope.AddCostToChain(scope, item.OpenScopeMask, record.Operation, record.Model, priced);
        }

        return record;
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

    private void StageFailed(Exception exception, string stage)
    {
        Interlocked.Increment(ref _stageFailures);
        LogStageFailed(_logger, exception, stage);
    }

    private void RejectAfterDispose()
    {
        Interlocked.Increment(ref _rejectedAfterDispose);
        if (Interlocked.Exchange(ref _warnedAfterDispose, 1) == 0)
        {
            LogRecordAfterDispose(_logger);
        }
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "A usage pipeline stage ({Stage}) threw; the record was still delivered. Counted in diagnostics as a stage failure.")]
    private static partial void LogStageFailed(ILogger logger, Exception exception, string stage);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Record() was called on a disposed UsageRecorder: the record was not recorded. Further occurrences are only counted (RecordsRejectedAfterDispose).")]
    private static partial void LogRecordAfterDispose(ILogger logger);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "The usage aggregator did not stop within {Timeout}: a pipeline stage is blocked. Records still queued were not delivered.")]
    private static partial void LogAggregatorStuck(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Budget counting in the background did not catch up within {Timeout}: usage it had not added yet is not in the budget windows.")]
    private static partial void LogObserversBehind(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "FlushAsync gave up after {Timeout}: undelivered records stay buffered and are retried in the background.")]
    private static partial void LogFlushTimedOut(ILogger logger, TimeSpan timeout);
}
