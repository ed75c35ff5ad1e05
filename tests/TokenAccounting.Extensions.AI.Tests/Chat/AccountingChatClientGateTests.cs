using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

/// <summary>The budget seam: a gate admits or refuses before the inner call and is completed with the final record.</summary>
public sealed class AccountingChatClientGateTests
{
    private readonly CapturingRecorder _recorder = new();

    // "0123456789abcdef" is 16 bytes → 4 estimated input tokens.
    private static List<ChatMessage> Conversation() => [new(ChatRole.User, "0123456789abcdef")];

    private static ChatResponse Answer() => new(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 50, OutputTokenCount = 7 } };

    private IChatClient Wrap(IChatClient inner, FakeGate gate, Action<TokenAccountingChatClientOptions>? configure = null) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.Gate = gate;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task GetResponseAsync_GateRefuses_InnerClientIsNeverCalledAndOneSkippedRecordIsWritten()
    {
        var refusal = new FakeBudgetExceededException("tenant acme is over its daily budget");
        var gate = new FakeGate { Refuse = refusal };
        var inner = new ScriptedChatClient().Respond(Answer());
        var tracker = new UsageTracker(_recorder);

        Exception thrown;
        using (tracker.Attach())
        {
            thrown = await Should.ThrowAsync<FakeBudgetExceededException>(() =>
                Wrap(inner, gate, o => o.AttributionResolver = (_, _) => new UsageAttribution { TenantId = "acme" })
                    .GetResponseAsync(Conversation(), new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 256 }));
        }

        thrown.ShouldBeSameAs(refusal);
        inner.CallCount.ShouldBe(0);
        var request = gate.Requests.ShouldHaveSingleItem();
        request.Model.ShouldBe("gpt-4o");
        request.Operation.ShouldBe(UsageOperation.Chat);
        request.EstimatedInputTokens.ShouldBe(4);
        request.MaxOutputTokens.ShouldBe(256);
        request.Attribution.ShouldNotBeNull().TenantId.ShouldBe("acme");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Skipped);
        record.Tokens.ShouldBe(TokenCounts.Zero);
        record.TenantId.ShouldBe("acme");
        tracker.PendingRequestCount.ShouldBe(0); // a refused call is not a request the tracker waits for
        tracker.Records.ShouldBeEmpty();
    }

    [Fact]
    public async Task GetResponseAsync_RequestCannotBeMeasured_CallIsGatedWithAZeroEstimateAndTheFailureIsCounted()
    {
        var gate = new FakeGate();
        var inner = new ScriptedChatClient().Respond(Answer());
        var client = Wrap(inner, gate);

        await client.GetResponseAsync(new UnmeasurableOnce<ChatMessage>(new ChatMessage(ChatRole.User, "0123456789abcdef")));

        gate.Requests.ShouldHaveSingleItem().EstimatedInputTokens.ShouldBe(0, "a chat request whose size cannot be measured still goes through the gate (an exhausted budget refuses it)");
        gate.Completed.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(50, 7));
        inner.CallCount.ShouldBe(1);
        client.GetService<AccountingChatClient>().ShouldNotBeNull().AccountingFailureCount.ShouldBe(1);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.Tokens.ShouldBe(new TokenCounts(50, 7));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_GateRefuses_NothingIsStreamedAndOneSkippedRecordIsWritten()
    {
        var gate = new FakeGate { Refuse = new FakeBudgetExceededException("over budget") };
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("never"));

        await Should.ThrowAsync<FakeBudgetExceededException>(async () =>
        {
            await foreach (var update in Wrap(inner, gate).GetStreamingResponseAsync(Conversation()))
            {
            }
        });

        inner.CallCount.ShouldBe(0);
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Skipped);
    }

    [Fact]
    public async Task GetResponseAsync_GateAdmitsWithCap_LowersMaxOutputTokensOnACloneAndCompletesWithTheRecord()
    {
        var gate = new FakeGate { Cap = 100 };
        var inner = new ScriptedChatClient().Respond(Answer());
        var callerOptions = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 4000, Temperature = 0.2f };

        await Wrap(inner, gate).GetResponseAsync(Conversation(), callerOptions);

        inner.Calls[^1].Options.ShouldNotBeNull().MaxOutputTokens.ShouldBe(100);
        inner.Calls[^1].Options!.Temperature.ShouldBe(0.2f);
        inner.Calls[^1].Options.ShouldNotBeSameAs(callerOptions);
        callerOptions.MaxOutputTokens.ShouldBe(4000);
        var completed = gate.Completed.ShouldHaveSingleItem();
        _recorder.Records.ShouldHaveSingleItem().ShouldBe(completed with { DegradedReason = "gate_completed" }, "the record written is the one the lease returned");
        completed.Tokens.ShouldBe(new TokenCounts(50, 7));
        completed.Outcome.ShouldBe(UsageOutcome.Succeeded);
    }

    [Fact]
    public async Task GetResponseAsync_GateCapAboveRequest_LeavesOptionsUntouched()
    {
        var gate = new FakeGate { Cap = 10_000 };
        var inner = new ScriptedChatClient().Respond(Answer());
        var callerOptions = new ChatOptions { MaxOutputTokens = 500 };

        await Wrap(inner, gate).GetResponseAsync(Conversation(), callerOptions);

        inner.Calls[^1].Options.ShouldBeSameAs(callerOptions);
    }

    [Fact]
    public async Task GetResponseAsync_GateCapWithoutOptions_CreatesOptionsWithTheCap()
    {
        var gate = new FakeGate { Cap = 64 };
        var inner = new ScriptedChatClient().Respond(Answer());

        await Wrap(inner, gate).GetResponseAsync(Conversation());

        inner.Calls[^1].Options.ShouldNotBeNull().MaxOutputTokens.ShouldBe(64);
    }

    [Fact]
    public async Task GetResponseAsync_InnerFailsAfterAdmission_LeaseIsCompletedWithTheFailedRecord()
    {
        var gate = new FakeGate();
        var inner = new ScriptedChatClient().Fail(new TimeoutException());

        await Should.ThrowAsync<TimeoutException>(() => Wrap(inner, gate).GetResponseAsync(Conversation()));

        gate.Completed.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Failed);
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Failed);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConsumerStopsEarly_LeaseIsCompletedOnce()
    {
        var gate = new FakeGate();
        var inner = new ScriptedChatClient();
        inner.Stream(ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"));

        await foreach (var update in Wrap(inner, gate).GetStreamingResponseAsync(Conversation()))
        {
            break;
        }

        gate.Completed.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Cancelled);
    }

    [Fact]
    public async Task GetResponseAsync_LeaseCompletionThrows_ResponseFlowsAndFailureIsCounted()
    {
        var gate = new FakeGate { CompleteThrows = true };
        var inner = new ScriptedChatClient().Respond(Answer());
        var client = Wrap(inner, gate);

        var response = await client.GetResponseAsync(Conversation());

        response.Text.ShouldBe("ok");
        _recorder.Records.Count.ShouldBe(1);
        client.GetService<AccountingChatClient>()!.AccountingFailureCount.ShouldBe(1);
    }
}
