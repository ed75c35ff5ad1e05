using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using TokenAccounting;
using TokenAccounting.Testing;
using Xunit;

namespace TestingSample;

public sealed class TicketSummarizer(IChatClient chat)
{
    public async Task<string> SummarizeAsync(string ticket, string userId)
    {
        using var scope = UsageScope.Begin("summarize-ticket", userId: userId);
        var category = await chat.GetResponseAsync($"Classify this ticket: {ticket}");
        var summary = await chat.GetResponseAsync($"Summarize this {category.Text} ticket: {ticket}");
        return summary.Text;
    }
}

public sealed class TicketSummarizerTests
{
    [Fact]
    public async Task SummarizeAsync_OneTicket_MakesTwoCallsCostingTheirTokens()
    {
        var gpt4o = new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.50m, Output = 10.00m };
        var recorder = new FakeUsageRecorder(new FakeTimeProvider(), PriceCatalog.Create([gpt4o]));
        var model = new ScriptedChatClient(new ChatClientMetadata("openai", defaultModelId: "gpt-4o"))
            .Respond("billing", inputTokens: 800, outputTokens: 2)
            .Respond("Charged twice; refund requested.", inputTokens: 1000, outputTokens: 8);
        var summarizer = new TicketSummarizer(model.WithTokenAccounting(recorder));

        await summarizer.SummarizeAsync("I was charged twice this month.", userId: "alice");

        // 1800 input tokens at $2.50/M + 10 output tokens at $10/M = $0.0046, exactly.
        recorder.ShouldHaveRecorded(calls: 2, model: "gpt-4o", userId: "alice", scopePath: "summarize-ticket", totalCost: 0.0046m);
    }
}
