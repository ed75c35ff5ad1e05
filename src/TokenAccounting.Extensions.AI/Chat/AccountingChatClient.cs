using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenAccounting;

/// <summary>
/// An <see cref="IChatClient"/> middleware that writes exactly one <see cref="UsageRecord"/> per inner call —
/// succeeded, failed, cancelled, or a stream its consumer stopped early — and never lets accounting fail the call.
/// Create it with <c>chatClient.WithTokenAccounting(...)</c>; find it in a pipeline with
/// <c>client.GetService&lt;AccountingChatClient&gt;()</c>.
/// </summary>
/// <remarks>
/// The record's model is <see cref="ChatOptions.ModelId"/>, else the inner client's
/// <see cref="ChatClientMetadata.DefaultModelId"/>, else <see cref="TokenAccountingChatClientOptions.UnknownModel"/>.
/// Usage is mapped by <see cref="UsageDetailsMapper"/>; when the provider reports none, input is estimated from the
/// UTF-8 size of the request text and output from the streamed chunk count (or the response text size), with
/// <see cref="UsageProvenance.Estimated"/>. When a <see cref="UsageTracker"/> is attached to the flow, each call begins
/// its own <see cref="UsageTrackerRequest"/> on it and records through that handle, so concurrent calls pair exactly; a
/// call that ends before any usage or content arrived withdraws its request (counted as abandoned) and its record goes
/// straight to the recorder.
/// </remarks>
public sealed partial class AccountingChatClient : DelegatingChatClient
{
    private const string NotReported = "usage_not_reported";

    private readonly IUsageRecorder _recorder;
    private readonly TimeProvider _timeProvider;
    private readonly UsageEstimator _estimator;
    private readonly ILogger _logger;
    private readonly string? _provider;
    private readonly string? _defaultModel;
    private readonly Func<IEnumerable<ChatMessage>, ChatOptions?, UsageAttribution?>? _attributionResolver;
    private readonly bool _cumulativeStreamingUsage;
    private readonly IUsageGate? _gate;
    private long _accountingFailures;

