using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Budgets;

/// <summary>
/// When a call commits and when it releases: the provider billed nothing for a call that failed before any usage or
/// content arrived; a stream that failed after usage commits what was reported, after content only, the estimate.
/// </summary>
public sealed class GateSettlementTests
{
    private static readonly BudgetSubject Alice = new() { UserId = "alice" };

    private static ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink().AddBudgets(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Limit = 100_000 });
        return services.BuildServiceProvider();
    }

    private static ChatClientMetadata Metadata => new("openai", null, "gpt-4o");

    private static async Task<(decimal Used, UsageRecord Record)> StreamAsync(ServiceProvider provider, params ScriptedStreamStep[] steps)
    {
        var inner = new ScriptedChatClient(Metadata);
        inner.Stream(steps);
        var client = inner.WithTokenAccounting(provider);
        using (UsageScope.Begin("run", userId: "alice"))
        {
            await Should.ThrowAsync<HttpRequestException>(async () =>
            {
                await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello there")]))
                {
                }
            });
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        var used = (await provider.GetRequiredService<BudgetManager>().GetUsedAsync("daily", Alice))!.Value;
        return (used, provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FailsBeforeAnythingArrived_ReleasesTheReservation()
    {
        await using var provider = Build();

        var (used, record) = await StreamAsync(provider, ScriptedStreamStep.Fail(new HttpRequestException("429")));

        record.Outcome.ShouldBe(UsageOutcome.Failed);
        used.ShouldBe(0m, "the provider billed nothing");
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FailsAfterUsageArrived_CommitsWhatWasReported()
    {
        await using var provider = Build();

        var (used, record) = await StreamAsync(provider, ScriptedStreamStep.Usage(300, 40), ScriptedStreamStep.Fail(new HttpRequestException("connection reset")));

        record.Tokens.ShouldBe(new TokenCounts(300, 40));
        used.ShouldBe(340m);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_FailsAfterContentWithoutUsage_CommitsTheEstimate()
    {
        await using var provider = Build();

        var (used, record) = await StreamAsync(provider, ScriptedStreamStep.Text("a"), ScriptedStreamStep.Text("b"), ScriptedStreamStep.Fail(new HttpRequestException("connection reset")));

        // "hello there" is 11 bytes → 3 input tokens estimated; 2 chunks → 2 output tokens.
        record.Tokens.ShouldBe(new TokenCounts(3, 2));
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        used.ShouldBe(5m, "the estimate, counted once");
    }

    [Fact]
    public async Task GenerateAsync_InnerGeneratorFails_ReleasesTheReservation()
    {
        await using var provider = Build();
        var generator = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Fail(new HttpRequestException("503"));
        var wrapped = generator.WithTokenAccounting(provider);

        using (UsageScope.Begin("run", userId: "alice"))
        {
            await Should.ThrowAsync<HttpRequestException>(() => wrapped.GenerateAsync(["some text to embed"]));
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Failed);
        (await provider.GetRequiredService<BudgetManager>().GetUsedAsync("daily", Alice)).ShouldBe(0m);
    }

    [Fact]
    public async Task GetResponseAsync_StoreFailsOnCommit_ResponseFlowsAndTheCommitLandsOnTheNextFlush()
    {
        var store = new AsynchronousBudgetStore(new BlockingDetector());
        var services = new ServiceCollection();
        services.AddSingleton<IBudgetStore>(store);
        services.AddTokenAccounting().AddInMemorySink().AddBudgets(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Limit = 100_000 });
        await using var provider = services.BuildServiceProvider();
        var manager = provider.GetRequiredService<BudgetManager>();
        var inner = new ScriptedChatClient(Metadata)
        {
            OnCall = _ => store.FailNext = 2, // the commit, and the attempt Dispose makes before handing it to the background
        }.Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 } });
        var client = inner.WithTokenAccounting(provider);

        ChatResponse response;
        using (UsageScope.Begin("run", userId: "alice"))
        {
            response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { MaxOutputTokens = 10 });
        }

        response.Text.ShouldBe("ok");
        manager.SettlementFailures.ShouldBe(2);
        manager.PendingSettlements.ShouldBe(1);
        (await manager.GetUsedAsync("daily", Alice)).ShouldBe(11m, "still the estimate (1 input + 10 output) until the commit lands");

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();

        manager.PendingSettlements.ShouldBe(0);
        (await manager.GetUsedAsync("daily", Alice)).ShouldBe(120m, "the actual usage, counted once: the record is marked, so the observer skips it");
        provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem().Tags!.Keys.ShouldContain(BudgetManager.ReservationTagKey);
    }

    [Fact]
    public async Task GetResponseAsync_StoreDownAtAdmission_FailsClosedNamingThePolicy()
    {
        var store = new AsynchronousBudgetStore(new BlockingDetector()) { FailNext = 1 };
        var manager = new BudgetManager([new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Limit = 100_000 }], store, new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)));
        var recorder = new CapturingRecorder();
        var inner = new ScriptedChatClient(Metadata).Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
        var client = inner.WithTokenAccounting(recorder, o =>
        {
            o.Budgets = manager;
            o.AttributionResolver = (_, _) => new UsageAttribution { UserId = "alice" };
        });

        var failure = await Should.ThrowAsync<BudgetStoreException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));

        failure.PolicyName.ShouldBe("daily");
        failure.SubjectKey.ShouldBe("alice");
        failure.InnerException.ShouldBeOfType<TimeoutException>();
        inner.CallCount.ShouldBe(0, "a budget that cannot be checked never over-admits");
        recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Skipped);
    }
}
