namespace TokenAccounting;

/// <summary>
/// The seam through which budgets (or any admission policy) plug into the middleware. <see cref="AdmitAsync"/> runs
/// before anything reaches the inner client; throwing from it (for example a <c>BudgetExceededException</c>, or a
/// <c>BudgetStoreException</c> when the store is down: the gate fails closed) refuses the call: the exception reaches
/// the caller, the inner client is never called, and one record with <see cref="UsageOutcome.Skipped"/> is written.
/// The returned lease is completed exactly once with the call's final record, whatever its outcome. Both are
/// asynchronous end to end: a gate never blocks the caller's thread on its store.
/// </summary>
internal interface IUsageGate
{
    /// <summary>Admits (reserves for) a call, or throws to refuse it.</summary>
    /// <param name="request">What the call is expected to consume and who causes it.</param>
    /// <param name="cancellationToken">The call's token.</param>
    /// <returns>The lease to complete when the call ends.</returns>
    ValueTask<IUsageGateLease> AdmitAsync(UsageGateRequest request, CancellationToken cancellationToken);
}
