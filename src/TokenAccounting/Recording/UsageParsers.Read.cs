using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TokenAccounting;

/// <content>The <c>Read…</c> methods, which return a <see cref="ParsedUsage"/>, and the Amazon Bedrock Converse parser.</content>
public static partial class UsageParsers
{
    /// <summary>
    /// Reads Amazon Bedrock Converse / ConverseStream usage: <c>inputTokens</c> (uncached input only, as AWS documents
    /// <c>totalTokens = inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens</c>),
    /// <c>outputTokens</c>, <c>cacheReadInputTokens</c>, <c>cacheWriteInputTokens</c>; <see cref="TokenCounts.Input"/> =
    /// input + cache reads + cache writes.
    /// </summary>
    /// <remarks>
    /// When <c>totalTokens</c> equals <c>inputTokens + outputTokens</c> although cache counts are present, the input
    /// already included them: they are not added again (<see cref="UsageCorrections.CacheInsideInput"/>). Models
    /// invoked through <c>InvokeModel</c> answer in their vendor's format: read Anthropic models with
    /// <see cref="ParseAnthropic(JsonElement)"/>.
    /// </remarks>
    /// <param name="usage">The usage object, a <c>Converse</c> response, or a ConverseStream <c>metadata</c> event.</param>
    /// <returns>The normalized counts.</returns>
    /// <exception cref="FormatException">The JSON is not valid Bedrock usage; the message names the member.</exception>
    public static TokenCounts ParseBedrock(JsonElement usage) => Parse(usage, BedrockSource);

    /// <inheritdoc cref="ParseBedrock(JsonElement)"/>
    /// <param name="json">The usage object, a response or a stream event, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static TokenCounts ParseBedrock(string json) => Parse(json, BedrockSource);

    /// <inheritdoc cref="ParseBedrock(JsonElement)"/>
    /// <param name="utf8Json">The usage object, a response or a stream event, as UTF-8 JSON.</param>
    public static TokenCounts ParseBedrock(ReadOnlySpan<byte> utf8Json) => Parse(utf8Json, BedrockSource);

    /// <summary>Tries to read Amazon Bedrock Converse usage; see <see cref="ParseBedrock(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, a response or a stream event.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseBedrock(JsonElement usage, out TokenCounts counts) => Read(BedrockSource, usage, out counts, out _);

    /// <summary>Tries to read Amazon Bedrock Converse usage from JSON text; see <see cref="ParseBedrock(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseBedrock(string? json, out TokenCounts counts) => TryParse(json, BedrockSource, out counts);

    /// <summary>Tries to read Amazon Bedrock Converse usage from UTF-8 JSON; see <see cref="ParseBedrock(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="counts">The normalized counts, or <c>default</c> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryParseBedrock(ReadOnlySpan<byte> utf8Json, out TokenCounts counts) => TryParse(utf8Json, BedrockSource, out counts);

    /// <summary>Reads OpenAI usage with everything else the payload says: the counts of <see cref="ParseOpenAI(JsonElement)"/>, and from a whole response its <c>model</c>, its <c>service_tier</c> (the tier that served the request) and, for a Responses API object, one <c>web_search</c> / <c>file_search</c> server tool call per <c>web_search_call</c> / <c>file_search_call</c> output item; xAI's <c>usage.num_sources_used</c> (Live Search sources, billed per source) is read as that many <c>live_search_sources</c> calls.</summary>
    /// <param name="usage">The usage object, or a response or stream event that contains it.</param>
    /// <returns>The counts, service tier, response model, server tool calls and corrections.</returns>
    /// <exception cref="FormatException">The JSON is not valid usage; the message names the member.</exception>
    public static ParsedUsage ReadOpenAI(JsonElement usage) => ReadParsed(usage, OpenAISource);

    /// <inheritdoc cref="ReadOpenAI(JsonElement)"/>
    /// <param name="json">The usage object, or a response or stream event that contains it, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static ParsedUsage ReadOpenAI(string json) => ReadDetailed(json, OpenAISource, details: true).ToParsed();

    /// <inheritdoc cref="ReadOpenAI(JsonElement)"/>
    /// <param name="utf8Json">The usage object, or a response or stream event that contains it, as UTF-8 JSON.</param>
    public static ParsedUsage ReadOpenAI(ReadOnlySpan<byte> utf8Json) => ReadDetailed(utf8Json, OpenAISource, details: true).ToParsed();

    /// <summary>Tries to read OpenAI usage as a <see cref="ParsedUsage"/>; see <see cref="ReadOpenAI(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, or a response or stream event that contains it.</param>
    /// <param name="parsed">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadOpenAI(JsonElement usage, [NotNullWhen(true)] out ParsedUsage? parsed) => TryReadParsed(usage, OpenAISource, out parsed);

