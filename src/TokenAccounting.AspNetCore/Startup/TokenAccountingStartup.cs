using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Resolves and probes what TokenAccounting needs before the first record: options, the price catalog, budgets, the
/// recorder, and a write to every sink, so a bad configuration fails at startup with one message that names it.
/// </summary>
internal static class TokenAccountingStartup
{
    internal static async Task ValidateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        var problems = new List<(string Message, Exception Exception)>();

        TokenAccountingOptions? options = null;
        Try(problems, "TokenAccountingOptions are invalid", () => options = services.GetService<IOptions<TokenAccountingOptions>>()?.Value);
        Try(problems, PricingContext(services), () => services.GetService<IPriceCatalog>());
        Try(problems, "The budget policies are invalid", () => services.GetService<BudgetManager>());

        IUsageRecorder? recorder = null;
        Try(problems, "The usage recorder could not be created", () => recorder = services.GetService<IUsageRecorder>());
        if (recorder is null && problems.Count == 0)
        {
            throw new InvalidOperationException("TokenAccounting is not registered: call services.AddTokenAccounting() before validating it at startup.");
        }

        if (recorder is not null)
        {
            IReadOnlyList<IUsageSink> sinks = recorder is UsageRecorder concrete ? concrete.Sinks : [.. services.GetServices<IUsageSink>()];
            var timeout = options?.SinkTimeout ?? TimeSpan.FromSeconds(30);
            var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
            foreach (var sink in sinks)
            {
                try
                {
                    await ProbeAsync(sink, timeout, time, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    problems.Add((Describe(sink, ex), ex));
                }
            }
        }

        if (problems.Count > 0)
        {
            var message = new StringBuilder("TokenAccounting failed its startup validation:");
            foreach (var (text, _) in problems)
            {
                message.Append(' ').Append(text).Append(text.EndsWith('.') ? string.Empty : ".");
            }

            throw new InvalidOperationException(message.ToString(), problems.Count == 1 ? problems[0].Exception : new AggregateException(problems.Select(p => p.Exception)));
        }
    }

    /// <summary>
    /// Proves a sink can write: a JSON-lines folder must accept a new file (an empty batch writes nothing there);
    /// other durable sinks get one empty batch (no records, no rollups), which opens their store and its schema.
    /// </summary>
    private static async Task ProbeAsync(IUsageSink sink, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        switch (sink)
        {
            case InMemoryUsageSink or LoggingUsageSink:
                return;
            case JsonLinesUsageSink jsonLines:
                ProbeFolder(jsonLines.DirectoryPath);
                return;
            default:
                using (var limit = new CancellationTokenSource(timeout, time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken))
                {
                    // WaitAsync also abandons a sink that ignores its token, as the delivery workers do.
                    var write = sink.WriteAsync(new UsageBatch("startup-probe-" + Guid.NewGuid().ToString("N"), [], []), linked.Token);
                    await write.AsTask().WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
                }

                return;
        }
    }

    private static void ProbeFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, ".tokenaccounting-startup-probe-" + Guid.NewGuid().ToString("N"));
            using var stream = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            stream.WriteByte(0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The JSON-lines ledger folder '{folder}' (JsonLinesUsageSinkOptions.PathTemplate) is not writable: {ex.Message}", ex);
        }
    }

    private static string Describe(IUsageSink sink, Exception ex)
    {
        if (ex is IOException && sink is JsonLinesUsageSink)
        {
            return ex.Message;
        }

        var text = sink.ToString();
        var name = string.IsNullOrEmpty(text) || text == sink.GetType().ToString() ? sink.GetType().Name : text;
        return ex is OperationCanceledException or TimeoutException
            ? $"The sink {name} did not complete its startup write within TokenAccountingOptions.SinkTimeout"
            : $"The sink {name} failed its startup write (an empty batch): {ex.Message}";
    }

    private static string PricingContext(IServiceProvider services)
    {
        string? path = null;
        try
        {
            path = services.GetService<IOptions<PricingOptions>>()?.Value.LiteLlmFilePath;
        }
        catch (Exception ex) when (ex is OptionsValidationException or InvalidOperationException or FormatException or ArgumentException)
        {
            // A configuration error: reported with this context when the catalog itself is resolved.
        }

        return path is null ? "The price catalog could not be built" : $"The price catalog could not be built from PricingOptions.LiteLlmFilePath '{path}'";
    }

    private static void Try(List<(string, Exception)> problems, string context, Func<object?> resolve)
    {
        try
        {
            resolve();
        }
        catch (Exception ex)
        {
            problems.Add(($"{context}: {ex.Message}", ex));
        }
    }
}
