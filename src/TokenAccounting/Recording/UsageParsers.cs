using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using TokenAccounting.Recording.Parsing;

namespace TokenAccounting;

/// <summary>
/// Reads the raw usage JSON of the OpenAI, Anthropic and Gemini APIs into normalized <see cref="TokenCounts"/>
/// (inclusive semantics: <see cref="TokenCounts.Input"/> includes cached and cache-written input,
/// <see cref="TokenCounts.Output"/> includes reasoning).
/// </summary>
/// <remarks>
/// <para>
/// Each parser accepts either the usage object itself or a whole response (or stream event) that contains it:
/// OpenAI <c>usage</c>, <c>{ "usage": … }</c> or <c>{ "response": { "usage": … } }</c>; Anthropic <c>usage</c>,
/// <c>{ "usage": … }</c> (a Message or a <c>message_delta</c> event) or <c>{ "message": { "usage": … } }</c>
/// (a <c>message_start</c> event); Gemini <c>usageMetadata</c> or <c>{ "usageMetadata": … }</c>.
/// </para>
/// <para>
/// Optional members that are absent or <c>null</c> count as 0; unknown members (<c>audio_tokens</c>,
/// <c>accepted_prediction_tokens</c>, <c>server_tool_use</c>, modality details, …) are ignored. Bad input —
/// malformed JSON, a wrong type, a negative or non-integer count, a missing required member, or counts that violate
/// the <see cref="TokenCounts"/> invariants — throws a <see cref="FormatException"/> whose message names the member
/// path (for example <c>usage.prompt_tokens_details.cached_tokens</c>) and the problem; the <c>TryParse…</c>
/// variants return <see langword="false"/> instead. A result is never partially parsed.
/// </para>
/// </remarks>
public static partial class UsageParsers
{
    /// <summary>
    /// Reads OpenAI usage: Chat Completions (<c>prompt_tokens</c>, <c>completion_tokens</c>,
    /// <c>prompt_tokens_details.cached_tokens</c>, <c>completion_tokens_details.reasoning_tokens</c>), embeddings
    /// (<c>prompt_tokens</c>, <c>total_tokens</c>; output 0) or the Responses API (<c>input_tokens</c>,
    /// <c>output_tokens</c>, <c>input_tokens_details.cached_tokens</c>, <c>output_tokens_details.reasoning_tokens</c>).
    /// </summary>
    /// <param name="usage">The usage object, or a response or stream event that contains it.</param>
    /// <returns>The normalized counts (see <see cref="TokenCounts.FromOpenAI"/>).</returns>
    /// <exception cref="FormatException">The JSON is not valid OpenAI usage; the message names the member.</exception>
    public static TokenCounts ParseOpenAI(JsonElement usage) => Parse(usage, OpenAISource);

    /// <inheritdoc cref="ParseOpenAI(JsonElement)"/>
    /// <param name="json">The usage object, or a response or stream event that contains it, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static TokenCounts ParseOpenAI(string json) => Parse(json, OpenAISource);

    /// <inheritdoc cref="ParseOpenAI(JsonElement)"/>
    /// <param name="utf8Json">The usage object, or a response or stream event that contains it, as UTF-8 JSON.</param>
    public static TokenCounts ParseOpenAI(ReadOnlySpan<byte> utf8Json) => Parse(utf8Json, OpenAISource);

    /// <summary>Tries to read OpenAI usage; see <see cref="ParseOpenAI(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, or a response or stream event that contains it.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseOpenAI(JsonElement usage, out TokenCounts counts) => Read(OpenAISource, usage, out counts, out _);

    /// <summary>Tries to read OpenAI usage from JSON text; see <see cref="ParseOpenAI(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseOpenAI(string? json, out TokenCounts counts) => TryParse(json, OpenAISource, out counts);

    /// <summary>Tries to read OpenAI usage from UTF-8 JSON; see <see cref="ParseOpenAI(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseOpenAI(ReadOnlySpan<byte> utf8Json, out TokenCounts counts) => TryParse(utf8Json, OpenAISource, out counts);

