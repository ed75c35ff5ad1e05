namespace TokenAccounting;

/// <summary>
/// The arithmetic rule of the SQL ledgers (the same as the core library's): sums of counts saturate at
/// <see cref="long.MaxValue"/> and sums of money at <see cref="decimal.MaxValue"/>; they never wrap and never throw.
/// </summary>
internal static class LedgerArithmetic
{
    /// <summary><see cref="long.MaxValue"/> as SQL text.</summary>
    public const string MaxCountSql = "9223372036854775807";

    /// <summary><see cref="decimal.MaxValue"/> as SQL text.</summary>
    public const string MaxMoneySql = "79228162514264337593543950335";

    public static long Add(long left, long right)
    {
        var sum = unchecked(left + right);
        return sum < 0 && left >= 0 && right >= 0 ? long.MaxValue : sum;
    }

    public static decimal Add(decimal left, decimal right)
    {
        if (left > decimal.MaxValue - right)
        {
            return decimal.MaxValue;
        }

        try
        {
            return left + right;
        }
        catch (OverflowException)
        {
            return decimal.MaxValue;
        }
    }

    /// <summary>
    /// Builds token counts from ledger sums that may have saturated: a contained count (cached, cache-write, long-TTL,
    /// reasoning) is capped at its container only when the container saturated; anything else that breaks the
    /// <see cref="TokenCounts"/> invariants is left for the constructor to reject.
    /// </summary>
    public static TokenCounts Counts(long input, long output, long cached, long cacheWrite, long longTtl, long reasoning)
    {
        if (input == long.MaxValue)
        {
            cacheWrite = Math.Min(cacheWrite, input);
            cached = Math.Min(cached, input - cacheWrite);
        }

        if (cacheWrite == long.MaxValue)
        {
            longTtl = Math.Min(longTtl, cacheWrite);
        }

        if (output == long.MaxValue)
        {
            reasoning = Math.Min(reasoning, output);
        }

        // Input and output in separate values, so a total that saturated is added (saturating) instead of rejected.
        return output > long.MaxValue - input
            ? new TokenCounts(input, 0, cached, cacheWrite, longTtl, 0) + new TokenCounts(0, output, 0, 0, 0, reasoning)
            : new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning);
    }
}
