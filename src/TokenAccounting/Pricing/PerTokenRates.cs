using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>Resolved prices per single token (the per-million price divided by 10^6, exact in decimal).</summary>
internal readonly struct PerTokenRates
{
    private const decimal Million = 1_000_000m;

    private PerTokenRates(decimal input, decimal cachedInput, decimal cacheWrite, decimal cacheWriteLongTtl, decimal output, decimal reasoning, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio)
    {
        Input = input;
        CachedInput = cachedInput;
        CacheWrite = cacheWrite;
        CacheWriteLongTtl = cacheWriteLongTtl;
        Output = output;
        Reasoning = reasoning;
        InputAudio = inputAudio;
        CachedInputAudio = cachedInputAudio;
        OutputAudio = outputAudio;
    }

    public decimal Input { get; }

    public decimal CachedInput { get; }

    public decimal CacheWrite { get; }

    public decimal CacheWriteLongTtl { get; }

    public decimal Output { get; }

    public decimal Reasoning { get; }

    public decimal InputAudio { get; }

    public decimal CachedInputAudio { get; }

    public decimal OutputAudio { get; }

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

        var longTtlCost = longTtl == 0 ? 0m : longTtl * CacheWriteLongTtl;
        return UsageCost.CreateTrusted(
            uncached == 0 ? 0m : uncached * Input,
            cached == 0 ? 0m : cached * CachedInput,
            (shortTtl == 0 ? 0m : shortTtl * CacheWrite) + longTtlCost,
            plainOutput == 0 ? 0m : plainOutput * Output,
            reasoning == 0 ? 0m : reasoning * Reasoning,
            longTtlCost,
            uncachedAudio == 0 ? 0m : uncachedAudio * InputAudio,
            cachedAudio == 0 ? 0m : cachedAudio * CachedInputAudio,
            outputAudio == 0 ? 0m : outputAudio * OutputAudio,
            requests,
            toolCalls);
    }
}