    /// <summary>
    /// Reads Anthropic Messages usage: <c>input_tokens</c> (uncached input only), <c>output_tokens</c>,
    /// <c>cache_read_input_tokens</c>, <c>cache_creation_input_tokens</c> and the <c>cache_creation</c> breakdown
    /// (<c>ephemeral_5m_input_tokens</c>, <c>ephemeral_1h_input_tokens</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// When <c>cache_creation_input_tokens</c> is absent the breakdown is summed; when both are present they must
    /// agree, except that an all-zero breakdown (as in Anthropic's API reference example) leaves the total standing.
    /// </para>
    /// <para>
    /// Streaming: a <c>message_start</c> event's <c>message.usage</c> holds the input counts and the final
    /// <c>message_delta</c> event's <c>usage</c> the cumulative <c>output_tokens</c>; a <c>message_delta</c> event's
    /// usage may omit <c>input_tokens</c>, which then reads as 0 (a bare usage object must carry it). To get the whole
    /// streamed message's usage from both events, use <see cref="ParseAnthropicStream(JsonElement, JsonElement)"/>.
    /// </para>
    /// </remarks>
    /// <param name="usage">The usage object, a Message, or a <c>message_start</c>/<c>message_delta</c> stream event.</param>
    /// <returns>The normalized counts (see <see cref="TokenCounts.FromAnthropic"/>).</returns>
    /// <exception cref="FormatException">The JSON is not valid Anthropic usage; the message names the member.</exception>
    public static TokenCounts ParseAnthropic(JsonElement usage) => Parse(usage, AnthropicSource);

    /// <inheritdoc cref="ParseAnthropic(JsonElement)"/>
    /// <param name="json">The usage object, a Message, or a stream event, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static TokenCounts ParseAnthropic(string json) => Parse(json, AnthropicSource);

    /// <inheritdoc cref="ParseAnthropic(JsonElement)"/>
    /// <param name="utf8Json">The usage object, a Message, or a stream event, as UTF-8 JSON.</param>
    public static TokenCounts ParseAnthropic(ReadOnlySpan<byte> utf8Json) => Parse(utf8Json, AnthropicSource);

    /// <summary>Tries to read Anthropic usage; see <see cref="ParseAnthropic(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, a Message, or a stream event.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseAnthropic(JsonElement usage, out TokenCounts counts) => Read(AnthropicSource, usage, out counts, out _);

    /// <summary>Tries to read Anthropic usage from JSON text; see <see cref="ParseAnthropic(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseAnthropic(string? json, out TokenCounts counts) => TryParse(json, AnthropicSource, out counts);

    /// <summary>Tries to read Anthropic usage from UTF-8 JSON; see <see cref="ParseAnthropic(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseAnthropic(ReadOnlySpan<byte> utf8Json, out TokenCounts counts) => TryParse(utf8Json, AnthropicSource, out counts);

    /// <summary>
    /// Reads the usage of a streamed Anthropic message from its <c>message_start</c> event (input and cache counts) and
    /// its final <c>message_delta</c> event (cumulative <c>output_tokens</c>; input and cache counts, when a newer API
    /// version repeats them there, win over the start's).
    /// </summary>
    /// <remarks>
    /// The <c>message_delta</c> counts are cumulative: use the last one, never a sum of several.
    /// </remarks>
    /// <param name="messageStart">The <c>message_start</c> event (or its <c>message</c>, or that message's usage).</param>
    /// <param name="messageDelta">The final <c>message_delta</c> event (or its usage).</param>
    /// <returns>The normalized counts of the whole streamed message.</returns>
    /// <exception cref="FormatException">Either event is not valid Anthropic usage; the message names the member.</exception>
    public static TokenCounts ParseAnthropicStream(JsonElement messageStart, JsonElement messageDelta) =>
        ReadStream(messageStart, messageDelta, details: false, out var reading, out var error) ? reading.Tokens : throw error.ToException();

