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
/// <c>cache_creation_input_token_cost_above_1hr</c>, <c>output_cost_per_reasoning_token</c>, each optionally
/// suffixed with <c>_above_{N}k_tokens</c> (a whole-request tier above N×1000 input tokens) and/or
/// <c>_batches</c>, <c>_priority</c>, <c>_flex</c> (service tiers); <c>max_input_tokens</c>, <c>litellm_provider</c>
/// (normalized; a matching <c>provider/</c> prefix is removed from the name), <c>mode</c>.</para>
/// <para>Skipped (see <see cref="LiteLlmLoadResult.Skipped"/>): modes other than chat, completion, responses and
/// embedding; entries without <c>input_cost_per_token</c> (or, except embeddings, <c>output_cost_per_token</c>);
/// non-text output prices (audio, image, video, per second); unrecognized price fields; more than one long-context
/// threshold; a long-context tier that lacks input/output or a part the base price lists; conflicting, negative or
/// non-numeric prices; duplicates of an earlier (provider, model). <c>sample_spec</c> is ignored.</para>
/// <para>Prices are converted exactly in decimal and rounded to 10 decimals per million tokens, which removes
/// binary floating-point noise such as <c>1.5000000000000002e-06</c>.</para>
/// </remarks>
public static partial class LiteLlmPriceLoader
{
    private static readonly string[] NonTextMarkers = ["audio", "image", "video", "per_second", "per_character", "per_query", "search_context", "per_request", "per_pixel", "per_page", "web_search", "file_search", "vector_store", "code_interpreter", "computer_use", "tool_use"];

    /// <summary>Loads a LiteLLM price file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>The prices and the skipped entries.</returns>
    public static LiteLlmLoadResult LoadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Loads a LiteLLM price document.</summary>
    /// <param name="utf8Json">The JSON document.</param>
    /// <returns>The prices and the skipped entries.</returns>
    /// <exception cref="FormatException">The document is not a JSON object.</exception>
    public static LiteLlmLoadResult Load(Stream utf8Json)
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

