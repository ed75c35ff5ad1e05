using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

public sealed partial class AccountingChatClient
{
    /// <inheritdoc />
    /// <remarks>
    /// Accounting starts when enumeration starts (as the inner call does). The record is written when the stream
    /// ends, however it ends: completed (<see cref="UsageOutcome.Succeeded"/>), faulted
    /// (<see cref="UsageOutcome.Failed"/>), cancelled or disposed early by its consumer
    /// (<see cref="UsageOutcome.Cancelled"/>). Every <see cref="UsageContent"/> is added up (see
    /// <see cref="TokenAccountingChatClientOptions.StreamingUsageIsCumulative"/>); a side never reported is
    /// estimated.
    /// </remarks>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new AccountedStream(this, messages, options, cancellationToken);

    /// <summary>
    /// The accounted stream, written by hand rather than as an <c>async</c> iterator so that an update the inner stream
    /// has ready costs a type check per content and no state machine step: it behaves as the iterator would (accounting
    /// begins at the first <c>MoveNextAsync</c>; the record is written before the last <c>MoveNextAsync</c> completes,
    /// before a fault surfaces, or when the consumer disposes early; each enumeration is its own call).
    /// </summary>
    private sealed class AccountedStream : ChatCall, IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private const int NotStarted = 0;
        private const int Running = 1;
        private const int Ended = 2;

        private readonly ChatOptions? _requestedOptions;
        private CancellationToken _cancellationToken;
        private CancellationTokenSource? _linkedCancellation;
        private int _handedOut;
        private int _state;
        private IAsyncEnumerator<ChatResponseUpdate>? _updates;
        private ChatResponseUpdate? _current;
        private UsageOutcome _outcome = UsageOutcome.Cancelled;
        private long _chunkCount;
        private object? _rawUsage;
        private object? _rawResponse;
        private object? _rawFirstUpdate;

        public AccountedStream(AccountingChatClient owner, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
            : base(owner, messages, options)
        {
            _requestedOptions = options;
            _cancellationToken = cancellationToken;
        }

        public ChatResponseUpdate Current => _current!;

        public override bool ConsumedBeforeEnd => Usage is not null || _chunkCount > 0;

        /// <summary>Gets the raw usage content or its update, else the stream's first update (Anthropic's message_start carries the cache-write split and the tier).</summary>
        protected override object? RawUsage => _rawUsage ?? _rawFirstUpdate;

        /// <summary>Gets the raw representation of the update that carried the usage.</summary>
        protected override object? RawResponse => _rawResponse;

        protected override long EstimateOutputTokens(UsageEstimator estimator) => estimator.EstimateOutputTokens(_chunkCount);

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            // The first enumeration uses this instance; any later one is a call of its own.
            var stream = Interlocked.Exchange(ref _handedOut, 1) == 0 ? this : new AccountedStream(Owner, Messages, _requestedOptions, _cancellationToken) { _handedOut = 1 };
            stream.Combine(cancellationToken);
            return stream;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            if (_state != Running)
            {
                return _state == NotStarted ? StartAsync() : default;
            }

            ValueTask<bool> next;
            try
            {
                next = _updates!.MoveNextAsync();
            }
            catch (Exception exception)
            {
                return Fail(exception);
            }

            return next.IsCompletedSuccessfully ? Advance(next.Result) : AwaitNextAsync(next);
        }

        public ValueTask DisposeAsync()
        {
            if (_state != Running)
            {
                // Never started (no call was made, nothing is recorded), or already ended.
                _state = Ended;
                ReleaseCancellation();
                return default;
            }

            // Stopped early by its consumer: the outcome stays Cancelled.
            var finished = Finish(failure: null);
            if (finished.IsCompletedSuccessfully)
            {
                _ = finished.Result;
                return default;
            }

            return AwaitFinishedAsync(finished);
        }

        private static async ValueTask AwaitFinishedAsync(ValueTask<bool> finished) => await finished.ConfigureAwait(false);

