namespace TokenAccounting;

/// <summary>An admitted call's reservation, returned by <see cref="IUsageGate.AdmitAsync"/>.</summary>
internal interface IUsageGateLease
{
    /// <summary>
    /// Gets the most output tokens the call may produce, or null for no cap. When set, the middleware lowers
    /// <c>ChatOptions.MaxOutputTokens</c> to it (on a clone; the caller's options are never modified).
    /// </summary>
    int? MaxOutputTokens { get; }

    /// <summary>
    /// Completes the reservation with the call's final record: commit <see cref="UsageRecord.Tokens"/> when the
    /// provider may have billed the call, release when it cannot have (see <paramref name="billable"/>). Called exactly
    /// once, before the record is written; an exception here is logged and counted, never thrown to the caller (the
    /// record is then written as it was).
    /// </summary>
    /// <param name="record">The call's final record.</param>
    /// <param name="billable">
    /// Whether the provider may have billed the call: it succeeded, or it failed or was cancelled after the provider
    /// reported usage or after content arrived. False for a call that failed before either (an HTTP 429 or 5xx, a
    /// connection error): the provider billed nothing and the reservation is released.
    /// </param>
    /// <param name="cancellationToken">Cancels waiting for the store (the middleware passes none: the call already ended).</param>
    /// <returns>The record to write: the same one, or one marked as already counted by the budget (so the budget's
    /// own observer of recorded usage does not count it twice, nor count a released call's estimate).</returns>
    ValueTask<UsageRecord> CompleteAsync(UsageRecord record, bool billable, CancellationToken cancellationToken);
}
