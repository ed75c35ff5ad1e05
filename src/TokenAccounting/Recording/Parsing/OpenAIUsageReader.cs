using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting.Recording.Parsing;

/// <summary>
/// Reads OpenAI usage: Chat Completions (<c>prompt_tokens</c>/<c>completion_tokens</c>), embeddings
/// (<c>prompt_tokens</c>/<c>total_tokens</c>), the Responses API (<c>input_tokens</c>/<c>output_tokens</c>) and
/// Realtime (<c>input_token_details</c>/<c>output_token_details</c>); plus, from a whole response, <c>model</c>,
/// <c>service_tier</c> and the Responses API's <c>web_search_call</c>/<c>file_search_call</c> output items; and xAI's
/// <c>num_sources_used</c> (Live Search sources, billed per source) as <c>live_search_sources</c> server tool calls.
/// </summary>
internal static class OpenAIUsageReader
{
    /// <summary>The <see cref="UsageRecord.ServerToolCalls"/> key of xAI Live Search sources (<c>usage.num_sources_used</c>).</summary>
    public const string LiveSearchSources = "live_search_sources";

    public static bool TryRead(JsonElement root, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;
        if (!UsageJson.TryRequireObject(root, "OpenAI usage", out error)
            || !TryLocate(root, out var usage, out var path, out var response, out error))
        {
            return false;
        }

        bool read;
        error = null;
        if (usage.TryGetProperty("prompt_tokens", out _))
        {
            read = TryReadChat(usage, path, out reading, out error);
        }
        else if (usage.TryGetProperty("input_tokens", out _))
        {
            read = TryReadResponses(usage, path, out reading, out error);
        }
        else
        {
            error = new UsageParseError(
                $"{path}.prompt_tokens (Chat Completions, embeddings) or {path}.input_tokens (Responses API) is required but missing; "
                + "pass the usage object or a whole response that contains it.");
            return false;
        }

        if (!read)
        {
            error ??= new UsageParseError($"{path} is not valid OpenAI usage.");
            return false;
        }

        // xAI (OpenAI-compatible): usage.num_sources_used counts the Live Search sources the request used, billed per source.
        if (details
            && (!UsageJson.TryReadCount(usage, path, "num_sources_used", required: false, out var sources, out _, out error)
                || !UsageJson.TryAddToolCalls(ref reading.ServerToolCalls, LiveSearchSources, sources, path + ".num_sources_used", out error)))
        {
            return false;
        }

        if (details && response.ValueKind == JsonValueKind.Object)
        {
            reading.ResponseModel = UsageJson.ReadMetadata(response, "model");
            reading.ServiceTier = UsageJson.ReadMetadata(response, "service_tier");
            if (!TryCountToolCalls(response, path == "usage" ? "output" : "response.output", ref reading.ServerToolCalls, out error))
            {
                return false;
            }
        }

        return true;
    }

    // usage | { usage } (chat completion, embeddings, response object) | { response: { usage } } (Responses stream event).
    private static bool TryLocate(JsonElement root, out JsonElement usage, out string path, out JsonElement response, [NotNullWhen(false)] out UsageParseError? error)
    {
        path = "usage";
        response = default;
        if (!UsageJson.TryFindMember(root, string.Empty, "usage", out usage, out var found, out error))
        {
            return false;
        }

        if (found)
        {
            response = root;
            return true;
        }

        if (root.TryGetProperty("response", out var inner) && inner.ValueKind == JsonValueKind.Object)
        {
            if (!UsageJson.TryFindMember(inner, "response", "usage", out usage, out found, out error))
            {
                return false;
            }

            if (found)
            {
                path = "response.usage";
                response = inner;
                return true;
            }
        }

        usage = root;
        return true;
    }

    // Responses API: each web_search_call / file_search_call output item is one billed tool call.
    private static bool TryCountToolCalls(JsonElement response, string path, ref Dictionary<string, long>? calls, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        if (!response.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Array)
        {
            return true;
        }

        long webSearch = 0;
        long fileSearch = 0;
        foreach (var item in output.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String)
            {
                if (type.ValueEquals("web_search_call"u8))
                {
                    webSearch++;
                }
                else if (type.ValueEquals("file_search_call"u8))
                {
                    fileSearch++;
                }
            }
        }

