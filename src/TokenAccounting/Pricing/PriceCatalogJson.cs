using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>Reads the built-in catalog's JSON format (prices in USD per million tokens).</summary>
internal static class PriceCatalogJson
{
    public sealed record CatalogDocument(List<ModelPrice> Prices, DateTimeOffset? AsOf, List<PriceProvider> Providers, Dictionary<string, IReadOnlyDictionary<string, decimal>> ToolDefaults);

    public static (List<ModelPrice> Prices, DateTimeOffset? AsOf) Read(Stream utf8Json)
    {
        var document = ReadDocument(utf8Json);
        return (document.Prices, document.AsOf);
    }

    public static CatalogDocument ReadDocument(Stream utf8Json)
    {
        using var document = ParseDocument(utf8Json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("A price catalog must be a JSON object with a \"models\" array.");
        }

        DateTimeOffset? asOf = root.TryGetProperty("asOf", out var asOfElement) ? ParseDate(asOfElement, "asOf") : null;
        if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("A price catalog must have a \"models\" array.");
        }

        var prices = new List<ModelPrice>();
        var index = 0;
        foreach (var entry in models.EnumerateArray())
        {
            var where = $"models[{index++}]";
            var model = RequiredString(entry, "model", where);
            where = $"{where} ('{model}')";
            var price = ReadPrice(entry, model, where);
            prices.Add(price);
            if (entry.TryGetProperty("aliases", out var aliases))
            {
                foreach (var alias in aliases.EnumerateArray())
                {
                    prices.Add(ReadPrice(entry, alias.GetString() ?? throw new FormatException($"{where}: aliases must be strings."), where));
                }
            }
        }

