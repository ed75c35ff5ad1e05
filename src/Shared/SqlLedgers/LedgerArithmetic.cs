namespace TokenAccounting;

/// <summary>
/// What the SQL ledgers add to the core's arithmetic rule: the saturation limits as SQL text, and rebuilding token counts
/// from stored sums. The sums themselves are the core's <c>SaturatingArithmetic</c>, linked into each ledger project.
/// </summary>
internal static class LedgerArithmetic
{
    /// <summary><see cref="long.MaxValue"/> as SQL text.</summary>
    public const string MaxCountSql = "9223372036854775807";

    /// <summary><see cref="decimal.MaxValue"/> as SQL text.</summary>
    public const string MaxMoneySql = "79228162514264337593543950335";

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
