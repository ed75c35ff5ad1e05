using TokenAccounting;

namespace Microsoft.Extensions.AI;

/// <summary>
/// Adds token accounting to a <see cref="ChatClientBuilder"/> pipeline, as <c>UseOpenTelemetry()</c> adds telemetry:
/// <c>services.AddChatClient(inner).UseFunctionInvocation().UseTokenAccounting()</c>.
/// </summary>
/// <remarks>
/// Where it sits decides what one record is. Below <c>UseFunctionInvocation()</c> (after it in the chain, the
/// recommended place) every model round trip of a tool loop is one record, with its own usage, latency and history
/// length. Above it (before it in the chain) one record covers the whole user call, its usage the sum of the round
/// trips, since <see cref="FunctionInvokingChatClient"/> adds up the usage of the responses it combines.
/// </remarks>
public static class TokenAccountingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="AccountingChatClient"/> to the pipeline. The <see cref="TokenAccounting.IUsageRecorder"/>,
    /// and when registered the budgets (<c>AddBudgets()</c>), the price catalog, the <see cref="TimeProvider"/>, the
    /// logger factory and the estimate ratios of <see cref="TokenAccountingOptions"/> come from the builder's
    /// service provider (the container for <c>AddChatClient</c> and <c>AddKeyedChatClient</c>).
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the middleware after the defaults from the services are applied; optional.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">When the pipeline is built: the service provider has no <see cref="TokenAccounting.IUsageRecorder"/> (call <c>AddTokenAccounting()</c>).</exception>
    /// <exception cref="ArgumentException">When the pipeline is built: the configured options are invalid; the message names the option.</exception>
    public static ChatClientBuilder UseTokenAccounting(this ChatClientBuilder builder, Action<TokenAccountingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerClient, services) => ServiceDefaults.ChatClient(innerClient, services, ServiceDefaults.Recorder(services), configure));
    }

    /// <summary>
    /// Adds an <see cref="AccountingChatClient"/> that records to <paramref name="recorder"/>; everything else (budgets,
    /// price catalog, <see cref="TimeProvider"/>, logger factory, estimate ratios) still comes from the builder's
    /// service provider when registered there.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="recorder">Where records go.</param>
    /// <param name="configure">Configures the middleware after the defaults from the services are applied; optional.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="recorder"/> is null.</exception>
    /// <exception cref="ArgumentException">When the pipeline is built: the configured options are invalid; the message names the option.</exception>
    public static ChatClientBuilder UseTokenAccounting(this ChatClientBuilder builder, IUsageRecorder recorder, Action<TokenAccountingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(recorder);
        return builder.Use((innerClient, services) => ServiceDefaults.ChatClient(innerClient, services, recorder, configure));
    }
}
