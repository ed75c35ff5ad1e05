namespace TokenAccounting;

/// <summary>An amount of usage in both budget units: tokens and US dollars. Each policy takes the unit it limits.</summary>
/// <param name="Tokens">Total tokens (input + output); ≥ 0.</param>
/// <param name="Cost">Cost in US dollars; ≥ 0.</param>
public readonly record struct BudgetAmount(long Tokens, decimal Cost)
{
    /// <summary>Creates an amount of tokens (cost 0: use it only with token policies).</summary>
    /// <param name="tokens">Total tokens; ≥ 0.</param>
    /// <returns>The amount.</returns>
    public static BudgetAmount FromTokens(long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        return new BudgetAmount(tokens, 0m);
    }

    /// <summary>Creates an amount of US dollars (tokens 0: use it only with cost policies).</summary>
    /// <param name="cost">US dollars; ≥ 0.</param>
    /// <returns>The amount.</returns>
    public static BudgetAmount FromCost(decimal cost)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        return new BudgetAmount(0, cost);
    }

    /// <summary>
    /// Creates the amount a record consumed: <see cref="TokenCounts.Total"/> and <see cref="UsageCost.Total"/> (0 when
    /// unpriced). Sums saturate: a token total past <see cref="long.MaxValue"/> or a cost past
    /// <see cref="decimal.MaxValue"/> counts as the maximum, never wraps or throws.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <returns>The amount.</returns>
    public static BudgetAmount FromRecord(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new BudgetAmount(BudgetMath.TotalTokens(record.Tokens), BudgetMath.TotalCost(record.Cost));
    }

    internal decimal In(BudgetUnit unit) => unit == BudgetUnit.Tokens ? Tokens : Cost;

    internal void Validate(string name)
    {
        if (Tokens < 0 || Cost < 0)
        {
            throw new ArgumentOutOfRangeException(name, this, $"{name} must not be negative (tokens {Tokens}, cost {Cost}).");
        }
    }
}
