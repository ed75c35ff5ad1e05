using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

public sealed class AccountingChatClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly CapturingRecorder _recorder = new();

    private static List<ChatMessage> Conversation() =>
    [
        new(ChatRole.System, "Be brief."),
        new(ChatRole.User, "Hello there"),
        new(ChatRole.Assistant, "Hi."),
    ];

    private static ChatResponse Answer(string text, UsageDetails? usage, string? modelId = "gpt-4o-2024-08-06") =>
        new(new ChatMessage(ChatRole.Assistant, text)) { Usage = usage, ModelId = modelId };

    private IChatClient Wrap(IChatClient inner, Action<TokenAccountingChatClientOptions>? configure = null) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.TimeProvider = _clock;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task GetResponseAsync_Succeeded_RecordsOneRecordWithReportedUsageAndCallDetails()
    {
        var inner = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o-mini")) { OnCall = _ => _clock.Advance(TimeSpan.FromMilliseconds(250)) }.Respond(Answer("Hi!", new UsageDetails { InputTokenCount = 120, OutputTokenCount = 30, CachedInputTokenCount = 100, ReasoningTokenCount = 10 }));
        var client = Wrap(inner);

        var response = await client.GetResponseAsync(Conversation(), new ChatOptions { ModelId = "gpt-4o" });

        response.Text.ShouldBe("Hi!");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Model.ShouldBe("gpt-4o");
        record.ResponseModel.ShouldBe("gpt-4o-2024-08-06");
        record.Provider.ShouldBe("openai");
        record.Operation.ShouldBe(UsageOperation.Chat);
        record.Tokens.ShouldBe(new TokenCounts(120, 30, cachedInput: 100, reasoning: 10));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.DegradedReason.ShouldBeNull();
        record.HistoryLength.ShouldBe(3);
        record.StartedAt.ShouldBe(Start);
        record.CompletedAt.ShouldBe(Start.AddMilliseconds(250));
        record.Latency.ShouldBe(TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task GetResponseAsync_NoModelInOptions_UsesMetadataDefaultModel()
    {
        var inner = new ScriptedChatClient(new ChatClientMetadata("anthropic", null, "claude-sonnet-4-5")).Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));

        await Wrap(inner).GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().Model.ShouldBe("claude-sonnet-4-5");
    }

    [Fact]
    public async Task GetResponseAsync_NoModelAnywhere_RecordsUnknownModel()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));

        await Wrap(inner).GetResponseAsync(Conversation());

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Model.ShouldBe(TokenAccountingChatClientOptions.UnknownModel);
        record.Model.ShouldBe("unknown");
        record.Provider.ShouldBeNull();
    }

    [Fact]
    public async Task GetResponseAsync_ProviderNameOption_OverridesMetadata()
    {
        var inner = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o")).Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));

        await Wrap(inner, o => o.ProviderName = "azure.ai.openai").GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().Provider.ShouldBe("azure.ai.openai");
    }

    [Fact]
    public async Task GetResponseAsync_InnerThrows_RecordsOneFailedRecordAndRethrows()
    {
        var failure = new HttpRequestException("503");
        var inner = new ScriptedChatClient() { OnCall = _ => _clock.Advance(TimeSpan.FromSeconds(2)) }.Fail(failure);

        var thrown = await Should.ThrowAsync<HttpRequestException>(() => Wrap(inner).GetResponseAsync(Conversation(), new ChatOptions { ModelId = "gpt-4o" }));

        thrown.ShouldBeSameAs(failure);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Failed);
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.Model.ShouldBe("gpt-4o");
        record.Latency.ShouldBe(TimeSpan.FromSeconds(2));

        // "Be brief." (9) + "Hello there" (11) + "Hi." (3) = 23 bytes → ceil(23 / 4) = 6 input tokens; no output.
        record.Tokens.ShouldBe(new TokenCounts(6, 0));
    }

    [Fact]
    public async Task GetResponseAsync_Cancelled_RecordsOneCancelledRecordAndRethrows()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var inner = new ScriptedChatClient().Respond(Answer("never", null));

        await Should.ThrowAsync<OperationCanceledException>(() => Wrap(inner).GetResponseAsync(Conversation(), null, cts.Token));

        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Cancelled);
    }

    [Fact]
    public async Task GetResponseAsync_NoUsageReported_EstimatesFromRequestAndResponseText()
    {
        // The response text is 17 bytes of UTF-8 ("é" and "ü" are two bytes each): ceil(17 / 4) = 5 output tokens.
        var inner = new ScriptedChatClient().Respond(Answer("café über alles", null));
        List<ChatMessage> messages = [new(ChatRole.User, "naïve question")]; // 15 bytes → 4 input tokens

        await Wrap(inner).GetResponseAsync(messages);

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(4, 5));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.DegradedReason.ShouldBe("usage_not_reported");
    }

    [Fact]
    public async Task GetResponseAsync_OnlyInputReported_KeepsInputAndEstimatesOutput()
    {
        var inner = new ScriptedChatClient().Respond(Answer("12345678", new UsageDetails { InputTokenCount = 500 }));

        await Wrap(inner).GetResponseAsync(Conversation());

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(500, 2));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
    }

    [Fact]
    public async Task GetResponseAsync_CustomEstimator_UsesItsRatio()
    {
        var inner = new ScriptedChatClient().Respond(Answer("", null));

        await Wrap(inner, o => o.Estimator = new UsageEstimator(bytesPerInputToken: 1)).GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().Tokens.Input.ShouldBe(23);
    }

    [Fact]
    public async Task GetResponseAsync_AttributionResolver_PutsDimensionsOnTheRecord()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));
        var options = new ChatOptions { AdditionalProperties = new() { ["user"] = "u-42" } };
        IEnumerable<ChatMessage>? seenMessages = null;
        ChatOptions? seenOptions = null;

        await Wrap(inner, o => o.AttributionResolver = (messages, chatOptions) =>
        {
            seenMessages = messages;
            seenOptions = chatOptions;
            return new UsageAttribution
            {
                UserId = (string?)chatOptions?.AdditionalProperties?["user"],
                TenantId = "acme",
                ApiKeyId = "key-7",
                Route = "/chat",
                ServiceTier = "priority",
                CorrelationId = "req-1",
                Tags = new Dictionary<string, string> { ["feature"] = "summary" },
            };
        }).GetResponseAsync(Conversation(), options);

        seenMessages.ShouldNotBeNull().Count().ShouldBe(3);
        seenOptions.ShouldBeSameAs(options);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.UserId.ShouldBe("u-42");
        record.TenantId.ShouldBe("acme");
        record.ApiKeyId.ShouldBe("key-7");
        record.Route.ShouldBe("/chat");
        record.ServiceTier.ShouldBe("priority");
        record.CorrelationId.ShouldBe("req-1");
        record.Tags.ShouldNotBeNull()["feature"].ShouldBe("summary");
    }

    [Fact]
    public async Task GetResponseAsync_RecorderThrows_ResponseFlowsAndFailureIsLoggedAndCounted()
    {
        var recorder = new ThrowingRecorder();
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger();
        var inner = new ScriptedChatClient().Respond(Answer("still here", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));
        var client = inner.WithTokenAccounting(recorder, o => o.Logger = logger);

        var response = await client.GetResponseAsync(Conversation(), new ChatOptions { ModelId = "gpt-4o" });

        response.Text.ShouldBe("still here");
        recorder.Attempts.ShouldBe(1);
        client.GetService<AccountingChatClient>().ShouldNotBeNull().AccountingFailureCount.ShouldBe(1);
        var entry = logger.Collector.GetSnapshot().ShouldHaveSingleItem();
        entry.Level.ShouldBe(Microsoft.Extensions.Logging.LogLevel.Warning);
        entry.Exception.ShouldBeOfType<InvalidOperationException>();
        entry.Message.ShouldContain("gpt-4o");
    }

    [Fact]
    public async Task GetResponseAsync_RecorderAndLoggerBothThrow_ResponseStillFlows()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));
        var client = inner.WithTokenAccounting(new ThrowingRecorder(), o => o.Logger = new ThrowingLogger());

        var response = await client.GetResponseAsync(Conversation());

        response.Text.ShouldBe("ok");
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GetResponseAsync_ResolverThrows_CallProceedsUnattributedAndFailureIsCounted()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));
        var client = Wrap(inner, o => o.AttributionResolver = (_, _) => throw new KeyNotFoundException("no user"));

        var response = await client.GetResponseAsync(Conversation());

        response.Text.ShouldBe("ok");
        inner.CallCount.ShouldBe(1);
        _recorder.Records.ShouldHaveSingleItem().UserId.ShouldBeNull();
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GetResponseAsync_UsageWithNegativeCount_FallsBackToEstimateAndCountsFailure()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = -5, OutputTokenCount = 1 }));
        var client = Wrap(inner);

        await client.GetResponseAsync(Conversation());

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.Tokens.Input.ShouldBe(6);
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GetResponseAsync_InnerGetServiceThrows_ConstructionSucceedsAndCallIsRecorded()
    {
        var inner = new ScriptedChatClient() { GetServiceFailure = new NotSupportedException("no metadata") }.Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));
        var client = Wrap(inner);
        inner.GetServiceFailure = null;

        await client.GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().Model.ShouldBe("unknown");
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GetResponseAsync_TrackerAttached_NotesHistoryAndRecordsThroughTracker()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteCorrelationId("turn-3");
        var inner = new ScriptedChatClient
        {
            // The request is noted before the inner call.
            OnCall = _ => tracker.PendingRequestCount.ShouldBe(1),
        }.Respond(Answer("ok", new UsageDetails { InputTokenCount = 900, OutputTokenCount = 12 }));

        using (tracker.Attach())
        {
            await Wrap(inner).GetResponseAsync(Conversation());
        }

        var kept = tracker.Records.ShouldHaveSingleItem();
        kept.HistoryLength.ShouldBe(3);
        kept.IsUnpaired.ShouldBeFalse();
        kept.CorrelationId.ShouldBe("turn-3");
        tracker.PendingRequestCount.ShouldBe(0);
        tracker.LatestOccupancy.ShouldBe(900);
        _recorder.Records.ShouldHaveSingleItem().ShouldBe(kept);
    }

    [Fact]
    public async Task GetResponseAsync_NoTrackerAttached_RecordsToRecorderDirectly()
    {
        var bystander = new UsageTracker(_recorder);
        var inner = new ScriptedChatClient().Respond(Answer("ok", new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 }));

        await Wrap(inner).GetResponseAsync(Conversation());

        bystander.Records.ShouldBeEmpty();
        _recorder.Records.ShouldHaveSingleItem().IsUnpaired.ShouldBeFalse();
    }

    [Fact]
    public void GetService_AccountingChatClient_ReturnsTheMiddleware()
    {
        var inner = new ScriptedChatClient().Respond(Answer("ok", null));
        var client = Wrap(inner);

        client.GetService<AccountingChatClient>().ShouldBeSameAs(client);
        client.GetService<ScriptedChatClient>().ShouldBeSameAs(inner);
    }

    [Fact]
    public void WithTokenAccounting_NullArguments_Throw()
    {
        var inner = new ScriptedChatClient();

        Should.Throw<ArgumentNullException>(() => ((IChatClient)null!).WithTokenAccounting(_recorder));
        Should.Throw<ArgumentNullException>(() => inner.WithTokenAccounting((IUsageRecorder)null!));
        Should.Throw<ArgumentNullException>(() => inner.WithTokenAccounting((IServiceProvider)null!));
    }

    [Theory]
    [InlineData("estimator")]
    [InlineData("time")]
    [InlineData("provider")]
    public void WithTokenAccounting_BadOptions_ThrowsArgumentExceptionNamingTheOption(string bad)
    {
        var inner = new ScriptedChatClient();

        var exception = Should.Throw<ArgumentException>(() => inner.WithTokenAccounting(_recorder, o =>
        {
            switch (bad)
            {
                case "estimator": o.Estimator = null!; break;
                case "time": o.TimeProvider = null!; break;
                default: o.ProviderName = "  "; break;
            }
        }));

        exception.Message.ShouldContain(bad switch { "estimator" => "Estimator", "time" => "TimeProvider", _ => "ProviderName" });
    }

    [Fact]
    public void WithTokenAccounting_ServiceProviderWithoutRecorder_ThrowsNamingTheFix()
    {
        using var services = new ServiceCollection().BuildServiceProvider();

        var exception = Should.Throw<InvalidOperationException>(() => new ScriptedChatClient().WithTokenAccounting(services));

        exception.Message.ShouldContain("AddTokenAccounting");
    }

    [Fact]
    public async Task WithTokenAccounting_ServiceProvider_UsesRegisteredRecorderClockAndEstimateRatios()
    {
        using var services = new ServiceCollection()
            .AddSingleton<IUsageRecorder>(_recorder)
            .AddSingleton<TimeProvider>(_clock)
            .Configure<TokenAccountingOptions>(o => o.BytesPerInputToken = 1)
            .BuildServiceProvider();
        var inner = new ScriptedChatClient().Respond(Answer("", null));

        await inner.WithTokenAccounting(services, o => o.ProviderName = "configured").GetResponseAsync(Conversation());

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.StartedAt.ShouldBe(Start);
        record.Tokens.Input.ShouldBe(23);
        record.Provider.ShouldBe("configured");
    }

    [Fact]
    public async Task GetResponseAsync_UsageReportsWebSearchAndWebFetchRequests_RecordedAsServerToolCalls()
    {
        var usage = new UsageDetails
        {
            InputTokenCount = 6000,
            OutputTokenCount = 900,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 0, ["WebSearchRequests"] = 3, ["WebFetchRequests"] = 1 },
        };
        var client = Wrap(new ScriptedChatClient().Respond(Answer("Found it.", usage)));

        await client.GetResponseAsync(Conversation());

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 3, ["web_fetch"] = 1 }, ignoreOrder: true);
        record.Tokens.ShouldBe(new TokenCounts(6000, 900));
    }

    [Fact]
    public async Task GetResponseAsync_WebSearchCallContents_CountedOncePerCallId()
    {
        var answer = new ChatMessage(ChatRole.Assistant, [
            new WebSearchToolCallContent("ws_1"),
            new WebSearchToolResultContent("ws_1"),
            new WebSearchToolCallContent("ws_2"),
            new WebSearchToolCallContent("ws_2"),
            new TextContent("Here is what I found."),
        ]);
        var client = Wrap(new ScriptedChatClient().Respond(new ChatResponse(answer) { Usage = new UsageDetails { InputTokenCount = 300, OutputTokenCount = 40 } }));

        await client.GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
    }

    [Fact]
    public async Task GetResponseAsync_NoServerToolsReported_ServerToolCallsNull()
    {
        var client = Wrap(new ScriptedChatClient().Respond(Answer("Hi!", new UsageDetails { InputTokenCount = 12, OutputTokenCount = 3, AdditionalCounts = new() { ["WebSearchRequests"] = 0 } })));

        await client.GetResponseAsync(Conversation());

        _recorder.Records.ShouldHaveSingleItem().ServerToolCalls.ShouldBeNull();
    }

    [Fact]
    public async Task GetResponseAsync_InnerAnswersAsynchronously_RecordedOnceAfterTheAnswer()
    {
        var answer = new TaskCompletionSource();
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Wait(answer.Task), ScriptedStreamStep.Text("Hi!"), ScriptedStreamStep.Usage(40, 2));
        var client = Wrap(inner);

        var pending = client.GetResponseAsync(Conversation());
        pending.IsCompleted.ShouldBeFalse();
        _recorder.Records.ShouldBeEmpty();
        answer.SetResult();
        var response = await pending;

        response.Text.ShouldBe("Hi!");
        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(40, 2));
    }

    [Fact]
    public async Task GetResponseAsync_InnerThrowsSynchronously_FaultedTaskAndOneFailedRecord()
    {
        var failure = new InvalidOperationException("not configured");
        var client = Wrap(new SynchronouslyThrowingClient(failure));

        var task = client.GetResponseAsync(Conversation());

        task.IsFaulted.ShouldBeTrue();
        (await Should.ThrowAsync<InvalidOperationException>(() => task)).ShouldBeSameAs(failure);
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Failed);
    }

    [Fact]
    public async Task GetResponseAsync_NullMessages_FaultedTaskAndNoRecord()
    {
        var task = Wrap(new ScriptedChatClient()).GetResponseAsync(null!);

        (await Should.ThrowAsync<ArgumentNullException>(() => task)).ParamName.ShouldBe("messages");
        _recorder.Records.ShouldBeEmpty();
    }

    /// <summary>An inner client that throws from the call itself rather than returning a faulted task.</summary>
    private sealed class SynchronouslyThrowingClient(Exception failure) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw failure;

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw failure;

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
