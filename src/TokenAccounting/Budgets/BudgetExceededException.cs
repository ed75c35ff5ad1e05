namespace TokenAccounting;

/// <summary>A reservation was denied because a hard <see cref="BudgetPolicy"/> has not enough left.</summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="policy">The policy that denied.</param>
    /// <param name="subjectKey">The dimension value counted (empty for global).</param>
    /// <param name="limit">The policy's limit.</param>
    /// <param name="used">The amount used (committed and reserved) in the current window.</param>
    /// <param name="requested">The amount that was asked for.</param>
    public BudgetExceededException(BudgetPolicy policy, string subjectKey, decimal limit, decimal used, decimal requested)
        : base(Describe(policy, subjectKey, limit, used, requested))
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        SubjectKey = subjectKey ?? string.Empty;
        Limit = limit;
        Used = used;
        Requested = requested;
    }

    /// <summary>Gets the policy that denied the reservation.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>Gets the dimension value whose counter is exhausted (the user, tenant, …; empty for global).</summary>
    public string SubjectKey { get; }

    /// <summary>Gets the policy's limit, in the policy's unit.</summary>
    public decimal Limit { get; }

    /// <summary>Gets the amount already used (committed and reserved) in the current window.</summary>
    public decimal Used { get; }

    /// <summary>Gets the amount left: <c>max(0, Limit − Used)</c>.</summary>
    public decimal Remaining => Math.Max(0m, Limit - Used);

    /// <summary>Gets the amount that was asked for.</summary>
    public decimal Requested { get; }

    private static string Describe(BudgetPolicy policy, string subjectKey, decimal limit, decimal used, decimal requested) =>
        FormattableString.Invariant($"Budget '{policy?.Name}'{(string.IsNullOrEmpty(subjectKey) ? string.Empty : $" for '{subjectKey}'")} exceeded: requested {requested} {policy?.Unit}, used {used} of {limit}, remaining {Math.Max(0m, limit - used)} in the current {policy?.Window} window.");
}
