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
    /// Builds token counts from ledger sums that may have saturated. When no sum saturated the counts are taken as they
    /// are, so anything that breaks the <see cref="TokenCounts"/> invariants is left for the constructor to reject. When
    /// one did (a count at <see cref="long.MaxValue"/>), each contained count is capped at its container, as the core's
    /// saturating <c>+</c> caps them, and a total that saturated is added (saturating) instead of rejected.
    /// </summary>
    /// <remarks>
    /// The caps repeat <c>TokenCounts.Saturated</c>, which is internal to the core: the ledgers link the core's
    /// <c>SaturatingArithmetic</c> source, but the caps live inside <see cref="TokenCounts"/>.
    /// </remarks>
    public static TokenCounts Counts(
        long input, long output, long cached, long cacheWrite, long longTtl, long reasoning, long inputAudio, long cachedInputAudio, long outputAudio)
    {
        if (input == long.MaxValue || output == long.MaxValue || cached == long.MaxValue || cacheWrite == long.MaxValue || longTtl == long.MaxValue
            || reasoning == long.MaxValue || inputAudio == long.MaxValue || cachedInputAudio == long.MaxValue || outputAudio == long.MaxValue)
        {
            // Only a saturated container can be smaller than its parts' sum (negative sums are rejected before this).
            cacheWrite = Math.Min(cacheWrite, input);
            cached = Math.Min(cached, input - cacheWrite);
            longTtl = Math.Min(longTtl, cacheWrite);
            reasoning = Math.Min(reasoning, output);
            cachedInputAudio = Math.Min(cachedInputAudio, Math.Min(cached, inputAudio));
            inputAudio = Math.Min(inputAudio, cachedInputAudio + (input - cached - cacheWrite));
            outputAudio = Math.Min(outputAudio, output - reasoning);
        }

        // Input and output in separate values, so a total that saturated is added (saturating) instead of rejected.
        return output > long.MaxValue - input
            ? new TokenCounts(input, 0, cached, cacheWrite, longTtl, 0, inputAudio, cachedInputAudio, 0) + new TokenCounts(0, output, 0, 0, 0, reasoning, 0, 0, outputAudio)
            : new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedInputAudio, outputAudio);
    }
}
