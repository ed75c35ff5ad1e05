using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>Resolved prices per single token (the per-million price divided by 10^6, exact in decimal).</summary>
internal readonly struct PerTokenRates
{
    private const decimal Million = 1_000_000m;

    private readonly ExactRate _input;
    private readonly ExactRate _cachedInput;
    private readonly ExactRate _cacheWrite;
    private readonly ExactRate _cacheWriteLongTtl;
    private readonly ExactRate _output;
    private readonly ExactRate _reasoning;
    private readonly ExactRate _inputAudio;
    private readonly ExactRate _cachedInputAudio;
    private readonly ExactRate _outputAudio;

    private PerTokenRates(decimal input, decimal cachedInput, decimal cacheWrite, decimal cacheWriteLongTtl, decimal output, decimal reasoning, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio)
    {
        _input = new ExactRate(input);
        _cachedInput = new ExactRate(cachedInput);
        _cacheWrite = new ExactRate(cacheWrite);
        _cacheWriteLongTtl = new ExactRate(cacheWriteLongTtl);
        _output = new ExactRate(output);
        _reasoning = new ExactRate(reasoning);
        _inputAudio = new ExactRate(inputAudio);
        _cachedInputAudio = new ExactRate(cachedInputAudio);
        _outputAudio = new ExactRate(outputAudio);
    }

    public decimal Input => _input.Value;

    public decimal CachedInput => _cachedInput.Value;

    public decimal CacheWrite => _cacheWrite.Value;

    public decimal CacheWriteLongTtl => _cacheWriteLongTtl.Value;

    public decimal Output => _output.Value;

    public decimal Reasoning => _reasoning.Value;

    public decimal InputAudio => _inputAudio.Value;

    public decimal CachedInputAudio => _cachedInputAudio.Value;

    public decimal OutputAudio => _outputAudio.Value;

    public static PerTokenRates From(
        decimal input,
        decimal? cachedInput,
        decimal? cacheWrite,
        decimal? cacheWriteLongTtl,
        decimal output,
        decimal? reasoning,
        decimal? inputAudio = null,
        decimal? cachedInputAudio = null,
        decimal? outputAudio = null)
    {
        var write = cacheWrite ?? input;
        var audioIn = inputAudio ?? input;

        // Cached audio: its own price, else the cache-read price when one is set, else the audio input price
        // (the genai-prices rule: with no cache price, cached tokens are billed as input).
        var audioCached = cachedInputAudio ?? cachedInput ?? audioIn;

        // Dividing by 10^6 only moves the decimal point, so it is exact for any price with fewer than 23 decimals.
        return new PerTokenRates(
            input / Million,
            (cachedInput ?? input) / Million,
            write / Million,
            (cacheWriteLongTtl ?? write) / Million,
            output / Million,
            (reasoning ?? output) / Million,
            audioIn / Million,
            audioCached / Million,
            (outputAudio ?? output) / Million);
    }

    /// <summary>Prices counts with these rates; see the README's "Pricing" section for the formulas.</summary>
    /// <remarks>
    /// A text-only request (no long-TTL cache writes, audio, per-request fee or tool-call charge: the common case) takes
    /// a short path that computes the five text parts alone. Both paths give the same parts bit for bit: with those
    /// counts zero, <see cref="FullCost"/> would compute exactly these five and 0m for the rest. The long path is kept
    /// out of line so that the short one stays small (a method holding both, inlined twice into its caller, had too
    /// many decimal temporaries for the JIT to keep in registers).
    /// </remarks>
    public UsageCost Cost(in TokenCounts tokens, in BillableExtras extras, decimal requests, decimal toolCalls)
    {
        if ((tokens.CacheWriteLongTtlInput | extras.InputAudio | extras.CachedInputAudio | extras.OutputAudio) != 0
            || !UsageCost.IsZeroBits(requests)
            || !UsageCost.IsZeroBits(toolCalls))
        {
            return FullCost(tokens, extras, requests, toolCalls);
        }

        return TextCost(tokens.Input, tokens.CachedInput, tokens.CacheWriteInput, tokens.Output, tokens.Reasoning);
    }

    /// <summary>
    /// Prices a text-only request (no long-TTL cache writes, audio, per-request fee or tool-call charge) from its
    /// counts: each part an integer product packed straight into the <see cref="UsageCost"/>, or, when one does not
    /// pack, every part by <see cref="ExactRate.Times"/>. Both give the same parts bit for bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public UsageCost TextCost(long input, long cachedInput, long cacheWriteInput, long output, long reasoning)
    {
        // The TokenCounts invariants make every difference ≥ 0; Math.Max keeps a cost from ever going negative anyway.
        var uncached = Math.Max(0, input - cachedInput - cacheWriteInput);
        var plainOutput = Math.Max(0, output - reasoning);
        cachedInput = Math.Max(0, cachedInput);
        cacheWriteInput = Math.Max(0, cacheWriteInput);
        reasoning = Math.Max(0, reasoning);

        // The cache-write part is the short-TTL writes alone: the long-TTL cost it would add is 0m, and x + 0m is x
        // bit for bit (the zero's scale, 0, is not above x's).
        var a = _input.TimesPacked(uncached);
        var b = _cachedInput.TimesPacked(cachedInput);
        var c = _cacheWrite.TimesPacked(cacheWriteInput);
        var d = _output.TimesPacked(plainOutput);
        var e = _reasoning.TimesPacked(reasoning);
        return a != PackedAmount.None && b != PackedAmount.None && c != PackedAmount.None && d != PackedAmount.None && e != PackedAmount.None
            ? UsageCost.CreatePacked(a, b, c, d, e)
            : DecimalTextCost(uncached, cachedInput, cacheWriteInput, plainOutput, reasoning);
    }

    // Out of line: a free model, a huge count or a rate with a 96-bit mantissa.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private UsageCost DecimalTextCost(long uncached, long cachedInput, long cacheWriteInput, long plainOutput, long reasoning) =>
        UsageCost.CreateTrusted(_input.Times(uncached), _cachedInput.Times(cachedInput), _cacheWrite.Times(cacheWriteInput), _output.Times(plainOutput), _reasoning.Times(reasoning));

    /// <summary>Prices every part: text, long-TTL cache writes, audio, the per-request fee and tool calls.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private UsageCost FullCost(in TokenCounts tokens, in BillableExtras extras, decimal requests, decimal toolCalls)
    {
        // The TokenCounts invariants make every difference ≥ 0; Math.Max keeps a cost from ever going negative anyway.
        var cachedAudio = Math.Max(0, Math.Min(extras.CachedInputAudio, Math.Min(tokens.CachedInput, extras.InputAudio)));
        var uncachedAudio = Math.Max(0, extras.InputAudio - cachedAudio);
        var outputAudio = Math.Max(0, extras.OutputAudio);
        var uncached = Math.Max(0, tokens.Input - tokens.CachedInput - tokens.CacheWriteInput - uncachedAudio);
        var longTtl = Math.Max(0, tokens.CacheWriteLongTtlInput);
        var shortTtl = Math.Max(0, tokens.CacheWriteInput - longTtl);
        var plainOutput = Math.Max(0, tokens.Output - tokens.Reasoning - outputAudio);
        var reasoning = Math.Max(0, tokens.Reasoning);
        var cached = Math.Max(0, tokens.CachedInput - cachedAudio);

        // Each part is its count times its rate, exactly as decimal multiplication gives it (ExactRate.Times), and 0m
        // for no tokens. The text parts are packed straight from their integer products when they all pack (without
        // long-TTL writes the cache-write part is the short-TTL product alone: x + 0m is x bit for bit).
        var longTtlCost = _cacheWriteLongTtl.Times(longTtl);
        var inputAudio = _inputAudio.Times(uncachedAudio);
        var cachedInputAudio = _cachedInputAudio.Times(cachedAudio);
        var outputAudioCost = _outputAudio.Times(outputAudio);
        var a = _input.TimesPacked(uncached);
        var b = _cachedInput.TimesPacked(cached);
        var c = longTtl == 0 ? _cacheWrite.TimesPacked(shortTtl) : PackedAmount.None;
        var d = _output.TimesPacked(plainOutput);
        var e = _reasoning.TimesPacked(reasoning);
        if (a != PackedAmount.None && b != PackedAmount.None && c != PackedAmount.None && d != PackedAmount.None && e != PackedAmount.None)
        {
            return UsageCost.CreatePacked(a, b, c, d, e, longTtlCost, inputAudio, cachedInputAudio, outputAudioCost, requests, toolCalls);
        }

        return UsageCost.CreateTrusted(
            _input.Times(uncached),
            _cachedInput.Times(cached),
            _cacheWrite.Times(shortTtl) + longTtlCost,
            _output.Times(plainOutput),
            _reasoning.Times(reasoning),
            longTtlCost,
            inputAudio,
            cachedInputAudio,
            outputAudioCost,
            requests,
            toolCalls);
    }
}
