using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenAccounting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TokenAccounting in a service collection.</summary>
public static class TokenAccountingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the recorder (<see cref="IUsageRecorder"/> and <see cref="UsageRecorder"/>) with default options.
    /// Safe to call more than once: services are registered once.
    /// </summary>
    /// <returns>A builder to add sinks, pricing and budgets.</returns>
    public static ITokenAccountingBuilder AddTokenAccounting(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return AddCore(services);
    }

    /// <summary>Registers the recorder and configures its options (validated at startup).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures <see cref="TokenAccountingOptions"/>.</param>
    /// <returns>A builder to add sinks, pricing and budgets.</returns>
    public static ITokenAccountingBuilder AddTokenAccounting(this IServiceCollection services, Action<TokenAccountingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = AddCore(services);
        services.Configure(configure);
        return builder;
    }

    /// <summary>Registers the recorder and binds its options from a configuration section (validated at startup).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="section">The section, for example <c>configuration.GetSection("TokenAccounting")</c>.</param>
    /// <returns>A builder to add sinks, pricing and budgets.</returns>
    public static ITokenAccountingBuilder AddTokenAccounting(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var builder = AddCore(services);
        services.Configure<TokenAccountingOptions>(section, binder => binder.ErrorOnUnknownConfiguration = true);
        return builder;
    }

    private static TokenAccountingBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<TokenAccountingOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TokenAccountingOptions>, TokenAccountingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp => new UsageRecorder(
            sp.GetServices<IUsageSink>(),
            sp.GetRequiredService<IOptions<TokenAccountingOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            pricer: null,
            observers: sp.GetServices<IUsageObserver>()));
        services.TryAddSingleton<IUsageRecorder>(static sp => sp.GetRequiredService<UsageRecorder>());
        return new TokenAccountingBuilder(services);
    }
}
