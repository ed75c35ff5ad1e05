using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenAccounting;
using TokenAccounting.Testing;
using Xunit;

namespace TestingSample;

public sealed class TicketSummarizerFailureAndContainerTests
{
    private static readonly ModelPrice Gpt4o = new() { Provider = "openai", Model = "gpt-4o", Input = 2.50m, Output = 10.00m };

    [Fact]
    public async Task SummarizeAsync_ModelFailsOnTheSecondCall_RecordsBothCalls()
    {
        var recorder = new FakeUsageRecorder(new FakeTimeProvider(), PriceCatalog.Create([Gpt4o]));
        var model = new ScriptedChatClient(new ChatClientMetadata("openai", defaultModelId: "gpt-4o"))
            .Respond("billing", inputTokens: 800, outputTokens: 2)
            .Fail(new HttpRequestException("503 Service Unavailable"));
        var summarizer = new TicketSummarizer(model.WithTokenAccounting(recorder));

        await Assert.ThrowsAsync<HttpRequestException>(() => summarizer.SummarizeAsync("ticket", userId: "bob"));

        // The failed call is recorded too: its input is estimated from the request, so failures are never free.
        recorder.ShouldHaveRecorded(calls: 2, userId: "bob");
        var failed = Assert.Single(recorder.Records, r => r.Outcome == UsageOutcome.Failed);
        Assert.Equal(UsageProvenance.Estimated, failed.Provenance);
    }

    [Fact]
    public async Task SummarizeAsync_ThroughTheAppsContainer_IsVisibleWithoutFlushing()
    {
        // Integration style: the app's own registrations, with the real recorder replaced by the fake.
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddTokenAccounting().AddPricing(Gpt4o).UseFakeRecorder();
        services.AddSingleton(sp => new ScriptedChatClient(new ChatClientMetadata("openai", defaultModelId: "gpt-4o"))
            .Respond("billing", inputTokens: 800, outputTokens: 2)
            .Respond("Refund requested.", inputTokens: 1000, outputTokens: 8));
        services.AddSingleton(sp => new TicketSummarizer(sp.GetRequiredService<ScriptedChatClient>().WithTokenAccounting(sp)));
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<TicketSummarizer>().SummarizeAsync("ticket", userId: "carol");

        var recorder = provider.GetRequiredService<FakeUsageRecorder>();
        recorder.ShouldHaveRecorded(calls: 2, userId: "carol", totalCost: 0.0046m);
        Assert.Equal(0.0046m, recorder.TotalsByUser()["carol"].Cost?.Total);
    }
}
