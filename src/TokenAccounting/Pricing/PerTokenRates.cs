using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>Resolved prices per single token (the per-million price divided by 10^6, exact in decimal).</summary>
internal readonly struct PerTokenRates
{
    private const decimal Million = 1_000_000m;

    private PerTokenRates(decimal input, decimal cachedInput, decimal cacheWrite, decimal cacheWriteLongTtl, decimal output, decimal reasoning)
    {
        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        CacheWriteLongTtl = cacheWriteLongTtl;
        Output = output;
        Reasoning = reasoning;
    }

    public decimal Input { get; }

    public decimal CachedInput { get; }

    public decimal CacheWrite { get; }

    public decimal CacheWriteLongTtl { get; }

    public decimal Output { get; }

    public decimal Reasoning { get; }

    public static PerTokenRates From(decimal input, decimal? cachedInput, decimal? cacheWrite, decimal? cacheWriteLongTtl, decimal output, decimal? reasoning)
    {
        var write = cacheWrite ?? input;

        // Dividing by 10^6 only moves the decimal point, so it is exact for any price with fewer than 23 decimals.
        return new PerTokenRates(
            input / Million,
            (cachedInput ?? input) / Million,
            write / Million,
            (cacheWriteLongTtl ?? write) / Million,
            output / Million,
            (reasoning ?? output) / Million);
    }

    /// <summary>Prices counts with these rates; see docs/pricing-and-budgets.md for the formulas.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public UsageCost Cost(in TokenCounts tokens)
    {
        // The TokenCounts invariants make every difference ≥ 0; Math.Max keeps a cost from ever going negative anyway.
        var uncached = Math.Max(0, tokens.Input - tokens.CachedInput - tokens.CacheWriteInput);
        var longTtl = Math.Max(0, tokens.CacheWriteLongTtlInput);
        var shortTtl = Math.Max(0, tokens.CacheWriteInput - longTtl);
        var plainOutput = Math.Max(0, tokens.Output - tokens.Reasoning);
        var reasoning = Math.Max(0, tokens.Reasoning);
        var cached = Math.Max(0, tokens.CachedInput);

        var longTtlCost = longTtl == 0 ? 0m : longTtl * CacheWriteLongTtl;
        return new UsageCost(
            uncached == 0 ? 0m : uncached * Input,
            cached == 0 ? 0m : cached * CachedInput,
            (shortTtl == 0 ? 0m : shortTtl * CacheWrite) + longTtlCost,
            plainOutput == 0 ? 0m : plainOutput * Output,
            reasoning == 0 ? 0m : reasoning * Reasoning,
            longTtlCost);
    }
}