    /// <inheritdoc cref="ParseAnthropicStream(JsonElement, JsonElement)"/>
    /// <param name="messageStartJson">The <c>data</c> of the <c>message_start</c> event, as JSON text.</param>
    /// <param name="messageDeltaJson">The <c>data</c> of the final <c>message_delta</c> event, as JSON text.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static TokenCounts ParseAnthropicStream(string messageStartJson, string messageDeltaJson)
    {
        ArgumentNullException.ThrowIfNull(messageStartJson);
        ArgumentNullException.ThrowIfNull(messageDeltaJson);
        if (!TryParseDocument(messageStartJson, out var start, out var error))
        {
            throw error.ToException();
        }

        using (start)
        {
            if (!TryParseDocument(messageDeltaJson, out var delta, out error))
            {
                throw error.ToException();
            }

            using (delta)
            {
                return ParseAnthropicStream(start.RootElement, delta.RootElement);
            }
        }
    }

    /// <summary>Tries to read a streamed Anthropic message's usage; see <see cref="ParseAnthropicStream(JsonElement, JsonElement)"/>.</summary>
    /// <param name="messageStart">The <c>message_start</c> event.</param>
    /// <param name="messageDelta">The final <c>message_delta</c> event.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseAnthropicStream(JsonElement messageStart, JsonElement messageDelta, out TokenCounts counts) =>
        ReadStreamCounts(messageStart, messageDelta, out counts);

    /// <summary>Tries to read a streamed Anthropic message's usage from JSON text; see <see cref="ParseAnthropicStream(JsonElement, JsonElement)"/>.</summary>
    /// <param name="messageStartJson">The <c>message_start</c> event data; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="messageDeltaJson">The final <c>message_delta</c> event data; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseAnthropicStream(string? messageStartJson, string? messageDeltaJson, out TokenCounts counts)
    {
        counts = default;
        if (messageStartJson is null || messageDeltaJson is null || !TryParseDocument(messageStartJson, out var start, out _))
        {
            return false;
        }

        using (start)
        {
            if (!TryParseDocument(messageDeltaJson, out var delta, out _))
            {
                return false;
            }

            using (delta)
            {
                return ReadStreamCounts(start.RootElement, delta.RootElement, out counts);
            }
        }
    }

    /// <summary>
    /// Reads Gemini <c>usageMetadata</c> (Gemini API and Vertex AI): <c>promptTokenCount</c> (required; includes
    /// cached content), <c>candidatesTokenCount</c>, <c>cachedContentTokenCount</c>, <c>thoughtsTokenCount</c> and
    /// <c>toolUsePromptTokenCount</c>; <c>totalTokenCount</c> is checked for type but not used.
    /// </summary>
    /// <remarks>
    /// <see cref="TokenCounts.Input"/> = <c>promptTokenCount + toolUsePromptTokenCount</c>: Google documents the
    /// tool-use prompt tokens as the results of tool executions fed back to the model as input, and counts them in
    /// <c>totalTokenCount</c> apart from <c>promptTokenCount</c>. <see cref="TokenCounts.Output"/> =
    /// <c>candidatesTokenCount + thoughtsTokenCount</c>.
    /// </remarks>
    /// <param name="usageMetadata">The <c>usageMetadata</c> object, or a <c>generateContent</c> response (or stream chunk) that contains it.</param>
    /// <returns>The normalized counts.</returns>
    /// <exception cref="FormatException">The JSON is not valid Gemini usage metadata; the message names the member.</exception>
    public static TokenCounts ParseGemini(JsonElement usageMetadata) => Parse(usageMetadata, GeminiSource);

    /// <inheritdoc cref="ParseGemini(JsonElement)"/>
    /// <param name="json">The <c>usageMetadata</c> object, or a response that contains it, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static TokenCounts ParseGemini(string json) => Parse(json, GeminiSource);

    /// <inheritdoc cref="ParseGemini(JsonElement)"/>
    /// <param name="utf8Json">The <c>usageMetadata</c> object, or a response that contains it, as UTF-8 JSON.</param>
    public static TokenCounts ParseGemini(ReadOnlySpan<byte> utf8Json) => Parse(utf8Json, GeminiSource);

