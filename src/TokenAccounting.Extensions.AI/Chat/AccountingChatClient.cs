using System.Diagnostics;
using System.Runtime.ExceptionServices;
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
/// <para>
/// The record's model is <see cref="ChatOptions.ModelId"/>, else the inner client's
/// <see cref="ChatClientMetadata.DefaultModelId"/>, else <see cref="TokenAccountingChatClientOptions.UnknownModel"/>.
/// Usage is mapped by <see cref="UsageDetailsMapper"/>; when the provider reports none, input is estimated from the
/// UTF-8 size of the request text and output from the streamed chunk count (or the response text size), with
/// <see cref="UsageProvenance.Estimated"/>. When a <see cref="UsageTracker"/> is attached to the flow, each call begins
/// its own <see cref="UsageTrackerRequest"/> on it and records through that handle, so concurrent calls pair exactly; a
/// call that ends before any usage or content arrived withdraws its request (counted as abandoned) and its record goes
/// straight to the recorder.
/// </para>
/// <para>
/// What the response says about the call served is recorded too: <see cref="UsageRecord.ServiceTier"/> is the tier the
/// provider reports (OpenAI's <c>service_tier</c> on the completion, response or stream chunk; Anthropic's
/// <c>usage.service_tier</c>), else the attribution resolver's; <see cref="UsageRecord.ServerToolCalls"/> counts the
/// provider-side tool calls billed per call (Anthropic's <c>WebSearchRequests</c> and <c>WebFetchRequests</c> usage
/// counts and any other <c>server_tool_use</c> entry, OpenAI Responses' <c>web_search_call</c> items as
/// <see cref="WebSearchToolCallContent"/>s, one per call id).
/// </para>
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

        // Budgets without a single policy can never refuse or count anything: no gate, no per-call reservation.
        _gate = options.Gate ?? (options.Budgets is { Policies.Count: > 0 } budgets
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
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (messages is null || _gate is not null)
        {
            return GetResponseThroughGateAsync(messages!, options, cancellationToken);
        }

        // No gate: accounting starts and ends synchronously, and an inner client that answers synchronously (a cache,
        // a test double) costs no state machine and no task of this method's own: its task is returned as it is.
        var call = Begin(messages, options);
        Task<ChatResponse> pending;
        try
        {
            pending = base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception exception)
        {
            EndWithoutLease(call, OutcomeOf(exception));
            return Rethrow(ExceptionDispatchInfo.Capture(exception));
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitResponseAsync(call, pending);
        }

        Complete(call, pending.Result);
        EndWithoutLease(call, UsageOutcome.Succeeded);
        return pending;
    }

    /// <summary>Faults the returned task as an <c>async</c> method would have (cancelled for an <see cref="OperationCanceledException"/>).</summary>
#pragma warning disable CS1998 // Async method lacks 'await' operators: the async builder decides faulted or cancelled.
    private static async Task<ChatResponse> Rethrow(ExceptionDispatchInfo failure)
