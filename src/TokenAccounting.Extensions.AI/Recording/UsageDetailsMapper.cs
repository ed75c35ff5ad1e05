using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

/// <summary>
/// Maps Microsoft.Extensions.AI <see cref="UsageDetails"/> to normalized <see cref="TokenCounts"/>, without
/// counting cached, cache-written or reasoning tokens twice.
/// </summary>
/// <remarks>
/// <para>
/// M.E.AI's convention is inclusive (as the OpenTelemetry GenAI conventions and <see cref="TokenCounts"/>):
/// <see cref="UsageDetails.InputTokenCount"/> includes <see cref="UsageDetails.CachedInputTokenCount"/> and cache
/// writes, and <see cref="UsageDetails.OutputTokenCount"/> includes <see cref="UsageDetails.ReasoningTokenCount"/>.
/// The OpenAI adapters and the official Anthropic SDK's <c>IChatClient</c> follow it (the latter reports
/// input = input_tokens + cache_read_input_tokens + cache_creation_input_tokens, cache reads in
/// <see cref="UsageDetails.CachedInputTokenCount"/> and cache writes in <c>AdditionalCounts["CacheCreationInputTokens"]</c>).
/// </para>
/// <para>
/// Cache writes are read from <see cref="UsageDetails.AdditionalCounts"/> (keys compared case-insensitively):
/// <c>CacheCreationInputTokens</c>, <c>cache_creation_input_tokens</c>, <c>CacheWriteInputTokens</c>,
/// <c>cache_write_input_tokens</c>, <c>cache_write_tokens</c>. The part written with a one-hour TTL:
/// <c>CacheCreation1hInputTokens</c>, <c>Ephemeral1hInputTokens</c>, <c>ephemeral_1h_input_tokens</c>.
/// Anthropic-native cache reads: <c>CacheReadInputTokens</c>, <c>cache_read_input_tokens</c>. Audio parts
/// (<see cref="TokenCounts.InputAudio"/>, <see cref="TokenCounts.OutputAudio"/>): <c>InputTokenDetails.AudioTokenCount</c>
/// and <c>OutputTokenDetails.AudioTokenCount</c> (the keys Microsoft.Extensions.AI.OpenAI writes), <c>InputAudioTokens</c>,
/// <c>OutputAudioTokens</c>; they are capped so the invariants hold (audio beyond the uncached input counts as cached audio).
/// Server-side tool calls are not tokens and are not part of the result; the middleware records
/// <c>WebSearchRequests</c> and <c>WebFetchRequests</c> (the Anthropic SDK's keys; also <c>web_search_requests</c>,
/// <c>web_fetch_requests</c>) as <see cref="UsageRecord.ServerToolCalls"/> <c>web_search</c> and <c>web_fetch</c>.
/// </para>
/// <para>
/// Adapters that pass Anthropic's raw counts through (input_tokens excludes the cache; cache reads only in
/// <c>AdditionalCounts</c>) are recognized: when <see cref="UsageDetails.CachedInputTokenCount"/> is absent and an
/// Anthropic-native cache-read key is present, input = InputTokenCount + cache reads + cache writes. Likewise, when
/// the inclusive reading is impossible (cache reads + writes exceed the input, or reasoning exceeds the output),
/// the count is taken as exclusive and the parts are added to it.
/// </para>
/// <para>
/// A missing side is derived from <see cref="UsageDetails.TotalTokenCount"/> when possible (input = total − output,
/// as embedding APIs report only a total), otherwise it is zero.
/// </para>
/// </remarks>
public static class UsageDetailsMapper
{
    /// <summary>What each known <see cref="UsageDetails.AdditionalCounts"/> key is, compared case-insensitively.</summary>
    private static readonly FrozenDictionary<string, CountKind> KnownCounts = new Dictionary<string, CountKind>(StringComparer.OrdinalIgnoreCase)
    {
        ["CacheCreationInputTokens"] = CountKind.CacheWrite,
        ["cache_creation_input_tokens"] = CountKind.CacheWrite,
        ["CacheWriteInputTokens"] = CountKind.CacheWrite,
        ["cache_write_input_tokens"] = CountKind.CacheWrite,
        ["cache_write_tokens"] = CountKind.CacheWrite,
        ["CacheCreation1hInputTokens"] = CountKind.CacheWriteLongTtl,
        ["Ephemeral1hInputTokens"] = CountKind.CacheWriteLongTtl,
        ["ephemeral_1h_input_tokens"] = CountKind.CacheWriteLongTtl,
        ["CacheReadInputTokens"] = CountKind.NativeCacheRead,
        ["cache_read_input_tokens"] = CountKind.NativeCacheRead,
        ["InputTokenDetails.AudioTokenCount"] = CountKind.InputAudio,
        ["InputAudioTokens"] = CountKind.InputAudio,
        ["input_audio_tokens"] = CountKind.InputAudio,
        ["OutputTokenDetails.AudioTokenCount"] = CountKind.OutputAudio,
        ["OutputAudioTokens"] = CountKind.OutputAudio,
        ["output_audio_tokens"] = CountKind.OutputAudio,
        ["WebSearchRequests"] = CountKind.WebSearch,
        ["web_search_requests"] = CountKind.WebSearch,
        ["WebFetchRequests"] = CountKind.WebFetch,
        ["web_fetch_requests"] = CountKind.WebFetch,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The counts read from <see cref="UsageDetails.AdditionalCounts"/>; a kind not reported is 0 (cache reads: null).</summary>
    private struct ExtraCounts
    {
        public long CacheWrite;
        public long CacheWriteLongTtl;
        public long? NativeCacheRead;
        public long InputAudio;
        public long OutputAudio;
        public long WebSearch;
        public long WebFetch;
    }

    private enum CountKind
    {
        CacheWrite,
        CacheWriteLongTtl,
        NativeCacheRead,
        InputAudio,
        OutputAudio,
        WebSearch,
        WebFetch,
    }

    /// <summary>Maps <paramref name="usage"/> to normalized token counts.</summary>
    /// <param name="usage">The usage an <c>IChatClient</c> or <c>IEmbeddingGenerator</c> reported.</param>
    /// <returns>The normalized counts; never violates the <see cref="TokenCounts"/> invariants.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="usage"/> is null.</exception>
    /// <exception cref="ArgumentException">A count is negative; the message names it.</exception>
    public static TokenCounts ToTokenCounts(UsageDetails usage) => Map(usage).Tokens;

    /// <summary>Maps usage and says which sides the provider actually reported.</summary>
    internal static MappedUsage Map(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var reportedInput = NonNegative(usage.InputTokenCount, nameof(UsageDetails.InputTokenCount));
        var reportedOutput = NonNegative(usage.OutputTokenCount, nameof(UsageDetails.OutputTokenCount));
        var total = NonNegative(usage.TotalTokenCount, nameof(UsageDetails.TotalTokenCount));
        var cached = NonNegative(usage.CachedInputTokenCount, nameof(UsageDetails.CachedInputTokenCount));
        var reasoning = NonNegative(usage.ReasoningTokenCount, nameof(UsageDetails.ReasoningTokenCount)) ?? 0;

        // The additional counts are read out of line: the dictionary's enumerator would make this method's frame
        // several hundred bytes that every call zeroes, and most usage (OpenAI's) carries none.
        var extra = usage.AdditionalCounts is { Count: > 0 } counts ? ReadAdditionalCounts(counts) : default;
        var cacheWrite = extra.CacheWrite;
        var cacheWriteLong = extra.CacheWriteLongTtl;
        var nativeRead = extra.NativeCacheRead;
        var inputAudio = extra.InputAudio;
        var outputAudio = extra.OutputAudio;
        var webSearch = extra.WebSearch;
        var webFetch = extra.WebFetch;

        // Derive a missing side from the total (embeddings usually report only a total).
        var input = reportedInput;
        var output = reportedOutput;
        if (input is null && total is { } t1)
        {
            input = Math.Max(0, t1 - (output ?? 0));
        }
        else if (output is null && total is { } t2 && input is { } i2)
        {
            output = Math.Max(0, t2 - i2);
        }

        var inputValue = input ?? 0;
        var outputValue = output ?? 0;
        long cachedValue;
        if (cached is null && nativeRead is { } read)
        {
            // Anthropic's raw convention: input_tokens excludes cache reads and cache writes.
            cachedValue = read;
            inputValue = checked(inputValue + read + cacheWrite);
        }
        else
        {
            cachedValue = cached ?? nativeRead ?? 0;
            if (checked(cachedValue + cacheWrite) > inputValue)
            {
                // The inclusive reading is impossible, so the adapter reported exclusive input.
                inputValue = checked(inputValue + cachedValue + cacheWrite);
            }
        }

        if (reasoning > outputValue)
        {
            // Likewise: reasoning cannot be part of a smaller output, so the output excluded it.
            outputValue = checked(outputValue + reasoning);
        }

        cacheWriteLong = Math.Min(cacheWriteLong, cacheWrite);
        var tokens = new TokenCounts(inputValue, outputValue, cachedValue, cacheWrite, cacheWriteLong, reasoning);
        if (inputAudio != 0 || outputAudio != 0)
        {
            tokens = WithAudio(tokens, inputAudio, 0, outputAudio);
        }

        return new MappedUsage(tokens, input is not null, output is not null, webSearch, webFetch);
    }

    /// <summary>Reads the known <see cref="UsageDetails.AdditionalCounts"/>: for each kind, the first key found in the dictionary's order counts.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ExtraCounts ReadAdditionalCounts(AdditionalPropertiesDictionary<long> counts)
    {
        var extra = default(ExtraCounts);
        var seen = 0;
        foreach (var pair in counts)
        {
            if (!KnownCounts.TryGetValue(pair.Key, out var kind) || (seen & (1 << (int)kind)) != 0)
            {
                continue;
            }

            seen |= 1 << (int)kind;
            var value = NonNegative(pair.Value, pair.Key) ?? 0;
            switch (kind)
            {
                case CountKind.CacheWrite: extra.CacheWrite = value; break;
                case CountKind.CacheWriteLongTtl: extra.CacheWriteLongTtl = value; break;
                case CountKind.NativeCacheRead: extra.NativeCacheRead = value; break;
                case CountKind.InputAudio: extra.InputAudio = value; break;
                case CountKind.OutputAudio: extra.OutputAudio = value; break;
                case CountKind.WebSearch: extra.WebSearch = value; break;
                default: extra.WebFetch = value; break;
            }
        }

        return extra;
    }

    /// <summary>Sets audio parts capped to what the text counts allow: audio beyond the uncached input was read from the cache.</summary>
    internal static TokenCounts WithAudio(TokenCounts tokens, long inputAudio, long cachedInputAudio, long outputAudio)
    {
        inputAudio = Math.Min(Math.Max(0, inputAudio), tokens.Input - tokens.CacheWriteInput);
        var uncached = tokens.UncachedInput;
        cachedInputAudio = Math.Min(Math.Max(Math.Max(0, cachedInputAudio), inputAudio - Math.Min(inputAudio, uncached)), Math.Min(tokens.CachedInput, inputAudio));
        inputAudio = Math.Min(inputAudio, cachedInputAudio + uncached);
        outputAudio = Math.Min(Math.Max(0, outputAudio), tokens.Output - tokens.Reasoning);
        return tokens.WithAudio(inputAudio, cachedInputAudio, outputAudio);
    }

    // The throw is out of line: inlined five times, its interpolated message would cost every call a large frame.
    private static long? NonNegative(long? value, string name) => value is < 0 ? ThrowNegative(value.GetValueOrDefault(), name) : value;

#pragma warning disable CA2208 // The name is the UsageDetails field at fault, which is what the caller must fix.
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long? ThrowNegative(long value, string name) =>
        throw new ArgumentException($"UsageDetails.{name} must be zero or greater (was {value}).", "usage");
#pragma warning restore CA2208
}
