namespace TokenAccounting;

/// <summary>
/// Pairs "request sent" with "usage arrived" when a framework reports them in separate callbacks (an agent's
/// tool loop, for example), in one of two forms:
/// <list type="bullet">
/// <item><description>Callbacks: <see cref="NoteRequest"/> remembers the history length of the latest request, and
/// <see cref="RecordUsage(UsageRecord)"/> pairs it into the usage that arrives next.</description></item>
/// <item><description>Handles: <see cref="BeginRequest"/> returns a <see cref="UsageTrackerRequest"/> for one
/// request; usage recorded through it pairs with that request whatever else runs concurrently.</description></item>
/// </list>
/// Either way the paired record is kept in <see cref="Records"/> and forwarded to the recorder.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe. The callback form keeps one pending request, the latest: a request that never gets usage (a
/// rate-limited, timed-out or cancelled call) is replaced by the next <see cref="NoteRequest"/>, counted in
/// <see cref="AbandonedRequestCount"/>, and never shifts a later pairing. With concurrent requests use handles: the
/// callback form cannot tell whose usage arrived.
/// </para>
/// <para>
/// Usage is never lost: usage with nothing to pair with (no pending request, or a handle already used or disposed) is
/// forwarded to the recorder with <see cref="UsageRecord.IsUnpaired"/> set, and is not kept in <see cref="Records"/>.
/// </para>
/// </remarks>
public sealed class UsageTracker
{
    private static readonly AsyncLocal<UsageTracker?> CurrentTracker = new();

    private readonly IUsageRecorder _recorder;
    private readonly List<UsageRecord> _records = [];
    private readonly object _gate = new();
    private bool _hasLatestRequest;
    private int _latestHistoryLength;
    private int _openHandles;
    private long _abandoned;
    private string? _pendingCorrelationId;
    private long _latestOccupancy;

    /// <summary>Creates a tracker that keeps paired records and forwards every record to <paramref name="recorder"/>.</summary>
    /// <param name="recorder">Where every record goes, paired or not; required, so unpaired usage is never lost.</param>
    /// <exception cref="ArgumentNullException"><paramref name="recorder"/> is null.</exception>
    public UsageTracker(IUsageRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        _recorder = recorder;
    }

    /// <summary>
    /// Gets the tracker attached to the current async flow with <see cref="Attach"/>, or null. Integrations (such as
    /// the <c>IChatClient</c> middleware) begin requests and record usage through it when present.
    /// </summary>
    public static UsageTracker? Current => CurrentTracker.Value;

    /// <summary>
    /// Gets the number of requests waiting for usage: the latest <see cref="NoteRequest"/> when it has none yet (0
    /// or 1), plus every <see cref="UsageTrackerRequest"/> neither used nor disposed.
    /// </summary>
    public int PendingRequestCount
    {
        get
        {
            lock (_gate)
            {
                return (_hasLatestRequest ? 1 : 0) + _openHandles;
            }
        }
    }

    /// <summary>
    /// Gets the number of requests that never got usage: noted requests replaced by a newer
    /// <see cref="NoteRequest"/>, and handles disposed without usage.
    /// </summary>
    public long AbandonedRequestCount
    {
        get
        {
            lock (_gate)
            {
                return _abandoned;
            }
        }
    }

    /// <summary>
    /// Gets the input tokens of the latest paired or unpaired usage: how full the model's context window was on
    /// the last request. Compare it with the model's context size to stop a loop before it overflows.
    /// </summary>
    public long LatestOccupancy => Interlocked.Read(ref _latestOccupancy);

    /// <summary>Gets a snapshot of the paired records kept so far, in the order they were recorded (does not clear).</summary>
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