    /// <summary>Tries to read OpenAI usage from JSON text as a <see cref="ParsedUsage"/>; see <see cref="ReadOpenAI(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadOpenAI(string? json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(json, OpenAISource)) is not null;

    /// <summary>Tries to read OpenAI usage from UTF-8 JSON as a <see cref="ParsedUsage"/>; see <see cref="ReadOpenAI(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadOpenAI(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(utf8Json, OpenAISource)) is not null;

    /// <summary>Reads Anthropic usage with everything else the payload says: the counts of <see cref="ParseAnthropic(JsonElement)"/>, <c>usage.service_tier</c>, the message's <c>model</c>, and <c>usage.server_tool_use</c> (each <c>&lt;tool&gt;_requests</c> member, such as <c>web_search_requests</c>, is that many calls of <c>&lt;tool&gt;</c>).</summary>
    /// <param name="usage">The usage object, a Message, or a <c>message_start</c>/<c>message_delta</c> stream event.</param>
    /// <returns>The counts, service tier, response model, server tool calls and corrections.</returns>
    /// <exception cref="FormatException">The JSON is not valid usage; the message names the member.</exception>
    public static ParsedUsage ReadAnthropic(JsonElement usage) => ReadParsed(usage, AnthropicSource);

    /// <inheritdoc cref="ReadAnthropic(JsonElement)"/>
    /// <param name="json">The usage object, a Message, or a <c>message_start</c>/<c>message_delta</c> stream event, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static ParsedUsage ReadAnthropic(string json) => ReadDetailed(json, AnthropicSource, details: true).ToParsed();

    /// <inheritdoc cref="ReadAnthropic(JsonElement)"/>
    /// <param name="utf8Json">The usage object, a Message, or a <c>message_start</c>/<c>message_delta</c> stream event, as UTF-8 JSON.</param>
    public static ParsedUsage ReadAnthropic(ReadOnlySpan<byte> utf8Json) => ReadDetailed(utf8Json, AnthropicSource, details: true).ToParsed();

    /// <summary>Tries to read Anthropic usage as a <see cref="ParsedUsage"/>; see <see cref="ReadAnthropic(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, a Message, or a <c>message_start</c>/<c>message_delta</c> stream event.</param>
    /// <param name="parsed">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadAnthropic(JsonElement usage, [NotNullWhen(true)] out ParsedUsage? parsed) => TryReadParsed(usage, AnthropicSource, out parsed);

    /// <summary>Tries to read Anthropic usage from JSON text as a <see cref="ParsedUsage"/>; see <see cref="ReadAnthropic(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadAnthropic(string? json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(json, AnthropicSource)) is not null;

    /// <summary>Tries to read Anthropic usage from UTF-8 JSON as a <see cref="ParsedUsage"/>; see <see cref="ReadAnthropic(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadAnthropic(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(utf8Json, AnthropicSource)) is not null;

    /// <summary>Reads Gemini usage with everything else the payload says: the counts of <see cref="ParseGemini(JsonElement)"/>, the response's <c>modelVersion</c>, and one <c>web_search</c> server tool call per query in <c>candidates[].groundingMetadata.webSearchQueries</c> (grounding with Google Search).</summary>
    /// <param name="usageMetadata">The <c>usageMetadata</c> object, or a <c>generateContent</c> response (or stream chunk) that contains it.</param>
    /// <returns>The counts, service tier, response model, server tool calls and corrections.</returns>
    /// <exception cref="FormatException">The JSON is not valid usage; the message names the member.</exception>
    public static ParsedUsage ReadGemini(JsonElement usageMetadata) => ReadParsed(usageMetadata, GeminiSource);

    /// <inheritdoc cref="ReadGemini(JsonElement)"/>
    /// <param name="json">The <c>usageMetadata</c> object, or a <c>generateContent</c> response (or stream chunk) that contains it, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static ParsedUsage ReadGemini(string json) => ReadDetailed(json, GeminiSource, details: true).ToParsed();

    /// <inheritdoc cref="ReadGemini(JsonElement)"/>
    /// <param name="utf8Json">The <c>usageMetadata</c> object, or a <c>generateContent</c> response (or stream chunk) that contains it, as UTF-8 JSON.</param>
    public static ParsedUsage ReadGemini(ReadOnlySpan<byte> utf8Json) => ReadDetailed(utf8Json, GeminiSource, details: true).ToParsed();

    /// <summary>Tries to read Gemini usage as a <see cref="ParsedUsage"/>; see <see cref="ReadGemini(JsonElement)"/>.</summary>
    /// <param name="usageMetadata">The <c>usageMetadata</c> object, or a <c>generateContent</c> response (or stream chunk) that contains it.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadGemini(JsonElement usageMetadata, [NotNullWhen(true)] out ParsedUsage? usage) => TryReadParsed(usageMetadata, GeminiSource, out usage);

