using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenAccounting;

/// <summary>
/// The accounting both middlewares share: it starts a call (model, clock, attribution, the budget gate, the usage
/// tracker), ends it with exactly one record (the gate's lease completed first), and never lets accounting fail the
/// call: every failure inside it is logged and counted. The chat client and the embedding generator are adapters that
/// create an <see cref="AccountedCall"/> per call and hand it here.
/// </summary>
/// <remarks>
/// Without a gate, a call whose inner service answers synchronously costs no state machine and no task of its own
/// (<see cref="Run{TCall, TResponse}"/> returns the inner task as it is); a gate's store calls are awaited, never
/// waited on.
/// </remarks>
internal sealed class UsageAccountant
{
    private const string NotReported = "usage_not_reported";

    private readonly IUsageRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly UsageOperation _operation;
    private readonly string? _defaultModel;
    private long _failures;

    /// <summary>Validates the options (the messages name them), builds the gate and reads the inner service's metadata.</summary>
    /// <param name="recorder">Where records go.</param>
    /// <param name="options">The middleware's options.</param>
    /// <param name="operation">What every record's operation is.</param>
    /// <param name="inner">What the inner service is called in a failure report (<c>"client"</c>, <c>"generator"</c>).</param>
    /// <param name="describeInner">Reads the inner service's provider name and default model; may throw (counted).</param>
    public UsageAccountant(
        IUsageRecorder recorder, IAccountingOptions options, UsageOperation operation, string inner, Func<(string? ProviderName, string? DefaultModelId)> describeInner)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(options);
        var optionsType = options.GetType().Name;
        if (options.Estimator is null)
        {
            throw new ArgumentException($"{optionsType}.Estimator must not be null.", nameof(options));
        }

        if (options.TimeProvider is null)
        {
            throw new ArgumentException($"{optionsType}.TimeProvider must not be null.", nameof(options));
        }

        if (options.ProviderName is { } name && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"{optionsType}.ProviderName must be null or a non-blank name.", nameof(options));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(options.DefaultOutputTokenEstimate, "options.DefaultOutputTokenEstimate");
        _recorder = recorder;
        _timeProvider = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;
        _operation = operation;
        Estimator = options.Estimator;

        // Budgets without a single policy can never refuse or count anything: no gate, no per-call reservation.
        Gate = options.Gate ?? (options.Budgets is { Policies.Count: > 0 } budgets
            ? new BudgetUsageGate(budgets, options.PriceCatalog, options.TimeProvider, options.DefaultOutputTokenEstimate, options.CapOutputTokensToBudget)
            : null);

        (string? ProviderName, string? DefaultModelId) metadata = default;
        try
        {
            metadata = describeInner();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, $"reading the inner {inner}'s metadata", TokenAccountingChatClientOptions.UnknownModel);
        }

        Provider = options.ProviderName ?? metadata.ProviderName;
        _defaultModel = string.IsNullOrWhiteSpace(metadata.DefaultModelId) ? null : metadata.DefaultModelId;
    }

    /// <summary>Gets how many times accounting itself failed; each failure was logged, none reached the caller.</summary>
    public long FailureCount => Interlocked.Read(ref _failures);

    /// <summary>Gets the gate every call passes before the inner service, or null (no budgets).</summary>
    public IUsageGate? Gate { get; }

    /// <summary>Gets the provider recorded on every call.</summary>
    public string? Provider { get; }

    /// <summary>Gets the estimator for usage the provider did not report.</summary>
    public UsageEstimator Estimator { get; }

    /// <summary>
    /// Accounts for one call made in one step: begins it, invokes the inner service, ends it with exactly one record.
    /// Without a gate, an inner task that completed synchronously is returned as it is.
    /// </summary>
    /// <typeparam name="TCall">The adapter's call.</typeparam>
    /// <typeparam name="TResponse">The inner service's response.</typeparam>
    /// <param name="call">The call, not yet begun.</param>
    /// <param name="requestedModel">The model the request names, if any.</param>
    /// <param name="cancellationToken">The call's token.</param>
    /// <returns>The inner service's response.</returns>
    public Task<TResponse> Run<TCall, TResponse>(TCall call, string? requestedModel, CancellationToken cancellationToken)
        where TCall : AccountedCall, IAccountedInvocation<TResponse>
    {
        if (Gate is not null)
        {
            return RunThroughGateAsync<TCall, TResponse>(call, requestedModel, cancellationToken);
        }

        Begin(call, requestedModel);
        Task<TResponse> pending;
        try
        {
            pending = call.Invoke(cancellationToken);
        }
        catch (Exception exception)
        {
            EndWithoutLease(call, OutcomeOf(exception));
            call.Release();
            return Rethrow<TResponse>(ExceptionDispatchInfo.Capture(exception));
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync<TCall, TResponse>(call, pending);
        }

        call.Complete(pending.Result);
        EndWithoutLease(call, UsageOutcome.Succeeded);
        call.Release();
        return pending;
    }

    /// <summary>Faults the returned task as an <c>async</c> method would have (cancelled for an <see cref="OperationCanceledException"/>).</summary>
    /// <typeparam name="TResponse">The task's result.</typeparam>
    /// <param name="failure">The exception, with where it was thrown.</param>
    /// <returns>The faulted (or cancelled) task.</returns>
