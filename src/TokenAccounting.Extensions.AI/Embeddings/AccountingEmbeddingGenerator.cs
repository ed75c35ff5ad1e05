using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
    private const string NotReported = "usage_not_reported";

    private readonly IUsageRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly UsageEstimator _estimator;
    private readonly ILogger _logger;
    private readonly string? _provider;
    private readonly string? _defaultModel;
    private readonly Func<EmbeddingGenerationOptions?, UsageAttribution?>? _attributionResolver;
    private readonly IUsageGate? _gate;
    private long _accountingFailures;

    internal AccountingEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> innerGenerator, IUsageRecorder recorder, TokenAccountingEmbeddingGeneratorOptions options)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Estimator is null)
        {
            throw new ArgumentException("TokenAccountingEmbeddingGeneratorOptions.Estimator must not be null.", nameof(options));
        }

        if (options.TimeProvider is null)
        {
            throw new ArgumentException("TokenAccountingEmbeddingGeneratorOptions.TimeProvider must not be null.", nameof(options));
        }

        if (options.ProviderName is { } name && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("TokenAccountingEmbeddingGeneratorOptions.ProviderName must be null or a non-blank name.", nameof(options));
        }

        _recorder = recorder;
        _timeProvider = options.TimeProvider;
        _estimator = options.Estimator;
        _logger = options.Logger ?? NullLogger.Instance;
        _attributionResolver = options.AttributionResolver;
        _gate = options.Gate ?? (options.Budgets is { } budgets
            ? new BudgetUsageGate(budgets, options.PriceCatalog, options.TimeProvider, defaultOutputTokens: 0, capOutputTokens: false)
            : null);

        EmbeddingGeneratorMetadata? metadata = null;
        try
        {
            metadata = innerGenerator.GetService<EmbeddingGeneratorMetadata>();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "reading the inner generator's metadata", TokenAccountingChatClientOptions.UnknownModel);
        }

        _provider = options.ProviderName ?? metadata?.ProviderName;
        _defaultModel = string.IsNullOrWhiteSpace(metadata?.DefaultModelId) ? null : metadata.DefaultModelId;
    }

    /// <summary>
    /// Gets how many times accounting itself failed (a recorder, resolver or gate completion that threw, usage that
    /// could not be mapped). Each failure is logged; none reached the caller.
    /// </summary>
    public long AccountingFailureCount => Interlocked.Read(ref _accountingFailures);

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(
        IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var startedAt = _timeProvider.GetUtcNow();
        var startTimestamp = _timeProvider.GetTimestamp();
        var model = string.IsNullOrWhiteSpace(options?.ModelId) ? _defaultModel ?? TokenAccountingChatClientOptions.UnknownModel : options.ModelId;

        UsageAttribution? attribution = null;
        if (_attributionResolver is { } resolver)
        {
            try
            {
                attribution = resolver(options);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "resolving attribution", model);
            }
        }

        IUsageGateLease? lease = null;
        if (_gate is { } gate)
        {
            long estimatedInput = 0;
            try
            {
                estimatedInput = _estimator.EstimateInputTokens(InputBytes(values));
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "estimating the request for the gate", model);
            }

            try
            {
                lease = await gate.AdmitAsync(new UsageGateRequest(model, _provider, UsageOperation.Embeddings, attribution, estimatedInput, null), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await WriteAsync(Build(UsageOutcome.Skipped, TokenCounts.Zero, UsageProvenance.Estimated, null, null), UsageOutcome.Skipped).ConfigureAwait(false);
                throw;
            }
        }

        GeneratedEmbeddings<TEmbedding> embeddings;
        try
        {
            embeddings = await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            var outcome = exception is OperationCanceledException ? UsageOutcome.Cancelled : UsageOutcome.Failed;
            await FinishAsync(outcome, usage: null, responseModel: null).ConfigureAwait(false);
            throw;
        }

        await FinishAsync(UsageOutcome.Succeeded, embeddings.Usage, embeddings.Count > 0 ? embeddings[0].ModelId : null).ConfigureAwait(false);
        return embeddings;

        async ValueTask FinishAsync(UsageOutcome outcome, UsageDetails? usage, string? responseModel)
        {
            UsageRecord? record = null;
            try
            {
                var (tokens, provenance) = Tokens(usage, values, model);
                var reason = outcome == UsageOutcome.Succeeded && provenance == UsageProvenance.Estimated ? NotReported : null;
                record = Build(outcome, tokens, provenance, reason, responseModel);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "building the usage record", model);
            }

            await WriteAsync(record, outcome).ConfigureAwait(false);
        }

        UsageRecord Build(UsageOutcome outcome, TokenCounts tokens, UsageProvenance provenance, string? reason, string? responseModel)
        {
            var latency = _timeProvider.GetElapsedTime(startTimestamp);
            var completedAt = _timeProvider.GetUtcNow();
            return new UsageRecord
            {
                Model = model,
                ResponseModel = string.IsNullOrWhiteSpace(responseModel) ? null : responseModel,
                Provider = _provider,
                Operation = UsageOperation.Embeddings,
                Tokens = tokens,
                Provenance = provenance,
                Outcome = outcome,
                DegradedReason = reason,
                StartedAt = startedAt,
                CompletedAt = completedAt < startedAt ? startedAt : completedAt,
                Latency = latency < TimeSpan.Zero ? TimeSpan.Zero : latency,
                CorrelationId = attribution?.CorrelationId,
                UserId = attribution?.UserId,
                TenantId = attribution?.TenantId,
                ApiKeyId = attribution?.ApiKeyId,
                Route = attribution?.Route,
                ServiceTier = attribution?.ServiceTier,
                Tags = attribution?.Tags,
            };
        }

        // The lease (when admitted) completes first and marks the record as counted by the budget; then exactly one
        // record. Neither may throw into the caller. An embedding call that failed returned nothing, and the
        // provider billed nothing: its reservation is released.
        async ValueTask WriteAsync(UsageRecord? record, UsageOutcome outcome)
        {
            if (lease is not null)
            {
                try
                {
                    var completed = await lease.CompleteAsync(record ?? Build(outcome, TokenCounts.Zero, UsageProvenance.Estimated, null, null), outcome == UsageOutcome.Succeeded, CancellationToken.None).ConfigureAwait(false);
                    record = record is null ? null : completed;
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    ReportFailure(exception, "completing the budget reservation", model);
                }
            }

            if (record is not null)
            {
                try
                {
                    _recorder.Record(record);
                }
                catch (Exception exception) when (exception is not OutOfMemoryException)
                {
                    ReportFailure(exception, "recording usage", model);
                }
            }
        }
    }

    private (TokenCounts Tokens, UsageProvenance Provenance) Tokens(UsageDetails? usage, IEnumerable<TInput> values, string model)
    {
        if (usage is not null)
        {
            try
            {
                var mapped = UsageDetailsMapper.Map(usage);
                if (mapped.HasInput)
                {
                    // Embeddings produce no output tokens unless the provider says so.
                    return (mapped.Tokens, UsageProvenance.Reported);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "mapping reported usage", model);
            }
        }

        return (new TokenCounts(_estimator.EstimateInputTokens(InputBytes(values)), 0), UsageProvenance.Estimated);
    }

    private static long InputBytes(IEnumerable<TInput> values)
    {
        long bytes = 0;
        foreach (var value in values)
        {
            bytes += RequestSize.OfInput(value);
        }

        return bytes;
    }

    private void ReportFailure(Exception exception, string stage, string model)
    {
        Interlocked.Increment(ref _accountingFailures);
        try
        {
            AccountingLog.AccountingFailed(_logger, exception, stage, model);
        }
        catch (Exception logException) when (logException is not OutOfMemoryException)
        {
            // A throwing logger must not fail the call either; the counter above still says what happened.
        }
    }
}
