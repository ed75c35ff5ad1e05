namespace TokenAccounting.Reporting;

/// <summary>How much of a budget one subject used in the policy's window that contains the end of the report.</summary>
public sealed class BudgetStatus
{
    internal BudgetStatus(BudgetPolicy policy, string? subject, DateTimeOffset windowStart, DateTimeOffset windowEnd, decimal used, BudgetState state)
    {
        Policy = policy;
        Subject = subject;
        WindowStart = windowStart;
        WindowEnd = windowEnd;
        Used = used;
        State = state;
    }

    /// <summary>Gets the policy.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>Gets the value of the policy's dimension (the user, tenant or API key); null for a global policy.</summary>
    public string? Subject { get; }

    /// <summary>Gets the inclusive start of the window read, in UTC.</summary>
    public DateTimeOffset WindowStart { get; }

    /// <summary>Gets the exclusive end of the window read (the report's end), in UTC.</summary>
    public DateTimeOffset WindowEnd { get; }

    /// <summary>Gets what was used in the window, in the policy's unit (tokens or US dollars); 0 when <see cref="State"/> is <see cref="BudgetState.Unknown"/>.</summary>
    public decimal Used { get; }

    /// <summary>Gets <see cref="Used"/> as a fraction of the limit.</summary>
    public decimal UsedShare => Used / Policy.Limit;

    /// <summary>Gets what is left of the limit (never below zero).</summary>
    public decimal Remaining => Math.Max(0m, Policy.Limit - Used);

    /// <summary>Gets where the budget stands.</summary>
    public BudgetState State { get; }
}
