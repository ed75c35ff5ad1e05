using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> middleware that writes exactly one
/// <see cref="UsageRecord"/> (<see cref="UsageOperation.Embeddings"/>) per inner call and never lets accounting fail
/// the call. Create it with <c>generator.WithTokenAccounting(...)</c>.
/// </summary>
/// <remarks>
/// Usage comes from <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/>: input is
/// <see cref="UsageDetails.InputTokenCount"/>, or <see cref="UsageDetails.TotalTokenCount"/> − output when only a
/// total is reported. When no usage is reported, input is estimated from the inputs' sizes (UTF-8 bytes of
/// <see cref="string"/> and <see cref="TextContent"/> inputs, data length of <see cref="DataContent"/> inputs) with
/// <see cref="UsageProvenance.Estimated"/>. Embedding calls are recorded straight to the recorder, never through a
/// <see cref="UsageTracker"/>, whose occupancy describes a chat context window.
/// </remarks>
/// <typeparam name="TInput">The type of the inputs.</typeparam>
/// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
public sealed class AccountingEmbeddingGenerator<TInput, TEmbedding> : DelegatingEmbeddingGenerator<TInput, TEmbedding>
    where TEmbedding : Embedding
{
    private readonly UsageAccountant _accountant;
    private readonly Func<EmbeddingGenerationOptions?, UsageAttribution?>? _attributionResolver;

    internal AccountingEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> innerGenerator, IUsageRecorder recorder, TokenAccountingEmbeddingGeneratorOptions options)
        : base(innerGenerator)
    {
        _accountant = new UsageAccountant(recorder, options, UsageOperation.Embeddings, "generator", () =>
            innerGenerator.GetService<EmbeddingGeneratorMetadata>() is { } metadata ? (metadata.ProviderName, metadata.DefaultModelId) : default);
        _attributionResolver = options.AttributionResolver;
    }

    /// <summary>
    /// Gets how many times accounting itself failed (a recorder, resolver or gate completion that threw, usage that
    /// could not be mapped). Each failure is logged; none reached the caller.
    /// </summary>
    public long AccountingFailureCount => _accountant.FailureCount;

    /// <inheritdoc />
    public override Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(
        IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (values is null)
        {
            return UsageAccountant.Rethrow<GeneratedEmbeddings<TEmbedding>>(ExceptionDispatchInfo.Capture(new ArgumentNullException(nameof(values))));
        }

        return _accountant.Run<EmbeddingCall, GeneratedEmbeddings<TEmbedding>>(new EmbeddingCall(this, values, options), options?.ModelId, cancellationToken);
    }

    /// <summary>One embedding call: its inputs are its size, and its usage is input only unless the provider says otherwise.</summary>
    private sealed class EmbeddingCall(AccountingEmbeddingGenerator<TInput, TEmbedding> owner, IEnumerable<TInput> values, EmbeddingGenerationOptions? options)
        : AccountedCall, IAccountedInvocation<GeneratedEmbeddings<TEmbedding>>
    {
        // Embedding calls are recorded straight to the recorder: a tracker's occupancy describes a chat context window.
        public override bool IsTracked => false;


        public override long RequestBytes
        {
            get
            {
                long bytes = 0;
                foreach (var value in values)
                {
                    bytes += RequestSize.OfInput(value);
                }

                return bytes;
            }
        }

        public override void Attribute()
        {
            if (owner._attributionResolver is { } resolver)
            {
                Attribution = resolver(options);
            }
        }

        public Task<GeneratedEmbeddings<TEmbedding>> Invoke(CancellationToken cancellationToken) =>
            owner.InnerGenerator.GenerateAsync(values, options, cancellationToken);

        public void Complete(GeneratedEmbeddings<TEmbedding> response)
        {
            Usage = response.Usage;
            ResponseModel = response.Count > 0 && !string.IsNullOrWhiteSpace(response[0].ModelId) ? response[0].ModelId : null;
        }

        public override CallUsage Measure(UsageAccountant accountant)
        {
            // Embeddings produce no output tokens unless the provider says so.
            if (accountant.TryMap(this, rawUsage: null, out var mapped, out _) && mapped.HasInput)
            {
                return new CallUsage(mapped.Tokens, UsageProvenance.Reported, null, null);
            }

            return new CallUsage(new TokenCounts(accountant.Estimator.EstimateInputTokens(RequestBytes), 0), UsageProvenance.Estimated, null, null);
        }
    }
}
