using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="JsonLinesUsageSink"/> on the token accounting builder.</summary>
public static class JsonLinesTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Adds the JSON-lines ledger sink (by default daily files <c>usage-ledger/usage-{date}.jsonl</c> under the current
    /// directory) and, unless an <see cref="IUsageQuery"/> is registered already (another ledger added first, or your
    /// own), a <see cref="JsonLinesUsageQuery"/> over the sink's folder, so the spend API and the dashboard work over the
    /// embedded ledger. It uses the <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> from DI when present.
    /// Each call adds one more sink; give each its own <see cref="JsonLinesUsageSinkOptions.PathTemplate"/> folder (the
    /// query reads the first one's).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddTokenAccounting()</c>.</param>
    /// <param name="configure">Configures the options; validated immediately.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static ITokenAccountingBuilder AddJsonLinesSink(this ITokenAccountingBuilder builder, Action<JsonLinesUsageSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new JsonLinesUsageSinkOptions();
        configure?.Invoke(options);
        options.Validate();

        // One sink per call, keyed by this registration, so that the query reads the folder of exactly this sink (its
        // relative template is resolved when the sink is created). Not TryAdd for the sink: several sinks may be
        // registered side by side. The container disposes the sink (closing its files).
        var key = new object();
        var services = builder.Services;
        services.AddKeyedSingleton(key, (sp, _) => new JsonLinesUsageSink(
            options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>()?.CreateLogger<JsonLinesUsageSink>()));
        services.AddSingleton<IUsageSink>(sp => sp.GetRequiredKeyedService<JsonLinesUsageSink>(key));
        services.TryAddSingleton<IUsageQuery>(sp => new JsonLinesUsageQuery(sp.GetRequiredKeyedService<JsonLinesUsageSink>(key).DirectoryPath));
        return builder;
    }
}
