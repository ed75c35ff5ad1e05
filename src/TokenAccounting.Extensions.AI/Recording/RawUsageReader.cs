using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>What <see cref="RawUsageReader.Read"/> found: the completed counts, the served tier and the server-side tool calls.</summary>
internal readonly record struct RawUsageReading(TokenCounts Tokens, string? ServiceTier, IReadOnlyDictionary<string, long>? ServerToolCalls);

/// <summary>
/// Completes counts that the provider reported but an adapter left out of <c>UsageDetails</c>, from the adapter's raw
/// representation (the provider SDK's response, event or usage object), without referencing any provider SDK:
/// <list type="bullet">
/// <item>OpenAI's cache writes, <c>prompt_tokens_details.cache_write_tokens</c> (Chat Completions) and
/// <c>input_tokens_details.cache_write_tokens</c> (Responses), which Microsoft.Extensions.AI.OpenAI 10.11 drops;</item>
/// <item>Anthropic's one-hour cache writes, <c>cache_creation.ephemeral_1h_input_tokens</c>, which the Anthropic SDK's
/// <c>IChatClient</c> folds into <c>CacheCreationInputTokens</c> without the TTL split.</item>
/// </list>
/// The JSON is reached through the SDKs' own public serialization: a <c>Json</c> property of type
/// <see cref="JsonElement"/> (Anthropic's stream events), a <c>RawData</c> dictionary of JSON elements (Anthropic's
/// models), or <c>System.ClientModel</c>'s <c>IPersistableModel&lt;T&gt;.Write</c> (OpenAI's models; only their
/// <c>Usage</c> property when they have one). How to read a type is worked out once per type.
/// </summary>
/// <remarks>
/// The same JSON is read by the core parsers (<see cref="UsageParsers.TryReadOpenAI(JsonElement, out ParsedUsage?)"/>,
/// <see cref="UsageParsers.TryReadAnthropic(JsonElement, out ParsedUsage?)"/>) for what they return beyond tokens: the
/// served service tier and the server-side tool calls. OpenAI's SDK models carry the tier as a <c>ServiceTier</c>
/// property outside the usage; <see cref="ServiceTierOf"/> reads it.
/// </remarks>
internal static class RawUsageReader
{
    private static readonly ConcurrentDictionary<Type, Func<object, JsonElement?>?> Readers = new();
    private static readonly ConcurrentDictionary<Type, Func<object, string?>?> TierReaders = new();

    /// <summary>
    /// Returns <paramref name="tokens"/> with the counts the raw usage reports and the counts lack, and what the
    /// provider's parser reads from it: the served tier and the server-side tool calls.
    /// </summary>
    public static RawUsageReading Read(TokenCounts tokens, object? raw)
    {
        if (raw is null || Locate(raw) is not { } located)
        {
            return new RawUsageReading(tokens, null, null);
        }

        var parsed = Parse(located.Root, located.Usage);
        return new RawUsageReading(Supplement(tokens, located.Usage), parsed?.ServiceTier, parsed?.ServerToolCalls);
    }

    /// <summary>Returns <paramref name="tokens"/> with the cache writes the raw usage reports and the counts lack.</summary>
    public static TokenCounts Supplement(TokenCounts tokens, object? raw) =>
        raw is null || UsageOf(raw) is not { } usage ? tokens : Supplement(tokens, usage);

