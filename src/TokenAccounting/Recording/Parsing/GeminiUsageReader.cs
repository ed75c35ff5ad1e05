using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads Gemini <c>usageMetadata</c> (Gemini API and Vertex AI): <c>promptTokenCount</c> includes cached content;
/// <c>candidatesTokenCount</c> excludes thoughts (unless <c>totalTokenCount</c> shows it includes them);
/// <c>toolUsePromptTokenCount</c> is input the model read back from tool executions, billed as input but not part of
/// <c>promptTokenCount</c>. Audio comes from the per-modality details; grounding queries from the candidates.
/// </summary>
internal static class GeminiUsageReader
{
    private const string Path = "usageMetadata";

    public static bool TryRead(JsonElement root, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;
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
            || !UsageJson.TryReadCount(usage, Path, "totalTokenCount", required: false, out var total, out var hasTotal, out error)
            || !TryReadAudio(usage, "promptTokensDetails", out var promptAudio, out error)
            || !TryReadAudio(usage, "toolUsePromptTokensDetails", out var toolUseAudio, out error)
            || !TryReadAudio(usage, "cacheTokensDetails", out var cachedAudio, out error)
            || !TryReadAudio(usage, "candidatesTokensDetails", out var outputAudio, out error))
        {
            return false;
        }

        // Google documents totalTokenCount = prompt + toolUsePrompt + candidates + thoughts; some Vertex AI models
        // (and older API versions) report thoughts inside candidatesTokenCount instead. A total equal to the sum without
        // the thoughts says so (LiteLLM reads it the same way), and the thoughts are then not added a second time.
        var corrections = UsageCorrections.None;
        if (hasTotal && thoughts > 0 && thoughts <= candidates
            && toolUsePrompt <= long.MaxValue - prompt && candidates <= long.MaxValue - prompt - toolUsePrompt
            && total == prompt + toolUsePrompt + candidates)
        {
            candidates -= thoughts;
            corrections = UsageCorrections.ThoughtsInsideCandidates;
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

        var inputAudio = SaturatingArithmetic.Add(promptAudio, toolUseAudio);
        try
        {
            reading.Tokens = new TokenCounts(input, gemini.Output, gemini.CachedInput, 0, 0, gemini.Reasoning, inputAudio, cachedAudio, outputAudio);
        }
        catch (ArgumentException ex)
        {
            var member = ex.ParamName switch
            {
                nameof(TokenCounts.OutputAudio) => Path + ".candidatesTokensDetails",
                nameof(TokenCounts.CachedInputAudio) => Path + ".cacheTokensDetails",
                _ => Path + ".promptTokensDetails",
            };
            error = UsageJson.Invariant(member, ex);
            return false;
        }

        reading.Corrections = corrections;
        if (details)
        {
            reading.ResponseModel = UsageJson.ReadMetadata(root, "modelVersion");
            if (!TryCountGroundingQueries(root, ref reading.ServerToolCalls, out error))
            {
                return false;
            }
        }

        return true;
    }

    // [{ "modality": "AUDIO", "tokenCount": 120 }, …]: the AUDIO entries' counts.
    private static bool TryReadAudio(JsonElement usage, string name, out long audio, [NotNullWhen(false)] out UsageParseError? error)
    {
        audio = 0;
        error = null;
        if (!usage.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        var path = $"{Path}.{name}";
        if (list.ValueKind != JsonValueKind.Array)
        {
            error = new UsageParseError($"{path} must be an array of modality counts.");
            return false;
        }

        var index = 0;
        foreach (var entry in list.EnumerateArray())
        {
            var entryPath = $"{path}[{index++}]";
            if (entry.ValueKind != JsonValueKind.Object)
            {
                error = new UsageParseError($"{entryPath} must be a JSON object with modality and tokenCount.");
                return false;
            }

            if (!UsageJson.TryReadCount(entry, entryPath, "tokenCount", required: false, out var count, out _, out error))
            {
                return false;
            }

            if (entry.TryGetProperty("modality", out var modality) && modality.ValueKind == JsonValueKind.String && modality.ValueEquals("AUDIO"u8))
            {
                audio = SaturatingArithmetic.Add(audio, count);
            }
        }

        return true;
    }

    // Grounding with Google Search: candidates[].groundingMetadata.webSearchQueries, one billed search each.
    private static bool TryCountGroundingQueries(JsonElement root, ref Dictionary<string, long>? calls, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        if (!root.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        long queries = 0;
        foreach (var candidate in candidates.EnumerateArray())
        {
            if (candidate.ValueKind == JsonValueKind.Object
                && candidate.TryGetProperty("groundingMetadata", out var grounding) && grounding.ValueKind == JsonValueKind.Object
                && grounding.TryGetProperty("webSearchQueries", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                queries += list.GetArrayLength();
            }
        }

        return UsageJson.TryAddToolCalls(ref calls, "web_search", queries, "candidates[].groundingMetadata.webSearchQueries", out error);
    }
}
