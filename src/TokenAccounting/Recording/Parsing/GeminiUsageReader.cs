using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads Gemini <c>usageMetadata</c> (Gemini API and Vertex AI): <c>promptTokenCount</c> includes cached content;
/// <c>candidatesTokenCount</c> excludes thoughts; <c>toolUsePromptTokenCount</c> is input the model read back from
/// tool executions, billed as input but not part of <c>promptTokenCount</c>.
/// </summary>
internal static class GeminiUsageReader
{
    private const string Path = "usageMetadata";

    public static bool TryRead(JsonElement root, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        if (!UsageJson.TryRequireObject(root, "Gemini usageMetadata", out error)
            || !UsageJson.TryFindMember(root, string.Empty, Path, out var usage, out var found, out error))
        {
            return false;
        }

        if (!found)
        {
            usage = root;
        }

        // Zero counts are omitted from Gemini's JSON (proto3), so only the prompt count is required.
        if (!UsageJson.TryReadCount(usage, Path, "promptTokenCount", required: true, out var prompt, out _, out error)
            || !UsageJson.TryReadCount(usage, Path, "candidatesTokenCount", required: false, out var candidates, out _, out error)
            || !UsageJson.TryReadCount(usage, Path, "cachedContentTokenCount", required: false, out var cached, out _, out error)
            || !UsageJson.TryReadCount(usage, Path, "thoughtsTokenCount", required: false, out var thoughts, out _, out error)
            || !UsageJson.TryReadCount(usage, Path, "toolUsePromptTokenCount", required: false, out var toolUsePrompt, out _, out error)
            || !UsageJson.TryReadCount(usage, Path, "totalTokenCount", required: false, out _, out _, out error))
        {
            return false;
        }

        TokenCounts gemini;
        try
        {
            gemini = TokenCounts.FromGemini(prompt, candidates, cached, thoughts);
        }
        catch (ArgumentException ex)
        {
            error = ex.ParamName switch
            {
                "thoughtsTokenCount" => new UsageParseError($"{Path}.candidatesTokenCount ({candidates}) + thoughtsTokenCount ({thoughts}) does not fit in a 64-bit token count.", ex),
                "candidatesTokenCount" => UsageJson.Invariant(Path + ".candidatesTokenCount", ex),
                _ => UsageJson.Invariant(Path + ".cachedContentTokenCount", ex),
            };
            return false;
        }

        var input = unchecked(gemini.Input + toolUsePrompt);
        if (input < 0)
        {
            error = new UsageParseError($"{Path}.promptTokenCount ({prompt}) + toolUsePromptTokenCount ({toolUsePrompt}) does not fit in a 64-bit token count.");
            return false;
        }

        if (gemini.Output > long.MaxValue - input)
        {
            error = new UsageParseError($"{Path}: the input ({input}) and output ({gemini.Output}) token counts add up to more than a 64-bit total can hold.");
            return false;
        }

        counts = new TokenCounts(input, gemini.Output, gemini.CachedInput, 0, 0, gemini.Reasoning);
        return true;
    }
}
