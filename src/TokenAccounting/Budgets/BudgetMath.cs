namespace TokenAccounting;

/// <summary>
/// Budget arithmetic saturates instead of wrapping or throwing: a sum past <see cref="decimal.MaxValue"/> stays at
/// <see cref="decimal.MaxValue"/> (and so denies every hard reservation), a token total past <see cref="long.MaxValue"/>
/// stays at <see cref="long.MaxValue"/>, and a used amount never goes below zero.
/// </summary>
internal static class BudgetMath
{
    /// <summary>Adds, saturating at <see cref="decimal.MaxValue"/> and <see cref="decimal.MinValue"/>.</summary>
    public static decimal Add(decimal a, decimal b)
    {
        // decimal addition throws on overflow; only same-signed operands can overflow.
        if (a > 0 && b > 0 && a > decimal.MaxValue - b)
        {
            return decimal.MaxValue;
        }

        if (a < 0 && b < 0 && a < decimal.MinValue - b)
        {
            return decimal.MinValue;
        }

        return a + b;
    }

    /// <summary>Adds a change to a used amount: saturates high, never below zero.</summary>
    public static decimal AddUsed(decimal used, decimal delta) => Math.Max(0m, Add(used, delta));

    /// <summary>Input + output of <paramref name="tokens"/>, saturating at <see cref="long.MaxValue"/> (and never negative).</summary>
    public static long TotalTokens(TokenCounts tokens)
    {
        var input = Math.Max(0, tokens.Input);
        var output = Math.Max(0, tokens.Output);
        return input > long.MaxValue - output ? long.MaxValue : input + output;
    }

    /// <summary>The cost's total, saturating at <see cref="decimal.MaxValue"/> (and never negative); 0 when unpriced.</summary>
    public static decimal TotalCost(UsageCost? cost)
    {
        if (cost is null)
        {
            return 0m;
        }

        try
        {
            return Math.Max(0m, cost.Total);
        }
        catch (OverflowException)
        {
            return decimal.MaxValue;
        }
    }
}
