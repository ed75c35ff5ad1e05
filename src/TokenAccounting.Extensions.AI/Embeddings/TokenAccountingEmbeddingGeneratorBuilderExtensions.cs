using TokenAccounting;

namespace Microsoft.Extensions.AI;

/// <summary>
/// Adds token accounting to an <see cref="EmbeddingGeneratorBuilder{TInput, TEmbedding}"/> pipeline:
/// <c>services.AddEmbeddingGenerator(inner).UseTokenAccounting()</c>.
/// </summary>
public static class TokenAccountingEmbeddingGeneratorBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="AccountingEmbeddingGenerator{TInput, TEmbedding}"/> to the pipeline. The
    /// <see cref="TokenAccounting.IUsageRecorder"/>, and when registered the budgets, the price catalog, the
    /// <see cref="TimeProvider"/>, the logger factory and the estimate ratios of <see cref="TokenAccountingOptions"/>
    /// come from the builder's service provider.
    /// </summary>
    /// <typeparam name="TInput">The type of the inputs.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the middleware after the defaults from the services are applied; optional.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="InvalidOperationException">When the pipeline is built: the service provider has no <see cref="TokenAccounting.IUsageRecorder"/> (call <c>AddTokenAccounting()</c>).</exception>
    /// <exception cref="ArgumentException">When the pipeline is built: the configured options are invalid; the message names the option.</exception>
    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseTokenAccounting<TInput, TEmbedding>(
        this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder, Action<TokenAccountingEmbeddingGeneratorOptions>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((innerGenerator, services) => ServiceDefaults.EmbeddingGenerator(innerGenerator, services, ServiceDefaults.Recorder(services), configure));
    }

    /// <summary>
    /// Adds an <see cref="AccountingEmbeddingGenerator{TInput, TEmbedding}"/> that records to
    /// <paramref name="recorder"/>; everything else still comes from the builder's service provider when registered there.
    /// </summary>
    /// <typeparam name="TInput">The type of the inputs.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="recorder">Where records go.</param>
    /// <param name="configure">Configures the middleware after the defaults from the services are applied; optional.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="recorder"/> is null.</exception>
    /// <exception cref="ArgumentException">When the pipeline is built: the configured options are invalid; the message names the option.</exception>
    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseTokenAccounting<TInput, TEmbedding>(
        this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder, IUsageRecorder recorder, Action<TokenAccountingEmbeddingGeneratorOptions>? configure = null)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(recorder);
        return builder.Use((innerGenerator, services) => ServiceDefaults.EmbeddingGenerator(innerGenerator, services, recorder, configure));
    }
}
