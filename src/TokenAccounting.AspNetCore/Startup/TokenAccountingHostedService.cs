using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Validates TokenAccounting before the host's other services start (so a web server never listens with a broken
/// ledger) and flushes the recorder after they stopped (so the requests that drained during shutdown are delivered),
/// both within the host's start and shutdown timeouts.
/// </summary>
internal sealed class TokenAccountingHostedService(IServiceProvider services) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => TokenAccountingStartup.ValidateAsync(services, cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<IUsageRecorder>() is { } recorder)
        {
            // Bounded by FlushTimeout and by the host's shutdown timeout (the token); disposal flushes what is left.
            try
            {
                await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The host's shutdown timeout passed; the container's disposal of the recorder flushes what is left.
            }
        }
    }
}
