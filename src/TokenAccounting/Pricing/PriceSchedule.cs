namespace TokenAccounting;

/// <summary>Compiled rates of one service tier: base rates, and the whole-request rates of each long-context tier.</summary>
internal sealed class PriceSchedule
{
    private readonly PerTokenRates _rates;

    // Tiers sorted by their first input-token count, highest first; the first one the request reaches applies.
    private readonly long[] _starts;
    private readonly PerTokenRates[] _tierRates;

    public PriceSchedule(PerTokenRates rates, long[] starts, PerTokenRates[] tierRates)
    {
        _rates = rates;
        _starts = starts;
        _tierRates = tierRates;
    }

    /// <summary>Gets the tiers' first input-token counts, highest first.</summary>
    public IReadOnlyList<long> Starts => _starts;

    /// <summary>Gets the tiers' rates, in the order of <see cref="Starts"/>.</summary>
    public IReadOnlyList<PerTokenRates> TierRates => _tierRates;

    public ref readonly PerTokenRates RatesFor(long inputTokens)
    {
        var starts = _starts;
        for (var i = 0; i < starts.Length; i++)
        {
            if (inputTokens >= starts[i])
            {
                return ref _tierRates[i];
            }
        }

        return ref _rates;
    }
}
