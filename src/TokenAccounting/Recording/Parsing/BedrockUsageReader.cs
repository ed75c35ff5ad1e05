using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads Amazon Bedrock Converse / ConverseStream usage (<c>inputTokens</c>, <c>outputTokens</c>,
/// <c>totalTokens</c>, <c>cacheReadInputTokens</c>, <c>cacheWriteInputTokens</c>) from the usage object, a
/// <c>Converse</c> response (<c>{ usage }</c>) or a ConverseStream <c>metadata</c> event (<c>{ metadata: { usage } }</c>).
/// </summary>
/// <remarks>
/// AWS documents <c>totalTokens = inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens</c>:
/// <c>inputTokens</c> leaves the cache out, as Anthropic's <c>input_tokens</c> does, so the cache counts are added.
/// When <c>totalTokens</c> instead equals <c>inputTokens + outputTokens</c> with cache counts present, the input
/// already included them and they are not added again (<see cref="UsageCorrections.CacheInsideInput"/>).
/// </remarks>
internal static class BedrockUsageReader
{
    public static bool TryRead(JsonElement root, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        _ = details;
        reading = default;
        if (!UsageJson.TryRequireObject(root, "Amazon Bedrock usage", out error)
            || !TryLocate(root, out var usage, out var path, out error))
        {
            return false;
        }

        if (!UsageJson.TryReadCount(usage, path, "inputTokens", required: true, out var input, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "outputTokens", required: true, out var output, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "totalTokens", required: false, out var total, out var hasTotal, out error)
            || !UsageJson.TryReadCount(usage, path, "cacheReadInputTokens", required: false, out var cacheRead, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "cacheWriteInputTokens", required: false, out var cacheWrite, out _, out error)
            || !TryReadLongTtlWrites(usage, path, out var longTtl, out error))
        {
            return false;
        }

        // cacheDetails splits the cache writes by TTL; the 1-hour part can be no larger than all writes.
        longTtl = Math.Min(longTtl, cacheWrite);

        if (hasTotal && (cacheRead > 0 || cacheWrite > 0) && output <= long.MaxValue - input && total == input + output
            && cacheRead <= input && cacheWrite <= input - cacheRead)
        {
            reading.Corrections = UsageCorrections.CacheInsideInput;
            try
            {
                reading.Tokens = new TokenCounts(input, output, cacheRead, cacheWrite, longTtl);
                return true;
            }
            catch (ArgumentException ex)
            {
                error = UsageJson.Invariant(path + ".outputTokens", ex);
                return false;
            }
        }

        try
        {
            // The same normalization as Anthropic's: the cache reads and writes are added to the uncached input.
            reading.Tokens = TokenCounts.FromAnthropic(input, output, cacheRead, cacheWrite, longTtl);
            return true;
        }
        catch (ArgumentException ex)
        {
            error = ex.ParamName == "outputTokens"
                ? UsageJson.Invariant(path + ".outputTokens", ex)
                : new UsageParseError($"{path}.inputTokens ({input}) + cacheReadInputTokens ({cacheRead}) + cacheWriteInputTokens ({cacheWrite}) does not fit in a 64-bit token count.", ex);
            return false;
        }
    }

    // cacheDetails: [{ "ttl": "5m" | "1h", "inputTokens": N }, …] — the cache writes by TTL.
    private static bool TryReadLongTtlWrites(JsonElement usage, string path, out long longTtl, [NotNullWhen(false)] out UsageParseError? error)
    {
        longTtl = 0;
        error = null;
        if (!usage.TryGetProperty("cacheDetails", out var details) || details.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        var index = 0;
        foreach (var detail in details.EnumerateArray())
        {
            var detailPath = $"{path}.cacheDetails[{index++}]";
            if (detail.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (!UsageJson.TryReadCount(detail, detailPath, "inputTokens", required: false, out var tokens, out _, out error))
            {
                return false;
            }

            if (detail.TryGetProperty("ttl", out var ttl) && ttl.ValueKind == JsonValueKind.String && ttl.ValueEquals("1h"u8))
            {
                longTtl = SaturatingArithmetic.Add(longTtl, tokens);
            }
        }

        return true;
    }

    // usage | { usage } (Converse response) | { metadata: { usage } } (ConverseStream metadata event).
    private static bool TryLocate(JsonElement root, out JsonElement usage, out string path, [NotNullWhen(false)] out UsageParseError? error)
    {
        path = "usage";
        if (!UsageJson.TryFindMember(root, string.Empty, "usage", out usage, out var found, out error))
        {
            return false;
        }

        if (found)
        {
            return true;
        }

        if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object)
        {
            if (!UsageJson.TryFindMember(metadata, "metadata", "usage", out usage, out found, out error))
            {
                return false;
            }

            if (found)
            {
                path = "metadata.usage";
                return true;
            }
        }

        usage = root;
        return true;
    }
}
