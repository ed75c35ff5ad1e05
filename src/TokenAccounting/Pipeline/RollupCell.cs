namespace TokenAccounting;

/// <summary>
/// A mutable running sum for one rollup key; owned by one sink worker and touched under its lock. Sums saturate
/// instead of overflowing: a rollup never wraps negative and never throws (a saturated sum is reported to the caller
/// so it can be counted and logged).
/// </summary>
internal sealed class RollupCell
{
    public TokenCounts Tokens;
    public long Requests;
    public long Unpriced;
    public UsageCost? Cost;

    /// <summary>Adds one record; returns false when a sum saturated.</summary>
    public bool Add(UsageRecord record) => Add(record.Tokens, 1, record.Cost is null ? 1 : 0, record.Cost);

    /// <summary>Adds a delta; returns false when a sum saturated.</summary>
    public bool Add(TokenCounts tokens, long requests, long unpriced, UsageCost? cost)
    {
        var exact = true;
        Tokens = AddSaturating(Tokens, tokens, ref exact);
        Requests = AddSaturating(Requests, requests, ref exact);
        Unpriced = Math.Min(AddSaturating(Unpriced, unpriced, ref exact), Requests);
        if (cost is not null)
        {
            Cost = Cost is null ? cost : AddSaturating(Cost, cost, ref exact);
        }

        return exact;
    }

    public UsageRollup ToRollup(UsageRollupKey key) => new(key, Tokens, Requests, Cost, Unpriced);

    internal static long AddSaturating(long left, long right, ref bool exact)
    {
        var sum = (Int128)left + right;
        if (sum > long.MaxValue)
        {
            exact = false;
            return long.MaxValue;
        }

        return (long)sum;
    }

    /// <summary>Adds field-wise; when a sum would not fit (or its total would not), clamps so the invariants still hold.</summary>
    internal static TokenCounts AddSaturating(TokenCounts left, TokenCounts right, ref bool exact)
    {
        try
        {
            var sum = left + right;
            _ = checked(sum.Input + sum.Output);
            return sum;
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException)
        {
            exact = false;
        }

        // Clamp the total to long.MaxValue, then every part to what contains it.
        var input = Clamp((Int128)left.Input + right.Input, long.MaxValue);
        var output = Clamp((Int128)left.Output + right.Output, long.MaxValue - input);
        var cached = Clamp((Int128)left.CachedInput + right.CachedInput, input);
        var cacheWrite = Clamp((Int128)left.CacheWriteInput + right.CacheWriteInput, input - cached);
        var longTtl = Clamp((Int128)left.CacheWriteLongTtlInput + right.CacheWriteLongTtlInput, cacheWrite);
        var reasoning = Clamp((Int128)left.Reasoning + right.Reasoning, output);
        return new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning);
    }

    /// <summary>Adds part-wise; when a sum (or the total) would overflow a decimal, clamps so the total is at most <see cref="decimal.MaxValue"/>.</summary>
    internal static UsageCost AddSaturating(UsageCost left, UsageCost right, ref bool exact)
    {
        try
        {
            var sum = left + right;
            _ = sum.Total;
            return sum;
        }
        catch (Exception ex) when (ex is OverflowException or ArgumentException)
        {
            exact = false;
        }

        var room = decimal.MaxValue;
        var input = Take(left.Input, right.Input, ref room);
        var cached = Take(left.CachedInput, right.CachedInput, ref room);
        var cacheWrite = Take(left.CacheWrite, right.CacheWrite, ref room);
        var output = Take(left.Output, right.Output, ref room);
        var reasoning = Take(left.Reasoning, right.Reasoning, ref room);
        var longTtl = Math.Min(SaturatingDecimal(left.CacheWriteLongTtl, right.CacheWriteLongTtl), cacheWrite);
        return new UsageCost(input, cached, cacheWrite, output, reasoning, longTtl);
    }

    private static long Clamp(Int128 value, long max) => value > max ? max : value < 0 ? 0 : (long)value;

    private static decimal SaturatingDecimal(decimal left, decimal right)
    {
        try
        {
            return left + right;
        }
        catch (OverflowException)
        {
            return left > 0 ? decimal.MaxValue : decimal.MinValue;
        }
    }

    private static decimal Take(decimal left, decimal right, ref decimal room)
    {
        var part = Math.Max(0m, Math.Min(SaturatingDecimal(left, right), room));
        room -= part;
        return part;
    }
}
