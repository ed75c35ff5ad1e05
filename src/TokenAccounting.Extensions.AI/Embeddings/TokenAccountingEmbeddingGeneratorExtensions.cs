using Microsoft.Extensions.Logging;
using TokenAccounting;

namespace Microsoft.Extensions.AI;

/// <summary>Wraps an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> in token accounting: <c>generator.WithTokenAccounting(recorder)</c>.</summary>
public static class TokenAccountingEmbeddingGeneratorExtensions
{
    /// <summary>Wraps <paramref name="generator"/> so that every call it makes is recorded to <paramref name="recorder"/>.</summary>
    /// <typeparam name="TInput">The type of the inputs.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="generator">The generator to account for.</param>
    /// <param name="recorder">Where records go.</param>
    /// <param name="configure">Configures the middleware; optional.</param>
    /// <returns>The accounting generator (an <see cref="AccountingEmbeddingGenerator{TInput, TEmbedding}"/>) wrapping <paramref name="generator"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the option.</exception>
    public static IEmbeddingGenerator<TInput, TEmbedding> WithTokenAccounting<TInput, TEmbedding>(
        this IEmbeddingGenerator<TInput, TEmbedding> generator, IUsageRecorder recorder, Action<TokenAccountingEmbeddingGeneratorOptions>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(recorder);
        var options = new TokenAccountingEmbeddingGeneratorOptions();
        configure?.Invoke(options);
        return new AccountingEmbeddingGenerator<TInput, TEmbedding>(generator, recorder, options);
    }

    /// <summary>
    /// Wraps <paramref name="generator"/> with the services registered by <c>AddTokenAccounting()</c>: the
    /// <see cref="IUsageRecorder"/>, and when registered the <see cref="TimeProvider"/>, the
    /// <see cref="ILoggerFactory"/> and the estimate ratios of <see cref="TokenAccountingOptions"/>.
    /// </summary>
    /// <typeparam name="TInput">The type of the inputs.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="generator">The generator to account for.</param>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Configures the middleware after the defaults from <paramref name="services"/> are applied; optional.</param>
    /// <returns>The accounting generator (an <see cref="AccountingEmbeddingGenerator{TInput, TEmbedding}"/>) wrapping <paramref name="generator"/>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="IUsageRecorder"/> is registered.</exception>
    /// <exception cref="ArgumentException">The configured options are invalid; the message names the option.</exception>
    public static IEmbeddingGenerator<TInput, TEmbedding> WithTokenAccounting<TInput, TEmbedding>(
        this IEmbeddingGenerator<TInput, TEmbedding> generator, IServiceProvider services, Action<TokenAccountingEmbeddingGeneratorOptions>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(services);
        return ServiceDefaults.EmbeddingGenerator(generator, services, ServiceDefaults.Recorder(services), configure);
    }
}
