using System.Net;
using System.Runtime.CompilerServices;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

/// <summary>The chat middleware with a <see cref="UsageTracker"/> attached: every call pairs through its own request.</summary>
public sealed class AccountingChatClientTrackerTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly CapturingRecorder _recorder = new();

    private IChatClient Wrap(IChatClient inner) => inner.WithTokenAccounting(_recorder, o => o.TimeProvider = _clock);

    private static HttpRequestException RateLimited() => new("429 Too Many Requests", null, HttpStatusCode.TooManyRequests);

    // The agent's conversation for a turn: system + user, then one (tool call, tool result) pair per earlier turn.
    private static List<ChatMessage> History(int turn)
    {
        var messages = new List<ChatMessage> { new(ChatRole.System, "You are an agent."), new(ChatRole.User, "Plan the trip.") };
        for (var i = 1; i < turn; i++)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, $"call tool {i}"));
            messages.Add(new ChatMessage(ChatRole.Tool, $"result {i}"));
        }

        return messages;
    }

    // Reported input carries the request's message count, so a record paired with another request shows it.
    private static long InputFor(int messageCount) => messageCount * 100L;

    [Fact]
    public async Task GetResponseAsync_ToolLoopWhereEveryThirdCallFails_PairsEveryRecordWithItsRequestAndLeavesNothingPending()
    {
        var tracker = new UsageTracker(_recorder);
        var turn = 0;
        var inner = new DelegateChatClient
        {
            Respond = (messages, _) =>
            {
                tracker.PendingRequestCount.ShouldBe(1, "the call's request is pending while it runs");
                var count = messages.Count();
                return turn % 3 == 0
                    ? throw RateLimited()
                    : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
                    {
                        Usage = new UsageDetails { InputTokenCount = InputFor(count), OutputTokenCount = 7 },
                    });
            },
        };
        var client = Wrap(inner);
        var failures = 0;

        using (tracker.Attach())
        {
            for (turn = 1; turn <= 20; turn++)
            {
                try
                {
                    await client.GetResponseAsync(History(turn));
                }
                catch (HttpRequestException)
                {
                    failures++;
                }

                tracker.PendingRequestCount.ShouldBe(0, $"turn {turn}");
                tracker.AbandonedRequestCount.ShouldBe(failures, $"turn {turn}");
            }
        }

        failures.ShouldBe(6);
        AssertLoopRecords(tracker, Enumerable.Range(1, 20).Where(t => t % 3 != 0));
        tracker.LatestOccupancy.ShouldBe(InputFor(History(20).Count));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ToolLoopWhereEveryThirdCallFails_PairsEveryRecordWithItsRequestAndLeavesNothingPending()
    {
        var tracker = new UsageTracker(_recorder);
        var turn = 0;
        var inner = new DelegateChatClient
        {
            Stream = (messages, cancellationToken) => turn % 3 == 0
                ? Fail(RateLimited(), cancellationToken)
                : Answer(InputFor(messages.Count()), cancellationToken),
        };
        var client = Wrap(inner);
        var failures = 0;

        using (tracker.Attach())
        {
            for (turn = 1; turn <= 20; turn++)
            {
                try
                {
                    await foreach (var update in client.GetStreamingResponseAsync(History(turn)))
                    {
                        tracker.PendingRequestCount.ShouldBe(1, "the call's request is pending while it streams");
                    }
                }
                catch (HttpRequestException)
                {
                    failures++;
                }

                tracker.PendingRequestCount.ShouldBe(0, $"turn {turn}");
                tracker.AbandonedRequestCount.ShouldBe(failures, $"turn {turn}");
            }
        }

        failures.ShouldBe(6);
        AssertLoopRecords(tracker, Enumerable.Range(1, 20).Where(t => t % 3 != 0));
    }

    [Fact]
    public async Task GetResponseAsync_CallbackRequestNotedOnTheSameTracker_IsNeitherConsumedNorReplacedByCalls()
    {
        var tracker = new UsageTracker(_recorder);
        var fail = false;
        var inner = new DelegateChatClient
        {
            Respond = (messages, _) => fail
                ? throw RateLimited()
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 5, OutputTokenCount = 1 } }),
        };
        tracker.NoteRequest(42);

        using (tracker.Attach())
        {
            await Wrap(inner).GetResponseAsync(History(1));
            fail = true;
            await Should.ThrowAsync<HttpRequestException>(() => Wrap(inner).GetResponseAsync(History(2)));
        }

        tracker.PendingRequestCount.ShouldBe(1);
        tracker.AbandonedRequestCount.ShouldBe(1, "only the failed call");
        tracker.RecordUsage("framework-model", new TokenCounts(9, 1)).HistoryLength.ShouldBe(42);
    }

    [Fact]
    public async Task GetResponseAsync_ConcurrentCallsThroughOneTracker_PairExactlyAndLeaveNothingPending()
    {
        const int Calls = 16;
        var tracker = new UsageTracker(_recorder);
        var entered = 0;
        var allInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pendingWithAllInFlight = -1;
        var inner = new DelegateChatClient
        {
            Respond = async (messages, _) =>
            {
                var count = messages.Count();
                if (Interlocked.Increment(ref entered) == Calls)
                {
                    pendingWithAllInFlight = tracker.PendingRequestCount;
                    allInFlight.SetResult();
                }

                await allInFlight.Task.ConfigureAwait(false);

                // Every fourth call (by message count) fails; the others answer in whatever order the pool runs them.
                return count % 4 == 0
                    ? throw RateLimited()
                    : new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = InputFor(count), OutputTokenCount = 1 } };
            },
        };
        var client = Wrap(inner);

        Task[] calls;
        using (tracker.Attach())
        {
            calls = Enumerable.Range(1, Calls)
                .Select(n => Task.Run(() => client.GetResponseAsync(Enumerable.Range(0, n).Select(i => new ChatMessage(ChatRole.User, $"m{i}")).ToList())))
                .ToArray();
        }

        await Should.ThrowAsync<HttpRequestException>(() => Task.WhenAll(calls));

        pendingWithAllInFlight.ShouldBe(Calls);
        var kept = tracker.Records;
        kept.Count.ShouldBe(12);
        kept.ShouldAllBe(r => InputFor(r.HistoryLength!.Value) == r.Tokens.Input && r.Outcome == UsageOutcome.Succeeded);
        kept.Select(r => r.HistoryLength!.Value).Order().ShouldBe(Enumerable.Range(1, Calls).Where(n => n % 4 != 0));
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(4);
        _recorder.Records.Count.ShouldBe(Calls);
        _recorder.Records.Where(r => r.Outcome == UsageOutcome.Failed).Select(r => r.HistoryLength!.Value).Order().ShouldBe([4, 8, 12, 16]);
    }

    [Fact]
    public async Task GetResponseAsync_Cancelled_WithdrawsTheRequestAndRecordsTheCallStraightToTheRecorder()
    {
        var tracker = new UsageTracker(_recorder);
        using var cancellation = new CancellationTokenSource();
        var inner = new DelegateChatClient
        {
            Respond = (_, cancellationToken) =>
            {
                cancellation.Cancel();
                cancellationToken.ThrowIfCancellationRequested();
                throw new InvalidOperationException("unreachable");
            },
        };

        using (tracker.Attach())
        {
            await Should.ThrowAsync<OperationCanceledException>(() => Wrap(inner).GetResponseAsync(History(3), cancellationToken: cancellation.Token));
        }

        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(1);
        tracker.Records.ShouldBeEmpty();
        tracker.LatestOccupancy.ShouldBe(0, "an estimate for a call that never ran does not replace the occupancy");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Cancelled);
        record.HistoryLength.ShouldBe(6);
        record.IsUnpaired.ShouldBeFalse();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FaultAfterContent_PairsThePartialCallThroughItsRequest()
    {
        var tracker = new UsageTracker(_recorder);
        var inner = new DelegateChatClient { Stream = (_, cancellationToken) => PartialThenFail(cancellationToken) };

        using (tracker.Attach())
        {
            await Should.ThrowAsync<HttpRequestException>(async () =>
            {
                await foreach (var update in Wrap(inner).GetStreamingResponseAsync(History(2)))
                {
                    update.Text.ShouldBe("partial");
                }
            });
        }

        var kept = tracker.Records.ShouldHaveSingleItem();
        kept.Outcome.ShouldBe(UsageOutcome.Failed);
        kept.HistoryLength.ShouldBe(4);
        tracker.AbandonedRequestCount.ShouldBe(0, "content arrived: the call has usage to pair, estimated");
        tracker.PendingRequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConsumerStopsAfterContent_PairsTheCancelledCall()
    {
        var tracker = new UsageTracker(_recorder);
        var inner = new DelegateChatClient { Stream = (messages, cancellationToken) => Answer(InputFor(messages.Count()), cancellationToken) };

        using (tracker.Attach())
        {
            await foreach (var update in Wrap(inner).GetStreamingResponseAsync(History(1)))
            {
                break;
            }
        }

        var kept = tracker.Records.ShouldHaveSingleItem();
        kept.Outcome.ShouldBe(UsageOutcome.Cancelled);
        kept.HistoryLength.ShouldBe(2);
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task GetResponseAsync_TrackerRecorderThrows_LeavesNothingPendingAndCountsTheFailure()
    {
        var tracker = new UsageTracker(new Fakes.ThrowingRecorder());
        var inner = new DelegateChatClient
        {
            Respond = (_, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1 } }),
        };
        var client = Wrap(inner);

        using (tracker.Attach())
        {
            (await client.GetResponseAsync(History(1))).Text.ShouldBe("ok");
        }

        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.AbandonedRequestCount.ShouldBe(0);
        tracker.Records.ShouldHaveSingleItem().HistoryLength.ShouldBe(2);
    }

    private void AssertLoopRecords(UsageTracker tracker, IEnumerable<int> succeededTurns)
    {
        var expected = succeededTurns.Select(t => History(t).Count).ToList();
        var kept = tracker.Records;
        kept.Select(r => r.HistoryLength!.Value).ShouldBe(expected);
        kept.ShouldAllBe(r => r.Tokens.Input == InputFor(r.HistoryLength!.Value) && !r.IsUnpaired && r.Outcome == UsageOutcome.Succeeded);

        // Every call is on record once, with its own request's history length; failed calls are not kept.
        _recorder.Records.Select(r => r.HistoryLength!.Value).ShouldBe(Enumerable.Range(1, 20).Select(t => History(t).Count));
        _recorder.Records.Where(r => r.Outcome == UsageOutcome.Failed).Select(r => r.HistoryLength!.Value)
            .ShouldBe(Enumerable.Range(1, 20).Where(t => t % 3 == 0).Select(t => History(t).Count));
        _recorder.Records.ShouldAllBe(r => !r.IsUnpaired);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Answer(long input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "ok");
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = 7 })]);
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> PartialThenFail([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "partial");
        throw new HttpRequestException("connection reset");
    }

#pragma warning disable CS1998 // an async iterator that fails before its first element
    private static async IAsyncEnumerable<ChatResponseUpdate> Fail(Exception exception, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        throw exception;
#pragma warning disable CS0162 // makes this an iterator
        yield break;
#pragma warning restore CS0162
    }
#pragma warning restore CS1998

    /// <summary>An inner client whose every call runs a delegate, so a test scripts each turn from the request.</summary>
    private sealed class DelegateChatClient : IChatClient
    {
        public Func<IEnumerable<ChatMessage>, CancellationToken, Task<ChatResponse>>? Respond { get; init; }

        public Func<IEnumerable<ChatMessage>, CancellationToken, IAsyncEnumerable<ChatResponseUpdate>>? Stream { get; init; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            (Respond ?? throw new InvalidOperationException("No response scripted."))(messages, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            (Stream ?? throw new InvalidOperationException("No stream scripted."))(messages, cancellationToken);

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
