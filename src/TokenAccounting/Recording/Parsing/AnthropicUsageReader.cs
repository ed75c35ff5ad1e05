using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads Anthropic Messages usage from a Message, a <c>message_start</c> or <c>message_delta</c> stream event, or a bare
/// usage object. <c>input_tokens</c> excludes cache reads and writes, so <see cref="TokenCounts.FromAnthropic"/> adds them.
/// </summary>
internal static class AnthropicUsageReader
{
    public static bool TryRead(JsonElement root, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        if (!UsageJson.TryRequireObject(root, "Anthropic usage", out error)
            || !TryLocate(root, out var usage, out var path, out var isDelta, out error)
            || !TryReadRaw(usage, path, inputRequired: !isDelta, out var raw, out error))
        {
            return false;
        }

        return TryNormalize(raw, path, out counts, out error);
    }

    /// <summary>
    /// Combines a stream's <c>message_start</c> (input counts) with its final <c>message_delta</c> (cumulative output,
    /// and on newer API versions cumulative input counts, which then win over the start's).
    /// </summary>
    public static bool TryReadStream(JsonElement messageStart, JsonElement messageDelta, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        if (!UsageJson.TryRequireObject(messageStart, "Anthropic message_start event", out error)
            || !UsageJson.TryRequireObject(messageDelta, "Anthropic message_delta event", out error)
            || !TryLocate(messageStart, out var startUsage, out var startPath, out _, out error)
            || !TryLocate(messageDelta, out var deltaUsage, out var deltaPath, out _, out error)
            || !TryReadRaw(startUsage, startPath, inputRequired: true, out var start, out error)
            || !TryReadRaw(deltaUsage, deltaPath, inputRequired: false, out var delta, out error)
            || !TryNormalize(start, startPath, out _, out error))
        {
            return false;
        }

        var merged = new RawUsage(
            delta.Input ?? start.Input,
            delta.Output,
            delta.CacheRead ?? start.CacheRead,
            delta.CacheCreation ?? start.CacheCreation,
            delta.Breakdown ?? start.Breakdown);
        return TryNormalize(merged, deltaPath, out counts, out error);
    }

    private static bool TryReadRaw(JsonElement usage, string path, bool inputRequired, out RawUsage raw, [NotNullWhen(false)] out UsageParseError? error)
    {
        raw = default;

        // A message_delta's usage may carry only output_tokens (the input was reported by message_start).
        if (!UsageJson.TryReadCount(usage, path, "input_tokens", inputRequired, out var input, out var hasInput, out error)
            || !UsageJson.TryReadCount(usage, path, "output_tokens", required: true, out var output, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "cache_read_input_tokens", required: false, out var cacheRead, out var hasCacheRead, out error)
            || !UsageJson.TryReadCount(usage, path, "cache_creation_input_tokens", required: false, out var cacheCreation, out var hasCacheCreation, out error)
            || !TryReadCacheCreationBreakdown(usage, path, out var breakdown, out error))
        {
            return false;
        }

        raw = new RawUsage(
            hasInput ? input : null,
            output,
            hasCacheRead ? cacheRead : null,
            hasCacheCreation ? cacheCreation : null,
            breakdown);
        return true;
    }

    private static bool TryNormalize(RawUsage raw, string path, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        error = null;
        var input = raw.Input ?? 0;
        var cacheRead = raw.CacheRead ?? 0;
        var cacheCreation = raw.CacheCreation ?? 0;
        long longTtl = 0;
        if (raw.Breakdown is var (shortTtl, oneHour))
        {
            longTtl = oneHour;
            if (!TryAdd(shortTtl, oneHour, path + ".cache_creation", out var breakdownSum, out error))
            {
                return false;
            }

            if (raw.CacheCreation is null)
            {
                cacheCreation = breakdownSum;
            }
            else if (breakdownSum != cacheCreation && breakdownSum != 0)
            {
                // An all-zero breakdown next to a non-zero total says nothing about the split (Anthropic's own API
                // reference example has that shape): the total stands and no write is counted as long-TTL.
                error = new UsageParseError(
                    $"{path}.cache_creation disagrees with {path}.cache_creation_input_tokens: ephemeral_5m_input_tokens ({shortTtl}) "
                    + $"+ ephemeral_1h_input_tokens ({oneHour}) = {breakdownSum}, but cache_creation_input_tokens is {cacheCreation}.");
                return false;
            }
        }

        try
        {
            counts = TokenCounts.FromAnthropic(input, raw.Output, cacheRead, cacheCreation, longTtl);
            return true;
        }
        catch (ArgumentException ex)
        {
            error = ex.ParamName switch
            {
                "cacheCreationInputTokens" => new UsageParseError(
                    $"{path}.input_tokens ({input}) + cache_read_input_tokens ({cacheRead}) + cache_creation_input_tokens ({cacheCreation}) does not fit in a 64-bit token count.",
                    ex),
                "outputTokens" => UsageJson.Invariant(path + ".output_tokens", ex),
                _ => UsageJson.Invariant(path + ".cache_creation.ephemeral_1h_input_tokens", ex),
            };
            return false;
        }
    }

    // usage | { type: "message", usage } | { type: "message_delta", usage } | { type: "message_start", message: { usage } }.
    private static bool TryLocate(JsonElement root, out JsonElement usage, out string path, out bool isDelta, [NotNullWhen(false)] out UsageParseError? error)
    {
        path = "usage";
        isDelta = root.TryGetProperty("type", out var type)
            && type.ValueKind == JsonValueKind.String
            && type.ValueEquals("message_delta"u8);
        if (!UsageJson.TryFindMember(root, string.Empty, "usage", out usage, out var found, out error))
        {
            return false;
        }

        if (found)
        {
            return true;
        }

        if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
        {
            if (!UsageJson.TryFindMember(message, "message", "usage", out usage, out found, out error))
            {
                return false;
            }

            if (found)
            {
                path = "message.usage";
                return true;
            }
        }

        if (isDelta)
        {
            error = new UsageParseError("usage is required but missing from the message_delta event.");
            return false;
        }

        usage = root;
        return true;
    }

    private static bool TryReadCacheCreationBreakdown(
        JsonElement usage,
        string path,
        out (long ShortTtl, long LongTtl)? breakdown,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        breakdown = null;
        if (!UsageJson.TryReadOptionalObject(usage, path, "cache_creation", out var value, out error))
        {
            return false;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        var breakdownPath = path + ".cache_creation";
        if (!UsageJson.TryReadCount(value, breakdownPath, "ephemeral_5m_input_tokens", required: false, out var shortTtl, out _, out error)
            || !UsageJson.TryReadCount(value, breakdownPath, "ephemeral_1h_input_tokens", required: false, out var longTtl, out _, out error))
        {
            return false;
        }

        breakdown = (shortTtl, longTtl);
        return true;
    }

    private static bool TryAdd(long left, long right, string path, out long sum, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        sum = unchecked(left + right);
        if (sum >= 0)
        {
            return true;
        }

        error = new UsageParseError($"{path}: ephemeral_5m_input_tokens ({left}) + ephemeral_1h_input_tokens ({right}) does not fit in a 64-bit token count.");
        return false;
    }

    // Counts as read; null when the member was absent or null, so a stream's delta can fall back to its start.
    private readonly record struct RawUsage(long? Input, long Output, long? CacheRead, long? CacheCreation, (long ShortTtl, long LongTtl)? Breakdown);
}
