namespace TokenAccounting;

/// <summary>A <see cref="ModelPrice"/> compiled into per-token rates for each service tier, computed once.</summary>
internal sealed class PriceCompiled
{
    private PriceCompiled(PriceSchedule standard, PriceSchedule batch, PriceSchedule priority, PriceSchedule flex)
    {
        Standard = standard;
        Batch = batch;
        Priority = priority;
        Flex = flex;
    }

    public PriceSchedule Standard { get; }

    public PriceSchedule Batch { get; }

    public PriceSchedule Priority { get; }

    public PriceSchedule Flex { get; }

    public static PriceCompiled From(ModelPrice price)
    {
        var baseRates = PerTokenRates.From(price.Input, price.CachedInput, price.CacheWrite, price.CacheWriteLongTtl, price.Output, price.Reasoning);
        var threshold = price.LongContext?.AboveInputTokens ?? long.MaxValue;
        var aboveRates = price.LongContext?.Rates.ToPerToken() ?? baseRates;
        var standard = new PriceSchedule(baseRates, threshold, aboveRates);
        return new PriceCompiled(standard, Variant(price.Batch, standard, threshold, aboveRates), Variant(price.Priority, standard, threshold, aboveRates), Variant(price.Flex, standard, threshold, aboveRates));
    }

    /// <summary>Chooses the schedule of a service tier; null and unknown tiers get the base schedule. Allocation-free.</summary>
    public PriceSchedule Select(string? serviceTier)
    {
        if (serviceTier is null || serviceTier.Length == 0)
        {
            return Standard;
        }

        if (serviceTier.Equals("batch", StringComparison.OrdinalIgnoreCase) || serviceTier.Equals("batches", StringComparison.OrdinalIgnoreCase))
        {
            return Batch;
        }

        if (serviceTier.Equals("priority", StringComparison.OrdinalIgnoreCase))
        {
            return Priority;
        }

        return serviceTier.Equals("flex", StringComparison.OrdinalIgnoreCase) ? Flex : Standard;
    }

    private static PriceSchedule Variant(ServiceTierPrice? variant, PriceSchedule standard, long baseThreshold, PerTokenRates baseAboveRates)
    {
        if (variant is null)
        {
            return standard;
        }

        var rates = variant.Rates.ToPerToken();
        if (variant.LongContext is { } tier)
        {
            return new PriceSchedule(rates, tier.AboveInputTokens, tier.Rates.ToPerToken());
        }

        // No tier of its own: above the base threshold the base schedule's long-context rates apply.
        return new PriceSchedule(rates, baseThreshold, baseAboveRates);
    }
}