    /// <summary>
    /// The service tier an SDK model says served the call: its public <c>ServiceTier</c> property (OpenAI's
    /// <c>ChatCompletion</c>, <c>StreamingChatCompletionUpdate</c>, <c>ResponseResult</c>), or that of its
    /// <c>Response</c> (OpenAI Responses stream events); null when it has none, or none that can be recorded.
    /// </summary>
    public static string? ServiceTierOf(object raw)
    {
        try
        {
            return TierReaders.GetOrAdd(raw.GetType(), CreateTierReader) is { } read ? Recordable(read(raw)) : null;
        }
        catch (Exception exception) when (exception is TargetInvocationException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }

    private static TokenCounts Supplement(TokenCounts tokens, JsonElement usage)
    {
        // Nothing to add once the writes, their one-hour part and the audio parts are known.
        if (tokens.CacheWriteInput > 0 && tokens.CacheWriteLongTtlInput > 0 && (tokens.InputAudio > 0 || tokens.OutputAudio > 0))
        {
            return tokens;
        }

        var cacheWrite = tokens.CacheWriteInput;
        if (cacheWrite == 0 && (Count(usage, "prompt_tokens_details", "cache_write_tokens") ?? Count(usage, "input_tokens_details", "cache_write_tokens")) is > 0 and var written)
        {
            // OpenAI counts cache writes inside the input, like cache reads; never let a bad value break the invariants.
            cacheWrite = Math.Min(written, tokens.Input - tokens.CachedInput);
        }

        var longTtl = tokens.CacheWriteLongTtlInput;
        if (longTtl == 0 && Count(usage, "cache_creation", "ephemeral_1h_input_tokens") is > 0 and var hour)
        {
            longTtl = Math.Min(hour, cacheWrite);
        }

        var supplemented = cacheWrite == tokens.CacheWriteInput && longTtl == tokens.CacheWriteLongTtlInput
            ? tokens
            : new TokenCounts(tokens.Input, tokens.Output, tokens.CachedInput, cacheWrite, longTtl, tokens.Reasoning);

        // Audio (OpenAI prompt_tokens_details / completion_tokens_details.audio_tokens, Realtime input_token_details),
        // when the adapter did not pass it on; kept where it did.
        var inputAudio = tokens.InputAudio > 0 ? tokens.InputAudio
            : Count(usage, "prompt_tokens_details", "audio_tokens") ?? Count(usage, "input_tokens_details", "audio_tokens") ?? Count(usage, "input_token_details", "audio_tokens") ?? 0;
        var outputAudio = tokens.OutputAudio > 0 ? tokens.OutputAudio
            : Count(usage, "completion_tokens_details", "audio_tokens") ?? Count(usage, "output_tokens_details", "audio_tokens") ?? Count(usage, "output_token_details", "audio_tokens") ?? 0;
        return inputAudio == 0 && outputAudio == 0 && tokens.InputAudio == 0 && tokens.OutputAudio == 0
            ? supplemented
            : UsageDetailsMapper.WithAudio(supplemented, inputAudio, tokens.CachedInputAudio, outputAudio);
    }

    /// <summary>Finds the usage object in a raw response, event or usage, or null.</summary>
    internal static JsonElement? UsageOf(object raw) => Locate(raw)?.Usage;

    /// <summary>Finds the usage object and the JSON that holds it (the response or event, for the parsers), or null.</summary>
    private static (JsonElement Root, JsonElement Usage)? Locate(object raw)
    {
        if (Readers.GetOrAdd(raw.GetType(), CreateReader) is not { } read || read(raw) is not { ValueKind: JsonValueKind.Object } root)
        {
            return null;
        }

        if (Child(root, "usage") is { } usage)
        {
            return (root, usage);
        }

        // Stream events wrap the response (OpenAI Responses) or the message (Anthropic's message_start).
        if ((Child(root, "response") ?? Child(root, "message")) is { } inner && Child(inner, "usage") is { } nested)
        {
            return (root, nested);
        }

        return root.TryGetProperty("prompt_tokens", out _) || root.TryGetProperty("input_tokens", out _) ? (root, root) : null;
    }

    /// <summary>
    /// Reads <paramref name="root"/> with the parser of the provider whose usage it holds: OpenAI's (Chat Completions
    /// and xAI: <c>prompt_tokens</c>; Responses: <c>total_tokens</c> beside <c>input_tokens</c>) or Anthropic's
    /// (<c>input_tokens</c> without a total); null when it cannot be read.
    /// </summary>
    private static ParsedUsage? Parse(JsonElement root, JsonElement usage)
    {
        ParsedUsage? parsed;
        if (usage.TryGetProperty("prompt_tokens", out _) || usage.TryGetProperty("total_tokens", out _))
        {
            UsageParsers.TryReadOpenAI(root, out parsed);
        }
        else
        {
            UsageParsers.TryReadAnthropic(root, out parsed);
        }

        return parsed;
    }

    private static JsonElement? Child(JsonElement element, string name) =>
        element.TryGetProperty(name, out var child) && child.ValueKind == JsonValueKind.Object ? child : null;

    private static long? Count(JsonElement usage, string parent, string name) =>
        Child(usage, parent) is { } details && details.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count)
            ? count
            : null;

