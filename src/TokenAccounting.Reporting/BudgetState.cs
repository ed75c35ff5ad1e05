namespace TokenAccounting.Reporting;

/// <summary>Where a budget stands in its current window.</summary>
public enum BudgetState
{
    /// <summary>Below the warning threshold (or below the limit when the policy has none).</summary>
    Ok = 0,

    /// <summary>At or above the policy's warning threshold, below the limit.</summary>
    Warning = 1,

    /// <summary>At or above the limit.</summary>
    Exceeded = 2,

    /// <summary>The ledger's totals cannot tell (a policy per scope or per tag).</summary>
    Unknown = 3,
}