#pragma warning disable CS1998 // Async method lacks 'await' operators: the async builder decides faulted or cancelled.
    public static async Task<TResponse> Rethrow<TResponse>(ExceptionDispatchInfo failure)
#pragma warning restore CS1998
    {
        failure.Throw();
        throw new UnreachableException();
    }

    /// <summary>The outcome of a call that ended with <paramref name="exception"/>.</summary>
    /// <param name="exception">What ended the call.</param>
    /// <returns><see cref="UsageOutcome.Cancelled"/> for an <see cref="OperationCanceledException"/>, else <see cref="UsageOutcome.Failed"/>.</returns>
    public static UsageOutcome OutcomeOf(Exception exception) =>
        exception is OperationCanceledException ? UsageOutcome.Cancelled : UsageOutcome.Failed;

    /// <summary>Begins a call without a gate: model, clock, attribution, then the tracker. Never throws.</summary>
    /// <param name="call">The call.</param>
    /// <param name="requestedModel">The model the request names, if any.</param>
    public void Begin(AccountedCall call, string? requestedModel)
    {
        Start(call, requestedModel);
        Track(call);
    }

    /// <summary>Begins a call: model, clock, attribution, the gate, the tracker. Throws only when the gate refuses (after recording the refusal).</summary>
    /// <param name="call">The call.</param>
    /// <param name="requestedModel">The model the request names, if any.</param>
    /// <param name="cancellationToken">The call's token, for the gate.</param>
    /// <returns>A task that completes when the call may proceed.</returns>
    public async ValueTask BeginAsync(AccountedCall call, string? requestedModel, CancellationToken cancellationToken)
    {
        Start(call, requestedModel);
        if (Gate is { } gate)
        {
            await AdmitAsync(gate, call, cancellationToken).ConfigureAwait(false);
        }

        Track(call);
    }

    /// <summary>Ends a call: the gate's lease, then exactly one record. Never throws.</summary>
    /// <param name="call">The call.</param>
    /// <param name="outcome">How it ended.</param>
    /// <returns>A task that completes when the record is written; completed already for a call without a lease.</returns>
    public ValueTask EndAsync(AccountedCall call, UsageOutcome outcome)
    {
        if (call.Lease is null)
        {
            EndWithoutLease(call, outcome);
            return default;
        }

        return EndWithLeaseAsync(call, outcome);
    }

    /// <summary><see cref="EndAsync"/> for a call without a lease (no gate, or a gate that let it through unmeasured): synchronous.</summary>
    /// <param name="call">The call.</param>
    /// <param name="outcome">How it ended.</param>
    public void EndWithoutLease(AccountedCall call, UsageOutcome outcome)
    {
        Debug.Assert(call.Lease is null, "A call with a lease ends through EndWithLeaseAsync.");
        if (TryBuildRecord(call, outcome) is { } record)
        {
            Write(call, record, throughTracker: IsBillable(call, outcome));
        }

        call.TrackedRequest?.Dispose();
    }

    /// <summary>Maps the usage the provider reported, with the counts adapters drop read from the raw representation.</summary>
    /// <param name="call">The call, whose <see cref="AccountedCall.Usage"/> is mapped.</param>
    /// <param name="rawUsage">The raw representation that carried the usage, or null.</param>
    /// <param name="mapped">The mapped usage; default (nothing reported, no side known) when this returns false.</param>
    /// <param name="raw">What was read from <paramref name="rawUsage"/>; default when nothing was.</param>
    /// <returns>Whether usage was mapped: false when none was reported, or when mapping failed (reported and counted).</returns>
    /// <remarks>The results are written in place: the counts are a 72-byte struct, and a nullable copy of them per call shows.</remarks>
    public bool TryMap(AccountedCall call, object? rawUsage, out MappedUsage mapped, out RawUsageReading raw)
    {
        raw = default;
        if (call.Usage is not { } usage)
        {
            mapped = default;
            return false;
        }

        try
        {
            mapped = UsageDetailsMapper.Map(usage);
            if (rawUsage is not null)
            {
                raw = RawUsageReader.Read(mapped.Tokens, rawUsage);
                mapped = mapped with { Tokens = raw.Tokens };
            }

            return true;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "mapping reported usage", call.Model);
            mapped = default;
            return false;
        }
    }

    /// <summary>Counts and logs a failure inside accounting; never throws, even when the logger does.</summary>
    /// <param name="exception">What failed.</param>
    /// <param name="stage">What accounting was doing, for the log.</param>
    /// <param name="model">The call's model, for the log.</param>
    public void ReportFailure(Exception exception, string stage, string model)
    {
        Interlocked.Increment(ref _failures);
        try
        {
            AccountingLog.AccountingFailed(_logger, exception, stage, model);
        }
        catch (Exception logException) when (logException is not OutOfMemoryException)
        {
            // A throwing logger must not fail the call either; the counter above still says what happened.
        }
    }

    /// <summary>
    /// Whether the provider may have billed the call: it succeeded, or usage or content arrived before it ended. A call
    /// that ended before either (a 429, a timeout) has no usage to pair: its record goes straight to the recorder and
    /// the tracker counts the request as abandoned; its reservation is released.
    /// </summary>
    private static bool IsBillable(AccountedCall call, UsageOutcome outcome) =>
        outcome == UsageOutcome.Succeeded || call.ConsumedBeforeEnd;

    private async Task<TResponse> AwaitAsync<TCall, TResponse>(TCall call, Task<TResponse> pending)
        where TCall : AccountedCall, IAccountedInvocation<TResponse>
    {
        TResponse response;
        try
        {
            response = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            EndWithoutLease(call, OutcomeOf(exception));
            call.Release();
            throw;
        }

        call.Complete(response);
        EndWithoutLease(call, UsageOutcome.Succeeded);
        call.Release();
        return response;
    }

    private async Task<TResponse> RunThroughGateAsync<TCall, TResponse>(TCall call, string? requestedModel, CancellationToken cancellationToken)
        where TCall : AccountedCall, IAccountedInvocation<TResponse>
    {
        await BeginAsync(call, requestedModel, cancellationToken).ConfigureAwait(false);
        TResponse response;
        try
        {
            response = await call.Invoke(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await EndAsync(call, OutcomeOf(exception)).ConfigureAwait(false);
            throw;
        }

        call.Complete(response);
        await EndAsync(call, UsageOutcome.Succeeded).ConfigureAwait(false);
        return response;
    }

    private void Start(AccountedCall call, string? requestedModel)
    {
        call.StartedAt = _timeProvider.GetUtcNow();
        call.StartTimestamp = _timeProvider.GetTimestamp();
        call.Model = string.IsNullOrWhiteSpace(requestedModel) ? _defaultModel ?? TokenAccountingChatClientOptions.UnknownModel : requestedModel;
        try
        {
            call.Attribute();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "resolving attribution", call.Model);
        }
    }

    private void Track(AccountedCall call)
    {
        if (!call.IsTracked)
        {
            return;
        }

        try
        {
            // A handle of its own: concurrent calls through one tracker pair exactly, and the end always closes it.
            call.TrackedRequest = UsageTracker.Current?.BeginRequest(call.HistoryLength ?? 0);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "beginning the request on the usage tracker", call.Model);
        }
    }

    private async ValueTask AdmitAsync(IUsageGate gate, AccountedCall call, CancellationToken cancellationToken)
    {
        long estimatedInput = 0;
        try
        {
            estimatedInput = Estimator.EstimateInputTokens(call.RequestBytes);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Still gated, with no input estimate: an exhausted budget refuses the call whatever its size, so a request
            // the estimator cannot measure is never a way past the budget.
            ReportFailure(exception, "estimating the request for the gate", call.Model);
        }

        try
        {
            call.Lease = await gate.AdmitAsync(
                new UsageGateRequest(call.Model, Provider, _operation, call.Attribution, estimatedInput, call.MaxOutputTokens), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Refused (or the gate failed closed): nothing reaches the inner service, and the refusal is on record.
            Write(call, BuildRecord(call, UsageOutcome.Skipped, CallUsage.Nothing, null), throughTracker: false);
            throw;
        }

        if (call.Lease?.MaxOutputTokens is int cap)
        {
            call.CapOutputTokens(cap);
        }
    }

    private async ValueTask EndWithLeaseAsync(AccountedCall call, UsageOutcome outcome)
    {
        var record = TryBuildRecord(call, outcome);

        // The lease completes first: it commits the actual usage (or releases the reservation when the provider cannot
        // have billed the call) and marks the record as counted by the budget.
        try
        {
            var completed = await call.Lease!.CompleteAsync(record ?? BuildRecord(call, outcome, CallUsage.Nothing, null), IsBillable(call, outcome), CancellationToken.None).ConfigureAwait(false);
            record = record is null ? null : completed;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "completing the budget reservation", call.Model);
        }

        if (record is not null)
        {
            Write(call, record, throughTracker: IsBillable(call, outcome));
        }

        call.TrackedRequest?.Dispose();
    }

    private UsageRecord? TryBuildRecord(AccountedCall call, UsageOutcome outcome)
    {
        try
        {
            var usage = call.Measure(this);
            return BuildRecord(call, outcome, usage, outcome == UsageOutcome.Succeeded && usage.Provenance == UsageProvenance.Estimated ? NotReported : null);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "building the usage record", call.Model);
            return null;
        }
    }

    private UsageRecord BuildRecord(AccountedCall call, UsageOutcome outcome, in CallUsage usage, string? degradedReason)
    {
        // One clock read: the completion is the start plus the measured latency, so CompletedAt − StartedAt = Latency.
        var latency = _timeProvider.GetElapsedTime(call.StartTimestamp);
        if (latency < TimeSpan.Zero)
        {
            latency = TimeSpan.Zero;
        }

        var attribution = call.Attribution;
        return new UsageRecord
        {
            Model = call.Model,
            ResponseModel = call.ResponseModel,
            Provider = Provider,
            Operation = _operation,
            Tokens = usage.Tokens,
            Provenance = usage.Provenance,
            Outcome = outcome,
            DegradedReason = degradedReason,
            StartedAt = call.StartedAt,
            CompletedAt = call.StartedAt + latency,
            Latency = latency,
            HistoryLength = call.HistoryLength,
            CorrelationId = attribution?.CorrelationId,
            UserId = attribution?.UserId,
            TenantId = attribution?.TenantId,
            ApiKeyId = attribution?.ApiKeyId,
            Route = attribution?.Route,
            ServiceTier = usage.ServiceTier ?? attribution?.ServiceTier,
            ServerToolCalls = usage.ServerToolCalls,
            Tags = attribution?.Tags,
        };
    }

    private void Write(AccountedCall call, UsageRecord record, bool throughTracker)
    {
        try
        {
            if (throughTracker && call.TrackedRequest is { } request)
            {
                request.RecordUsage(record);
            }
            else
            {
                _recorder.Record(record);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "recording usage", call.Model);
        }
    }
}
