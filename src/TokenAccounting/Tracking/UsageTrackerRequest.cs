namespace TokenAccounting;

/// <summary>
/// One request begun with <see cref="UsageTracker.BeginRequest"/>: usage recorded through it pairs with this request
/// exactly, whatever other requests on the same tracker do concurrently.
/// </summary>
/// <remarks>
/// Thread-safe. The request is pending until its first <see cref="RecordUsage(UsageRecord)"/> (paired, kept and
/// forwarded) or <see cref="Dispose"/> (withdrawn and counted in <see cref="UsageTracker.AbandonedRequestCount"/>
/// when no usage was recorded). Usage recorded after that is never lost: it is forwarded with
/// <see cref="UsageRecord.IsUnpaired"/> set and not kept. Always dispose the handle (<c>using</c>), so a failed call
/// never leaves a request pending.
/// </remarks>
public sealed class UsageTrackerRequest : IDisposable
{
    private const int Open = 0;
    private const int Closed = 1;

    private readonly UsageTracker _tracker;
    private int _state;

    internal UsageTrackerRequest(UsageTracker tracker, int historyLength, string? correlationId)
    {
        _tracker = tracker;
        HistoryLength = historyLength;
        CorrelationId = correlationId;
    }

    /// <summary>Gets the number of messages in the request.</summary>
    public int HistoryLength { get; }

    /// <summary>Gets the correlation id given to <see cref="UsageTracker.BeginRequest"/>, or null.</summary>
    public string? CorrelationId { get; }

    /// <summary>Gets whether the request still waits for usage (neither used nor disposed).</summary>
    public bool IsPending => Volatile.Read(ref _state) == Open;

    /// <summary>
    /// Pairs this request's history length and correlation id into <paramref name="record"/> (values the record
    /// already sets win; then this request's id; then an id noted with <see cref="UsageTracker.NoteCorrelationId"/>),
    /// keeps it on the tracker and forwards it to the recorder. When the request is no longer pending the record is
    /// forwarded with <see cref="UsageRecord.IsUnpaired"/> set and not kept.
    /// </summary>
    /// <param name="record">The usage that arrived for this request.</param>
    /// <returns>The record as forwarded.</returns>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is kept or forwarded, and the request stays pending.</exception>
    public UsageRecord RecordUsage(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Validate();
        return _tracker.RecordUsage(this, record);
    }

    /// <summary>Creates a record from counts and passes it to <see cref="RecordUsage(UsageRecord)"/>.</summary>
    /// <param name="model">The requested model.</param>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="operation">The kind of call; chat when omitted.</param>
    /// <param name="provider">The provider, when known.</param>
    /// <returns>The record as forwarded.</returns>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is kept or forwarded, and the request stays pending.</exception>
    public UsageRecord RecordUsage(string model, TokenCounts tokens, UsageOperation? operation = null, string? provider = null) =>
        RecordUsage(UsageTracker.CreateRecord(model, tokens, operation, provider));

    /// <summary>
    /// Ends the request: when no usage was recorded it is withdrawn and counted as abandoned. Idempotent; never throws.
    /// </summary>
    public void Dispose()
    {
        if (IsPending)
        {
            _tracker.Withdraw(this);
        }
    }

    /// <summary>Closes the request once; called under the tracker's lock, so counts and state change together.</summary>
    internal bool TryClose() => Interlocked.CompareExchange(ref _state, Closed, Open) == Open;
}
