using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads OpenAI usage: Chat Completions (<c>prompt_tokens</c>/<c>completion_tokens</c>), embeddings
/// (<c>prompt_tokens</c>/<c>total_tokens</c>) and the Responses API (<c>input_tokens</c>/<c>output_tokens</c>).
/// </summary>
internal static class OpenAIUsageReader
{
    public static bool TryRead(JsonElement root, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        if (!UsageJson.TryRequireObject(root, "OpenAI usage", out error)
            || !TryLocate(root, out var usage, out var path, out error))
        {
            return false;
        }

        if (usage.TryGetProperty("prompt_tokens", out _))
        {
            return TryReadChat(usage, path, out counts, out error);
        }

        if (usage.TryGetProperty("input_tokens", out _))
        {
            return TryReadResponses(usage, path, out counts, out error);
        }

        error = new UsageParseError(
            $"{path}.prompt_tokens (Chat Completions, embeddings) or {path}.input_tokens (Responses API) is required but missing; "
            + "pass the usage object or a whole response that contains it.");
        return false;
    }

    // usage | { usage } (chat completion, embeddings, response object) | { response: { usage } } (Responses stream event).
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

        if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            if (!UsageJson.TryFindMember(response, "response", "usage", out usage, out found, out error))
            {
                return false;
            }

            if (found)
            {
                path = "response.usage";
                return true;
            }
        }

        usage = root;
        return true;
    }

    private static bool TryReadChat(JsonElement usage, string path, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        var promptDetailsPath = path + ".prompt_tokens_details";
        var completionDetailsPath = path + ".completion_tokens_details";
        if (!UsageJson.TryReadCount(usage, path, "prompt_tokens", required: true, out var prompt, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "completion_tokens", required: false, out var completion, out var hasCompletion, out error)
            || !UsageJson.TryReadCount(usage, path, "total_tokens", required: false, out var total, out var hasTotal, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, "prompt_tokens_details", out var promptDetails, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, "completion_tokens_details", out var completionDetails, out error))
        {
            return false;
        }

        long cached = 0;
        long reasoning = 0;
        if ((promptDetails.ValueKind == JsonValueKind.Object
                && !UsageJson.TryReadCount(promptDetails, promptDetailsPath, "cached_tokens", required: false, out cached, out _, out error))
            || (completionDetails.ValueKind == JsonValueKind.Object
                && !UsageJson.TryReadCount(completionDetails, completionDetailsPath, "reasoning_tokens", required: false, out reasoning, out _, out error)))
        {
            return false;
        }

        // Embeddings report no completion: their total equals the prompt. A chat usage that lost its completion count
        // must not pass as an embedding, so a total that says otherwise is an error.
        if (!hasCompletion && hasTotal && total != prompt)
        {
            error = new UsageParseError(
                $"{path}.completion_tokens is missing, and {path}.total_tokens ({total}) differs from {path}.prompt_tokens ({prompt}); "
                + "only embeddings usage (total equal to prompt) may omit completion_tokens.");
            return false;
        }

        return TryNormalize(prompt, completion, cached, reasoning, promptDetailsPath + ".cached_tokens", completionDetailsPath + ".reasoning_tokens", path + ".completion_tokens", out counts, out error);
    }

    private static bool TryReadResponses(JsonElement usage, string path, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        var inputDetailsPath = path + ".input_tokens_details";
        var outputDetailsPath = path + ".output_tokens_details";
        if (!UsageJson.TryReadCount(usage, path, "input_tokens", required: true, out var input, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "output_tokens", required: true, out var output, out _, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, "input_tokens_details", out var inputDetails, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, "output_tokens_details", out var outputDetails, out error))
        {
            return false;
        }

        long cached = 0;
        long reasoning = 0;
        if ((inputDetails.ValueKind == JsonValueKind.Object
                && !UsageJson.TryReadCount(inputDetails, inputDetailsPath, "cached_tokens", required: false, out cached, out _, out error))
            || (outputDetails.ValueKind == JsonValueKind.Object
                && !UsageJson.TryReadCount(outputDetails, outputDetailsPath, "reasoning_tokens", required: false, out reasoning, out _, out error)))
        {
            return false;
        }

        return TryNormalize(input, output, cached, reasoning, inputDetailsPath + ".cached_tokens", outputDetailsPath + ".reasoning_tokens", path + ".output_tokens", out counts, out error);
    }

    private static bool TryNormalize(
        long prompt,
        long completion,
        long cached,
        long reasoning,
        string cachedPath,
        string reasoningPath,
        string completionPath,
        out TokenCounts counts,
        [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        try
        {
            counts = TokenCounts.FromOpenAI(prompt, completion, cached, reasoning);
            return true;
        }
        catch (ArgumentException ex)
        {
            counts = default;
            var member = ex.ParamName switch
            {
                "reasoningTokens" => reasoningPath,
                "completionTokens" => completionPath,
                _ => cachedPath,
            };
            error = UsageJson.Invariant(member, ex);
            return false;
        }
    }
}
