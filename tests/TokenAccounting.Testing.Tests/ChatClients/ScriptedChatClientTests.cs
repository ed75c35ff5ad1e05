namespace TokenAccounting.Testing.Tests.ChatClients;

public sealed class ScriptedChatClientTests
{
    [Fact]
    public async Task GetResponseAsync_ScriptedResponses_PlaysThemInOrderWithUsage()
    {
        using var client = new ScriptedChatClient()
            .Respond("one", inputTokens: 10, outputTokens: 2, modelId: "gpt-4o")
            .Respond("two");

        var first = await client.GetResponseAsync("a");
        var second = await client.GetResponseAsync("b");

        first.Text.ShouldBe("one");
        first.ModelId.ShouldBe("gpt-4o");
        first.Usage!.InputTokenCount.ShouldBe(10);
        first.Usage.OutputTokenCount.ShouldBe(2);
        second.Text.ShouldBe("two");
        second.Usage.ShouldBeNull();
        client.Calls.Select(c => c.Messages.Single().Text).ShouldBe(["a", "b"]);
        client.Remaining.ShouldBe(0);
    }

    [Fact]
    public async Task GetResponseAsync_NothingScripted_ThrowsNamingTheCall()
    {
        using var client = new ScriptedChatClient().Respond("only");
        await client.GetResponseAsync("a");

        var exception = await Should.ThrowAsync<InvalidOperationException>(() => client.GetResponseAsync("b"));

        exception.Message.ShouldContain("call #2 (non-streaming)");
    }

    [Fact]
    public async Task GetResponseAsync_ScriptedFailureAndCancellation_ThrowsThemAtTheirTurn()
    {
        using var caller = new CancellationTokenSource();
        using var client = new ScriptedChatClient()
            .Fail(new HttpRequestException("503"))
            .Cancel(caller)
            .Respond("after");

        (await Should.ThrowAsync<HttpRequestException>(() => client.GetResponseAsync("a"))).Message.ShouldBe("503");
        var cancelled = await Should.ThrowAsync<OperationCanceledException>(() => client.GetResponseAsync("b", cancellationToken: caller.Token));
        cancelled.CancellationToken.ShouldBe(caller.Token);
        caller.IsCancellationRequested.ShouldBeTrue();
        (await client.GetResponseAsync("c")).Text.ShouldBe("after");
    }

    [Fact]
    public async Task GetResponseAsync_CallerAlreadyCancelled_ThrowsAndLeavesTheEntryForTheNextCall()
    {
        using var client = new ScriptedChatClient().Respond("kept");

        await Should.ThrowAsync<OperationCanceledException>(() => client.GetResponseAsync("a", cancellationToken: new CancellationToken(canceled: true)));

        client.Remaining.ShouldBe(1);
        (await client.GetResponseAsync("b")).Text.ShouldBe("kept");
        client.CallCount.ShouldBe(2);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamText_YieldsChunksThenUsageOnTheLastUpdate()
    {
        using var client = new ScriptedChatClient().StreamText(["Hel", "lo"], new UsageDetails { InputTokenCount = 7, OutputTokenCount = 2 }, "gpt-4o");

        var updates = await Collect(client.GetStreamingResponseAsync("a"));

        updates.Select(u => u.Text).ShouldBe(["Hel", "lo", string.Empty]);
        updates[^1].Contents.OfType<UsageContent>().ShouldHaveSingleItem().Details.InputTokenCount.ShouldBe(7);
        updates.Take(2).ShouldAllBe(u => !u.Contents.OfType<UsageContent>().Any());
        updates.ShouldAllBe(u => u.ModelId == "gpt-4o");
        client.Calls.ShouldHaveSingleItem().Streaming.ShouldBeTrue();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StreamWithoutUsage_YieldsNoUsageContent()
    {
        using var client = new ScriptedChatClient().StreamText(["a", "b"]);

        var updates = await Collect(client.GetStreamingResponseAsync("x"));

        updates.Count.ShouldBe(2);
        updates.SelectMany(u => u.Contents).OfType<UsageContent>().ShouldBeEmpty();
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FailureAfterTwoUpdates_YieldsTwoThenThrows()
    {
        using var client = new ScriptedChatClient().Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Fail(new IOException("cut")), ScriptedStreamStep.Text("never"));
        var seen = new List<string>();

        var exception = await Should.ThrowAsync<IOException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("x"))
            {
                seen.Add(update.Text);
            }
        });

