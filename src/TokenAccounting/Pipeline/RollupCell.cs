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

    // The cost is summed in place, part by part, not as a UsageCost per add: a priced record would otherwise allocate a
    // new UsageCost (11 decimals) in every cell it is added to.
    private bool _priced;
    private decimal _input;
    private decimal _cachedInput;
    private decimal _cacheWrite;
    private decimal _output;
    private decimal _reasoning;
    private decimal _inputAudio;
    private decimal _cachedInputAudio;
    private decimal _outputAudio;
    private decimal _requests;
    private decimal _serverToolCalls;
    private decimal _cacheWriteLongTtl;

    /// <summary>Gets the summed cost, or null when nothing added was priced.</summary>
    public UsageCost? Cost => _priced
        ? UsageCost.CreateTrusted(_input, _cachedInput, _cacheWrite, _output, _reasoning, _cacheWriteLongTtl, _inputAudio, _cachedInputAudio, _outputAudio, _requests, _serverToolCalls)
        : null;

    /// <summary>Gets whether anything added was priced.</summary>
    public bool Priced => _priced;

    /// <summary>
    /// Gets the summed cost's total, as <see cref="UsageCost.Total"/> of <see cref="Cost"/> would give it (the parts
    /// summed in the same order, saturating), without building the cost; 0 when nothing added was priced.
    /// </summary>
    public decimal CostTotal
    {
        get
        {
            if (!_priced)
            {
                return 0m;
            }

            var text = SaturatingArithmetic.Add(_input, _cachedInput, _cacheWrite, _output, _reasoning);
            return UsageCost.IsZeroBits(_inputAudio) && UsageCost.IsZeroBits(_cachedInputAudio) && UsageCost.IsZeroBits(_outputAudio)
                && UsageCost.IsZeroBits(_requests) && UsageCost.IsZeroBits(_serverToolCalls)
                ? text
                : SaturatingArithmetic.Add(text, SaturatingArithmetic.Add(_inputAudio, _cachedInputAudio, _outputAudio, _requests, _serverToolCalls));
        }
    }

    /// <summary>Adds one record; returns false when a sum saturated.</summary>
    public bool Add(UsageRecord record) => Add(record.Tokens, 1, record.Cost is null ? 1 : 0, record.Cost);

    /// <summary>Adds another cell's sums; returns false when a sum saturated.</summary>
    public bool Add(RollupCell other)
    {
        var exact = AddCounts(other.Tokens, other.Requests, other.Unpriced);
        if (other._priced)
        {
            AddCost(other._input, other._cachedInput, other._cacheWrite, other._output, other._reasoning, other._inputAudio, other._cachedInputAudio, other._outputAudio, other._requests, other._serverToolCalls, other._cacheWriteLongTtl, ref exact);
        }

        return exact;
    }

    /// <summary>Adds a delta; returns false when a sum saturated.</summary>
    public bool Add(TokenCounts tokens, long requests, long unpriced, UsageCost? cost)
    {
        var exact = AddCounts(tokens, requests, unpriced);
        if (cost is not null)
        {
            AddCost(cost.Input, cost.CachedInput, cost.CacheWrite, cost.Output, cost.Reasoning, cost.InputAudio, cost.CachedInputAudio, cost.OutputAudio, cost.Requests, cost.ServerToolCalls, cost.CacheWriteLongTtl, ref exact);
        }

        return exact;
    }

    /// <summary>Empties the cell for reuse.</summary>
    public void Clear()
    {
        Tokens = default;
        Requests = 0;
        Unpriced = 0;
        _priced = false;
        _input = _cachedInput = _cacheWrite = _output = _reasoning = _inputAudio = _cachedInputAudio = _outputAudio = _requests = _serverToolCalls = _cacheWriteLongTtl = 0m;
    }

    public UsageRollup ToRollup(UsageRollupKey key) => new(key, Tokens, Requests, Cost, Unpriced);

    private bool AddCounts(TokenCounts tokens, long requests, long unpriced)
    {
        var exact = true;
        Tokens = AddSaturating(Tokens, tokens, ref exact);
        Requests = AddSaturating(Requests, requests, ref exact);
        Unpriced = Math.Min(AddSaturating(Unpriced, unpriced, ref exact), Requests);
        return exact;
    }

    private void AddCost(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls, decimal cacheWriteLongTtl, ref bool exact)
    {
        _priced = true;
        if ((SmallDecimal.LargeBits(input) | SmallDecimal.LargeBits(cachedInput) | SmallDecimal.LargeBits(cacheWrite) | SmallDecimal.LargeBits(output)
            | SmallDecimal.LargeBits(reasoning) | SmallDecimal.LargeBits(inputAudio) | SmallDecimal.LargeBits(cachedInputAudio) | SmallDecimal.LargeBits(outputAudio)
            | SmallDecimal.LargeBits(requests) | SmallDecimal.LargeBits(serverToolCalls) | SmallDecimal.LargeBits(cacheWriteLongTtl)
            | SmallDecimal.LargeBits(_input) | SmallDecimal.LargeBits(_cachedInput) | SmallDecimal.LargeBits(_cacheWrite) | SmallDecimal.LargeBits(_output)
            | SmallDecimal.LargeBits(_reasoning) | SmallDecimal.LargeBits(_inputAudio) | SmallDecimal.LargeBits(_cachedInputAudio) | SmallDecimal.LargeBits(_outputAudio)
            | SmallDecimal.LargeBits(_requests) | SmallDecimal.LargeBits(_serverToolCalls) | SmallDecimal.LargeBits(_cacheWriteLongTtl)) == 0)
        {
            // Every part and addend is below 2^64, so the parts' total stays far below decimal.MaxValue: no part is
            // clamped by the room below, and the plain sums are exactly what that path would return (the common case;
            // the room's subtraction from decimal.MaxValue must round, the slowest decimal operation).
            _input = SmallDecimal.Add(_input, input);
            _cachedInput = SmallDecimal.Add(_cachedInput, cachedInput);
            _cacheWrite = SmallDecimal.Add(_cacheWrite, cacheWrite);
            _output = SmallDecimal.Add(_output, output);
            _reasoning = SmallDecimal.Add(_reasoning, reasoning);
            _inputAudio = SmallDecimal.Add(_inputAudio, inputAudio);
            _cachedInputAudio = SmallDecimal.Add(_cachedInputAudio, cachedInputAudio);
            _outputAudio = SmallDecimal.Add(_outputAudio, outputAudio);
            _requests = SmallDecimal.Add(_requests, requests);
            _serverToolCalls = SmallDecimal.Add(_serverToolCalls, serverToolCalls);
            if (!UsageCost.IsZeroBits(cacheWriteLongTtl))
            {
                // Still within all cache writes (a sum of parts each within theirs can only pass it by rounding).
                var longTtl = SmallDecimal.Add(_cacheWriteLongTtl, cacheWriteLongTtl);
                if (longTtl > _cacheWrite)
                {
                    longTtl = _cacheWrite;
                    exact = false;
                }

                _cacheWriteLongTtl = longTtl;
            }

            return;
        }

        // The total's room is shared by the parts in order, so the total never passes decimal.MaxValue.
        var room = decimal.MaxValue;
        _input = Take(_input, input, ref room, ref exact);
        _cachedInput = Take(_cachedInput, cachedInput, ref room, ref exact);
        _cacheWrite = Take(_cacheWrite, cacheWrite, ref room, ref exact);
        _output = Take(_output, output, ref room, ref exact);
        _reasoning = Take(_reasoning, reasoning, ref room, ref exact);
        _inputAudio = Take(_inputAudio, inputAudio, ref room, ref exact);
        _cachedInputAudio = Take(_cachedInputAudio, cachedInputAudio, ref room, ref exact);
        _outputAudio = Take(_outputAudio, outputAudio, ref room, ref exact);
        _requests = Take(_requests, requests, ref room, ref exact);
        _serverToolCalls = Take(_serverToolCalls, serverToolCalls, ref room, ref exact);
        var longTtlRoom = _cacheWrite;
        _cacheWriteLongTtl = Take(_cacheWriteLongTtl, cacheWriteLongTtl, ref longTtlRoom, ref exact);
    }

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
        // Every count is contained in Input or Output: when those are below 2^61 no sum, nor the total, can saturate,
        // and the saturating + (a clamp per part that changes nothing) is exact. The 128-bit path is for the edge.
        if ((left.Input | right.Input | left.Output | right.Output) < (1L << 61))
        {
            return left + right;
        }

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
