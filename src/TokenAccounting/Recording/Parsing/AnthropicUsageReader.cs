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
            || !TryLocate(root, out var usage, out var path, out var isDelta, out error))
        {
            return false;
        }

        // A message_delta's usage may carry only output_tokens (the input was reported by message_start).
        if (!UsageJson.TryReadCount(usage, path, "input_tokens", required: !isDelta, out var input, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "output_tokens", required: true, out var output, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "cache_read_input_tokens", required: false, out var cacheRead, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "cache_creation_input_tokens", required: false, out var cacheCreation, out var hasCacheCreation, out error)
            || !TryReadCacheCreationBreakdown(usage, path, out var hasBreakdown, out var shortTtl, out var longTtl, out error))
        {
            return false;
        }

        if (hasBreakdown)
        {
            if (!TryAdd(shortTtl, longTtl, path + ".cache_creation", out var breakdownSum, out error))
            {
                return false;
            }

            if (!hasCacheCreation)
            {
                cacheCreation = breakdownSum;
            }
            else if (breakdownSum != cacheCreation && breakdownSum != 0)
            {
                // An all-zero breakdown next to a non-zero total says nothing about the split (Anthropic's own API
                // reference example has that shape): the total stands and no write is counted as long-TTL.
                error = new UsageParseError(
                    $"{path}.cache_creation disagrees with {path}.cache_creation_input_tokens: ephemeral_5m_input_tokens ({shortTtl}) "
                    + $"+ ephemeral_1h_input_tokens ({longTtl}) = {breakdownSum}, but cache_creation_input_tokens is {cacheCreation}.");
                return false;
            }
        }

        try
        {
            counts = TokenCounts.FromAnthropic(input, output, cacheRead, cacheCreation, longTtl);
            return true;
        }
        catch (ArgumentException ex)
        {
            error = UsageJson.Invariant(path + ".cache_creation.ephemeral_1h_input_tokens", ex);
            return false;
        }
        catch (OverflowException ex)
        {
            error = new UsageParseError(
                $"{path}.input_tokens ({input}) + cache_read_input_tokens ({cacheRead}) + cache_creation_input_tokens ({cacheCreation}) does not fit in a 64-bit token count.",
                ex);
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
        out bool present,
        out long shortTtl,
        out long longTtl,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        shortTtl = 0;
        longTtl = 0;
        present = false;
        if (!UsageJson.TryReadOptionalObject(usage, path, "cache_creation", out var breakdown, out error))
        {
            return false;
        }

        if (breakdown.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        present = true;
        var breakdownPath = path + ".cache_creation";
        return UsageJson.TryReadCount(breakdown, breakdownPath, "ephemeral_5m_input_tokens", required: false, out shortTtl, out _, out error)
            && UsageJson.TryReadCount(breakdown, breakdownPath, "ephemeral_1h_input_tokens", required: false, out longTtl, out _, out error);
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
}
