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

    /// <summary>
    /// Adds field-wise; when a sum would not fit (or its total would not), clamps so the invariants still hold and
    /// clears <paramref name="exact"/>. Computed in 128 bits, so detecting a saturation never relies on an exception.
    /// </summary>
    internal static TokenCounts AddSaturating(TokenCounts left, TokenCounts right, ref bool exact)
    {
        Int128 inputSum = (Int128)left.Input + right.Input;
        Int128 outputSum = (Int128)left.Output + right.Output;
        Int128 cachedSum = (Int128)left.CachedInput + right.CachedInput;
        Int128 cacheWriteSum = (Int128)left.CacheWriteInput + right.CacheWriteInput;
        Int128 longTtlSum = (Int128)left.CacheWriteLongTtlInput + right.CacheWriteLongTtlInput;
        Int128 reasoningSum = (Int128)left.Reasoning + right.Reasoning;

        // Clamp the total to long.MaxValue, then every part to what contains it.
        var input = Clamp(inputSum, long.MaxValue);
        var output = Clamp(outputSum, long.MaxValue - input);
        var cached = Clamp(cachedSum, input);
        var cacheWrite = Clamp(cacheWriteSum, input - cached);
        var longTtl = Clamp(longTtlSum, cacheWrite);
        var reasoning = Clamp(reasoningSum, output);
        if (input != inputSum || output != outputSum || cached != cachedSum || cacheWrite != cacheWriteSum || longTtl != longTtlSum || reasoning != reasoningSum)
        {
            exact = false;
        }

        // Audio parts (additive): clamped to their containers like the text parts.
        Int128 cachedAudioSum = (Int128)left.CachedInputAudio + right.CachedInputAudio;
        Int128 inputAudioSum = (Int128)left.InputAudio + right.InputAudio;
        Int128 outputAudioSum = (Int128)left.OutputAudio + right.OutputAudio;
        var cachedAudio = Clamp(cachedAudioSum, Math.Min(cached, Clamp(inputAudioSum, long.MaxValue)));
        var inputAudio = Clamp(inputAudioSum, cachedAudio + (input - cached - cacheWrite));
        var outputAudio = Clamp(outputAudioSum, output - reasoning);
        if (cachedAudio != cachedAudioSum || inputAudio != inputAudioSum || outputAudio != outputAudioSum)
        {
            exact = false;
        }

        return new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedAudio, outputAudio);
    }

    /// <summary>
    /// Adds part-wise; when a sum (or the total) would overflow a decimal, clamps so the total is at most
    /// <see cref="decimal.MaxValue"/> and clears <paramref name="exact"/>.
    /// </summary>
    internal static UsageCost AddSaturating(UsageCost left, UsageCost right, ref bool exact)
    {
        var room = decimal.MaxValue;
        var input = Take(left.Input, right.Input, ref room, ref exact);
        var cached = Take(left.CachedInput, right.CachedInput, ref room, ref exact);
        var cacheWrite = Take(left.CacheWrite, right.CacheWrite, ref room, ref exact);
        var output = Take(left.Output, right.Output, ref room, ref exact);
        var reasoning = Take(left.Reasoning, right.Reasoning, ref room, ref exact);
        var inputAudio = Take(left.InputAudio, right.InputAudio, ref room, ref exact);
        var cachedInputAudio = Take(left.CachedInputAudio, right.CachedInputAudio, ref room, ref exact);
        var outputAudio = Take(left.OutputAudio, right.OutputAudio, ref room, ref exact);
        var requests = Take(left.Requests, right.Requests, ref room, ref exact);
        var serverToolCalls = Take(left.ServerToolCalls, right.ServerToolCalls, ref room, ref exact);
        var longTtlRoom = cacheWrite;
        var longTtl = Take(left.CacheWriteLongTtl, right.CacheWriteLongTtl, ref longTtlRoom, ref exact);
        return new UsageCost(input, cached, cacheWrite, output, reasoning, longTtl, inputAudio, cachedInputAudio, outputAudio, requests, serverToolCalls);
    }

    private static long Clamp(Int128 value, long max) => value > max ? max : value < 0 ? 0 : (long)value;

    /// <summary>Adds two non-negative parts into what is left of the total's room; clears <paramref name="exact"/> when it had to clamp.</summary>
    private static decimal Take(decimal left, decimal right, ref decimal room, ref bool exact)
    {
        decimal part;
        try
        {
            part = left + right;
        }
        catch (OverflowException)
        {
            part = decimal.MaxValue;
            exact = false;
        }

        if (part > room)
        {
            part = room;
            exact = false;
        }

        room -= part;
        return part;
    }
}
