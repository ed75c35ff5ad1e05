using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace TokenAccounting;

/// <summary>
/// Reads pricing from configuration: <c>IncludeBuiltIn</c>, <c>GenAiPricesFilePath</c>, <c>LiteLlmFilePath</c>, and <c>Models</c> — a list (or
/// an object keyed by model name) of prices in USD per million tokens with the property names of
/// <see cref="ModelPrice"/>.
/// </summary>
internal static class PricingConfiguration
{
    public static void Apply(IConfiguration section, PricingOptions options)
    {
        if (section["IncludeBuiltIn"] is { } includeBuiltIn)
        {
            options.IncludeBuiltIn = bool.TryParse(includeBuiltIn, out var include)
                ? include
                : throw new InvalidOperationException($"{Path(section, "IncludeBuiltIn")} must be true or false (was '{includeBuiltIn}').");
        }

        if (section["GenAiPricesFilePath"] is { Length: > 0 } genAiPath)
        {
            options.GenAiPricesFilePath = genAiPath;
        }

        if (section["LiteLlmFilePath"] is { Length: > 0 } path)
        {
            options.LiteLlmFilePath = path;
        }

        foreach (var child in section.GetSection("Models").GetChildren())
        {
            options.Overrides.Add(ReadPrice(child));
        }
    }

    private static ModelPrice ReadPrice(IConfigurationSection section)
    {
        var model = section["Model"];
        if (string.IsNullOrWhiteSpace(model))
        {
            model = int.TryParse(section.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _)
                ? throw new InvalidOperationException($"{section.Path}:Model is required (the model name, for example \"gpt-4o\").")
                : section.Key;
        }

        try
        {
            return new ModelPrice
            {
                Model = model,
                Provider = section["Provider"] is { Length: > 0 } provider ? provider : null,
                EffectiveFrom = Date(section, "EffectiveFrom"),
                MaxInputTokens = Long(section, "MaxInputTokens"),
                Input = Required(section, "Input"),
                CachedInput = Decimal(section, "CachedInput"),
                CacheWrite = Decimal(section, "CacheWrite"),
                CacheWriteLongTtl = Decimal(section, "CacheWriteLongTtl"),
                Output = Decimal(section, "Output") ?? 0m,
                Reasoning = Decimal(section, "Reasoning"),
                LongContext = Tier(section.GetSection("LongContext")),
                Batch = Service(section.GetSection("Batch")),
                Priority = Service(section.GetSection("Priority")),
                Flex = Service(section.GetSection("Flex")),
            };
        }
        catch (ArgumentException ex)
        {
            throw new InvalidOperationException($"{section.Path}: {ex.Message}", ex);
        }
    }

    private static ServiceTierPrice? Service(IConfigurationSection section) =>
        section.Exists() ? new ServiceTierPrice { Rates = Rates(section), LongContext = Tier(section.GetSection("LongContext")) } : null;

    private static PriceTier? Tier(IConfigurationSection section) =>
        section.Exists()
            ? new PriceTier
            {
                AboveInputTokens = Long(section, "AboveInputTokens") ?? throw new InvalidOperationException($"{section.Path}:AboveInputTokens is required (the input-token threshold of the tier)."),
                Rates = Rates(section),
            }
            : null;

    private static TokenRates Rates(IConfigurationSection section) => new()
    {
        Input = Required(section, "Input"),
        CachedInput = Decimal(section, "CachedInput"),
        CacheWrite = Decimal(section, "CacheWrite"),
        CacheWriteLongTtl = Decimal(section, "CacheWriteLongTtl"),
        Output = Decimal(section, "Output") ?? 0m,
        Reasoning = Decimal(section, "Reasoning"),
    };

    private static decimal Required(IConfigurationSection section, string key) =>
        Decimal(section, key) ?? throw new InvalidOperationException($"{Path(section, key)} is required (a price in USD per million tokens).");

    private static decimal? Decimal(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return decimal.TryParse(text, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"{Path(section, key)} must be a number in USD per million tokens (was '{text}').");
    }

    private static long? Long(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"{Path(section, key)} must be a whole number (was '{text}').");
    }

    private static DateTimeOffset? Date(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value
            : throw new InvalidOperationException($"{Path(section, key)} must be an ISO 8601 date such as 2026-01-01 (UTC) (was '{text}').");
    }

    private static string Path(IConfiguration section, string key) => section is IConfigurationSection s ? $"{s.Path}:{key}" : key;
}
