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
    private IUsageRecorder? _recorder;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await TokenAccountingStartup.ValidateAsync(services, cancellationToken).ConfigureAwait(false);

        // Held from here: at StoppedAsync the container may already be disposed (a test host torn down while it stops),
        // and resolving from it then throws instead of flushing.
        _recorder = services.GetService<IUsageRecorder>();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        if ((_recorder ?? Resolve()) is { } recorder)
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
            catch (ObjectDisposedException)
            {
                // The container disposed the recorder first, and its disposal flushed what it held.
            }
        }
    }

    /// <summary>The recorder when the host stops without having started; none once the container is disposed.</summary>
    private IUsageRecorder? Resolve()
    {
        try
        {
            return services.GetService<IUsageRecorder>();
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
    }
}
