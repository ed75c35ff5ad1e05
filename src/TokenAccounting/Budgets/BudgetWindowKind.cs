namespace TokenAccounting;

/// <summary>The kind of period a budget counts over.</summary>
public enum BudgetWindowKind
{
    /// <summary>A calendar day in UTC, from 00:00.</summary>
    UtcDay = 0,

    /// <summary>A calendar month in UTC, from the 1st at 00:00.</summary>
    UtcMonth = 1,

    /// <summary>The last <see cref="BudgetWindow.Duration"/>, sliding with the clock.</summary>
    Rolling = 2,

    /// <summary>All time: the counter never resets.</summary>
    Lifetime = 3,
}
