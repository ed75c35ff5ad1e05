namespace TokenAccounting;

/// <summary>Raised once per window when a policy's usage crosses its warning threshold.</summary>
public sealed class BudgetWarningEventArgs : EventArgs
{
    internal BudgetWarningEventArgs(BudgetPolicy policy, string subjectKey, decimal used, DateTimeOffset at)
    {
        Policy = policy;
        SubjectKey = subjectKey;
        Used = used;
        At = at;
    }

    /// <summary>Gets the policy.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>Gets the dimension value (empty for global).</summary>
    public string SubjectKey { get; }

    /// <summary>Gets the amount used after the crossing, in the policy's unit.</summary>
    public decimal Used { get; }

    /// <summary>Gets the policy's limit.</summary>
    public decimal Limit => Policy.Limit;

    /// <summary>Gets the amount left: <c>max(0, Limit − Used)</c>.</summary>
    public decimal Remaining => Math.Max(0m, Limit - Used);

    /// <summary>Gets the moment the usage was counted at (its window is <c>Policy.Window.GetStart(At)</c>).</summary>
    public DateTimeOffset At { get; }
}