        exception.Message.ShouldBe("cut");
        seen.ShouldBe(["a", "b"]);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_WaitStep_HoldsTheStreamUntilReleasedAndHonoursCancellation()
    {
        var gate = new TaskCompletionSource();
        using var client = new ScriptedChatClient()
            .Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Wait(gate.Task), ScriptedStreamStep.Text("b"))
            .Stream(ScriptedStreamStep.Wait(new TaskCompletionSource().Task));
        await using var stream = client.GetStreamingResponseAsync("x").GetAsyncEnumerator();

        (await stream.MoveNextAsync()).ShouldBeTrue();
        var next = stream.MoveNextAsync();
        next.IsCompleted.ShouldBeFalse();
        gate.SetResult();
        (await next).ShouldBeTrue();
        stream.Current.Text.ShouldBe("b");

        using var caller = new CancellationTokenSource();
        var hung = Collect(client.GetStreamingResponseAsync("y", cancellationToken: caller.Token));
        hung.IsCompleted.ShouldBeFalse();
        await caller.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => hung);
    }

    [Fact]
    public async Task GetResponseAsync_StreamScripted_CombinesTheUpdates()
    {
        using var client = new ScriptedChatClient().Stream(ScriptedStreamStep.Text("Hel"), ScriptedStreamStep.Text("lo"), ScriptedStreamStep.Usage(5, 2));

        var response = await client.GetResponseAsync("x");

        response.Text.ShouldBe("Hello");
        response.Usage!.OutputTokenCount.ShouldBe(2);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ResponseScripted_StreamsItsUpdatesWithUsage()
    {
        using var client = new ScriptedChatClient().Respond("whole", inputTokens: 3, outputTokens: 1);

        var updates = await Collect(client.GetStreamingResponseAsync("x"));

        string.Concat(updates.Select(u => u.Text)).ShouldBe("whole");
        updates.SelectMany(u => u.Contents).OfType<UsageContent>().ShouldHaveSingleItem().Details.InputTokenCount.ShouldBe(3);
    }

    [Fact]
    public async Task OnCall_EveryCall_RunsBeforeTheEntryPlays()
    {
        var time = new FakeTimeProvider();
        var start = time.GetUtcNow();
        using var client = new ScriptedChatClient().Respond("a").Respond("b");
        client.OnCall = _ => time.Advance(TimeSpan.FromSeconds(2));

        await client.GetResponseAsync("1");
        await client.GetResponseAsync("2");

        (time.GetUtcNow() - start).ShouldBe(TimeSpan.FromSeconds(4));
    }

    [Fact]
    public void GetService_Metadata_ReturnsTheGivenMetadataAndItself()
    {
        var metadata = new ChatClientMetadata("openai", defaultModelId: "gpt-4o");
        using var client = new ScriptedChatClient(metadata);

        client.GetService<ChatClientMetadata>().ShouldBeSameAs(metadata);
        client.GetService<ScriptedChatClient>().ShouldBeSameAs(client);
        client.GetService(typeof(ChatClientMetadata), serviceKey: "other").ShouldBeNull();
        client.GetServiceFailure = new NotSupportedException("broken");
        Should.Throw<NotSupportedException>(() => client.GetService<ChatClientMetadata>()).Message.ShouldBe("broken");
    }

    private static async Task<List<ChatResponseUpdate>> Collect(IAsyncEnumerable<ChatResponseUpdate> stream)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in stream)
        {
            updates.Add(update);
        }

        return updates;
    }
}
