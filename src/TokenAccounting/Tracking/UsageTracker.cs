namespace TokenAccounting;

/// <summary>
/// Pairs "request sent" with "usage arrived" when a framework reports them in separate callbacks (an agent's
/// tool loop, for example): <see cref="NoteRequest"/> remembers the history length, and the next
/// <see cref="RecordUsage(UsageRecord)"/> pairs it into a record, keeps the record, and forwards it to the recorder.
/// </summary>
/// <remarks>
/// Thread-safe. Usage that arrives with no pending request is never lost: it is forwarded to the recorder with
/// <see cref="UsageRecord.IsUnpaired"/> set, and is not kept in <see cref="Records"/>. Pending requests pair
/// with usage in order (first noted, first paired).
/// </remarks>
public sealed class UsageTracker
{
    private static readonly AsyncLocal<UsageTracker?> CurrentTracker = new();

    private readonly IUsageRecorder? _recorder;
    private readonly Queue<int> _pendingHistoryLengths = new();
    private readonly List<UsageRecord> _records = [];
    private readonly object _gate = new();
    private string? _pendingCorrelationId;
    private long _latestOccupancy;

    /// <summary>Creates a tracker that forwards every record to <paramref name="recorder"/>.</summary>
    /// <param name="recorder">Where records go; null keeps them only in the tracker (and drops unpaired usage, so pass one in production).</param>
    public UsageTracker(IUsageRecorder? recorder)
    {
        _recorder = recorder;
    }

    /// <summary>
    /// Gets the tracker attached to the current async flow with <see cref="Attach"/>, or null. Integrations (such as
    /// the <c>IChatClient</c> middleware) note requests and record usage through it when present.
    /// </summary>
    public static UsageTracker? Current => CurrentTracker.Value;

    /// <summary>Gets the number of requests noted and not yet paired with usage.</summary>
    public int PendingRequestCount
    {
        get
        {
            lock (_gate)
            {
                return _pendingHistoryLengths.Count;
            }
        }
    }

    /// <summary>
    /// Gets the input tokens of the latest paired or unpaired usage: how full the model's context window was on
    /// the last request. Compare it with the model's context size to stop a loop before it overflows.
    /// </summary>
    public long LatestOccupancy => Interlocked.Read(ref _latestOccupancy);

    /// <summary>Gets a snapshot of the paired records kept so far, in chronological order (does not clear).</summary>
    public IReadOnlyList<UsageRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.ToArray();
            }
        }
    }

    /// <summary>Notes that a request with <paramref name="historyLength"/> messages was sent.</summary>
    /// <param name="historyLength">The number of messages in the request; zero or greater.</param>
    public void NoteRequest(int historyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyLength);
        lock (_gate)
        {
            _pendingHistoryLengths.Enqueue(historyLength);
        }
    }

    /// <summary>Notes a correlation id that lands on the next record only, then clears.</summary>
    /// <param name="correlationId">The id; not empty.</param>
    public void NoteCorrelationId(string correlationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(correlationId);
        lock (_gate)
        {
            _pendingCorrelationId = correlationId;
        }
    }

    /// <summary>
    /// Pairs the oldest pending request's history length and the pending correlation id into
    /// <paramref name="record"/> (values the record already sets win), keeps it, and forwards it to the recorder.
    /// </summary>
    /// <param name="record">The usage that arrived.</param>
    /// <returns>The record as forwarded.</returns>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is kept or forwarded.</exception>
    public UsageRecord RecordUsage(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Validate();

        UsageRecord paired;
        lock (_gate)
        {
            var correlationId = record.CorrelationId ?? _pendingCorrelationId;
            _pendingCorrelationId = null;
            if (_pendingHistoryLengths.TryDequeue(out var historyLength))
            {
                paired = record with { HistoryLength = record.HistoryLength ?? historyLength, CorrelationId = correlationId };
                _records.Add(paired);
            }
            else
            {
                paired = record with { IsUnpaired = true, CorrelationId = correlationId };
            }

            Interlocked.Exchange(ref _latestOccupancy, paired.Tokens.Input);
        }

        // Outside the lock: the recorder never throws for downstream faults and must not be called under our lock.
        _recorder?.Record(paired);
        return paired;
    }

    /// <summary>Creates a record from counts and passes it to <see cref="RecordUsage(UsageRecord)"/>.</summary>
    /// <param name="model">The requested model.</param>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="operation">The kind of call; chat when omitted.</param>
    /// <param name="provider">The provider, when known.</param>
    /// <returns>The record as forwarded.</returns>
    public UsageRecord RecordUsage(string model, TokenCounts tokens, UsageOperation? operation = null, string? provider = null) =>
        RecordUsage(new UsageRecord { Model = model, Tokens = tokens, Operation = operation ?? UsageOperation.Chat, Provider = provider });

    /// <summary>Attaches this tracker to the current async flow (and the tasks it starts) until the result is disposed.</summary>
    /// <returns>Disposing it restores the tracker that was attached before.</returns>
    public IDisposable Attach()
    {
        var previous = CurrentTracker.Value;
        CurrentTracker.Value = this;
        return new Attachment(this, previous);
    }

    /// <summary>Returns the kept records in chronological order and clears them.</summary>
    public IReadOnlyList<UsageRecord> Drain()
    {
        lock (_gate)
        {
            var drained = _records.ToArray();
            _records.Clear();
            return drained;
        }
    }

    private sealed class Attachment(UsageTracker tracker, UsageTracker? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            // Restore only on the flow where this tracker is still the current one; never throw.
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && ReferenceEquals(CurrentTracker.Value, tracker))
            {
                CurrentTracker.Value = previous;
            }
        }
    }
}