    internal AccountingChatClient(IChatClient innerClient, IUsageRecorder recorder, TokenAccountingChatClientOptions options)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Estimator is null)
        {
            throw new ArgumentException("TokenAccountingChatClientOptions.Estimator must not be null.", nameof(options));
        }

        if (options.TimeProvider is null)
        {
            throw new ArgumentException("TokenAccountingChatClientOptions.TimeProvider must not be null.", nameof(options));
        }

        if (options.ProviderName is { } name && string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("TokenAccountingChatClientOptions.ProviderName must be null or a non-blank name.", nameof(options));
        }

        _recorder = recorder;
        _timeProvider = options.TimeProvider;
        _estimator = options.Estimator;
        _logger = options.Logger ?? NullLogger.Instance;
        _attributionResolver = options.AttributionResolver;
        _cumulativeStreamingUsage = options.StreamingUsageIsCumulative;
        ArgumentOutOfRangeException.ThrowIfNegative(options.DefaultOutputTokenEstimate, "options.DefaultOutputTokenEstimate");
        _gate = options.Gate ?? (options.Budgets is { } budgets
            ? new BudgetUsageGate(budgets, options.PriceCatalog, options.TimeProvider, options.DefaultOutputTokenEstimate, options.CapOutputTokensToBudget)
            : null);

        ChatClientMetadata? metadata = null;
        try
        {
            metadata = innerClient.GetService<ChatClientMetadata>();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "reading the inner client's metadata", UnknownModel);
        }

        _provider = options.ProviderName ?? metadata?.ProviderName;
        _defaultModel = string.IsNullOrWhiteSpace(metadata?.DefaultModelId) ? null : metadata.DefaultModelId;
    }

    /// <summary>
    /// Gets how many times accounting itself failed (a recorder, resolver or gate completion that threw, usage that
    /// could not be mapped). Each failure is logged; none reached the caller.
    /// </summary>
    public long AccountingFailureCount => Interlocked.Read(ref _accountingFailures);

    private static string UnknownModel => TokenAccountingChatClientOptions.UnknownModel;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var call = await BeginAsync(messages, options, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, call.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await EndAsync(call, OutcomeOf(exception)).ConfigureAwait(false);
            throw;
        }

        call.ResponseModel = response.ModelId;
        call.Usage = response.Usage;
        call.RawUsage = response.RawRepresentation;
        call.ResponseMessages = response.Messages;
        await EndAsync(call, UsageOutcome.Succeeded).ConfigureAwait(false);
        return response;
    }

    private static UsageOutcome OutcomeOf(Exception exception) =>
        exception is OperationCanceledException ? UsageOutcome.Cancelled : UsageOutcome.Failed;

    /// <summary>Starts accounting for one call: attribution, the gate, the tracker. Throws only when the gate refuses.</summary>
    private async ValueTask<ChatCall> BeginAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var call = new ChatCall(messages, options, _timeProvider.GetUtcNow(), _timeProvider.GetTimestamp())
        {
            Model = string.IsNullOrWhiteSpace(options?.ModelId) ? _defaultModel ?? UnknownModel : options.ModelId,
        };

        try
        {
            call.HistoryLength = messages.TryGetNonEnumeratedCount(out var count) ? count : messages.Count();
            if (_attributionResolver is { } resolver)
            {
                call.Attribution = resolver(messages, options);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "resolving attribution", call.Model);
        }

        if (_gate is { } gate)
        {
            await AdmitAsync(gate, call, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            // A handle of its own: concurrent calls through one tracker pair exactly, and End always closes it.
            call.TrackedRequest = UsageTracker.Current?.BeginRequest(call.HistoryLength);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "beginning the request on the usage tracker", call.Model);
        }

        return call;
    }

    private async ValueTask AdmitAsync(IUsageGate gate, ChatCall call, CancellationToken cancellationToken)
    {
        UsageGateRequest request;
        try
        {
            var estimatedInput = _estimator.EstimateInputTokens(call.RequestBytes);
            request = new UsageGateRequest(call.Model, _provider, UsageOperation.Chat, call.Attribution, estimatedInput, call.Options?.MaxOutputTokens);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "estimating the request for the gate", call.Model);
            return;
        }

        try
        {
            call.Lease = await gate.AdmitAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Refused (or the gate failed closed): nothing reaches the inner client, and the refusal is on record.
            Write(call, BuildRecord(call, UsageOutcome.Skipped, TokenCounts.Zero, UsageProvenance.Estimated, null), throughTracker: false);
            throw;
        }

        if (call.Lease?.MaxOutputTokens is int cap && (call.Options?.MaxOutputTokens is not int requested || requested > cap))
        {
            var capped = call.Options?.Clone() ?? new ChatOptions();
            capped.MaxOutputTokens = Math.Max(0, cap);
            call.Options = capped;
        }
    }

    /// <summary>Ends accounting for one call: the gate lease, then exactly one record. Never throws.</summary>
    private async ValueTask EndAsync(ChatCall call, UsageOutcome outcome)
    {
        UsageRecord? record = null;
        try
        {
            var (tokens, provenance) = Tokens(call);
            record = BuildRecord(call, outcome, tokens, provenance, outcome == UsageOutcome.Succeeded && provenance == UsageProvenance.Estimated ? NotReported : null);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "building the usage record", call.Model);
        }

        // The lease completes first: it commits the actual usage (or releases the reservation when the provider cannot
        // have billed the call) and marks the record as counted by the budget.
        if (call.Lease is { } lease)
        {
            try
            {
                var billable = outcome == UsageOutcome.Succeeded || call.Usage is not null || call.ChunkCount > 0;
                var completed = await lease.CompleteAsync(record ?? BuildRecord(call, outcome, TokenCounts.Zero, UsageProvenance.Estimated, null), billable, CancellationToken.None).ConfigureAwait(false);
                record = record is null ? null : completed;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "completing the budget reservation", call.Model);
            }
        }

        if (record is not null)
        {
            // A call that ended before any usage or content arrived (a 429, a timeout) has no usage to pair: its
            // record goes straight to the recorder and the tracker counts the request as abandoned.
            Write(call, record, throughTracker: outcome == UsageOutcome.Succeeded || call.Usage is not null || call.ChunkCount > 0);
        }

        call.TrackedRequest?.Dispose();
    }

    private void Write(ChatCall call, UsageRecord record, bool throughTracker)
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

    private (TokenCounts Tokens, UsageProvenance Provenance) Tokens(ChatCall call)
    {
        MappedUsage? mapped = null;
        if (call.Usage is { } usage)
        {
            try
            {
                mapped = UsageDetailsMapper.Map(usage);
                mapped = mapped.Value with { Tokens = RawUsageReader.Supplement(mapped.Value.Tokens, call.RawUsage ?? call.RawFirstUpdate) };
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "mapping reported usage", call.Model);
            }
        }

        if (mapped is { HasInput: true, HasOutput: true } reported)
        {
            return (reported.Tokens, UsageProvenance.Reported);
        }

        var known = mapped?.Tokens ?? TokenCounts.Zero;
        var input = mapped?.HasInput == true ? known.Input : _estimator.EstimateInputTokens(call.RequestBytes);
        long output;
        if (mapped?.HasOutput == true)
        {
            output = known.Output;
        }
        else if (call.IsStreaming)
        {
            output = _estimator.EstimateOutputTokens(call.ChunkCount);
        }
        else
        {
            // A whole response has no chunks: estimate its text like a request, at the same bytes per token.
            output = call.ResponseMessages is { } responseMessages ? _estimator.EstimateInputTokens(RequestSize.Of(responseMessages)) : 0;
        }

        input = Math.Max(input, known.CachedInput + known.CacheWriteInput);
        output = Math.Max(output, known.Reasoning);
        var tokens = new TokenCounts(input, output, known.CachedInput, known.CacheWriteInput, known.CacheWriteLongTtlInput, known.Reasoning);
        return (tokens, UsageProvenance.Estimated);
    }

    private UsageRecord BuildRecord(ChatCall call, UsageOutcome outcome, TokenCounts tokens, UsageProvenance provenance, string? degradedReason)
    {
        var latency = _timeProvider.GetElapsedTime(call.StartTimestamp);
        var completedAt = _timeProvider.GetUtcNow();
        if (completedAt < call.StartedAt)
        {
            completedAt = call.StartedAt;
        }

        var attribution = call.Attribution;
        return new UsageRecord
        {
            Model = call.Model,
            ResponseModel = call.ResponseModel,
            Provider = _provider,
            Operation = UsageOperation.Chat,
            Tokens = tokens,
            Provenance = provenance,
            Outcome = outcome,
            DegradedReason = degradedReason,
            StartedAt = call.StartedAt,
            CompletedAt = completedAt,
            Latency = latency < TimeSpan.Zero ? TimeSpan.Zero : latency,
            HistoryLength = call.HistoryLength,
            CorrelationId = attribution?.CorrelationId,
            UserId = attribution?.UserId,
            TenantId = attribution?.TenantId,
            ApiKeyId = attribution?.ApiKeyId,
            Route = attribution?.Route,
            ServiceTier = attribution?.ServiceTier,
            Tags = attribution?.Tags,
        };
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

    /// <summary>What accounting knows about one call, from start to end.</summary>
    private sealed class ChatCall(IEnumerable<ChatMessage> messages, ChatOptions? options, DateTimeOffset startedAt, long startTimestamp)
    {
        private long? _requestBytes;

        public IEnumerable<ChatMessage> Messages { get; } = messages;

        public ChatOptions? Options { get; set; } = options;

        public DateTimeOffset StartedAt { get; } = startedAt;

        public long StartTimestamp { get; } = startTimestamp;

        public required string Model { get; init; }

        public int HistoryLength { get; set; }

        public UsageAttribution? Attribution { get; set; }

        public UsageTrackerRequest? TrackedRequest { get; set; }

        public IUsageGateLease? Lease { get; set; }

        public string? ResponseModel { get; set; }

        public UsageDetails? Usage { get; set; }

        /// <summary>Gets or sets the raw representation that carried the usage (response, usage content or its update), for counts adapters drop.</summary>
        public object? RawUsage { get; set; }

        /// <summary>Gets or sets the raw representation of a stream's first update (Anthropic's message_start carries the cache-write split).</summary>
        public object? RawFirstUpdate { get; set; }

        public IList<ChatMessage>? ResponseMessages { get; set; }

        public bool IsStreaming { get; set; }

        public long ChunkCount { get; set; }

        /// <summary>Gets the UTF-8 size of the request text, measured once and only when an estimate needs it.</summary>
        public long RequestBytes => _requestBytes ??= RequestSize.Of(Messages, Options);
    }
}
