using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads Anthropic Messages usage from a Message, a <c>message_start</c> or <c>message_delta</c> stream event, or a bare
/// usage object. <c>input_tokens</c> excludes cache reads and writes, so <see cref="TokenCounts.FromAnthropic"/> adds them.
/// </summary>
internal static class AnthropicUsageReader
{
    public static bool TryRead(JsonElement root, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;
        if (!UsageJson.TryRequireObject(root, "Anthropic usage", out error)
            || !TryLocate(root, out var usage, out var path, out var isDelta, out var message, out error)
            || !TryReadRaw(usage, path, inputRequired: !isDelta, out var raw, out error)
            || !TryNormalize(raw, path, out reading.Tokens, out reading.Corrections, out error)
            || !TryReadToolCalls(usage, path, ref reading.ServerToolCalls, out error))
        {
            return false;
        }

        if (details)
        {
            reading.ServiceTier = UsageJson.ReadMetadata(usage, "service_tier");
            reading.ResponseModel = UsageJson.ReadMetadata(message, "model");
        }

        return true;
    }

    /// <summary>
    /// Combines a stream's <c>message_start</c> (input counts) with its final <c>message_delta</c> (cumulative output,
    /// and on newer API versions cumulative input counts, which then win over the start's).
    /// </summary>
    public static bool TryReadStream(JsonElement messageStart, JsonElement messageDelta, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;
        if (!UsageJson.TryRequireObject(messageStart, "Anthropic message_start event", out error)
            || !UsageJson.TryRequireObject(messageDelta, "Anthropic message_delta event", out error)
            || !TryLocate(messageStart, out var startUsage, out var startPath, out _, out var startMessage, out error)
            || !TryLocate(messageDelta, out var deltaUsage, out var deltaPath, out _, out _, out error)
            || !TryReadRaw(startUsage, startPath, inputRequired: true, out var start, out error)
            || !TryReadRaw(deltaUsage, deltaPath, inputRequired: false, out var delta, out error)
            || !TryNormalize(start, startPath, out _, out _, out error))
        {
            return false;
        }

        var merged = new RawUsage(
            delta.Input ?? start.Input,
            delta.Output,
            delta.CacheRead ?? start.CacheRead,
            delta.CacheCreation ?? start.CacheCreation,
            delta.Breakdown ?? start.Breakdown);

        // server_tool_use is cumulative like the counts: the delta's, when it has one, else the start's.
        var toolsInDelta = deltaUsage.TryGetProperty("server_tool_use", out var deltaTools) && deltaTools.ValueKind != JsonValueKind.Null;
        if (!TryNormalize(merged, deltaPath, out reading.Tokens, out reading.Corrections, out error)
            || !TryReadToolCalls(toolsInDelta ? deltaUsage : startUsage, toolsInDelta ? deltaPath : startPath, ref reading.ServerToolCalls, out error))
        {
            return false;
        }

        if (details)
        {
            reading.ServiceTier = UsageJson.ReadMetadata(deltaUsage, "service_tier") ?? UsageJson.ReadMetadata(startUsage, "service_tier");
            reading.ResponseModel = UsageJson.ReadMetadata(startMessage, "model");
        }

        return true;
    }

    // server_tool_use: { web_search_requests: 3, web_fetch_requests: 1, … } — each "<tool>_requests" counts calls of <tool>.
    private static bool TryReadToolCalls(JsonElement usage, string path, ref Dictionary<string, long>? calls, [NotNullWhen(false)] out UsageParseError? error)
    {
        if (!UsageJson.TryReadOptionalObject(usage, path, "server_tool_use", out var tools, out error))
        {
            return false;
        }

        if (tools.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        var toolsPath = path + ".server_tool_use";
        foreach (var member in tools.EnumerateObject())
        {
            const string Suffix = "_requests";
            var name = member.Name;
            if (name.Length <= Suffix.Length || !name.EndsWith(Suffix, StringComparison.Ordinal) || member.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            var tool = name[..^Suffix.Length];
            if (tool.Length > UsageRecordLimits.MaxServerToolNameLength || UsageStringRules.IndexOfInvalid(tool) >= 0)
            {
                continue;
            }

            if (!UsageJson.TryReadCount(tools, toolsPath, name, required: false, out var count, out _, out error)
                || !UsageJson.TryAddToolCalls(ref calls, tool, count, toolsPath, out error))
            {
                return false;
            }
        }

        return true;
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

    private static bool TryNormalize(RawUsage raw, string path, out TokenCounts counts, out UsageCorrections corrections, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        corrections = UsageCorrections.None;
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
                // The total is what Anthropic bills as cache writes; a breakdown that disagrees with it must not lose
                // the record. The total stands, the 1-hour part is capped at it, and the mismatch is reported.
                // (An all-zero breakdown next to a non-zero total, as in Anthropic's own API reference example, says
                // nothing about the split: no correction, no write counted as long-TTL.)
                longTtl = Math.Min(oneHour, cacheCreation);
                corrections = UsageCorrections.CacheCreationBreakdownMismatch;
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
    private static bool TryLocate(JsonElement root, out JsonElement usage, out string path, out bool isDelta, out JsonElement message, [NotNullWhen(false)] out UsageParseError? error)
    {
        path = "usage";
        message = root;
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

        if (root.TryGetProperty("message", out var inner) && inner.ValueKind == JsonValueKind.Object)
        {
            if (!UsageJson.TryFindMember(inner, "message", "usage", out usage, out found, out error))
            {
                return false;
            }

            if (found)
            {
                path = "message.usage";
                message = inner;
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
