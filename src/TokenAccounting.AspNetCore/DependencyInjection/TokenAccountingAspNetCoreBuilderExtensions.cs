using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using TokenAccounting;
using TokenAccounting.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ASP.NET Core integration and startup validation on the <see cref="ITokenAccountingBuilder"/>.</summary>
public static class TokenAccountingAspNetCoreBuilderExtensions
{
    /// <summary>
    /// Adds what <c>app.UseTokenAccounting()</c> and <c>MapTokenAccountingApi()</c> need: the default
    /// <see cref="IHttpUsageAttributionResolver"/> (claims and header named by <see cref="TokenAccountingHttpOptions"/>,
    /// the route template), an <see cref="IExceptionHandler"/> that answers <see cref="BudgetExceededException"/> with
    /// 429 ProblemDetails, <c>AddProblemDetails()</c>, and startup validation (<see cref="ValidateOnStart"/>).
    /// Safe to call more than once.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenAccounting()</c>.</param>
    /// <param name="configure">Configures <see cref="TokenAccountingHttpOptions"/>; optional.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITokenAccountingBuilder AddAspNetCore(this ITokenAccountingBuilder builder, Action<TokenAccountingHttpOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<TokenAccountingHttpOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(
            static o =>
            {
                o.Validate();
                return true;
            });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHttpUsageAttributionResolver, DefaultHttpUsageAttributionResolver>();
        services.TryAddSingleton<BudgetProblemWriter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IExceptionHandler, BudgetExceededExceptionHandler>());
        if (!services.Any(d => d.ServiceType == typeof(Microsoft.AspNetCore.Http.IProblemDetailsService)))
        {
            services.AddProblemDetails();
        }

        return builder.ValidateOnStart();
    }

    /// <summary>
    /// Validates TokenAccounting when the Generic Host starts, before its other hosted services (so a web server
    /// never listens with a broken ledger): resolves the options, the price catalog, the budget policies and the
    /// recorder, and proves every sink can write (a JSON-lines folder must accept a new file; other durable sinks
    /// receive one empty batch). A failure stops the host with an <see cref="InvalidOperationException"/> naming the
    /// option or path. When the host stops, after its other services, the recorder is flushed within the host's
    /// shutdown timeout. Without a host, call <see cref="TokenAccountingServiceProviderExtensions.ValidateTokenAccountingAsync"/>.
    /// Safe to call more than once.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenAccounting()</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ITokenAccountingBuilder ValidateOnStart(this ITokenAccountingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TokenAccountingHostedService>());
        return builder;
    }
}
