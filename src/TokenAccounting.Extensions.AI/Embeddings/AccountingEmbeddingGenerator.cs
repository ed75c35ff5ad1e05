using System.Diagnostics;
using System.Runtime.ExceptionServices;
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
        _gate = options.Gate ?? (options.Budgets is { Policies.Count: > 0 } budgets
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
    public override Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(
        IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (values is null || _gate is not null)
        {
            return GenerateThroughGateAsync(values!, options, cancellationToken);
        }

        // No gate: accounting is synchronous, and a generator that answers synchronously costs no state machine.
        var call = Start(options);
        Task<GeneratedEmbeddings<TEmbedding>> pending;
        try
        {
            pending = base.GenerateAsync(values, options, cancellationToken);
        }
        catch (Exception exception)
        {
            Write(call, TryBuild(call, OutcomeOf(exception), null, values, null));
            return Rethrow(ExceptionDispatchInfo.Capture(exception));
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitEmbeddingsAsync(call, values, pending);
        }

        var embeddings = pending.Result;
        Write(call, TryBuild(call, UsageOutcome.Succeeded, embeddings.Usage, values, ResponseModelOf(embeddings)));
        return pending;
    }

#pragma warning disable CS1998 // Async method lacks 'await' operators: the async builder decides faulted or cancelled.
    private static async Task<GeneratedEmbeddings<TEmbedding>> Rethrow(ExceptionDispatchInfo failure)
#pragma warning restore CS1998
    {
        failure.Throw();
        throw new UnreachableException();
    }

    private async Task<GeneratedEmbeddings<TEmbedding>> AwaitEmbeddingsAsync(EmbeddingCall call, IEnumerable<TInput> values, Task<GeneratedEmbeddings<TEmbedding>> pending)
    {
        GeneratedEmbeddings<TEmbedding> embeddings;
        try
        {
            embeddings = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Write(call, TryBuild(call, OutcomeOf(exception), null, values, null));
            throw;
        }

        Write(call, TryBuild(call, UsageOutcome.Succeeded, embeddings.Usage, values, ResponseModelOf(embeddings)));
        return embeddings;
    }

    private async Task<GeneratedEmbeddings<TEmbedding>> GenerateThroughGateAsync(
        IEnumerable<TInput> values, EmbeddingGenerationOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        var call = Start(options);
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
                ReportFailure(exception, "estimating the request for the gate", call.Model);
            }

            try
            {
                lease = await gate.AdmitAsync(new UsageGateRequest(call.Model, _provider, UsageOperation.Embeddings, call.Attribution, estimatedInput, null), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                Write(call, Build(call, UsageOutcome.Skipped, TokenCounts.Zero, UsageProvenance.Estimated, null, null));
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
            var outcome = OutcomeOf(exception);
            await WriteAsync(call, lease, TryBuild(call, outcome, null, values, null), outcome).ConfigureAwait(false);
            throw;
        }

        await WriteAsync(call, lease, TryBuild(call, UsageOutcome.Succeeded, embeddings.Usage, values, ResponseModelOf(embeddings)), UsageOutcome.Succeeded).ConfigureAwait(false);
        return embeddings;
    }

    private static UsageOutcome OutcomeOf(Exception exception) =>
        exception is OperationCanceledException ? UsageOutcome.Cancelled : UsageOutcome.Failed;

    private static string? ResponseModelOf(GeneratedEmbeddings<TEmbedding> embeddings) => embeddings.Count > 0 ? embeddings[0].ModelId : null;

    private EmbeddingCall Start(EmbeddingGenerationOptions? options)
    {
        var call = new EmbeddingCall(
            string.IsNullOrWhiteSpace(options?.ModelId) ? _defaultModel ?? TokenAccountingChatClientOptions.UnknownModel : options.ModelId,
            _timeProvider.GetUtcNow(),
            _timeProvider.GetTimestamp());
        if (_attributionResolver is { } resolver)
        {
            try
            {
                call.Attribution = resolver(options);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "resolving attribution", call.Model);
            }
        }

        return call;
    }

    private UsageRecord? TryBuild(EmbeddingCall call, UsageOutcome outcome, UsageDetails? usage, IEnumerable<TInput> values, string? responseModel)
    {
        try
        {
            var (tokens, provenance) = Tokens(usage, values, call.Model);
            var reason = outcome == UsageOutcome.Succeeded && provenance == UsageProvenance.Estimated ? NotReported : null;
            return Build(call, outcome, tokens, provenance, reason, responseModel);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "building the usage record", call.Model);
            return null;
        }
    }

    private UsageRecord Build(EmbeddingCall call, UsageOutcome outcome, TokenCounts tokens, UsageProvenance provenance, string? reason, string? responseModel)
    {
        // One clock read: the completion is the start plus the measured latency.
        var latency = _timeProvider.GetElapsedTime(call.StartTimestamp);
        if (latency < TimeSpan.Zero)
        {
            latency = TimeSpan.Zero;
        }

        var attribution = call.Attribution;
        return new UsageRecord
        {
            Model = call.Model,
            ResponseModel = string.IsNullOrWhiteSpace(responseModel) ? null : responseModel,
            Provider = _provider,
            Operation = UsageOperation.Embeddings,
            Tokens = tokens,
            Provenance = provenance,
            Outcome = outcome,
            DegradedReason = reason,
            StartedAt = call.StartedAt,
            CompletedAt = call.StartedAt + latency,
            Latency = latency,
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
    // record. Neither may throw into the caller. An embedding call that failed returned nothing, and the provider
    // billed nothing: its reservation is released.
    private async ValueTask WriteAsync(EmbeddingCall call, IUsageGateLease? lease, UsageRecord? record, UsageOutcome outcome)
    {
        if (lease is not null)
        {
            try
            {
                var completed = await lease.CompleteAsync(record ?? Build(call, outcome, TokenCounts.Zero, UsageProvenance.Estimated, null, null), outcome == UsageOutcome.Succeeded, CancellationToken.None).ConfigureAwait(false);
                record = record is null ? null : completed;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "completing the budget reservation", call.Model);
            }
        }

        Write(call, record);
    }

    private void Write(EmbeddingCall call, UsageRecord? record)
    {
        if (record is null)
        {
            return;
        }

        try
        {
            _recorder.Record(record);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "recording usage", call.Model);
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

    /// <summary>What accounting knows about one call.</summary>
    private sealed class EmbeddingCall(string model, DateTimeOffset startedAt, long startTimestamp)
    {
        public string Model { get; } = model;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public long StartTimestamp { get; } = startTimestamp;

        public UsageAttribution? Attribution { get; set; }
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