    private static Func<object, JsonElement?>? CreateReader(Type type)
    {
        try
        {
            if (type.GetProperty("Json", BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var jsonType } json && jsonType == typeof(JsonElement) && json.GetIndexParameters().Length == 0)
            {
                return raw => json.GetValue(raw) is JsonElement element ? element : null;
            }

            if (type.GetProperty("RawData", BindingFlags.Public | BindingFlags.Instance) is { } rawData
                && typeof(IReadOnlyDictionary<string, JsonElement>).IsAssignableFrom(rawData.PropertyType))
            {
                return raw => rawData.GetValue(raw) is IReadOnlyDictionary<string, JsonElement> data ? FromDictionary(data) : null;
            }

            if (PersistableWriter(type) is { } write)
            {
                // Serialize only the usage when the model exposes it (a whole completion would be far larger).
                if (type.GetProperty("Usage", BindingFlags.Public | BindingFlags.Instance) is { } usage && usage.GetIndexParameters().Length == 0
                    && PersistableWriter(usage.PropertyType) is { } writeUsage)
                {
                    return raw => usage.GetValue(raw) is { } value ? writeUsage(value) : null;
                }

                return write;
            }
        }
        catch (Exception exception) when (exception is AmbiguousMatchException or NotSupportedException or InvalidOperationException)
        {
            // A type we cannot read is a type we skip.
        }

        return null;
    }

    private static Func<object, string?>? CreateTierReader(Type type)
    {
        try
        {
            if (Property(type, "ServiceTier") is { } tier)
            {
                return raw => tier.GetValue(raw)?.ToString();
            }

            if (Property(type, "Response") is { } response)
            {
                return raw => response.GetValue(raw) is { } inner ? ServiceTierOf(inner) : null;
            }
        }
        catch (Exception exception) when (exception is AmbiguousMatchException or NotSupportedException or InvalidOperationException)
        {
            // A type we cannot read is a type we skip.
        }

        return null;
    }

    private static PropertyInfo? Property(Type type, string name) =>
        type.GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is { CanRead: true } property && property.GetIndexParameters().Length == 0 ? property : null;

    /// <summary>A tier as a record may carry it: a short printable name (what providers send), else null.</summary>
    private static string? Recordable(string? tier)
    {
        if (string.IsNullOrWhiteSpace(tier) || tier.Length > UsageRecordLimits.MaxServiceTierLength)
        {
            return null;
        }

        foreach (var c in tier)
        {
            if (c is < ' ' or > '~')
            {
                return null;
            }
        }

        return tier;
    }

    private static JsonElement? FromDictionary(IReadOnlyDictionary<string, JsonElement> data)
    {
        if (data.TryGetValue("usage", out var usage))
        {
            return Wrap("usage", usage);
        }

        return data.TryGetValue("message", out var message) ? Wrap("message", message) : null;
    }

    private static JsonElement Wrap(string name, JsonElement value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(name);
            value.WriteTo(writer);
            writer.WriteEndObject();
        }

        using var document = JsonDocument.Parse(stream.ToArray());
        return document.RootElement.Clone();
    }

    /// <summary>A writer through <c>System.ClientModel.Primitives.IPersistableModel&lt;T&gt;.Write(ModelReaderWriterOptions.Json)</c>, when the type implements it.</summary>
    private static Func<object, JsonElement?>? PersistableWriter(Type type)
    {
        var persistable = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition().FullName == "System.ClientModel.Primitives.IPersistableModel`1");
        if (persistable?.GetMethod("Write") is not { } write || write.GetParameters() is not [{ ParameterType: var optionsType }]
            || optionsType.GetProperty("Json", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not { } jsonOptions)
        {
            return null;
        }

        return raw =>
        {
            // BinaryData.ToString() is its UTF-8 text.
            if (write.Invoke(raw, [jsonOptions])?.ToString() is not { Length: > 0 } text)
            {
                return null;
            }

            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        };
    }
}
