using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TokenAccounting;

/// <summary>
/// Loads LiteLLM's <c>model_prices_and_context_window.json</c> format: per-token prices become per-million
/// prices; entries the library cannot represent exactly are skipped and reported, never mis-priced.
/// </summary>
/// <remarks>
/// <para>Read: <c>input_cost_per_token</c>, <c>output_cost_per_token</c>, <c>cache_read_input_token_cost</c> (or
/// <c>input_cost_per_token_cache_hit</c>), <c>cache_creation_input_token_cost</c>,
/// <c>cache_creation_input_token_cost_above_1hr</c>, <c>output_cost_per_reasoning_token</c>,
/// <c>input_cost_per_audio_token</c>, <c>cache_read_input_audio_token_cost</c>, <c>output_cost_per_audio_token</c>,
/// each optionally suffixed with <c>_above_{N}k_tokens</c> (a whole-request tier above N×1000 input tokens; any
/// number of thresholds) and/or <c>_batches</c>, <c>_priority</c>, <c>_flex</c> (service tiers);
/// <c>tiered_pricing</c> (<c>[{ "range": [from, to], …rates }]</c>: a range from 0 gives the base prices, every
/// other range a tier above its start); <c>search_context_cost_per_query</c> (USD per web search, the medium
/// context size, else the only one listed → <c>web_search</c> per-call price) and
/// <c>file_search_cost_per_1k_calls</c>; <c>max_input_tokens</c>, <c>litellm_provider</c> (normalized; a
/// matching <c>provider/</c> prefix is removed from the name), <c>mode</c>.</para>
/// <para>A tier that lacks a part takes the base price of that part when the base lists it (as LiteLLM bills),
/// else the <see cref="TokenRates"/> default within the tier. A tier applies strictly above its threshold, except
/// for xAI (<c>litellm_provider</c> <c>xai</c>), which bills it from the threshold itself.</para>
/// <para>Skipped (see <see cref="PriceLoadResult.Skipped"/>): modes other than chat, completion, responses and
/// embedding; entries without an input price (or, except embeddings, an output price); non-token output prices
/// (per image, per second, per character, video); unrecognized price fields; tier prices of a service tier without
/// base prices at that threshold; conflicting, negative or non-numeric prices; duplicates of an earlier (provider,
/// model). Image-token, audio cache-write, per-second input and similar prices are not represented (records are
/// priced as text tokens) and such entries are counted in <see cref="PriceLoadResult.NonTextPricesIgnored"/>.
/// <c>sample_spec</c> is ignored.</para>
/// <para>Prices are converted exactly in decimal and rounded to 10 decimals per million tokens, which removes
/// binary floating-point noise such as <c>1.5000000000000002e-06</c>.</para>
/// </remarks>
public static partial class LiteLlmPriceLoader
{
    private const string InputPart = "input_cost_per_token";
    private const string OutputPart = "output_cost_per_token";

    private static readonly string[] NonTextMarkers = ["audio", "image", "video", "per_second", "per_character", "per_query", "search_context", "per_request", "per_pixel", "per_page", "web_search", "file_search", "vector_store", "code_interpreter", "computer_use", "tool_use"];

    // Non-token output prices: a request's output cannot be told apart into them, so such entries are skipped.
    private static readonly string[] NonTokenOutputMarkers = ["per_image", "per_second", "per_character", "per_pixel", "per_video"];

    // Providers that bill a long-context tier from the threshold itself rather than strictly above it.
    private static readonly HashSet<string> InclusiveThresholdProviders = new(StringComparer.Ordinal) { "xai" };

    /// <summary>Loads a LiteLLM price file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The prices and the skipped entries.</returns>
    public static PriceLoadResult LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads a LiteLLM price document.</summary>
    /// <param name="utf8Json">The JSON document.</param>
    /// <returns>The prices and the skipped entries.</returns>
    /// <exception cref="FormatException">The document is not a JSON object.</exception>
    public static PriceLoadResult Load(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The LiteLLM price file is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("A LiteLLM price file must be a JSON object keyed by model name.");
            }

