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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public UsageCost Cost(in TokenCounts tokens, in BillableExtras extras, decimal requests, decimal toolCalls)
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
        // for no tokens. A text-only request (the common case) has no long-TTL writes, audio, fees or tool calls: its
        // cost is built from the five text parts without touching the others.
        var shortTtlCost = _cacheWrite.Times(shortTtl);
        if ((longTtl | uncachedAudio | cachedAudio | outputAudio) == 0 && UsageCost.IsZeroBits(requests) && UsageCost.IsZeroBits(toolCalls))
        {
            // shortTtlCost + 0m would be shortTtlCost bit for bit (the zero's scale, 0, is not above it).
            return UsageCost.CreateTrusted(_input.Times(uncached), _cachedInput.Times(cached), shortTtlCost, _output.Times(plainOutput), _reasoning.Times(reasoning));
        }

        var longTtlCost = _cacheWriteLongTtl.Times(longTtl);
        return UsageCost.CreateTrusted(
            _input.Times(uncached),
            _cachedInput.Times(cached),
            shortTtlCost + longTtlCost,
            _output.Times(plainOutput),
            _reasoning.Times(reasoning),
            longTtlCost,
            _inputAudio.Times(uncachedAudio),
            _cachedInputAudio.Times(cachedAudio),
            _outputAudio.Times(outputAudio),
            requests,
            toolCalls);
    }
}
