using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

public sealed class AccountingChatClientStreamingTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly CapturingRecorder _recorder = new();

    // "Hello there, how are you?" is 25 bytes → ceil(25 / 4) = 7 estimated input tokens.
    private static List<ChatMessage> Conversation() => [new(ChatRole.User, "Hello there, how are you?")];

    private IChatClient Wrap(ScriptedChatClient inner, Action<TokenAccountingChatClientOptions>? configure = null) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.TimeProvider = _clock;
            configure?.Invoke(o);
        });

    /// <summary>The steps with 10 ms on the clock before each update or failure (before the actions that lead up to it), as a provider's latency.</summary>
    private ScriptedStreamStep[] Timed(params ScriptedStreamStep[] steps)
    {
        var timed = new List<ScriptedStreamStep>();
        var previousWasAction = false;
        foreach (var step in steps)
        {
            if (!previousWasAction)
            {
                timed.Add(ScriptedStreamStep.Run(() => _clock.Advance(TimeSpan.FromMilliseconds(10))));
            }

            timed.Add(step);
            previousWasAction = step.Action is not null;
        }

        return [.. timed];
    }

    private static async Task<List<ChatResponseUpdate>> DrainAsync(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in stream)
        {
            updates.Add(update);
        }

        return updates;
    }

    [Fact]
    public async Task GetStreamingResponseAsync_WithUsage_RecordsReportedUsageOnceAfterTheStreamEnds()
    {
        var inner = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o"));
        inner.Stream(Timed(ScriptedStreamStep.Text("Hel"), ScriptedStreamStep.Text("lo"), ScriptedStreamStep.Usage(40, 2, modelId: "gpt-4o-2024-08-06")));
        var stream = Wrap(inner).GetStreamingResponseAsync(Conversation());

        _recorder.Records.ShouldBeEmpty(); // nothing happens until enumeration starts
        var updates = await DrainAsync(stream);

        updates.Count.ShouldBe(3);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(40, 2));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.Model.ShouldBe("gpt-4o");
        record.ResponseModel.ShouldBe("gpt-4o-2024-08-06");
        record.HistoryLength.ShouldBe(1);
        record.Latency.ShouldBe(TimeSpan.FromMilliseconds(30));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UsageSplitAcrossSeveralUsageContents_SumsThem()
    {
        var inner = new ScriptedChatClient();
        var cacheWrite = ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails
            {
                InputTokenCount = 0,
                AdditionalCounts = new() { ["CacheCreationInputTokens"] = 300 },
            })]));
        inner.Stream(Timed(ScriptedStreamStep.Usage(700, null), ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Usage(null, 25), cacheWrite));

        await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(700, 25, cacheWriteInput: 300));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CumulativeUsageOption_LatestSnapshotWins()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Usage(700, 1), ScriptedStreamStep.Text("a"), ScriptedStreamStep.Usage(700, 10), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Usage(700, 25)));

        await DrainAsync(Wrap(inner, o => o.StreamingUsageIsCumulative = true).GetStreamingResponseAsync(Conversation()));

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(700, 25));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_DefaultRule_AddsRepeatedSnapshots()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Usage(700, 1), ScriptedStreamStep.Text("a"), ScriptedStreamStep.Usage(0, 24)));

        await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(700, 25));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CompletesWithoutUsage_EstimatesFromRequestBytesAndChunks()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Text("c"), ScriptedStreamStep.Text("d")));

        await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(7, 4));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.DegradedReason.ShouldBe("usage_not_reported");
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CustomChunkRatio_ScalesOutputEstimate()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b")));

        await DrainAsync(Wrap(inner, o => o.Estimator = new UsageEstimator(tokensPerOutputChunk: 3)).GetStreamingResponseAsync(Conversation()));

        _recorder.Records.ShouldHaveSingleItem().Tokens.Output.ShouldBe(6);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConsumerStopsEarly_RecordsOneCancelledRecordWithEstimate()
    {
        var inner = new ScriptedChatClient();
        var reachedThird = false;
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Run(() => reachedThird = true), ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, "c")), ScriptedStreamStep.Usage(40, 3)));
        var seen = 0;

        await foreach (var update in Wrap(inner).GetStreamingResponseAsync(Conversation()))
        {
            if (++seen == 2)
            {
                break;
            }
        }

        reachedThird.ShouldBeFalse();
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Cancelled);
        record.Tokens.ShouldBe(new TokenCounts(7, 2));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.DegradedReason.ShouldBeNull();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FaultMidStream_RecordsOneFailedRecordKeepingReportedInput()
    {
        var failure = new IOException("connection reset");
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Usage(1200, null), ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Text("c"), ScriptedStreamStep.Fail(failure), ScriptedStreamStep.Text("never")));
        var received = 0;

        var thrown = await Should.ThrowAsync<IOException>(async () =>
        {
            await foreach (var update in Wrap(inner).GetStreamingResponseAsync(Conversation()))
            {
                received++;
            }
        });

        thrown.ShouldBeSameAs(failure);
        received.ShouldBe(4);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Failed);
        record.Tokens.ShouldBe(new TokenCounts(1200, 3)); // reported input kept, output from 3 chunks
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CancelledMidStream_RecordsOneCancelledRecord()
    {
        using var cts = new CancellationTokenSource();
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Run(cts.Cancel), ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, "b")), ScriptedStreamStep.Text("c")));
        var received = 0;

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in Wrap(inner).GetStreamingResponseAsync(Conversation(), null, cts.Token))
            {
                received++;
            }
        });

        received.ShouldBe(1);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Cancelled);
        record.Tokens.ShouldBe(new TokenCounts(7, 1));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FaultBeforeFirstUpdate_RecordsOneFailedRecord()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Fail(new HttpRequestException("429"))));

        await Should.ThrowAsync<HttpRequestException>(() => DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation())));

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Failed);
        record.Tokens.ShouldBe(new TokenCounts(7, 0));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RecorderThrows_StreamFlowsToTheEnd()
    {
        var recorder = new ThrowingRecorder();
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Usage(5, 2)));
        var client = inner.WithTokenAccounting(recorder);

        var updates = await DrainAsync(client.GetStreamingResponseAsync(Conversation()));

        updates.Count.ShouldBe(3);
        recorder.Attempts.ShouldBe(1);
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConsumerChangesUsageAfterwards_RecordIsUnaffected()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Usage(10, 1), ScriptedStreamStep.Text("a"), ScriptedStreamStep.Usage(0, 4)));
        var updates = new List<ChatResponseUpdate>();

        await foreach (var update in Wrap(inner).GetStreamingResponseAsync(Conversation()))
        {
            updates.Add(update);
            if (update.Contents.OfType<UsageContent>().FirstOrDefault() is { } usage)
            {
                usage.Details.InputTokenCount = 999_999; // a consumer mutating what it received
            }
        }

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(10, 5));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_TrackerAttached_RecordsThroughTracker()
    {
        var tracker = new UsageTracker(_recorder);
        var inner = new ScriptedChatClient();
        inner.Stream(Timed(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Usage(300, 1)));

        using (tracker.Attach())
        {
            await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));
        }

        tracker.Records.ShouldHaveSingleItem().HistoryLength.ShouldBe(1);
        tracker.LatestOccupancy.ShouldBe(300);
        _recorder.Records.Count.ShouldBe(1);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_EnumeratorTokenOnly_ReachesTheInnerStreamAndCancelsIt()
    {
        var blocked = new TaskCompletionSource();
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Wait(blocked.Task), ScriptedStreamStep.Text("b"));
        using var cts = new CancellationTokenSource();

        var updates = Wrap(inner).GetStreamingResponseAsync(Conversation()).GetAsyncEnumerator(cts.Token);
        (await updates.MoveNextAsync()).ShouldBeTrue();
        var next = updates.MoveNextAsync();
        next.IsCompleted.ShouldBeFalse();
        _recorder.Records.ShouldBeEmpty();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () => await next);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Cancelled);
        record.Tokens.ShouldBe(new TokenCounts(7, 1));
        (await updates.MoveNextAsync()).ShouldBeFalse();
        await updates.DisposeAsync();
        _recorder.Records.Count.ShouldBe(1);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CallAndEnumeratorTokens_EitherCancels()
    {
        var blocked = new TaskCompletionSource();
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Wait(blocked.Task));
        using var callCancellation = new CancellationTokenSource();
        using var enumeratorCancellation = new CancellationTokenSource();

        var updates = Wrap(inner).GetStreamingResponseAsync(Conversation(), null, callCancellation.Token).GetAsyncEnumerator(enumeratorCancellation.Token);
        (await updates.MoveNextAsync()).ShouldBeTrue();
        var next = updates.MoveNextAsync();
        await enumeratorCancellation.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () => await next);
        callCancellation.IsCancellationRequested.ShouldBeFalse();
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Cancelled);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_EnumeratedTwice_TwoCallsAndTwoRecords()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Usage(10, 1));
        inner.Stream(ScriptedStreamStep.Text("b"), ScriptedStreamStep.Usage(20, 2));
        var stream = Wrap(inner).GetStreamingResponseAsync(Conversation());

        (await DrainAsync(stream)).Count.ShouldBe(2);
        (await DrainAsync(stream)).Count.ShouldBe(2);

        inner.Calls.Count.ShouldBe(2);
        _recorder.Records.Select(r => r.Tokens).ShouldBe([new TokenCounts(10, 1), new TokenCounts(20, 2)]);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_DisposedBeforeFirstMove_NoCallAndNoRecord()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("a"));

        await Wrap(inner).GetStreamingResponseAsync(Conversation()).GetAsyncEnumerator().DisposeAsync();

        inner.Calls.ShouldBeEmpty();
        _recorder.Records.ShouldBeEmpty();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_NullMessages_ThrowsWhenEnumerationStartsAndRecordsNothing()
    {
        var stream = Wrap(new ScriptedChatClient()).GetStreamingResponseAsync(null!);

        var thrown = await Should.ThrowAsync<ArgumentNullException>(() => DrainAsync(stream));

        thrown.ParamName.ShouldBe("messages");
        _recorder.Records.ShouldBeEmpty();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_WebSearchInProgressThenDone_CountedOncePerCallId()
    {
        var inner = new ScriptedChatClient();
        inner.Stream(
            ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, [new WebSearchToolCallContent("ws_1")])),
            ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, [new WebSearchToolCallContent("ws_1") { Queries = ["weather"] }])),
            ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, [new WebSearchToolCallContent("ws_2")])),
            ScriptedStreamStep.Text("Sunny."),
            ScriptedStreamStep.Usage(300, 20));

        await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
        record.Tokens.ShouldBe(new TokenCounts(300, 20));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UsageReportsWebSearchRequests_UsageCountWinsOverContents()
    {
        var usage = new UsageDetails { InputTokenCount = 300, OutputTokenCount = 20, AdditionalCounts = new() { ["WebSearchRequests"] = 3 } };
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Yield(new ChatResponseUpdate(ChatRole.Assistant, [new WebSearchToolCallContent("srvtoolu_1")])), ScriptedStreamStep.Usage(usage));

        await DrainAsync(Wrap(inner).GetStreamingResponseAsync(Conversation()));

        _recorder.Records.ShouldHaveSingleItem().ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 3 });
    }
}
