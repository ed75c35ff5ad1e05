namespace TokenAccounting;

/// <summary>
/// The seam through which budgets (or any admission policy) plug into the middleware. <see cref="Admit"/> runs
/// before anything reaches the inner client; throwing from it (for example a <c>BudgetExceededException</c>)
/// refuses the call: the exception reaches the caller, the inner client is never called, and one record with
/// <see cref="UsageOutcome.Skipped"/> is written. The returned lease is completed exactly once with the call's
/// final record, whatever its outcome.
/// </summary>
internal interface IUsageGate
{
    /// <summary>Admits (reserves for) a call, or throws to refuse it.</summary>
    /// <param name="request">What the call is expected to consume and who causes it.</param>
    /// <returns>The lease to complete when the call ends.</returns>
    IUsageGateLease Admit(UsageGateRequest request);
}