        return UsageJson.TryAddToolCalls(ref calls, "web_search", webSearch, path, out error)
            && UsageJson.TryAddToolCalls(ref calls, "file_search", fileSearch, path, out error);
    }

    private static bool TryReadChat(JsonElement usage, string path, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;
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

        var input = default(InputDetails);
        var outputDetails = default(OutputDetails);
        if (!TryReadInputDetails(promptDetails, promptDetailsPath, out input, out error)
            || !TryReadOutputDetails(completionDetails, completionDetailsPath, out outputDetails, out error))
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

        // xAI documents total_tokens = prompt_tokens + completion_tokens + reasoning_tokens: its reasoning is outside the
        // completion count. OpenAI's total is prompt + completion, reasoning inside. The total tells them apart.
        var corrections = UsageCorrections.None;
        if (hasTotal && outputDetails.Reasoning > 0 && completion <= long.MaxValue - outputDetails.Reasoning
            && prompt <= long.MaxValue - completion - outputDetails.Reasoning
            && total == prompt + completion + outputDetails.Reasoning)
        {
            completion += outputDetails.Reasoning;
            corrections = UsageCorrections.ReasoningOutsideCompletion;
        }

        var paths = new MemberPaths(promptDetailsPath, completionDetailsPath, path + ".completion_tokens");
        if (!TryNormalize(prompt, completion, input, outputDetails, paths, out reading.Tokens, out error))
        {
            return false;
        }

        reading.Corrections = corrections;
        return true;
    }

    private static bool TryReadResponses(JsonElement usage, string path, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        reading = default;

        // The Responses API names the details input_tokens_details; the Realtime API input_token_details.
        var inputName = usage.TryGetProperty("input_tokens_details", out _) || !usage.TryGetProperty("input_token_details", out _) ? "input_tokens_details" : "input_token_details";
        var outputName = usage.TryGetProperty("output_tokens_details", out _) || !usage.TryGetProperty("output_token_details", out _) ? "output_tokens_details" : "output_token_details";
        var inputDetailsPath = path + "." + inputName;
        var outputDetailsPath = path + "." + outputName;
        if (!UsageJson.TryReadCount(usage, path, "input_tokens", required: true, out var inputTokens, out _, out error)
            || !UsageJson.TryReadCount(usage, path, "output_tokens", required: true, out var outputTokens, out _, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, inputName, out var inputDetails, out error)
            || !UsageJson.TryReadOptionalObject(usage, path, outputName, out var outputDetails, out error)
            || !TryReadInputDetails(inputDetails, inputDetailsPath, out var input, out error)
            || !TryReadOutputDetails(outputDetails, outputDetailsPath, out var output, out error))
        {
            return false;
        }

        var paths = new MemberPaths(inputDetailsPath, outputDetailsPath, path + ".output_tokens");
        return TryNormalize(inputTokens, outputTokens, input, output, paths, out reading.Tokens, out error);
    }

    private static bool TryReadInputDetails(JsonElement details, string path, out InputDetails read, [NotNullWhen(false)] out UsageParseError? error)
    {
        read = default;
        error = null;
        if (details.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        if (!UsageJson.TryReadCount(details, path, "cached_tokens", required: false, out var cached, out _, out error)
            || !UsageJson.TryReadCount(details, path, "cache_write_tokens", required: false, out var cacheWrite, out _, out error)
            || !UsageJson.TryReadCount(details, path, "audio_tokens", required: false, out var audio, out _, out error)
            || !UsageJson.TryReadOptionalObject(details, path, "cached_tokens_details", out var cachedDetails, out error))
        {
            return false;
        }

        long cachedAudio = 0;
        if (cachedDetails.ValueKind == JsonValueKind.Object
            && !UsageJson.TryReadCount(cachedDetails, path + ".cached_tokens_details", "audio_tokens", required: false, out cachedAudio, out _, out error))
        {
            return false;
        }

        read = new InputDetails(cached, cacheWrite, audio, cachedAudio);
        return true;
    }

    private static bool TryReadOutputDetails(JsonElement details, string path, out OutputDetails read, [NotNullWhen(false)] out UsageParseError? error)
    {
        read = default;
        error = null;
        if (details.ValueKind != JsonValueKind.Object)
        {
            return true;
        }

        if (!UsageJson.TryReadCount(details, path, "reasoning_tokens", required: false, out var reasoning, out _, out error)
            || !UsageJson.TryReadCount(details, path, "audio_tokens", required: false, out var audio, out _, out error))
        {
            return false;
        }

        read = new OutputDetails(reasoning, audio);
        return true;
    }

    private static bool TryNormalize(long prompt, long completion, InputDetails input, OutputDetails output, MemberPaths paths, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        counts = default;
        TokenCounts text;
        try
        {
            text = TokenCounts.FromOpenAI(prompt, completion, input.Cached, output.Reasoning);
        }
        catch (ArgumentException ex)
        {
            var member = ex.ParamName switch
            {
                "reasoningTokens" => paths.OutputDetails + ".reasoning_tokens",
                "completionTokens" => paths.Completion,
                _ => paths.InputDetails + ".cached_tokens",
            };
            error = UsageJson.Invariant(member, ex);
            return false;
        }

        if (input.CacheWrite > prompt - input.Cached)
        {
            error = new UsageParseError(
                $"{paths.InputDetails}.cache_write_tokens ({input.CacheWrite}) + cached_tokens ({input.Cached}) must not exceed the prompt ({prompt}): the prompt count includes cache reads and writes.");
            return false;
        }

        // Chat Completions reports audio input without saying how much of it was cached; audio beyond the uncached input
        // can only have been read from the cache, so that much is cached audio (Realtime reports it in cached_tokens_details).
        var uncached = prompt - input.Cached - input.CacheWrite;
        var cachedAudio = Math.Max(input.CachedAudio, input.Audio - Math.Min(input.Audio, uncached));
        try
        {
            counts = new TokenCounts(text.Input, text.Output, text.CachedInput, input.CacheWrite, 0, text.Reasoning, input.Audio, cachedAudio, output.Audio);
        }
        catch (ArgumentException ex)
        {
            var member = ex.ParamName == nameof(TokenCounts.OutputAudio) ? paths.OutputDetails + ".audio_tokens" : paths.InputDetails + ".audio_tokens";
            error = UsageJson.Invariant(member, ex);
            return false;
        }

        error = null;
        return true;
    }

    private readonly record struct InputDetails(long Cached, long CacheWrite, long Audio, long CachedAudio);

    private readonly record struct OutputDetails(long Reasoning, long Audio);

    private readonly record struct MemberPaths(string InputDetails, string OutputDetails, string Completion);
}
