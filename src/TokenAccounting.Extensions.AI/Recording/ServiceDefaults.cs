using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenAccounting;

/// <summary>What the <c>WithTokenAccounting(IServiceProvider)</c> overloads take from the container.</summary>
internal static class ServiceDefaults
{
    public static IUsageRecorder Recorder(IServiceProvider services) =>
        services.GetService<IUsageRecorder>()
        ?? throw new InvalidOperationException("No IUsageRecorder is registered in the service provider: call services.AddTokenAccounting() before WithTokenAccounting(services).");

    // Options validation failures surface here, at construction, naming the option.
    public static UsageEstimator Estimator(IServiceProvider services) =>
        services.GetService<IOptions<TokenAccountingOptions>>() is { } options ? UsageEstimator.From(options.Value) : UsageEstimator.Default;
}