        /// <summary>Combines the enumerator's token with the call's, as <c>[EnumeratorCancellation]</c> does.</summary>
        private void Combine(CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || cancellationToken == _cancellationToken)
            {
                return;
            }

            if (_cancellationToken.CanBeCanceled)
            {
                _linkedCancellation = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken, cancellationToken);
                _cancellationToken = _linkedCancellation.Token;
            }
            else
            {
                _cancellationToken = cancellationToken;
            }
        }

        private ValueTask<bool> StartAsync()
        {
            _state = Ended; // until the inner stream is open
            if (Messages is null)
            {
#pragma warning disable CA2208 // The argument at fault is GetStreamingResponseAsync's, checked when enumeration starts (as an async iterator would).
                return Faulted(new ArgumentNullException("messages"));
#pragma warning restore CA2208
            }

            if (Owner._accountant.Gate is not null)
            {
                return StartThroughGateAsync();
            }

            Owner._accountant.Begin(this, _requestedOptions?.ModelId);
            return Open();
        }

        private async ValueTask<bool> StartThroughGateAsync()
        {
            try
            {
                await Owner._accountant.BeginAsync(this, _requestedOptions?.ModelId, _cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Refused: the refusal is on record and nothing reached the inner client.
                ReleaseCancellation();
                throw;
            }

            return await Open().ConfigureAwait(false);
        }

        private ValueTask<bool> Open()
        {
            try
            {
                _updates = Owner.InnerClient.GetStreamingResponseAsync(Messages, Options, _cancellationToken).GetAsyncEnumerator(_cancellationToken);
            }
            catch (Exception exception)
            {
                var ended = Owner._accountant.EndAsync(this, UsageAccountant.OutcomeOf(exception));
                ReleaseCancellation();
                return ended.IsCompletedSuccessfully ? Faulted(exception) : ThrowAfterAsync(ended, exception);
            }

            _state = Running;
            return MoveNextAsync();
        }

        private ValueTask<bool> Advance(bool moved)
        {
            if (!moved)
            {
                _outcome = UsageOutcome.Succeeded;
                return Finish(failure: null);
            }

            ChatResponseUpdate update;
            try
            {
                update = _updates!.Current;
            }
            catch (Exception exception)
            {
                return Fail(exception);
            }

            Observe(update);
            _current = update;
            return new ValueTask<bool>(true); // built in registers; a static readonly ValueTask is read through its box
        }

        private async ValueTask<bool> AwaitNextAsync(ValueTask<bool> next)
        {
            bool moved;
            try
            {
                moved = await next.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                return await Fail(exception).ConfigureAwait(false);
            }

            return await Advance(moved).ConfigureAwait(false);
        }

        private ValueTask<bool> Fail(Exception exception)
        {
            _outcome = UsageAccountant.OutcomeOf(exception);
            return Finish(exception);
        }

        /// <summary>Disposes the inner stream, then writes the record (even when disposing throws, whose exception then wins), then surfaces <paramref name="failure"/> or ends.</summary>
        private ValueTask<bool> Finish(Exception? failure)
        {
            _state = Ended;
            _current = null;
            ValueTask disposing;
            try
            {
                disposing = _updates!.DisposeAsync();
            }
            catch (Exception exception)
            {
                disposing = ValueTask.FromException(exception);
            }

            if (!disposing.IsCompletedSuccessfully || Lease is not null)
            {
                return FinishAsync(disposing, failure);
            }

            disposing.GetAwaiter().GetResult();
            Owner._accountant.EndWithoutLease(this, _outcome);
            ReleaseCancellation();
            return failure is null ? default : Faulted(failure);
        }

        private async ValueTask<bool> FinishAsync(ValueTask disposing, Exception? failure)
        {
            try
            {
                await disposing.ConfigureAwait(false);
            }
            finally
            {
                await Owner._accountant.EndAsync(this, _outcome).ConfigureAwait(false);
                ReleaseCancellation();
            }

            return failure is null ? false : await Faulted(failure).ConfigureAwait(false);
        }

        private static async ValueTask<bool> ThrowAfterAsync(ValueTask ended, Exception exception)
        {
            await ended.ConfigureAwait(false);
            return await Faulted(exception).ConfigureAwait(false);
        }

        /// <summary>A faulted result that rethrows <paramref name="exception"/> as it was thrown, stack trace kept.</summary>
        private static ValueTask<bool> Faulted(Exception exception) => ValueTask.FromException<bool>(exception);

        private void Observe(ChatResponseUpdate update)
        {
            ResponseModel ??= update.ModelId;
            if (_rawFirstUpdate is null && update.RawRepresentation is { } raw)
            {
                _rawFirstUpdate = raw;
            }

            // Updates carry a List<AIContent> (what ChatResponseUpdate makes): read it as a span, without an interface
            // call per content; any other list is read through IList.
            var contents = update.Contents;
            var carriesContent = contents.GetType() == typeof(List<AIContent>)
                ? Observe(update, CollectionsMarshal.AsSpan(Unsafe.As<List<AIContent>>(contents)))
                : ObserveList(update, contents);
            if (carriesContent)
            {
                _chunkCount++;
            }
        }

        /// <summary>Notes the usage and web searches among <paramref name="contents"/>; true when any content is not usage.</summary>
        private bool Observe(ChatResponseUpdate update, ReadOnlySpan<AIContent> contents)
        {
            var carriesContent = false;
            foreach (var content in contents)
            {
                carriesContent |= Observe(update, content);
            }

            return carriesContent;
        }

        private bool ObserveList(ChatResponseUpdate update, IList<AIContent> contents)
        {
            var carriesContent = false;
            for (var i = 0; i < contents.Count; i++)
            {
                carriesContent |= Observe(update, contents[i]);
            }

            return carriesContent;
        }

        /// <summary>Notes one content: usage is added up, a web search counted; true when it is not usage.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool Observe(ChatResponseUpdate update, AIContent content)
        {
            // Text first: it is most updates' only content, and its sealed type is one compare (UsageContent is not sealed).
            if (content is TextContent)
            {
                return true;
            }

            if (content is UsageContent usage)
            {
                Accumulate(usage.Details);
                _rawUsage = usage.RawRepresentation ?? update.RawRepresentation ?? _rawUsage;
                _rawResponse = update.RawRepresentation ?? _rawResponse;
                return false;
            }

            if (content is WebSearchToolCallContent search)
            {
                NoteWebSearch(search.CallId);
            }

            return true;
        }

        private void Accumulate(UsageDetails? details)
        {
            if (details is null)
            {
                return;
            }

            try
            {
                if (Usage is not { } total)
                {
                    // Copy: the update belongs to the consumer, who may keep and change it.
                    total = Usage = new UsageDetails();
                    total.Add(details);
                }
                else if (Owner._cumulativeStreamingUsage)
                {
                    Overwrite(total, details);
                }
                else
                {
                    total.Add(details);
                }
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                Owner._accountant.ReportFailure(exception, "adding streamed usage", Model);
            }
        }

        /// <summary>Cumulative snapshots: every count the latest snapshot reports replaces the one before.</summary>
        private static void Overwrite(UsageDetails total, UsageDetails latest)
        {
            total.InputTokenCount = latest.InputTokenCount ?? total.InputTokenCount;
            total.OutputTokenCount = latest.OutputTokenCount ?? total.OutputTokenCount;
            total.TotalTokenCount = latest.TotalTokenCount ?? total.TotalTokenCount;
            total.CachedInputTokenCount = latest.CachedInputTokenCount ?? total.CachedInputTokenCount;
            total.ReasoningTokenCount = latest.ReasoningTokenCount ?? total.ReasoningTokenCount;
            if (latest.AdditionalCounts is { Count: > 0 } counts)
            {
                var target = total.AdditionalCounts ??= [];
                foreach (var pair in counts)
                {
                    target[pair.Key] = pair.Value;
                }
            }
        }

        private void ReleaseCancellation()
        {
            _linkedCancellation?.Dispose();
            _linkedCancellation = null;
        }
    }
}
