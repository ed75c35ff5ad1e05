namespace TokenAccounting.Extensions.AI.Tests.Chat;

/// <summary>
/// The middleware keeps the state of an ended non-streaming call as its thread's spare and reads a List of contents as a
/// span: what a call records must never depend on the call before it, on a call made inside it, or on the list type.
/// </summary>
public sealed class AccountingChatClientCallStateTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly CapturingRecorder _recorder = new();

    private IChatClient Wrap(IChatClient inner, Action<TokenAccountingChatClientOptions>? configure = null) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.TimeProvider = _clock;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task GetResponseAsync_CallAfterAnotherOnTheSameThread_RecordsExactlyWhatItRecordedAlone()
    {
        // The scripted client answers synchronously, so all three calls end on this thread, one after the other.
        var plain = Wrap(new ScriptedChatClient().Respond("Hello.").Respond("Hello."));
        var rich = Wrap(
            new ScriptedChatClient(new ChatClientMetadata("anthropic", null, "claude-sonnet-4-5")).Respond(new ChatResponse(
                new ChatMessage(ChatRole.Assistant, [new WebSearchToolCallContent("ws_1"), new TextContent("Found it.")]))
            {
                ModelId = "claude-sonnet-4-5-20250929",
                Usage = new UsageDetails { OutputTokenCount = 40 }, // input estimated: the request's size is measured
            }),
            o => o.AttributionResolver = (_, _) => new UsageAttribution { UserId = "u-1", Route = "/search", Tags = new Dictionary<string, string> { ["team"] = "search" } });
        List<ChatMessage> greeting = [new(ChatRole.User, "Hi")];
        List<ChatMessage> research = [new(ChatRole.System, "Search the web and cite sources."), new(ChatRole.User, "What is the tallest building in Europe, and how tall is it?"), new(ChatRole.Assistant, "Let me look.")];

        await plain.GetResponseAsync(greeting);
        await rich.GetResponseAsync(research, new ChatOptions { ModelId = "claude-sonnet-4-5", Instructions = "Be thorough." });
        await plain.GetResponseAsync(greeting);

        _recorder.Records.Count.ShouldBe(3);
        var (alone, between, after) = (_recorder.Records[0], _recorder.Records[1], _recorder.Records[2]);
        between.Model.ShouldBe("claude-sonnet-4-5");
        between.ResponseModel.ShouldBe("claude-sonnet-4-5-20250929");
        between.UserId.ShouldBe("u-1");
        between.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 1 });
        between.HistoryLength.ShouldBe(3);
        between.Tokens.Input.ShouldBeGreaterThan(alone.Tokens.Input);

        after.ShouldBe(alone);
        after.Model.ShouldBe(TokenAccountingChatClientOptions.UnknownModel);
        after.ResponseModel.ShouldBeNull();
        after.UserId.ShouldBeNull();
        after.Route.ShouldBeNull();
        after.Tags.ShouldBeNull();
        after.ServerToolCalls.ShouldBeNull();
        after.HistoryLength.ShouldBe(1);
        after.Provenance.ShouldBe(UsageProvenance.Estimated);
        after.Tokens.Input.ShouldBe(UsageEstimator.Default.EstimateInputTokens(2)); // "Hi": 2 bytes
    }

    [Fact]
    public async Task GetResponseAsync_InnerClientCallsTheSameClientBackSynchronously_RecordsEachCallAsItsOwn()
    {
        IChatClient? client = null;
        var inner = new CallbackChatClient((messages, options) =>
        {
            if (options?.ModelId != "outer")
            {
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "inner")) { Usage = new UsageDetails { InputTokenCount = 3, OutputTokenCount = 1 }, ModelId = options?.ModelId + "-1" };
            }

            // A call made while the outer one is running, on the same thread (as a tool or a router would).
            client!.GetResponseAsync([new(ChatRole.User, "nested")], new ChatOptions { ModelId = "nested" }).GetAwaiter().GetResult();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "outer")) { Usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 30 }, ModelId = "outer-1" };
        });
        client = Wrap(inner);
        List<ChatMessage> conversation = [new(ChatRole.User, "one"), new(ChatRole.Assistant, "two"), new(ChatRole.User, "three")];

        // A first call leaves a spare behind, which the outer call then takes: the nested call must not get it too.
        await client.GetResponseAsync([new(ChatRole.User, "warm-up")], new ChatOptions { ModelId = "warm-up" });
        await client.GetResponseAsync(conversation, new ChatOptions { ModelId = "outer" });

        _recorder.Records.Count.ShouldBe(3);
        var nested = _recorder.Records[1];
        nested.Model.ShouldBe("nested");
        nested.ResponseModel.ShouldBe("nested-1");
        nested.Tokens.ShouldBe(new TokenCounts(3, 1));
        nested.HistoryLength.ShouldBe(1);
        var outer = _recorder.Records[2];
        outer.Model.ShouldBe("outer");
        outer.ResponseModel.ShouldBe("outer-1");
        outer.Tokens.ShouldBe(new TokenCounts(120, 30));
        outer.Provenance.ShouldBe(UsageProvenance.Reported);
        outer.HistoryLength.ShouldBe(3);
    }

    [Fact]
    public async Task GetResponseAsync_MessageContentsNotAList_WebSearchesCountedAsFromAList()
    {
        var contents = new AIContent[] { new WebSearchToolCallContent("ws_1"), new WebSearchToolCallContent("ws_1"), new WebSearchToolCallContent("ws_2"), new TextContent("Found.") };
        var answer = new ChatMessage(ChatRole.Assistant, "placeholder") { Contents = contents };
        answer.Contents.ShouldBeOfType<AIContent[]>();
        var client = Wrap(new ScriptedChatClient().Respond(new ChatResponse(answer) { Usage = new UsageDetails { InputTokenCount = 300, OutputTokenCount = 40 } }));

        await client.GetResponseAsync([new(ChatRole.User, "search")]);

        _recorder.Records.ShouldHaveSingleItem().ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UpdateContentsNotAList_RecordsWhatTheSameUpdatesInListsRecord()
    {
        static ChatResponseUpdate Update(bool asArray, params AIContent[] contents) =>
            new() { Role = ChatRole.Assistant, Contents = asArray ? contents : [.. contents] };

        static ScriptedStreamStep[] Steps(bool asArray, bool withUsage)
        {
            List<ScriptedStreamStep> steps =
            [
                ScriptedStreamStep.Yield(Update(asArray, new TextContent("Hel"))),
                ScriptedStreamStep.Yield(Update(asArray, new WebSearchToolCallContent("ws_1"), new TextContent("lo"))),
                ScriptedStreamStep.Yield(Update(asArray, new TextContent("!"), new UsageContent(new UsageDetails { InputTokenCount = 20 }))),
            ];
            if (withUsage)
            {
                steps.Add(ScriptedStreamStep.Yield(Update(asArray, new UsageContent(new UsageDetails { OutputTokenCount = 5 }))));
            }

            return [.. steps];
        }

        var inner = new ScriptedChatClient()
            .Stream(Steps(asArray: true, withUsage: true)).Stream(Steps(asArray: false, withUsage: true))
            .Stream(Steps(asArray: true, withUsage: false)).Stream(Steps(asArray: false, withUsage: false));
        var client = Wrap(inner);

        for (var i = 0; i < 4; i++)
        {
            await foreach (var update in client.GetStreamingResponseAsync([new(ChatRole.User, "Hello?")]))
            {
                _ = update;
            }
        }

        _recorder.Records.Count.ShouldBe(4);
        var reported = _recorder.Records[0];
        reported.Tokens.ShouldBe(new TokenCounts(20, 5));
        reported.Provenance.ShouldBe(UsageProvenance.Reported);
        reported.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 1 });
        _recorder.Records[1].ServerToolCalls.ShouldBe(reported.ServerToolCalls);
        (_recorder.Records[1] with { ServerToolCalls = null }).ShouldBe(reported with { ServerToolCalls = null }); // the dictionaries compare by reference

        // Without output usage, the output is estimated from the three updates that carried content.
        var estimated = _recorder.Records[2];
        estimated.Tokens.ShouldBe(new TokenCounts(20, UsageEstimator.Default.EstimateOutputTokens(3)));
        estimated.Provenance.ShouldBe(UsageProvenance.Estimated);
        _recorder.Records[3].ServerToolCalls.ShouldBe(estimated.ServerToolCalls);
        (_recorder.Records[3] with { ServerToolCalls = null }).ShouldBe(estimated with { ServerToolCalls = null });
    }

    /// <summary>A client that answers synchronously with what <paramref name="answer"/> returns.</summary>
    private sealed class CallbackChatClient(Func<IEnumerable<ChatMessage>, ChatOptions?, ChatResponse> answer) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(answer(messages, options));

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
