using Microsoft.Extensions.Logging;
using TokenAccounting;

namespace Microsoft.Extensions.AI;

/// <summary>Wraps an <see cref="IChatClient"/> in token accounting: <c>chatClient.WithTokenAccounting(recorder)</c>.</summary>
public static class TokenAccountingChatClientExtensions
{
    /// <summary>Wraps <paramref name="chatClient"/> so that every call it makes is recorded to <paramref name="recorder"/>.</summary>
    /// <param name="chatClient">The client to account for.</param>
    /// <param name="recorder">Where records go.</param>
    /// <param name="configure">Configures the middleware; optional.</param>
    /// <returns>The accounting client (an <see cref="AccountingChatClient"/>) wrapping <paramref name="chatClient"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the option.</exception>
    public static IChatClient WithTokenAccounting(this IChatClient chatClient, IUsageRecorder recorder, Action<TokenAccountingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(recorder);
        var options = new TokenAccountingChatClientOptions();
        configure?.Invoke(options);
        return new AccountingChatClient(chatClient, recorder, options);
    }

    /// <summary>
    /// Wraps <paramref name="chatClient"/> with the services registered by <c>AddTokenAccounting()</c>: the
    /// <see cref="IUsageRecorder"/>, and when registered the <see cref="TimeProvider"/>, the
    /// <see cref="ILoggerFactory"/> and the estimate ratios of <see cref="TokenAccountingOptions"/>.
    /// </summary>
    /// <param name="chatClient">The client to account for.</param>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Configures the middleware after the defaults from <paramref name="services"/> are applied; optional.</param>
    /// <returns>The accounting client (an <see cref="AccountingChatClient"/>) wrapping <paramref name="chatClient"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="IUsageRecorder"/> is registered.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the option.</exception>
    public static IChatClient WithTokenAccounting(this IChatClient chatClient, IServiceProvider services, Action<TokenAccountingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(services);
        return ServiceDefaults.ChatClient(chatClient, services, ServiceDefaults.Recorder(services), configure);
    }
}
