using Microsoft.Extensions.AI;
using TokenAccounting;

namespace TestingSample;

/// <summary>The code under test: classifies a support ticket, then summarizes it — two chat calls per ticket.</summary>
public sealed class TicketSummarizer(IChatClient chat)
{
    public async Task<string> SummarizeAsync(string ticket, string userId, CancellationToken cancellationToken = default)
    {
        // Everything recorded inside the scope is attributed to the user and to "summarize-ticket".
        using var scope = UsageScope.Begin("summarize-ticket", userId: userId);
        var category = await chat.GetResponseAsync($"Classify this ticket: {ticket}", cancellationToken: cancellationToken);
        var summary = await chat.GetResponseAsync($"Summarize this {category.Text} ticket: {ticket}", cancellationToken: cancellationToken);
        return summary.Text;
    }
}
