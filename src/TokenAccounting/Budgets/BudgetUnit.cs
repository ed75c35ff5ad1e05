namespace TokenAccounting;

/// <summary>What a <see cref="BudgetPolicy"/> limits.</summary>
public enum BudgetUnit
{
    /// <summary>Total tokens (<see cref="TokenCounts.Total"/>: input + output).</summary>
    Tokens = 0,

    /// <summary>Cost in US dollars (<see cref="UsageCost.Total"/>).</summary>
    Usd = 1,
}
