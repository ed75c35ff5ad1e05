using Microsoft.Extensions.Logging;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="JsonLinesUsageSink"/> on the token accounting builder.</summary>
public static class JsonLinesTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Adds the JSON-lines ledger sink (by default daily files <c>usage-ledger/usage-{date}.jsonl</c> under the current
    /// directory). It uses the <see cref="TimeProvider"/> and <see cref="ILoggerFactory"/> from DI when present. Each
    /// call adds one more sink; give each its own <see cref="JsonLinesUsageSinkOptions.PathTemplate"/> folder.
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

        // Not TryAdd: several sinks may be registered side by side. The container disposes the sink (closing its files).
        builder.Services.AddSingleton<IUsageSink>(sp => new JsonLinesUsageSink(
            options,
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>()?.CreateLogger<JsonLinesUsageSink>()));
        return builder;
    }
}