    /// <summary>
    /// Notes that a request with <paramref name="historyLength"/> messages was sent; the next
    /// <see cref="RecordUsage(UsageRecord)"/> pairs with it. A noted request still waiting for usage is replaced (and
    /// counted in <see cref="AbandonedRequestCount"/>): usage pairs with the latest request.
    /// </summary>
    /// <param name="historyLength">The number of messages in the request; zero or greater.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="historyLength"/> is negative.</exception>
    public void NoteRequest(int historyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyLength);
        lock (_gate)
        {
            if (_hasLatestRequest)
            {
                _abandoned++;
            }

            _hasLatestRequest = true;
            _latestHistoryLength = historyLength;
        }
    }

    /// <summary>
    /// Begins one request with <paramref name="historyLength"/> messages and returns its handle: usage recorded
    /// through <see cref="UsageTrackerRequest.RecordUsage(UsageRecord)"/> pairs with this request exactly, whatever
    /// runs concurrently. Dispose the handle when the call ends: disposed without usage, the request is withdrawn
    /// and counted in <see cref="AbandonedRequestCount"/>. Independent of <see cref="NoteRequest"/>'s pending request.
    /// </summary>
    /// <param name="historyLength">The number of messages in the request; zero or greater.</param>
    /// <param name="correlationId">An id for this request's record, when the record sets none; null or not blank.</param>
    /// <returns>The request's handle; pending until it records usage or is disposed.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="historyLength"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="correlationId"/> is empty or white space.</exception>
    public UsageTrackerRequest BeginRequest(int historyLength, string? correlationId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyLength);
        if (correlationId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(correlationId);
            CheckCorrelationId(correlationId, nameof(correlationId));
        }

        lock (_gate)
        {
            _openHandles++;
        }

        return new UsageTrackerRequest(this, historyLength, correlationId);
    }

    /// <summary>Notes a correlation id that lands on the next record through this tracker (either form) only, then clears.</summary>
    /// <param name="correlationId">The id; not empty.</param>
    /// <exception cref="ArgumentException"><paramref name="correlationId"/> is null, empty or white space.</exception>
    public void NoteCorrelationId(string correlationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(correlationId);
        CheckCorrelationId(correlationId, nameof(correlationId));
        lock (_gate)
        {
            _pendingCorrelationId = correlationId;
        }
    }

    /// <summary>
    /// Pairs the pending request's history length (the latest <see cref="NoteRequest"/>) and the pending correlation
    /// id into <paramref name="record"/> (values the record already sets win), keeps it, and forwards it to the
    /// recorder. With no pending request the record is forwarded with <see cref="UsageRecord.IsUnpaired"/> set
    /// and not kept.
    /// </summary>
    /// <param name="record">The usage that arrived.</param>
    /// <returns>The record as forwarded.</returns>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is kept, forwarded or consumed.</exception>
    public UsageRecord RecordUsage(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Validate();

        UsageRecord paired;
        lock (_gate)
        {
            if (_hasLatestRequest)
            {
                _hasLatestRequest = false;
                paired = PairLocked(record, _latestHistoryLength, null);
            }
            else
            {
                paired = UnpairedLocked(record, null);
            }
        }

        // Outside the lock: the recorder never throws for downstream faults and must not be called under our lock.
        Forward(paired);
        return paired;
    }

    /// <summary>Creates a record from counts and passes it to <see cref="RecordUsage(UsageRecord)"/>.</summary>
    /// <param name="model">The requested model.</param>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="operation">The kind of call; chat when omitted.</param>
    /// <param name="provider">The provider, when known.</param>
    /// <returns>The record as forwarded.</returns>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is kept, forwarded or consumed.</exception>
    public UsageRecord RecordUsage(string model, TokenCounts tokens, UsageOperation? operation = null, string? provider = null) =>
        RecordUsage(CreateRecord(model, tokens, operation, provider));

    /// <summary>Attaches this tracker to the current async flow (and the tasks it starts) until the result is disposed.</summary>
    /// <returns>Disposing it restores the tracker that was attached before.</returns>
    public IDisposable Attach()
    {
        var previous = CurrentTracker.Value;
        CurrentTracker.Value = this;
        return new Attachment(this, previous);
    }

    /// <summary>Returns the kept records in the order they were recorded and clears them.</summary>
    /// <returns>The records kept since the last drain.</returns>
    public IReadOnlyList<UsageRecord> Drain()
    {
        lock (_gate)
        {
            var drained = _records.ToArray();
            _records.Clear();
            return drained;
        }
    }

    internal static UsageRecord CreateRecord(string model, TokenCounts tokens, UsageOperation? operation, string? provider) =>
        new() { Model = model, Tokens = tokens, Operation = operation ?? UsageOperation.Chat, Provider = provider };

    /// <summary>Records usage for a handle: paired when the handle was still open, else forwarded unpaired.</summary>
    internal UsageRecord RecordUsage(UsageTrackerRequest request, UsageRecord record)
    {
        UsageRecord result;
        lock (_gate)
        {
            if (request.TryClose())
            {
                _openHandles--;
                result = PairLocked(record, request.HistoryLength, request.CorrelationId);
            }
            else
            {
                result = UnpairedLocked(record, request.CorrelationId);
            }
        }

        Forward(result);
        return result;
    }

    /// <summary>Withdraws a handle's request when it is still open; counted as abandoned.</summary>
    internal void Withdraw(UsageTrackerRequest request)
    {
        lock (_gate)
        {
            if (request.TryClose())
            {
                _openHandles--;
                _abandoned++;
            }
        }
    }

    /// <summary>
    /// Hands a paired record on. It was validated before pairing, and pairing adds only a history length and a
    /// correlation id that were checked when noted, so the pipeline's own recorder is spared a second validation.
    /// </summary>
    private void Forward(UsageRecord record)
    {
        if (_recorder is UsageRecorder pipeline)
        {
            pipeline.RecordValidated(record);
        }
        else
        {
            _recorder.Record(record);
        }
    }

    // The rules of UsageRecord.CorrelationId, applied when the id is noted: a paired record is then valid if its input was.
    private static void CheckCorrelationId(string correlationId, string parameterName) =>
        UsageStringRules.Check(correlationId, UsageRecordLimits.MaxIdLength, nameof(UsageTracker), parameterName, "UsageRecordLimits.MaxIdLength");

    private UsageRecord PairLocked(UsageRecord record, int historyLength, string? requestCorrelationId)
    {
        var correlationId = record.CorrelationId ?? requestCorrelationId ?? _pendingCorrelationId;
        _pendingCorrelationId = null;
        var paired = record with { HistoryLength = record.HistoryLength ?? historyLength, CorrelationId = correlationId };
        _records.Add(paired);
        Interlocked.Exchange(ref _latestOccupancy, paired.Tokens.Input);
        return paired;
    }

    private UsageRecord UnpairedLocked(UsageRecord record, string? requestCorrelationId)
    {
        var correlationId = record.CorrelationId ?? requestCorrelationId ?? _pendingCorrelationId;
        _pendingCorrelationId = null;
        var unpaired = record with { IsUnpaired = true, CorrelationId = correlationId };
        Interlocked.Exchange(ref _latestOccupancy, unpaired.Tokens.Input);
        return unpaired;
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