    /// <summary>Tries to read Gemini usage from JSON text as a <see cref="ParsedUsage"/>; see <see cref="ReadGemini(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadGemini(string? json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(json, GeminiSource)) is not null;

    /// <summary>Tries to read Gemini usage from UTF-8 JSON as a <see cref="ParsedUsage"/>; see <see cref="ReadGemini(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadGemini(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(utf8Json, GeminiSource)) is not null;

    /// <summary>Reads Amazon Bedrock Converse usage as a <see cref="ParsedUsage"/> (the counts of <see cref="ParseBedrock(JsonElement)"/>; Converse reports no service tier or model).</summary>
    /// <param name="usage">The usage object, a <c>Converse</c> response, or a ConverseStream <c>metadata</c> event.</param>
    /// <returns>The counts, service tier, response model, server tool calls and corrections.</returns>
    /// <exception cref="FormatException">The JSON is not valid usage; the message names the member.</exception>
    public static ParsedUsage ReadBedrock(JsonElement usage) => ReadParsed(usage, BedrockSource);

    /// <inheritdoc cref="ReadBedrock(JsonElement)"/>
    /// <param name="json">The usage object, a <c>Converse</c> response, or a ConverseStream <c>metadata</c> event, as JSON text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is <see langword="null"/>.</exception>
    public static ParsedUsage ReadBedrock(string json) => ReadDetailed(json, BedrockSource, details: true).ToParsed();

    /// <inheritdoc cref="ReadBedrock(JsonElement)"/>
    /// <param name="utf8Json">The usage object, a <c>Converse</c> response, or a ConverseStream <c>metadata</c> event, as UTF-8 JSON.</param>
    public static ParsedUsage ReadBedrock(ReadOnlySpan<byte> utf8Json) => ReadDetailed(utf8Json, BedrockSource, details: true).ToParsed();

    /// <summary>Tries to read Bedrock usage as a <see cref="ParsedUsage"/>; see <see cref="ReadBedrock(JsonElement)"/>.</summary>
    /// <param name="usage">The usage object, a <c>Converse</c> response, or a ConverseStream <c>metadata</c> event.</param>
    /// <param name="parsed">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadBedrock(JsonElement usage, [NotNullWhen(true)] out ParsedUsage? parsed) => TryReadParsed(usage, BedrockSource, out parsed);

    /// <summary>Tries to read Bedrock usage from JSON text as a <see cref="ParsedUsage"/>; see <see cref="ReadBedrock(JsonElement)"/>.</summary>
    /// <param name="json">The JSON text; <see langword="null"/> yields <see langword="false"/>.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadBedrock(string? json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(json, BedrockSource)) is not null;

    /// <summary>Tries to read Bedrock usage from UTF-8 JSON as a <see cref="ParsedUsage"/>; see <see cref="ReadBedrock(JsonElement)"/>.</summary>
    /// <param name="utf8Json">The UTF-8 JSON.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadBedrock(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out ParsedUsage? usage) => (usage = TryReadParsed(utf8Json, BedrockSource)) is not null;

    /// <summary>
    /// Reads a streamed Anthropic message's usage as a <see cref="ParsedUsage"/>: the counts of
    /// <see cref="ParseAnthropicStream(JsonElement, JsonElement)"/>, the <c>message_start</c> message's <c>model</c>,
    /// the service tier (the delta's, else the start's) and <c>server_tool_use</c> (cumulative: the delta's, else the start's).
    /// </summary>
    /// <param name="messageStart">The <c>message_start</c> event (or its <c>message</c>, or that message's usage).</param>
    /// <param name="messageDelta">The final <c>message_delta</c> event (or its usage).</param>
    /// <returns>What the stream reported about the whole message.</returns>
    /// <exception cref="FormatException">Either event is not valid Anthropic usage; the message names the member.</exception>
    public static ParsedUsage ReadAnthropicStream(JsonElement messageStart, JsonElement messageDelta) =>
        ReadStream(messageStart, messageDelta, details: true, out var reading, out var error) ? reading.ToParsed() : throw error.ToException();

    /// <summary>Tries to read a streamed Anthropic message's usage as a <see cref="ParsedUsage"/>; see <see cref="ReadAnthropicStream(JsonElement, JsonElement)"/>.</summary>
    /// <param name="messageStart">The <c>message_start</c> event.</param>
    /// <param name="messageDelta">The final <c>message_delta</c> event.</param>
    /// <param name="usage">What was read, or <see langword="null"/> when the input is not valid usage.</param>
    /// <returns><see langword="true"/> when the usage was read.</returns>
    public static bool TryReadAnthropicStream(JsonElement messageStart, JsonElement messageDelta, [NotNullWhen(true)] out ParsedUsage? usage)
    {
        usage = ReadStream(messageStart, messageDelta, details: true, out var reading, out _) ? reading.ToParsed() : null;
        return usage is not null;
    }
}
