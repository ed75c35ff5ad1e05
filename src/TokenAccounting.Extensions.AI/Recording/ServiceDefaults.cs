using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenAccounting;

/// <summary>
/// What the <c>WithTokenAccounting(IServiceProvider)</c> overloads and the <c>UseTokenAccounting()</c> builder
/// extensions take from the container: one construction path for both.
/// </summary>
internal static class ServiceDefaults
{
    public static IUsageRecorder Recorder(IServiceProvider services) =>
        services.GetService<IUsageRecorder>()
        ?? throw new InvalidOperationException(
            "No IUsageRecorder is registered in the service provider: call services.AddTokenAccounting() before WithTokenAccounting(services) or UseTokenAccounting(), or pass a recorder to UseTokenAccounting(recorder).");

    // Options validation failures surface here, at construction, naming the option.
    public static UsageEstimator Estimator(IServiceProvider services) =>
        services.GetService<IOptions<TokenAccountingOptions>>() is { } options ? UsageEstimator.From(options.Value) : UsageEstimator.Default;

    /// <summary>Builds the chat middleware over <paramref name="chatClient"/>, its defaults from <paramref name="services"/>.</summary>
    public static AccountingChatClient ChatClient(IChatClient chatClient, IServiceProvider services, IUsageRecorder recorder, Action<TokenAccountingChatClientOptions>? configure)
    {
        var options = new TokenAccountingChatClientOptions
        {
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            Logger = services.GetService<ILoggerFactory>()?.CreateLogger<AccountingChatClient>(),
            Estimator = Estimator(services),
            Budgets = services.GetService<BudgetManager>(),
            PriceCatalog = services.GetService<IPriceCatalog>(),
        };
        configure?.Invoke(options);
        return new AccountingChatClient(chatClient, recorder, options);
    }

    /// <summary>Builds the embedding middleware over <paramref name="generator"/>, its defaults from <paramref name="services"/>.</summary>
    public static AccountingEmbeddingGenerator<TInput, TEmbedding> EmbeddingGenerator<TInput, TEmbedding>(
        IEmbeddingGenerator<TInput, TEmbedding> generator, IServiceProvider services, IUsageRecorder recorder, Action<TokenAccountingEmbeddingGeneratorOptions>? configure)
        where TEmbedding : Embedding
    {
        var options = new TokenAccountingEmbeddingGeneratorOptions
        {
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
            Logger = services.GetService<ILoggerFactory>()?.CreateLogger<AccountingEmbeddingGenerator<TInput, TEmbedding>>(),
            Estimator = Estimator(services),
            Budgets = services.GetService<BudgetManager>(),
            PriceCatalog = services.GetService<IPriceCatalog>(),
        };
        configure?.Invoke(options);
        return new AccountingEmbeddingGenerator<TInput, TEmbedding>(generator, recorder, options);
    }
}