    /// <summary>Tries to read Gemini usage metadata; see <see cref="ParseGemini(JsonElement)"/>.</summary>
    /// <param name="usageMetadata">The <c>usageMetadata</c> object, or a response that contains it.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseGemini(JsonElement usageMetadata, out TokenCounts counts) => Read(GeminiSource, usageMetadata, out counts, out _);

    /// <summary>Tries to read Gemini usage metadata from JSON text; see <see cref="ParseGemini(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseGemini(string? json, out TokenCounts counts) => TryParse(json, GeminiSource, out counts);

    /// <summary>Tries to read Gemini usage metadata from UTF-8 JSON; see <see cref="ParseGemini(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseGemini(ReadOnlySpan<byte> utf8Json, out TokenCounts counts) => TryParse(utf8Json, GeminiSource, out counts);

    private static readonly UsageSource OpenAISource = new("openai", OpenAIUsageReader.TryRead);
    private static readonly UsageSource AnthropicSource = new("anthropic", AnthropicUsageReader.TryRead);
    private static readonly UsageSource GeminiSource = new("gcp.gemini", GeminiUsageReader.TryRead);
    private static readonly UsageSource BedrockSource = new("aws.bedrock", BedrockUsageReader.TryRead);

    private static TokenCounts Parse(JsonElement usage, UsageSource source) =>
        Read(source, usage, out var counts, out var error) ? counts : throw error.ToException();

    private static bool Read(UsageSource source, JsonElement usage, out TokenCounts counts, [NotNullWhen(false)] out UsageParseError? error)
    {
        var read = Core(source, usage, details: false, out var reading, out error);
        counts = reading.Tokens;
        return read;
    }

    // The readers report bad input as errors; what System.Text.Json itself throws for text it cannot decode (invalid
    // UTF-8 inside a string, an unpaired surrogate in an escape) is bad input too, so it becomes an error here rather
    // than escaping as another exception type. A disposed document is the caller's bug, not bad input: it propagates.
    // A reading that needed corrections is counted here, once per successful parse.
    private static bool Core(UsageSource source, JsonElement usage, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        try
        {
            if (!source.Reader(usage, details, out reading, out error))
            {
                reading = default;
                return false;
            }
        }
        catch (Exception ex) when (IsUndecodableText(ex))
        {
            reading = default;
            error = Undecodable(ex);
            return false;
        }

        UsageParseDiagnostics.Count(source.Provider, reading.Corrections);
        return true;
    }

    private static bool ReadStream(JsonElement messageStart, JsonElement messageDelta, bool details, out UsageReading reading, [NotNullWhen(false)] out UsageParseError? error)
    {
        try
        {
            if (!AnthropicUsageReader.TryReadStream(messageStart, messageDelta, details, out reading, out error))
            {
                reading = default;
                return false;
            }
        }
        catch (Exception ex) when (IsUndecodableText(ex))
        {
            reading = default;
            error = Undecodable(ex);
            return false;
        }

        UsageParseDiagnostics.Count(AnthropicSource.Provider, reading.Corrections);
        return true;
    }

    private static bool ReadStreamCounts(JsonElement messageStart, JsonElement messageDelta, out TokenCounts counts)
    {
        var read = ReadStream(messageStart, messageDelta, details: false, out var reading, out _);
        counts = reading.Tokens;
        return read;
    }

    private static bool IsUndecodableText(Exception ex) => ex is (InvalidOperationException or ArgumentException) and not ObjectDisposedException;

    private static UsageParseError Undecodable(Exception ex) => new($"The usage JSON holds text that is not valid UTF-8 or UTF-16: {ex.Message}", ex);

    private static TokenCounts Parse(string json, UsageSource source) => ReadDetailed(json, source, details: false).Tokens;

    private static TokenCounts Parse(ReadOnlySpan<byte> utf8Json, UsageSource source) => ReadDetailed(utf8Json, source, details: false).Tokens;

    private static bool TryParse(string? json, UsageSource source, out TokenCounts counts)
    {
        var read = TryReadDetailed(json, source, details: false, out var reading);
        counts = reading.Tokens;
        return read;
    }