#pragma warning restore CS1998
    {
        failure.Throw();
        throw new UnreachableException();
    }

    private async Task<ChatResponse> AwaitResponseAsync(ChatCall call, Task<ChatResponse> pending)
    {
        ChatResponse response;
        try
        {
            response = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            EndWithoutLease(call, OutcomeOf(exception));
            throw;
        }

        Complete(call, response);
        EndWithoutLease(call, UsageOutcome.Succeeded);
        return response;
    }

    private async Task<ChatResponse> GetResponseThroughGateAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
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

        Complete(call, response);
        await EndAsync(call, UsageOutcome.Succeeded).ConfigureAwait(false);
        return response;
    }

    private static void Complete(ChatCall call, ChatResponse response)
    {
        call.ResponseModel = response.ModelId;
        call.Usage = response.Usage;
        call.RawUsage = response.RawRepresentation;
        call.RawResponse = response.RawRepresentation;
        call.ResponseMessages = response.Messages;
    }

    private static UsageOutcome OutcomeOf(Exception exception) =>
        exception is OperationCanceledException ? UsageOutcome.Cancelled : UsageOutcome.Failed;

    /// <summary>Starts accounting for one call without a gate: attribution, then the tracker. Never throws.</summary>
    private ChatCall Begin(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var call = Start(messages, options);
        Track(call);
        return call;
    }

    /// <summary>Starts accounting for one call: attribution, the gate, the tracker. Throws only when the gate refuses.</summary>
    private async ValueTask<ChatCall> BeginAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var call = Start(messages, options);
        if (_gate is { } gate)
        {
            await AdmitAsync(gate, call, cancellationToken).ConfigureAwait(false);
        }

        Track(call);
        return call;
    }

    private ChatCall Start(IEnumerable<ChatMessage> messages, ChatOptions? options)
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

        return call;
    }

    private void Track(ChatCall call)
    {
        try
        {
            // A handle of its own: concurrent calls through one tracker pair exactly, and End always closes it.
            call.TrackedRequest = UsageTracker.Current?.BeginRequest(call.HistoryLength);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "beginning the request on the usage tracker", call.Model);
        }
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
            Write(call, BuildRecord(call, UsageOutcome.Skipped, CallUsage.Nothing, null), throughTracker: false);
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
    private ValueTask EndAsync(ChatCall call, UsageOutcome outcome)
    {
        if (call.Lease is null)
        {
            EndWithoutLease(call, outcome);
            return default;
        }

        return EndWithLeaseAsync(call, outcome);
    }

    /// <summary><see cref="EndAsync"/> for a call without a lease (no gate, or a gate that refused nothing): synchronous.</summary>
    private void EndWithoutLease(ChatCall call, UsageOutcome outcome)
    {
        Debug.Assert(call.Lease is null, "A call with a lease ends through EndWithLeaseAsync.");
        if (TryBuildRecord(call, outcome) is { } record)
        {
            Write(call, record, throughTracker: IsBillable(call, outcome));
        }

        call.TrackedRequest?.Dispose();
    }

    private async ValueTask EndWithLeaseAsync(ChatCall call, UsageOutcome outcome)
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

    /// <summary>
    /// Whether the provider may have billed the call: it succeeded, or usage or content arrived before it ended. A call
    /// that ended before either (a 429, a timeout) has no usage to pair: its record goes straight to the recorder and
    /// the tracker counts the request as abandoned; its reservation is released.
    /// </summary>
    private static bool IsBillable(ChatCall call, UsageOutcome outcome) =>
        outcome == UsageOutcome.Succeeded || call.Usage is not null || call.ChunkCount > 0;

    private UsageRecord? TryBuildRecord(ChatCall call, UsageOutcome outcome)
    {
        try
        {
            var usage = Measure(call);
            return BuildRecord(call, outcome, usage, outcome == UsageOutcome.Succeeded && usage.Provenance == UsageProvenance.Estimated ? NotReported : null);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "building the usage record", call.Model);
            return null;
        }
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

    /// <summary>The call's tokens (reported, else estimated), served tier and server-side tool calls.</summary>
    private CallUsage Measure(ChatCall call)
    {
        MappedUsage? mapped = null;
        RawUsageReading raw = default;
        if (call.Usage is { } usage)
        {
            try
            {
                var map = UsageDetailsMapper.Map(usage);
                if ((call.RawUsage ?? call.RawFirstUpdate) is { } rawUsage)
                {
                    raw = RawUsageReader.Read(map.Tokens, rawUsage);
                    map = map with { Tokens = raw.Tokens };
                }

                mapped = map;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                ReportFailure(exception, "mapping reported usage", call.Model);
            }
        }

        var tier = call.RawResponse is { } response ? RawUsageReader.ServiceTierOf(response) ?? raw.ServiceTier : raw.ServiceTier;
        var toolCalls = ServerToolCalls(raw.ServerToolCalls, mapped, call.WebSearchCalls(), call.Model);
        if (mapped is { HasInput: true, HasOutput: true } reported)
        {
            return new CallUsage(reported.Tokens, UsageProvenance.Reported, tier, toolCalls);
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
        return new CallUsage(tokens, UsageProvenance.Estimated, tier, toolCalls);
    }

    /// <summary>
    /// The server-side tool calls: what the raw usage's parser read, the usage counts the adapter passed on (they win
    /// for their tool), then web searches seen as content for a tool no usage count reported; null when none.
    /// </summary>
    private IReadOnlyDictionary<string, long>? ServerToolCalls(IReadOnlyDictionary<string, long>? parsed, MappedUsage? mapped, long webSearchContents, string model)
    {
        var webSearch = mapped?.WebSearchCalls ?? 0;
        var webFetch = mapped?.WebFetchCalls ?? 0;
        if (webSearch == 0 && webFetch == 0 && webSearchContents == 0)
        {
            return parsed;
        }

        try
        {
            var calls = parsed is null ? new Dictionary<string, long>(2, StringComparer.OrdinalIgnoreCase) : new Dictionary<string, long>(parsed, StringComparer.OrdinalIgnoreCase);
            Set(calls, ServerTools.WebSearch, webSearch, replace: true);
            Set(calls, ServerTools.WebFetch, webFetch, replace: true);
            Set(calls, ServerTools.WebSearch, webSearchContents, replace: false);
            return calls;
        }
        catch (ArgumentException exception)
        {
            // Parsed names that differ only in case: keep what the parser read.
            ReportFailure(exception, "counting server tool calls", model);
            return parsed;
        }
    }

    private static void Set(Dictionary<string, long> calls, string tool, long count, bool replace)
    {
        // Never more kinds than a record may carry (the parser already keeps to the limit).
        if (count > 0 && (calls.ContainsKey(tool) ? replace : calls.Count < UsageRecordLimits.MaxServerToolCount))
        {
            calls[tool] = count;
        }
    }

    private UsageRecord BuildRecord(ChatCall call, UsageOutcome outcome, in CallUsage usage, string? degradedReason)
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
            Provider = _provider,
            Operation = UsageOperation.Chat,
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

    /// <summary>What a call consumed, as recorded.</summary>
    private readonly record struct CallUsage(TokenCounts Tokens, UsageProvenance Provenance, string? ServiceTier, IReadOnlyDictionary<string, long>? ServerToolCalls)
    {
        /// <summary>Nothing consumed (a refused call, or a record built after the real one failed to build).</summary>
        public static CallUsage Nothing => new(TokenCounts.Zero, UsageProvenance.Estimated, null, null);
    }

    /// <summary>What accounting knows about one call, from start to end.</summary>
    private sealed class ChatCall(IEnumerable<ChatMessage> messages, ChatOptions? options, DateTimeOffset startedAt, long startTimestamp)
    {
        private long? _requestBytes;
        private long _webSearchesWithoutId;
        private object? _webSearchIds; // the one id seen, or a HashSet<string> once there are more
        private bool _responseScanned;

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

        /// <summary>Gets or sets the raw representation of a whole response, or of the stream update that carried the usage: where OpenAI says which tier served the call.</summary>
        public object? RawResponse { get; set; }

        /// <summary>Gets or sets the raw representation of a stream's first update (Anthropic's message_start carries the cache-write split and the tier).</summary>
        public object? RawFirstUpdate { get; set; }

        public IList<ChatMessage>? ResponseMessages { get; set; }

        public bool IsStreaming { get; set; }

        public long ChunkCount { get; set; }

        /// <summary>Gets the UTF-8 size of the request text, measured once and only when an estimate needs it.</summary>
        public long RequestBytes => _requestBytes ??= RequestSize.Of(Messages, Options);

        /// <summary>Notes a web search seen in the stream; a call id seen before (in progress, then done) counts once.</summary>
        public void NoteWebSearch(string? callId)
        {
            if (string.IsNullOrEmpty(callId))
            {
                _webSearchesWithoutId++;
            }
            else if (_webSearchIds is null)
            {
                _webSearchIds = callId;
            }
            else if (_webSearchIds is string only)
            {
                if (!string.Equals(only, callId, StringComparison.Ordinal))
                {
                    _webSearchIds = new HashSet<string>(StringComparer.Ordinal) { only, callId };
                }
            }
            else
            {
                ((HashSet<string>)_webSearchIds).Add(callId);
            }
        }

        /// <summary>The web searches seen as content: in the stream, or in the whole response's messages.</summary>
        public long WebSearchCalls()
        {
            if (!IsStreaming && !_responseScanned && ResponseMessages is { } messages)
            {
                _responseScanned = true;
                for (var i = 0; i < messages.Count; i++)
                {
                    var contents = messages[i].Contents;
                    for (var j = 0; j < contents.Count; j++)
                    {
                        if (contents[j] is WebSearchToolCallContent search)
                        {
                            NoteWebSearch(search.CallId);
                        }
                    }
                }
            }

            return _webSearchesWithoutId + _webSearchIds switch
            {
                null => 0,
                string => 1,
                HashSet<string> ids => ids.Count,
                _ => 0,
            };
        }
    }
}
