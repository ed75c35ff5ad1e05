using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="LoggingUsageSink"/> on the token accounting builder.</summary>
public static class LoggingTokenAccountingBuilderExtensions
{
    /// <summary>
    /// Adds a sink that writes one structured log event per record through the <see cref="ILoggerFactory"/> from
    /// DI (category <see cref="LoggingUsageSinkOptions.CategoryName"/>). Each call adds one more sink.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddTokenAccounting()</c>.</param>
    /// <param name="configure">Configures the options; validated immediately.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static ITokenAccountingBuilder AddLoggingSink(this ITokenAccountingBuilder builder, Action<LoggingUsageSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new LoggingUsageSinkOptions();
        configure?.Invoke(options);
        options.Validate();

        // Not TryAdd: several sinks (and several sinks of one kind) may be registered side by side.
        builder.Services.AddSingleton<IUsageSink>(sp => new LoggingUsageSink(
            (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(options.CategoryName),
            options));
        return builder;
    }
}