    private static bool TryParse(ReadOnlySpan<byte> utf8Json, UsageSource source, out TokenCounts counts)
    {
        var read = TryReadDetailed(utf8Json, source, details: false, out var reading);
        counts = reading.Tokens;
        return read;
    }

    private static ParsedUsage ReadParsed(JsonElement usage, UsageSource source) =>
        Core(source, usage, details: true, out var reading, out var error) ? reading.ToParsed() : throw error.ToException();

    private static bool TryReadParsed(JsonElement usage, UsageSource source, [NotNullWhen(true)] out ParsedUsage? parsed)
    {
        parsed = Core(source, usage, details: true, out var reading, out _) ? reading.ToParsed() : null;
        return parsed is not null;
    }

    private static UsageReading ReadDetailed(string json, UsageSource source, bool details)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (!TryParseDocument(json, out var document, out var error))
        {
            throw error.ToException();
        }

        using (document)
        {
            return Core(source, document.RootElement, details, out var reading, out error) ? reading : throw error.ToException();
        }
    }

    private static UsageReading ReadDetailed(ReadOnlySpan<byte> utf8Json, UsageSource source, bool details)
    {
        if (!TryParseDocument(utf8Json, out var document, out var error))
        {
            throw error.ToException();
        }

        using (document)
        {
            return Core(source, document.RootElement, details, out var reading, out error) ? reading : throw error.ToException();
        }
    }

    private static bool TryReadDetailed(string? json, UsageSource source, bool details, out UsageReading reading)
    {
        reading = default;
        if (json is null || !TryParseDocument(json, out var document, out _))
        {
            return false;
        }

        using (document)
        {
            return Core(source, document.RootElement, details, out reading, out _);
        }
    }

    private static bool TryReadDetailed(ReadOnlySpan<byte> utf8Json, UsageSource source, bool details, out UsageReading reading)
    {
        reading = default;
        if (!TryParseDocument(utf8Json, out var document, out _))
        {
            return false;
        }

        using (document)
        {
            return Core(source, document.RootElement, details, out reading, out _);
        }
    }

    private static ParsedUsage? TryReadParsed(string? json, UsageSource source) =>
        TryReadDetailed(json, source, details: true, out var reading) ? reading.ToParsed() : null;

    private static ParsedUsage? TryReadParsed(ReadOnlySpan<byte> utf8Json, UsageSource source) =>
        TryReadDetailed(utf8Json, source, details: true, out var reading) ? reading.ToParsed() : null;

    private static bool TryParseDocument(string json, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        try
        {
            document = JsonDocument.Parse(json);
            return true;
        }
        catch (JsonException ex)
        {
            document = null;
            error = Malformed(ex);
            return false;
        }
        catch (ArgumentException ex)
        {
            // The string is not valid UTF-16 (an unpaired surrogate), so it cannot be transcoded to the UTF-8 the reader reads.
            document = null;
            error = new UsageParseError($"The usage JSON text is not valid UTF-16 (an unpaired surrogate): {ex.Message}", ex);
            return false;
        }
    }

    private static bool TryParseDocument(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out JsonDocument? document, [NotNullWhen(false)] out UsageParseError? error)
    {
        error = null;
        document = null;
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            utf8Json = utf8Json[3..];
        }

        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            document = JsonDocument.ParseValue(ref reader);

            // ParseValue stops after one value; anything but white space after it is malformed input.
            if (reader.Read())
            {
                document.Dispose();
                document = null;
                error = new UsageParseError($"The usage JSON is malformed: unexpected content after the JSON value at byte {reader.TokenStartIndex}.");
                return false;
            }

            return true;
        }
        catch (JsonException ex)
        {
            document?.Dispose();
            document = null;
            error = Malformed(ex);
            return false;
        }
    }

    private static UsageParseError Malformed(JsonException ex) =>
        new($"The usage JSON is malformed (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}", ex);

    private sealed record UsageSource(string Provider, UsageReader Reader);
}
