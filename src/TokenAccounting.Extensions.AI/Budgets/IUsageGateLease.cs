namespace TokenAccounting;

/// <summary>An admitted call's reservation, returned by <see cref="IUsageGate.Admit"/>.</summary>
internal interface IUsageGateLease
{
    /// <summary>
    /// Gets the most output tokens the call may produce, or null for no cap. When set, the middleware lowers
    /// <c>ChatOptions.MaxOutputTokens</c> to it (on a clone; the caller's options are never modified).
    /// </summary>
    int? MaxOutputTokens { get; }

    /// <summary>
    /// Completes the reservation with the call's final record: commit <see cref="UsageRecord.Tokens"/> when the call
    /// consumed tokens, release when it did not (see <see cref="UsageRecord.Outcome"/> and
    /// <see cref="UsageRecord.Provenance"/>). Called exactly once, before the record is written; an exception here is
    /// logged and counted, never thrown to the caller (the record is then written as it was).
    /// </summary>
    /// <returns>The record to write: the same one, or one marked as already counted by the budget (so the budget's
    /// own observer of recorded usage does not count it twice).</returns>
    UsageRecord Complete(UsageRecord record);
}