            var prices = new List<ModelPrice>();
            var skipped = new List<SkippedPriceEntry>();
            var seen = new HashSet<(string?, string)>();
            var nonText = 0;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "sample_spec")
                {
                    continue;
                }

                var (price, reason, hasNonText) = Convert(property.Name, property.Value);
                if (price is null)
                {
                    skipped.Add(new SkippedPriceEntry(property.Name, reason!));
                    continue;
                }

                if (!seen.Add((ProviderNames.Normalize(price.Provider), price.Model.ToLowerInvariant())))
                {
                    skipped.Add(new SkippedPriceEntry(property.Name, $"duplicate of an earlier entry for '{price.Model}' from '{price.Provider}'"));
                    continue;
                }

                prices.Add(price);
                nonText += hasNonText ? 1 : 0;
            }

            return new PriceLoadResult(prices, [], skipped, nonText);
        }
    }

    [GeneratedRegex(@"^(?<part>input_cost_per_token_cache_hit|input_cost_per_token|output_cost_per_token|output_cost_per_reasoning_token|cache_read_input_token_cost|cache_creation_input_token_cost_above_1hr|cache_creation_input_token_cost|input_cost_per_audio_token|cache_read_input_audio_token_cost|output_cost_per_audio_token)(?:_above_(?<k>\d+)k_tokens)?(?:_(?<tier>batches|priority|flex))?$", RegexOptions.CultureInvariant)]
    private static partial Regex PriceField();

    private static (ModelPrice? Price, string? Reason, bool NonText) Convert(string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return (null, "not a JSON object", false);
        }

        var mode = entry.TryGetProperty("mode", out var modeElement) && modeElement.ValueKind == JsonValueKind.String ? modeElement.GetString() : null;
        if (mode is not (null or "chat" or "completion" or "responses" or "embedding"))
        {
            return (null, $"unsupported mode '{mode}' (only chat, completion, responses and embedding are priced per token)", false);
        }

        // (service tier or "", threshold or 0) → part → price per million.
        var groups = new Dictionary<(string Tier, long Above), Dictionary<string, decimal>>();
        var tools = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        var nonText = false;
        foreach (var field in entry.EnumerateObject())
        {
            if (field.Name == "tiered_pricing")
            {
                if (ReadTieredPricing(field.Value, groups) is { } tieredError)
                {
                    return (null, tieredError, false);
                }

                continue;
            }

            if (field.Name == "search_context_cost_per_query")
            {
                if (SearchPrice(field.Value) is not { } perQuery)
                {
                    return (null, "'search_context_cost_per_query' is not an object of non-negative numbers", false);
                }

                tools["web_search"] = Normalize(perQuery * 1_000m);
                continue;
            }

            if (field.Name == "file_search_cost_per_1k_calls")
            {
                if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetDecimal(out var perThousand) || perThousand < 0)
                {
                    return (null, "'file_search_cost_per_1k_calls' is not a non-negative number", false);
                }

                tools["file_search"] = perThousand;
                continue;
            }

            if (!field.Name.Contains("cost", StringComparison.Ordinal))
            {
                continue;
            }

            var match = PriceField().Match(field.Name);
            if (!match.Success)
            {
                if (NonTextMarkers.Any(m => field.Name.Contains(m, StringComparison.Ordinal)))
                {
                    if (field.Name.StartsWith("output_", StringComparison.Ordinal) && !field.Name.EndsWith("_token", StringComparison.Ordinal)
                        && NonTokenOutputMarkers.Any(m => field.Name.Contains(m, StringComparison.Ordinal))
                        && field.Value.ValueKind == JsonValueKind.Number && field.Value.GetDouble() != 0)
                    {
                        return (null, $"prices non-token output ('{field.Name}'), which token counts cannot tell apart", false);
                    }

                    nonText = true;
                    continue;
                }

                return (null, $"unrecognized price field '{field.Name}'", false);
            }

            if (field.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (PerMillion(field.Value) is not { } perMillion)
            {
                return (null, field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetDecimal(out _) ? $"'{field.Name}' is negative" : $"'{field.Name}' is not a number", false);
            }

            var part = match.Groups["part"].Value;
            if (part == "input_cost_per_token_cache_hit")
            {
                part = "cache_read_input_token_cost";
            }

            var above = match.Groups["k"].Success ? long.Parse(match.Groups["k"].Value, CultureInfo.InvariantCulture) * 1_000 : 0;
            var tier = match.Groups["tier"].Success ? match.Groups["tier"].Value : string.Empty;
            if (Add(groups, (tier, above), part, perMillion) is { } conflict)
            {
                return (null, conflict, false);
            }
        }

        if (!groups.TryGetValue((string.Empty, 0), out var baseParts) || !baseParts.ContainsKey(InputPart))
        {
            return (null, "no input_cost_per_token", false);
        }

        var isEmbedding = mode == "embedding";
        if (!baseParts.ContainsKey(OutputPart) && !isEmbedding)
        {
            return (null, "no output_cost_per_token", false);
        }

        var provider = entry.TryGetProperty("litellm_provider", out var providerElement) && providerElement.ValueKind == JsonValueKind.String ? providerElement.GetString() : null;
        var inclusive = ProviderNames.Normalize(provider) is { } family && InclusiveThresholdProviders.Contains(family);
        var thresholds = groups.Keys.Where(k => k.Above > 0).Select(k => k.Above).Distinct().Order().ToArray();
        var tiers = new List<PriceTier>();
        foreach (var threshold in thresholds)
        {
            if (!groups.TryGetValue((string.Empty, threshold), out var tierParts))
            {
                return (null, $"service-tier prices above {threshold} input tokens without base prices above it", false);
            }

            tiers.Add(new PriceTier { AboveInputTokens = threshold, IncludesThreshold = inclusive, Rates = Rates(tierParts, baseParts) });
        }

        var model = name;
        if (provider is not null && ModelNames.StripPrefix(name, out var prefix) is { } unprefixed
            && (string.Equals(prefix, provider, StringComparison.OrdinalIgnoreCase) || ProviderNames.Normalize(prefix) == ProviderNames.Normalize(provider)))
        {
            model = unprefixed;
        }

        long? maxInput = entry.TryGetProperty("max_input_tokens", out var maxElement) && maxElement.ValueKind == JsonValueKind.Number && maxElement.TryGetInt64(out var max) && max > 0 ? max : null;
        var baseRates = Rates(baseParts, fallback: null);
        var price = new ModelPrice
        {
            Model = model,
            Provider = provider,
            MaxInputTokens = maxInput,
            Input = baseRates.Input,
            CachedInput = baseRates.CachedInput,
            CacheWrite = baseRates.CacheWrite,
            CacheWriteLongTtl = baseRates.CacheWriteLongTtl,
            Output = baseRates.Output,
            Reasoning = baseRates.Reasoning,
            InputAudio = baseRates.InputAudio,
            CachedInputAudio = baseRates.CachedInputAudio,
            OutputAudio = baseRates.OutputAudio,
            PerThousandServerToolCalls = tools.Count > 0 ? tools : null,
            LongContext = tiers.Count > 0 ? tiers[0] : null,
            AdditionalTiers = tiers.Count > 1 ? tiers.GetRange(1, tiers.Count - 1) : [],
            Batch = Variant(groups, "batches", thresholds, inclusive),
            Priority = Variant(groups, "priority", thresholds, inclusive),
            Flex = Variant(groups, "flex", thresholds, inclusive),
        };
        return (price, null, nonText);
    }

    private static string? Add(Dictionary<(string Tier, long Above), Dictionary<string, decimal>> groups, (string Tier, long Above) key, string part, decimal perMillion)
    {
        if (!groups.TryGetValue(key, out var parts))
        {
            parts = [];
            groups.Add(key, parts);
        }

        if (parts.TryGetValue(part, out var existing) && existing != perMillion)
        {
            return $"conflicting prices for '{part}'";
        }

        parts[part] = perMillion;
        return null;
    }

    // tiered_pricing: [{ "range": [from, to], "input_cost_per_token": …, … }]; the range from 0 holds base prices.
    private static string? ReadTieredPricing(JsonElement tiers, Dictionary<(string Tier, long Above), Dictionary<string, decimal>> groups)
    {
        if (tiers.ValueKind != JsonValueKind.Array)
        {
            return "'tiered_pricing' is not an array";
        }

        foreach (var tier in tiers.EnumerateArray())
        {
            if (tier.ValueKind != JsonValueKind.Object || !tier.TryGetProperty("range", out var range) || range.ValueKind != JsonValueKind.Array || range.GetArrayLength() < 1
                || range[0].ValueKind != JsonValueKind.Number || !range[0].TryGetDecimal(out var from) || from < 0 || from != decimal.Truncate(from))
            {
                return "a 'tiered_pricing' entry needs a \"range\" starting at a whole number of input tokens ≥ 0";
            }

            foreach (var field in tier.EnumerateObject())
            {
                if (field.Name == "range" || field.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                var match = PriceField().Match(field.Name);
                if (!match.Success || match.Groups["k"].Success || match.Groups["tier"].Success)
                {
                    return $"unrecognized price field '{field.Name}' in 'tiered_pricing'";
                }

                if (PerMillion(field.Value) is not { } perMillion)
                {
                    return $"'tiered_pricing' '{field.Name}' is not a non-negative number";
                }

                var part = match.Groups["part"].Value == "input_cost_per_token_cache_hit" ? "cache_read_input_token_cost" : match.Groups["part"].Value;
                if (Add(groups, (string.Empty, (long)from), part, perMillion) is { } conflict)
                {
                    return conflict;
                }
            }
        }

        return null;
    }

    private static decimal? SearchPrice(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetDecimal(out var single) && single >= 0 ? single : null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        decimal? medium = null, any = null;
        foreach (var size in value.EnumerateObject())
        {
            if (size.Value.ValueKind != JsonValueKind.Number || !size.Value.TryGetDecimal(out var perQuery) || perQuery < 0)
            {
                return null;
            }

            any ??= perQuery;
            if (size.Name == "search_context_size_medium")
            {
                medium = perQuery;
            }
        }

        return medium ?? any;
    }

    private static decimal? PerMillion(JsonElement value)
    {
        // Strings appear in some files ("5e-6"); numbers are the norm.
        decimal perToken;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
        {
            perToken = number;
        }
        else if (value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
        {
            perToken = parsed;
        }
        else
        {
            return null;
        }

        return perToken < 0 ? null : Normalize(Math.Round(perToken * 1_000_000m, 10, MidpointRounding.ToEven));
    }

    private static ServiceTierPrice? Variant(Dictionary<(string Tier, long Above), Dictionary<string, decimal>> groups, string tier, long[] thresholds, bool inclusive)
    {
        // A variant needs its own input and output prices; partial variants fall back to the base prices.
        if (!groups.TryGetValue((tier, 0), out var parts) || !parts.ContainsKey(InputPart) || !parts.ContainsKey(OutputPart))
        {
            return null;
        }

        var tiers = new List<PriceTier>();
        foreach (var threshold in thresholds)
        {
            if (groups.TryGetValue((tier, threshold), out var tierParts) && tierParts.ContainsKey(InputPart))
            {
                tiers.Add(new PriceTier { AboveInputTokens = threshold, IncludesThreshold = inclusive, Rates = Rates(tierParts, parts) });
            }
        }

        return new ServiceTierPrice { Rates = Rates(parts, fallback: null), LongContext = tiers.Count > 0 ? tiers[0] : null, AdditionalTiers = tiers.Count > 1 ? tiers.GetRange(1, tiers.Count - 1) : [] };
    }

    // A tier's missing part takes the base price of that part when the base lists it (LiteLLM's rule).
    private static TokenRates Rates(Dictionary<string, decimal> parts, Dictionary<string, decimal>? fallback) => new()
    {
        Input = Part(parts, fallback, InputPart) ?? 0m,
        Output = Part(parts, fallback, OutputPart) ?? 0m,
        CachedInput = Part(parts, fallback, "cache_read_input_token_cost"),
        CacheWrite = Part(parts, fallback, "cache_creation_input_token_cost"),
        CacheWriteLongTtl = Part(parts, fallback, "cache_creation_input_token_cost_above_1hr"),
        Reasoning = Part(parts, fallback, "output_cost_per_reasoning_token"),
        InputAudio = Part(parts, fallback, "input_cost_per_audio_token"),
        CachedInputAudio = Part(parts, fallback, "cache_read_input_audio_token_cost"),
        OutputAudio = Part(parts, fallback, "output_cost_per_audio_token"),
    };

    private static decimal? Part(Dictionary<string, decimal> parts, Dictionary<string, decimal>? fallback, string name) =>
        parts.TryGetValue(name, out var value) ? value : fallback is not null && fallback.TryGetValue(name, out var inherited) ? inherited : null;

    // Removes trailing zeros (1.2500000000 → 1.25) so prices print as published.
    private static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;
}