        var providers = new List<PriceProvider>();
        if (root.TryGetProperty("providers", out var providerArray) && providerArray.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var provider in providerArray.EnumerateArray())
            {
                var where = $"providers[{i++}]";
                try
                {
                    providers.Add(new PriceProvider
                    {
                        Name = RequiredString(provider, "name", where),
                        ModelMatch = provider.TryGetProperty("modelMatch", out var modelMatch) ? GenAiPricesLoader.ReadMatch(modelMatch) : null,
                        ProviderMatch = provider.TryGetProperty("providerMatch", out var providerMatch) ? GenAiPricesLoader.ReadMatch(providerMatch) : null,
                        Fallbacks = provider.TryGetProperty("fallbacks", out var fallbacks) && fallbacks.ValueKind == JsonValueKind.Array
                            ? [.. fallbacks.EnumerateArray().Select(f => f.GetString()).OfType<string>()]
                            : [],
                    });
                }
                catch (ArgumentException ex)
                {
                    throw new FormatException($"{where}: {ex.Message}", ex);
                }
            }
        }

        // "providerDefaults": { "anthropic": { "perThousandServerToolCalls": { "web_search": 10 } } } — for every price of the provider without its own.
        var toolDefaults = new Dictionary<string, IReadOnlyDictionary<string, decimal>>(StringComparer.Ordinal);
        if (root.TryGetProperty("providerDefaults", out var defaults) && defaults.ValueKind == JsonValueKind.Object)
        {
            foreach (var provider in defaults.EnumerateObject())
            {
                if (ReadToolPrices(provider.Value, $"providerDefaults.{provider.Name}") is { } tools)
                {
                    toolDefaults[ProviderNames.Normalize(provider.Name)!] = tools;
                }
            }
        }

        return new CatalogDocument(prices, asOf, providers, toolDefaults);
    }

    /// <summary>Gives prices of a provider with a default its own <see cref="ModelPrice.PerThousandServerToolCalls"/> (when it has none).</summary>
    public static List<ModelPrice> ApplyToolDefaults(IEnumerable<ModelPrice> prices, Dictionary<string, IReadOnlyDictionary<string, decimal>> toolDefaults) =>
        [.. prices.Select(p => p.PerThousandServerToolCalls is null && ProviderNames.Normalize(p.Provider) is { } family && toolDefaults.TryGetValue(family, out var tools)
            ? ModelPriceCopy.With(p, serverToolCalls: tools)
            : p)];

    private static Dictionary<string, decimal>? ReadToolPrices(JsonElement element, string where)
    {
        if (!element.TryGetProperty("perThousandServerToolCalls", out var tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tools.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{where}.perThousandServerToolCalls must be an object of tool name → USD per 1,000 calls.");
        }

        var prices = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        foreach (var tool in tools.EnumerateObject())
        {
            prices[tool.Name] = OptionalDecimal(tools, tool.Name, $"{where}.perThousandServerToolCalls") ?? 0m;
        }

        return prices;
    }

    private static JsonDocument ParseDocument(Stream utf8Json)
    {
        try
        {
            return JsonDocument.Parse(utf8Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The price catalog is not valid JSON: {ex.Message}", ex);
        }
    }

    private static ModelPrice ReadPrice(JsonElement entry, string model, string where)
    {
        try
        {
            return new ModelPrice
            {
                Model = model,
                Provider = OptionalString(entry, "provider"),
                EffectiveFrom = entry.TryGetProperty("effectiveFrom", out var from) && from.ValueKind != JsonValueKind.Null ? ParseDate(from, $"{where}.effectiveFrom") : null,
                MaxInputTokens = entry.TryGetProperty("maxInputTokens", out var max) && max.ValueKind == JsonValueKind.Number ? max.GetInt64() : null,
                Input = RequiredDecimal(entry, "input", where),
                CachedInput = OptionalDecimal(entry, "cachedInput", where),
                CacheWrite = OptionalDecimal(entry, "cacheWrite", where),
                CacheWriteLongTtl = OptionalDecimal(entry, "cacheWriteLongTtl", where),
                Output = OptionalDecimal(entry, "output", where) ?? 0m,
                Reasoning = OptionalDecimal(entry, "reasoning", where),
                InputAudio = OptionalDecimal(entry, "inputAudio", where),
                CachedInputAudio = OptionalDecimal(entry, "cachedInputAudio", where),
                OutputAudio = OptionalDecimal(entry, "outputAudio", where),
                PerThousandRequests = OptionalDecimal(entry, "perThousandRequests", where),
                PerThousandServerToolCalls = ReadToolPrices(entry, where),
                Match = entry.TryGetProperty("match", out var match) && match.ValueKind != JsonValueKind.Null ? GenAiPricesLoader.ReadMatch(match) : null,
                LongContext = ReadTier(entry, $"{where}.longContext"),
                AdditionalTiers = ReadTiers(entry, $"{where}.additionalTiers"),
                TimeOfDay = ReadWindows(entry, $"{where}.timeOfDay"),
                Batch = ReadServiceTier(entry, "batch", where),
                Priority = ReadServiceTier(entry, "priority", where),
                Flex = ReadServiceTier(entry, "flex", where),
            };
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{where}: {ex.Message}", ex);
        }
    }

    private static ServiceTierPrice? ReadServiceTier(JsonElement entry, string name, string where)
    {
        if (!entry.TryGetProperty(name, out var tier) || tier.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return new ServiceTierPrice
        {
            Rates = ReadRates(tier, $"{where}.{name}"),
            LongContext = ReadTier(tier, $"{where}.{name}.longContext"),
            AdditionalTiers = ReadTiers(tier, $"{where}.{name}.additionalTiers"),
        };
    }

    private static PriceTier? ReadTier(JsonElement parent, string where) =>
        parent.TryGetProperty("longContext", out var tier) && tier.ValueKind != JsonValueKind.Null ? ReadTierObject(tier, where) : null;

    private static List<PriceTier> ReadTiers(JsonElement parent, string where)
    {
        if (!parent.TryGetProperty("additionalTiers", out var tiers) || tiers.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (tiers.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{where} must be an array of tiers.");
        }

        var i = 0;
        return [.. tiers.EnumerateArray().Select(t => ReadTierObject(t, $"{where}[{i++}]"))];
    }

    private static PriceTier ReadTierObject(JsonElement tier, string where)
    {
        if (!tier.TryGetProperty("aboveInputTokens", out var above) || above.ValueKind != JsonValueKind.Number)
        {
            throw new FormatException($"{where}: \"aboveInputTokens\" (a number) is required.");
        }

        var inclusive = tier.TryGetProperty("includesThreshold", out var includes) && includes.ValueKind == JsonValueKind.True;
        return new PriceTier { AboveInputTokens = above.GetInt64(), IncludesThreshold = inclusive, Rates = ReadRates(tier, where) };
    }

    private static List<TimeOfDayPrice> ReadWindows(JsonElement parent, string where)
    {
        if (!parent.TryGetProperty("timeOfDay", out var windows) || windows.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (windows.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{where} must be an array of windows.");
        }

        var list = new List<TimeOfDayPrice>();
        var i = 0;
        foreach (var window in windows.EnumerateArray())
        {
            var at = $"{where}[{i++}]";
            list.Add(new TimeOfDayPrice { Start = ReadTime(window, "start", at), End = ReadTime(window, "end", at), Rates = ReadRates(window, at) });
        }

        return list;
    }

    private static TimeOnly ReadTime(JsonElement element, string name, string where)
    {
        var text = OptionalString(element, name);
        if (text is not null && text.EndsWith('Z'))
        {
            text = text[..^1];
        }

        return text is not null && TimeOnly.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new FormatException($"{where}: \"{name}\" must be a UTC time of day such as \"16:30\".");
    }

    private static TokenRates ReadRates(JsonElement element, string where) => new()
    {
        Input = RequiredDecimal(element, "input", where),
        CachedInput = OptionalDecimal(element, "cachedInput", where),
        CacheWrite = OptionalDecimal(element, "cacheWrite", where),
        CacheWriteLongTtl = OptionalDecimal(element, "cacheWriteLongTtl", where),
        Output = OptionalDecimal(element, "output", where) ?? 0m,
        Reasoning = OptionalDecimal(element, "reasoning", where),
        InputAudio = OptionalDecimal(element, "inputAudio", where),
        CachedInputAudio = OptionalDecimal(element, "cachedInputAudio", where),
        OutputAudio = OptionalDecimal(element, "outputAudio", where),
    };

    private static string RequiredString(JsonElement element, string name, string where) =>
        OptionalString(element, name) ?? throw new FormatException($"{where}: \"{name}\" (a non-empty string) is required.");

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()) ? value.GetString() : null;

    private static decimal RequiredDecimal(JsonElement element, string name, string where) =>
        OptionalDecimal(element, name, where) ?? throw new FormatException($"{where}: \"{name}\" (a price in USD per million tokens) is required.");

    private static decimal? OptionalDecimal(JsonElement element, string name, string where)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var d))
        {
            throw new FormatException($"{where}: \"{name}\" must be a number (USD per million tokens).");
        }

        return d;
    }

    private static DateTimeOffset ParseDate(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date))
        {
            return date;
        }

        throw new FormatException($"{where}: expected an ISO 8601 date such as \"2025-11-24\" (UTC).");
    }
}
