using Microsoft.Extensions.Diagnostics.HealthChecks;
using TokenAccounting;
using TokenAccounting.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the TokenAccounting health check to an <see cref="IHealthChecksBuilder"/>.</summary>
public static class TokenAccountingHealthChecksBuilderExtensions
{
    /// <summary>The default name of the check.</summary>
    public const string DefaultName = "tokenaccounting";

    /// <summary>
    /// Adds a check of the recorder's delivery pipeline (<see cref="UsageRecorder.GetDiagnostics"/>): <c>Healthy</c>;
    /// <c>Degraded</c> while a sink fails or retries or its buffer is above
    /// <see cref="TokenAccountingHealthCheckOptions.BufferDegradedFraction"/>; <paramref name="failureStatus"/> while
    /// details are being dropped or a sink has failed for longer than
    /// <see cref="TokenAccountingHealthCheckOptions.FailingUnhealthyAfter"/>. Per-sink figures are in the result's data,
    /// keyed by sink name.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Sets the thresholds; optional.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported when unhealthy; <see cref="HealthStatus.Unhealthy"/> when null.</param>
    /// <param name="tags">Tags to filter checks by, for example <c>"ready"</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is out of range; the message names it.</exception>
    public static IHealthChecksBuilder AddTokenAccounting(
        this IHealthChecksBuilder builder,
        Action<TokenAccountingHealthCheckOptions>? configure = null,
        string name = DefaultName,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new TokenAccountingHealthCheckOptions();
        configure?.Invoke(options);
        options.Validate();

        // One instance per registration and container: the check remembers the previous snapshot to tell "being
        // dropped" from "was dropped once".
        builder.Services.AddKeyedSingleton(typeof(TokenAccountingHealthCheck), name, (sp, _) => new TokenAccountingHealthCheck(
            sp.GetService<UsageRecorder>() ?? throw new InvalidOperationException("The TokenAccounting health check needs the UsageRecorder registered by services.AddTokenAccounting()."),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            options));
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => sp.GetRequiredKeyedService<TokenAccountingHealthCheck>(name),
            failureStatus ?? HealthStatus.Unhealthy,
            tags));
    }
}
