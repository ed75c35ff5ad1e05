using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>Reads the built-in catalog's JSON format (prices in USD per million tokens).</summary>
internal static class PriceCatalogJson
{
    public static (List<ModelPrice> Prices, DateTimeOffset? AsOf) Read(Stream utf8Json)
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

        return (prices, asOf);
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
                LongContext = ReadTier(entry, $"{where}.longContext"),
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

        return new ServiceTierPrice { Rates = ReadRates(tier, $"{where}.{name}"), LongContext = ReadTier(tier, $"{where}.{name}.longContext") };
    }

    private static PriceTier? ReadTier(JsonElement parent, string where)
    {
        if (!parent.TryGetProperty("longContext", out var tier) || tier.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (!tier.TryGetProperty("aboveInputTokens", out var above) || above.ValueKind != JsonValueKind.Number)
        {
            throw new FormatException($"{where}: \"aboveInputTokens\" (a number) is required.");
        }

        return new PriceTier { AboveInputTokens = above.GetInt64(), Rates = ReadRates(tier, where) };
    }

    private static TokenRates ReadRates(JsonElement element, string where) => new()
    {
        Input = RequiredDecimal(element, "input", where),
        CachedInput = OptionalDecimal(element, "cachedInput", where),
        CacheWrite = OptionalDecimal(element, "cacheWrite", where),
        CacheWriteLongTtl = OptionalDecimal(element, "cacheWriteLongTtl", where),
        Output = OptionalDecimal(element, "output", where) ?? 0m,
        Reasoning = OptionalDecimal(element, "reasoning", where),
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
