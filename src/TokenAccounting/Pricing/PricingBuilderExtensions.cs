using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers pricing on the <see cref="ITokenAccountingBuilder"/>.</summary>
public static partial class PricingBuilderExtensions
{
    /// <summary>
    /// Prices records with the built-in catalog. Registers <see cref="IPriceCatalog"/> (a <see cref="PriceCatalog"/>)
    /// and <see cref="PricingDiagnostics"/> with <c>TryAdd</c>: an <see cref="IPriceCatalog"/> you registered first wins.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddPricing(this ITokenAccountingBuilder builder) => builder.AddPricing(static _ => { });

    /// <summary>Prices records with the built-in catalog and the given prices on top.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="overrides">Prices that replace built-in prices of the same model and provider.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddPricing(this ITokenAccountingBuilder builder, params ModelPrice[] overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return builder.AddPricing(options =>
        {
            foreach (var price in overrides)
            {
                options.Overrides.Add(price);
            }
        });
    }

    /// <summary>Prices records with the catalog described by <see cref="PricingOptions"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the layers (built-in, LiteLLM file, overrides).</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddPricing(this ITokenAccountingBuilder builder, Action<PricingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<PricingOptions>().Configure(configure);
        builder.Services.TryAddSingleton<IPriceCatalog>(static sp => BuildCatalog(
            sp.GetRequiredService<IOptions<PricingOptions>>().Value,
            sp.GetService<ILoggerFactory>()?.CreateLogger("TokenAccounting.Pricing") ?? NullLogger.Instance));
        builder.Services.TryAddSingleton(static sp => sp.GetRequiredService<IPriceCatalog>() is PriceCatalog catalog ? catalog.Diagnostics : new PricingDiagnostics());
        return builder;
    }

    /// <summary>
    /// Prices records with the catalog described by a configuration section: <c>IncludeBuiltIn</c> (bool),
    /// <c>GenAiPricesFilePath</c>, <c>LiteLlmFilePath</c>, and <c>Models</c>, a list (or an object keyed by model name) of prices in USD per
    /// million tokens named like <see cref="ModelPrice"/>'s properties (<c>Provider</c>, <c>Model</c>, <c>Input</c>,
    /// <c>CachedInput</c>, <c>CacheWrite</c>, <c>CacheWriteLongTtl</c>, <c>Output</c>, <c>Reasoning</c>,
    /// <c>EffectiveFrom</c>, <c>MaxInputTokens</c>, <c>LongContext</c>, <c>Batch</c>, <c>Priority</c>, <c>Flex</c>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="section">The configuration section, for example <c>configuration.GetSection("TokenAccounting:Pricing")</c>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">On first use, when a value is invalid; the message names the configuration key.</exception>
    public static ITokenAccountingBuilder AddPricing(this ITokenAccountingBuilder builder, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return builder.AddPricing(options => PricingConfiguration.Apply(section, options));
    }

    /// <summary>Prices records with a LiteLLM <c>model_prices_and_context_window.json</c> file (on top of the built-in catalog when <paramref name="includeBuiltIn"/>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="filePath">The file's path.</param>
    /// <param name="includeBuiltIn">Whether the built-in catalog stays below the file's prices.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddLiteLlmPricing(this ITokenAccountingBuilder builder, string filePath, bool includeBuiltIn = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return builder.AddPricing(options =>
        {
            options.LiteLlmFilePath = filePath;
            options.IncludeBuiltIn = includeBuiltIn;
        });
    }

    /// <summary>
    /// Prices records with a genai-prices data file (<c>prices/data.json</c> of pydantic/genai-prices, for example a
    /// newer one than the built-in catalog's), on top of the built-in catalog when <paramref name="includeBuiltIn"/>.
    /// Its prices replace built-in prices of the same model and provider, and its provider rules replace theirs.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="filePath">The file's path.</param>
    /// <param name="includeBuiltIn">Whether the built-in catalog stays below the file's prices.</param>
    /// <returns>The builder.</returns>
    public static ITokenAccountingBuilder AddGenAiPrices(this ITokenAccountingBuilder builder, string filePath, bool includeBuiltIn = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        return builder.AddPricing(options =>
        {
            options.GenAiPricesFilePath = filePath;
            options.IncludeBuiltIn = includeBuiltIn;
        });
    }

    private static PriceCatalog BuildCatalog(PricingOptions options, ILogger logger)
    {
        var catalog = options.IncludeBuiltIn ? PriceCatalog.BuiltIn : PriceCatalog.Empty;
        if (options.GenAiPricesFilePath is { } genAiPath)
        {
            var loaded = GenAiPricesLoader.LoadFile(genAiPath);
            if (loaded.Skipped.Count > 0)
            {
                LogSkippedGenAi(
                    logger,
                    genAiPath,
                    loaded.Prices.Count,
                    loaded.Skipped.Count,
                    string.Join("; ", loaded.Skipped.Take(5).Select(s => $"{s.Name}: {s.Reason}")));
            }

            catalog = catalog.WithOverrides(loaded.ToCatalog());
        }

        if (options.LiteLlmFilePath is { } path)
        {
            var loaded = LiteLlmPriceLoader.LoadFile(path);
            if (loaded.Skipped.Count > 0)
            {
                LogSkipped(
                    logger,
                    path,
                    loaded.Prices.Count,
                    loaded.Skipped.Count,
                    string.Join("; ", loaded.Skipped.Take(5).Select(s => $"{s.Name}: {s.Reason}")));
            }

            catalog = catalog.WithOverrides(loaded.Prices);
        }

        // A fresh catalog even without overrides, so its diagnostics belong to this container only.
        return PriceCatalog.Create(catalog.Prices, catalog.AsOf, catalog.Providers).WithOverrides(options.Overrides);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "LiteLLM price file {Path}: loaded {Loaded} prices, skipped {Skipped} entries it cannot represent exactly (first: {First}).")]
    private static partial void LogSkipped(ILogger logger, string path, int loaded, int skipped, string first);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "genai-prices file {Path}: loaded {Loaded} prices, skipped {Skipped} models it cannot represent exactly (first: {First}).")]
    private static partial void LogSkippedGenAi(ILogger logger, string path, int loaded, int skipped, string first);
}
