using TokenAccounting.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Startup validation for applications that build a service provider without the Generic Host.</summary>
public static class TokenAccountingServiceProviderExtensions
{
    /// <summary>
    /// Does what the host does at startup after <c>ValidateOnStart()</c>: resolves the TokenAccounting options, the
    /// price catalog, the budget policies and the recorder, and proves every sink can write (a JSON-lines folder must
    /// accept a new file; other durable sinks receive one empty batch). Call it once after <c>BuildServiceProvider()</c>.
    /// </summary>
    /// <param name="services">The built service provider.</param>
    /// <param name="cancellationToken">Cancels the sink probes.</param>
    /// <returns>A task that completes when every check passed.</returns>
    /// <exception cref="InvalidOperationException">A check failed; the message names each failing option, file or folder.</exception>
    public static Task ValidateTokenAccountingAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        return TokenAccountingStartup.ValidateAsync(services, cancellationToken);
    }
}
