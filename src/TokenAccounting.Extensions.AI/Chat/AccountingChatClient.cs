using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

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
    private readonly UsageAccountant _accountant;
    private readonly Func<IEnumerable<ChatMessage>, ChatOptions?, UsageAttribution?>? _attributionResolver;
    private readonly bool _cumulativeStreamingUsage;

    internal AccountingChatClient(IChatClient innerClient, IUsageRecorder recorder, TokenAccountingChatClientOptions options)
        : base(innerClient)
    {
        _accountant = new UsageAccountant(recorder, options, UsageOperation.Chat, "client", () =>
            innerClient.GetService<ChatClientMetadata>() is { } metadata ? (metadata.ProviderName, metadata.DefaultModelId) : default);
        _attributionResolver = options.AttributionResolver;
        _cumulativeStreamingUsage = options.StreamingUsageIsCumulative;
    }

    /// <summary>
    /// Gets how many times accounting itself failed (a recorder, resolver or gate completion that threw, usage that
    /// could not be mapped). Each failure is logged; none reached the caller.
    /// </summary>
    public long AccountingFailureCount => _accountant.FailureCount;

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (messages is null)
        {
            return UsageAccountant.Rethrow<ChatResponse>(ExceptionDispatchInfo.Capture(new ArgumentNullException(nameof(messages))));
        }

        // Without a gate, an inner client that answers synchronously (a cache, a test double) costs no state machine
        // and no task of this method's own: its task is returned as it is, and the call's state is reused.
        return _accountant.Run<ResponseCall, ChatResponse>(ResponseCall.Rent(this, messages, options), options?.ModelId, cancellationToken);
    }

    /// <summary>
    /// What accounting knows about one chat call: the request (its size, its history, its output cap), and what the
    /// response or stream reported. A call that ends before any usage or content arrived is not billable.
    /// </summary>
    private abstract class ChatCall : AccountedCall
    {
        private long _requestBytes = -1;
        private long _webSearchesWithoutId;
        private object? _webSearchIds; // the one id seen, or a HashSet<string> once there are more

        protected ChatCall(AccountingChatClient owner, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            Owner = owner;
            Messages = messages;
            Options = options;
            HistoryLength = 0;
        }

        public AccountingChatClient Owner { get; private set; }

        public IEnumerable<ChatMessage> Messages { get; private set; }

        /// <summary>Gets or sets the options sent to the inner client: the caller's, or a copy with the output cap the gate allowed.</summary>
        public ChatOptions? Options { get; set; }

        public override bool IsTracked => true;

        public override bool ConsumedBeforeEnd => Usage is not null;

        /// <summary>Makes an ended call, cleared by <see cref="Clear"/>, the call of a new request.</summary>
        protected void Reuse(AccountingChatClient owner, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            Owner = owner;
            Messages = messages;
            Options = options;
        }

        /// <summary>Returns an ended call to the state of a new one, references dropped (what a spare call holds must not keep a request alive).</summary>
        protected override void Clear()
        {
            base.Clear();
            Owner = null!;
            Messages = null!;
            Options = null;
            HistoryLength = 0;
            _requestBytes = -1;
            _webSearchesWithoutId = 0;
            _webSearchIds = null;
        }

        public override int? MaxOutputTokens => Options?.MaxOutputTokens;


        /// <summary>Gets the UTF-8 size of the request text, measured once and only when an estimate needs it.</summary>
        public override long RequestBytes => _requestBytes >= 0 ? _requestBytes : _requestBytes = RequestSize.Of(Messages, Options);

        /// <summary>Gets the raw representation the usage's counts are read from (for counts adapters drop).</summary>
        protected abstract object? RawUsage { get; }

        /// <summary>Gets the raw representation of a whole response, or of the stream update that carried the usage: where OpenAI says which tier served the call.</summary>
        protected abstract object? RawResponse { get; }

        public override void Attribute()
        {
            // A List<ChatMessage> (what callers pass) is counted without the interface checks of TryGetNonEnumeratedCount.
            HistoryLength = Messages.GetType() == typeof(List<ChatMessage>) ? Unsafe.As<List<ChatMessage>>(Messages).Count
                : Messages.TryGetNonEnumeratedCount(out var count) ? count : Messages.Count();
            if (Owner._attributionResolver is { } resolver)
            {
                Attribution = resolver(Messages, Options);
            }
        }

        public override void CapOutputTokens(int cap)
        {
            if (Options?.MaxOutputTokens is not int requested || requested > cap)
            {
                var capped = Options?.Clone() ?? new ChatOptions();
                capped.MaxOutputTokens = Math.Max(0, cap);
                Options = capped;
            }
        }

        /// <summary>The call's tokens (reported, else estimated), served tier and server-side tool calls.</summary>
        public override CallUsage Measure(UsageAccountant accountant)
        {
            // Nothing mapped leaves `mapped` default: no side known, zero counts, no tool calls.
            var reported = accountant.TryMap(this, RawUsage, out var mapped, out var raw);
            var tier = RawResponse is { } response ? RawUsageReader.ServiceTierOf(response) ?? raw.ServiceTier : raw.ServiceTier;
            var toolCalls = ServerToolCalls(accountant, raw.ServerToolCalls, mapped.WebSearchCalls, mapped.WebFetchCalls, WebSearchCalls());
            if (reported && mapped.HasInput && mapped.HasOutput)
            {
                return new CallUsage(mapped.Tokens, UsageProvenance.Reported, tier, toolCalls);
            }

            var known = mapped.Tokens;
            var input = mapped.HasInput ? known.Input : accountant.Estimator.EstimateInputTokens(RequestBytes);
            var output = mapped.HasOutput ? known.Output : EstimateOutputTokens(accountant.Estimator);
            input = Math.Max(input, known.CachedInput + known.CacheWriteInput);
            output = Math.Max(output, known.Reasoning);
            var tokens = new TokenCounts(input, output, known.CachedInput, known.CacheWriteInput, known.CacheWriteLongTtlInput, known.Reasoning);
            return new CallUsage(tokens, UsageProvenance.Estimated, tier, toolCalls);
        }

        /// <summary>Notes a web search seen as content; a call id seen before (in progress, then done) counts once.</summary>
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

        /// <summary>The output tokens of a call that reported none.</summary>
        protected abstract long EstimateOutputTokens(UsageEstimator estimator);

        /// <summary>Notes the web searches a whole response carries (a stream notes them as they arrive).</summary>
        protected virtual void NoteResponseWebSearches()
        {
        }

        private static void Set(Dictionary<string, long> calls, string tool, long count, bool replace)
        {
            // Never more kinds than a record may carry (the parser already keeps to the limit).
            if (count > 0 && (calls.ContainsKey(tool) ? replace : calls.Count < UsageRecordLimits.MaxServerToolCount))
            {
                calls[tool] = count;
            }
        }

        /// <summary>The web searches seen as content: in the stream, or in the whole response's messages.</summary>
        private long WebSearchCalls()
        {
            NoteResponseWebSearches();
            return _webSearchesWithoutId + _webSearchIds switch
            {
                null => 0,
                string => 1,
                HashSet<string> ids => ids.Count,
                _ => 0,
            };
        }

        /// <summary>
        /// The server-side tool calls: what the raw usage's parser read, the usage counts the adapter passed on (they win
        /// for their tool), then web searches seen as content for a tool no usage count reported; null when none.
        /// </summary>
        private IReadOnlyDictionary<string, long>? ServerToolCalls(UsageAccountant accountant, IReadOnlyDictionary<string, long>? parsed, long webSearch, long webFetch, long webSearchContents)
        {
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
                accountant.ReportFailure(exception, "counting server tool calls", Model);
                return parsed;
            }
        }
    }

    /// <summary>
    /// A call answered by one whole <see cref="ChatResponse"/>. An ended call is kept as its thread's spare and reused
    /// by the next call there (<see cref="Rent"/>, <see cref="Release"/>): a call of a client without a gate that
    /// answers synchronously then allocates nothing of its own but the record.
    /// </summary>
    private sealed class ResponseCall : ChatCall, IAccountedInvocation<ChatResponse>
    {
        [ThreadStatic]
        private static ResponseCall? t_spare;

        // The response itself, read when the call ends (before it reaches the caller): its raw representation carries
        // the usage and the tier, its messages the text and the web searches.
        private ChatResponse? _response;
        private bool _responseScanned;

        private ResponseCall(AccountingChatClient owner, IEnumerable<ChatMessage> messages, ChatOptions? options)
            : base(owner, messages, options)
        {
        }

        /// <summary>The call of a new request: this thread's spare, else a new one.</summary>
        public static ResponseCall Rent(AccountingChatClient owner, IEnumerable<ChatMessage> messages, ChatOptions? options)
        {
            if (t_spare is not { } call)
            {
                return new ResponseCall(owner, messages, options);
            }

            // Taken out while in use: a call made inside this one (an inner client calling back) gets a new one.
            t_spare = null;
            call.Reuse(owner, messages, options);
            return call;
        }

        /// <summary>Keeps the ended call as this thread's spare, cleared first.</summary>
        public override void Release()
        {
            Clear();
            t_spare = this;
        }

        protected override void Clear()
        {
            base.Clear();
            _response = null;
            _responseScanned = false;
        }

        protected override object? RawUsage => _response?.RawRepresentation;

        protected override object? RawResponse => _response?.RawRepresentation;

        public Task<ChatResponse> Invoke(CancellationToken cancellationToken) =>
            Owner.InnerClient.GetResponseAsync(Messages, Options, cancellationToken);

        public void Complete(ChatResponse response)
        {
            ResponseModel = response.ModelId;
            Usage = response.Usage;
            _response = response;
        }

        // A whole response has no chunks: estimate its text like a request, at the same bytes per token.
        protected override long EstimateOutputTokens(UsageEstimator estimator) =>
            _response is { } response ? estimator.EstimateInputTokens(RequestSize.Of(response.Messages)) : 0;

        protected override void NoteResponseWebSearches()
        {
            if (_responseScanned || _response is null)
            {
                return;
            }

            _responseScanned = true;
            var messages = _response.Messages;
            for (var i = 0; i < messages.Count; i++)
            {
                // A message's contents are a List<AIContent> (what ChatMessage makes): read as a span, no interface call per content.
                var contents = messages[i].Contents;
                if (contents.GetType() == typeof(List<AIContent>))
                {
                    foreach (var content in CollectionsMarshal.AsSpan(Unsafe.As<List<AIContent>>(contents)))
                    {
                        if (content is WebSearchToolCallContent search)
                        {
                            NoteWebSearch(search.CallId);
                        }
                    }

                    continue;
                }

                for (var j = 0; j < contents.Count; j++)
                {
                    if (contents[j] is WebSearchToolCallContent search)
                    {
                        NoteWebSearch(search.CallId);
                    }
                }
            }
        }
    }
}