            return new LiteLlmLoadResult(prices, skipped, nonText);
        }
    }

    [GeneratedRegex(@"^(?<part>input_cost_per_token_cache_hit|input_cost_per_token|output_cost_per_token|output_cost_per_reasoning_token|cache_read_input_token_cost|cache_creation_input_token_cost_above_1hr|cache_creation_input_token_cost)(?:_above_(?<k>\d+)k_tokens)?(?:_(?<tier>batches|priority|flex))?$", RegexOptions.CultureInvariant)]
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
        var nonText = false;
        foreach (var field in entry.EnumerateObject())
        {
            if (!field.Name.Contains("cost", StringComparison.Ordinal))
            {
                continue;
            }

            var match = PriceField().Match(field.Name);
            if (!match.Success)
            {
                if (NonTextMarkers.Any(m => field.Name.Contains(m, StringComparison.Ordinal)))
                {
                    if (field.Name.StartsWith("output_", StringComparison.Ordinal) && field.Value.ValueKind == JsonValueKind.Number && field.Value.GetDouble() != 0)
                    {
                        return (null, $"prices non-text output ('{field.Name}'), which token counts cannot tell apart", false);
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

            if (field.Value.ValueKind != JsonValueKind.Number || !field.Value.TryGetDecimal(out var perToken))
            {
                return (null, $"'{field.Name}' is not a number", false);
            }

            if (perToken < 0)
            {
                return (null, $"'{field.Name}' is negative", false);
            }

            var part = match.Groups["part"].Value;
            if (part == "input_cost_per_token_cache_hit")
            {
                part = "cache_read_input_token_cost";
            }

            var above = match.Groups["k"].Success ? long.Parse(match.Groups["k"].Value, CultureInfo.InvariantCulture) * 1_000 : 0;
            var tier = match.Groups["tier"].Success ? match.Groups["tier"].Value : string.Empty;
            if (!groups.TryGetValue((tier, above), out var parts))
            {
                parts = [];
                groups.Add((tier, above), parts);
            }

            var perMillion = Normalize(Math.Round(perToken * 1_000_000m, 10, MidpointRounding.ToEven));
            if (parts.TryGetValue(part, out var existing) && existing != perMillion)
            {
                return (null, $"conflicting prices for '{part}'", false);
            }

            parts[part] = perMillion;
        }

        if (!groups.TryGetValue((string.Empty, 0), out var baseParts) || !baseParts.ContainsKey("input_cost_per_token"))
        {
            return (null, "no input_cost_per_token", false);
        }

        var isEmbedding = mode == "embedding";
        if (!baseParts.ContainsKey("output_cost_per_token") && !isEmbedding)
        {
            return (null, "no output_cost_per_token", false);
        }

        var thresholds = groups.Keys.Where(k => k.Above > 0).Select(k => k.Above).Distinct().ToArray();
        if (thresholds.Length > 1)
        {
            return (null, $"more than one long-context threshold ({string.Join(", ", thresholds)} input tokens)", false);
        }

        PriceTier? longContext = null;
        if (thresholds.Length == 1)
        {
            if (!groups.TryGetValue((string.Empty, thresholds[0]), out var tierParts))
            {
                return (null, $"service-tier prices above {thresholds[0]} input tokens without base prices above it", false);
            }

            var missing = MissingTierPart(baseParts, tierParts, isEmbedding);
            if (missing is not null)
            {
                return (null, $"the long-context tier above {thresholds[0]} input tokens lacks '{missing}'", false);
            }

            longContext = new PriceTier { AboveInputTokens = thresholds[0], Rates = Rates(tierParts) };
        }

        var provider = entry.TryGetProperty("litellm_provider", out var providerElement) && providerElement.ValueKind == JsonValueKind.String ? providerElement.GetString() : null;
        var model = name;
        if (provider is not null && ModelNames.StripPrefix(name, out var prefix) is { } unprefixed
            && (string.Equals(prefix, provider, StringComparison.OrdinalIgnoreCase) || ProviderNames.Normalize(prefix) == ProviderNames.Normalize(provider)))
        {
            model = unprefixed;
        }

        long? maxInput = entry.TryGetProperty("max_input_tokens", out var maxElement) && maxElement.ValueKind == JsonValueKind.Number && maxElement.TryGetInt64(out var max) && max > 0 ? max : null;
        var baseRates = Rates(baseParts);
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
            LongContext = longContext,
            Batch = Variant(groups, "batches", thresholds),
            Priority = Variant(groups, "priority", thresholds),
            Flex = Variant(groups, "flex", thresholds),
        };
        return (price, null, nonText);
    }

    private static string? MissingTierPart(Dictionary<string, decimal> baseParts, Dictionary<string, decimal> tierParts, bool isEmbedding)
    {
        if (!tierParts.ContainsKey("input_cost_per_token"))
        {
            return "input_cost_per_token";
        }

        if (!isEmbedding && !tierParts.ContainsKey("output_cost_per_token"))
        {
            return "output_cost_per_token";
        }

        return baseParts.Keys.FirstOrDefault(part => !tierParts.ContainsKey(part));
    }

    private static ServiceTierPrice? Variant(Dictionary<(string Tier, long Above), Dictionary<string, decimal>> groups, string tier, long[] thresholds)
    {
        // A variant needs its own input and output prices; partial variants fall back to the base prices.
        if (!groups.TryGetValue((tier, 0), out var parts) || !parts.ContainsKey("input_cost_per_token") || !parts.ContainsKey("output_cost_per_token"))
        {
            return null;
        }

        PriceTier? longContext = null;
        if (thresholds.Length == 1 && groups.TryGetValue((tier, thresholds[0]), out var tierParts)
            && tierParts.ContainsKey("input_cost_per_token") && tierParts.ContainsKey("output_cost_per_token") && parts.Keys.All(tierParts.ContainsKey))
        {
            longContext = new PriceTier { AboveInputTokens = thresholds[0], Rates = Rates(tierParts) };
        }

        return new ServiceTierPrice { Rates = Rates(parts), LongContext = longContext };
    }

    private static TokenRates Rates(Dictionary<string, decimal> parts) => new()
    {
        Input = parts["input_cost_per_token"],
        Output = parts.TryGetValue("output_cost_per_token", out var output) ? output : 0m,
        CachedInput = Part(parts, "cache_read_input_token_cost"),
        CacheWrite = Part(parts, "cache_creation_input_token_cost"),
        CacheWriteLongTtl = Part(parts, "cache_creation_input_token_cost_above_1hr"),
        Reasoning = Part(parts, "output_cost_per_reasoning_token"),
    };

    private static decimal? Part(Dictionary<string, decimal> parts, string name) => parts.TryGetValue(name, out var value) ? value : null;

    // Removes trailing zeros (1.2500000000 → 1.25) so prices print as published.
    private static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;
}
