using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Embeddings;

public sealed class AccountingEmbeddingGeneratorTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly CapturingRecorder _recorder = new();

    private IEmbeddingGenerator<string, Embedding<float>> Wrap(ScriptedEmbeddingGenerator inner, Action<TokenAccountingEmbeddingGeneratorOptions>? configure = null) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.TimeProvider = _clock;
            configure?.Invoke(o);
        });

    [Fact]
    public async Task GenerateAsync_ReportedUsage_RecordsOneEmbeddingsRecord()
    {
        var inner = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Respond(new UsageDetails { InputTokenCount = 12, TotalTokenCount = 12 }, "text-embedding-3-small-v2");

        var embeddings = await Wrap(inner).GenerateAsync(["alpha", "beta"]);

        embeddings.Count.ShouldBe(2);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Operation.ShouldBe(UsageOperation.Embeddings);
        record.Model.ShouldBe("text-embedding-3-small");
        record.ResponseModel.ShouldBe("text-embedding-3-small-v2");
        record.Provider.ShouldBe("openai");
        record.Tokens.ShouldBe(new TokenCounts(12, 0));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
        record.StartedAt.ShouldBe(Start);
    }

    [Fact]
    public async Task GenerateAsync_OnlyTotalReported_InputIsTotalMinusOutput()
    {
        var inner = new ScriptedEmbeddingGenerator().Respond(new UsageDetails { TotalTokenCount = 30 });

        await Wrap(inner).GenerateAsync(["x"], new EmbeddingGenerationOptions { ModelId = "embed-v4" });

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Model.ShouldBe("embed-v4");
        record.Tokens.ShouldBe(new TokenCounts(30, 0));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
    }

    [Fact]
    public async Task GenerateAsync_NoUsage_EstimatesFromUtf8InputSizes()
    {
        var inner = new ScriptedEmbeddingGenerator().Respond();

        // "héllo" is 6 bytes, "wörld!" is 7: 13 bytes → ceil(13 / 4) = 4 input tokens.
        await Wrap(inner).GenerateAsync(["héllo", "wörld!"]);

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(4, 0));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.DegradedReason.ShouldBe("usage_not_reported");
        record.Model.ShouldBe("unknown");
    }

    [Fact]
    public async Task GenerateAsync_InnerThrows_RecordsOneFailedRecordAndRethrows()
    {
        var inner = new ScriptedEmbeddingGenerator().Fail(new HttpRequestException("500"));

        await Should.ThrowAsync<HttpRequestException>(() => Wrap(inner).GenerateAsync(["abcd"]));

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Failed);
        record.Tokens.ShouldBe(new TokenCounts(1, 0));
    }

    [Fact]
    public async Task GenerateAsync_Cancelled_RecordsOneCancelledRecord()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => Wrap(new ScriptedEmbeddingGenerator()).GenerateAsync(["a"], null, cts.Token));

        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Cancelled);
    }

    [Fact]
    public async Task GenerateAsync_RecorderThrows_EmbeddingsFlowAndFailureIsCounted()
    {
        var recorder = new ThrowingRecorder();
        var generator = new ScriptedEmbeddingGenerator().Respond(new UsageDetails { InputTokenCount = 1 }).WithTokenAccounting(recorder);

        var embeddings = await generator.GenerateAsync(["a"]);

        embeddings.Count.ShouldBe(1);
        recorder.Attempts.ShouldBe(1);
        generator.GetService<AccountingEmbeddingGenerator<string, Embedding<float>>>().ShouldNotBeNull().AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GenerateAsync_AttributionAndProviderOverride_AreRecorded()
    {
        var inner = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai")).Respond(new UsageDetails { InputTokenCount = 1 });

        await Wrap(inner, o =>
        {
            o.ProviderName = "azure.ai.openai";
            o.AttributionResolver = options => new UsageAttribution { UserId = (string?)options?.AdditionalProperties?["user"] };
        }).GenerateAsync(["a"], new EmbeddingGenerationOptions { AdditionalProperties = new() { ["user"] = "u-9" } });

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Provider.ShouldBe("azure.ai.openai");
        record.UserId.ShouldBe("u-9");
    }

    [Fact]
    public async Task GenerateAsync_GateRefuses_InnerIsNeverCalledAndOneSkippedRecordIsWritten()
    {
        var gate = new FakeGate { Refuse = new FakeBudgetExceededException("over") };
        var inner = new ScriptedEmbeddingGenerator();

        await Should.ThrowAsync<FakeBudgetExceededException>(() => Wrap(inner, o => o.Gate = gate).GenerateAsync(["abcdefgh"]));

        inner.CallCount.ShouldBe(0);
        var request = gate.Requests.ShouldHaveSingleItem();
        request.Operation.ShouldBe(UsageOperation.Embeddings);
        request.EstimatedInputTokens.ShouldBe(2);
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Skipped);
    }

    [Fact]
    public async Task GenerateAsync_InputsCannotBeMeasured_CallIsGatedWithAZeroEstimateAndTheFailureIsCounted()
    {
        var gate = new FakeGate();
        var inner = new ScriptedEmbeddingGenerator().Respond(new UsageDetails { InputTokenCount = 9 });
        var generator = Wrap(inner, o => o.Gate = gate);

        await generator.GenerateAsync(new UnmeasurableOnce<string>("abcdefgh"));

        gate.Requests.ShouldHaveSingleItem().EstimatedInputTokens.ShouldBe(0, "an embedding request whose size cannot be measured is still reserved for");
        gate.Completed.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(9, 0));
        inner.CallCount.ShouldBe(1);
        generator.GetService<AccountingEmbeddingGenerator<string, Embedding<float>>>().ShouldNotBeNull().AccountingFailureCount.ShouldBe(1);
    }

    [Fact]
    public async Task GenerateAsync_GateAdmits_LeaseIsCompletedWithTheRecord()
    {
        var gate = new FakeGate();
        var inner = new ScriptedEmbeddingGenerator().Respond(new UsageDetails { InputTokenCount = 9 });

        await Wrap(inner, o => o.Gate = gate).GenerateAsync(["a"]);

        _recorder.Records.ShouldHaveSingleItem().ShouldBe(gate.Completed.ShouldHaveSingleItem() with { DegradedReason = "gate_completed" }, "the record written is the one the lease returned");
    }

    [Fact]
    public async Task GenerateAsync_TrackerAttached_RecordsStraightToTheRecorder()
    {
        var tracker = new UsageTracker(_recorder);
        var inner = new ScriptedEmbeddingGenerator().Respond(new UsageDetails { InputTokenCount = 9 });

        using (tracker.Attach())
        {
            await Wrap(inner).GenerateAsync(["a"]);
        }

        tracker.Records.ShouldBeEmpty();
        tracker.LatestOccupancy.ShouldBe(0);
        _recorder.Records.ShouldHaveSingleItem().IsUnpaired.ShouldBeFalse();
    }

    [Fact]
    public void WithTokenAccounting_BadOptions_ThrowsArgumentException()
    {
        Should.Throw<ArgumentException>(() => new ScriptedEmbeddingGenerator().WithTokenAccounting(_recorder, o => o.Estimator = null!))
            .Message.ShouldContain("Estimator");
        Should.Throw<ArgumentNullException>(() => new ScriptedEmbeddingGenerator().WithTokenAccounting((IUsageRecorder)null!));
    }
}
