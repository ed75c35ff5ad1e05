namespace TokenAccounting;

/// <summary>Compiled rates of one service tier: base rates, and the whole-request rates above a threshold.</summary>
internal sealed class PriceSchedule
{
    private readonly PerTokenRates _rates;
    private readonly PerTokenRates _aboveRates;

    public PriceSchedule(PerTokenRates rates, long threshold, PerTokenRates aboveRates)
    {
        _rates = rates;
        Threshold = threshold;
        _aboveRates = aboveRates;
    }

    /// <summary>Gets the input-token threshold of the long-context tier; <see cref="long.MaxValue"/> when there is none.</summary>
    public long Threshold { get; }

    public UsageCost Cost(in TokenCounts tokens) => tokens.Input > Threshold ? _aboveRates.Cost(tokens) : _rates.Cost(tokens);
}
