namespace TokenAccounting;

/// <summary>
/// The <see cref="IBudgetStore"/> failed while a budget was reserving, committing, releasing or reading. The message
/// names the policy and the subject; <see cref="Exception.InnerException"/> is the store's own exception.
/// </summary>
/// <remarks>
/// Nothing changed state when this is thrown: a failed reservation holds nothing, and a reservation whose commit or
/// release failed is still <see cref="BudgetReservationState.Held"/> and can be committed (with the same amount) or
/// released again. Disposing it instead hands the pending commit or release to the manager's background retry (see
/// <see cref="BudgetManager.PendingSettlements"/>).
/// </remarks>
public sealed class BudgetStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="policyName">The policy whose counter the store failed on.</param>
    /// <param name="subjectKey">The dimension value counted (empty for global).</param>
    /// <param name="operation">What the budget was doing.</param>
    /// <param name="innerException">The store's exception.</param>
    public BudgetStoreException(string policyName, string subjectKey, BudgetStoreOperation operation, Exception innerException)
        : base(Describe(policyName, subjectKey, operation, innerException), innerException)
    {
        ArgumentNullException.ThrowIfNull(policyName);
        ArgumentNullException.ThrowIfNull(innerException);
        PolicyName = policyName;
        SubjectKey = subjectKey ?? string.Empty;
        Operation = operation;
    }

    /// <summary>Gets the name of the policy whose counter the store failed on.</summary>
    public string PolicyName { get; }

    /// <summary>Gets the dimension value counted (the user, tenant, …; empty for global).</summary>
    public string SubjectKey { get; }

    /// <summary>Gets what the budget was doing when the store failed.</summary>
    public BudgetStoreOperation Operation { get; }

    private static string Describe(string policyName, string subjectKey, BudgetStoreOperation operation, Exception innerException)
    {
        var what = operation switch
        {
            BudgetStoreOperation.Reserve => "reserving; nothing is held",
            BudgetStoreOperation.Commit => "committing; the reservation is still held and the commit can be retried",
            BudgetStoreOperation.Release => "releasing; the reservation is still held and the release can be retried",
            _ => "reading the amount used",
        };
        return $"The budget store failed for policy '{policyName}'{(string.IsNullOrEmpty(subjectKey) ? string.Empty : $" and '{subjectKey}'")} while {what}: {innerException?.Message}";
    }
}
