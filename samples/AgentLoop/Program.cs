using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using AgentLoop;
using TokenAccounting;

// A tool-loop agent for three users. Each turn runs in its own scope; a UsageTracker shows how full the context
// window is after every turn; a per-user daily token budget stops the user whose task runs long.
var services = new ServiceCollection();
services.AddTokenAccounting()
    .AddPricing()
    .AddBudgets(new BudgetPolicy
    {
        Name = "user-daily-tokens",
        Dimension = BudgetDimension.User,
        Unit = BudgetUnit.Tokens,
        Limit = 4_000,
        Enforcement = BudgetEnforcement.Hard,
        WarningThreshold = 0.8,
    })
    .AddJsonLinesSink(o => o.PathTemplate = "usage-ledger/agent-{date}.jsonl")
    .AddInMemorySink();
await using var provider = services.BuildServiceProvider();
var budgets = provider.GetRequiredService<BudgetManager>();
budgets.WarningThresholdCrossed += (_, e) => Console.WriteLine($"    ! {e.SubjectKey} crossed {e.Policy.WarningThreshold:P0} of '{e.Policy.Name}': used {e.Used} of {e.Limit}");
const int ContextWindow = 128_000;

var chat = new ToolLoopChatClient().WithTokenAccounting(provider, o => o.DefaultOutputTokenEstimate = 500);

foreach (var (user, question) in new[]
{
    ("alice", "Find three sources on battery recycling."),
    ("bob", "Compare the 2024 and 2025 pricing of our top five competitors, in depth, with every source you can find."),
    ("carol", "What is our refund policy?"),
})
{
    Console.WriteLine($"\n{user}: {question}");
    using var run = UsageScope.Begin($"agent:{user}", userId: user);
    var tracker = new UsageTracker(provider.GetRequiredService<IUsageRecorder>());
    using var attached = tracker.Attach();
    var history = new List<ChatMessage> { new(ChatRole.System, "Use the search tool, then answer."), new(ChatRole.User, question) };
    if (user == "bob")
    {
        // Bob's question is long-winded: pad his conversation so his run needs more than the budget allows.
        history.Add(new ChatMessage(ChatRole.User, string.Concat(Enumerable.Repeat("Include every detail. ", 120))));
    }

    for (var turn = 1; turn <= 10; turn++)
    {
        using var step = UsageScope.Begin($"turn-{turn}");
        ChatResponse response;
        try
        {
            response = await chat.GetResponseAsync(history);
        }
        catch (BudgetExceededException denied)
        {
            Console.WriteLine($"  turn {turn}: stopped by budget '{denied.Policy.Name}': used {denied.Used} of {denied.Limit}, needed {denied.Requested}");
            break;
        }

        history.AddRange(response.Messages);
        var occupancy = (double)tracker.LatestOccupancy / ContextWindow;
        Console.WriteLine($"  turn {turn}: {step.Totals.Tokens.Total,5} tokens, context {tracker.LatestOccupancy,6} / {ContextWindow} ({occupancy:P1})");

        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        if (calls.Count == 0)
        {
            Console.WriteLine($"  answer: {response.Text}");
            break;
        }

        foreach (var call in calls)
        {
            history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, $"results for {call.Arguments?["query"]}: ...")]));
        }
    }

    Console.WriteLine($"  run total: {run.Totals.RequestCount} calls, {run.Totals.Tokens.Total} tokens; budget used today: {budgets.GetUsed("user-daily-tokens", new BudgetSubject { UserId = user })}");
}

var recorder = provider.GetRequiredService<IUsageRecorder>();
await recorder.FlushAsync();
var sink = provider.GetRequiredService<InMemoryUsageSink>();
Console.WriteLine();
foreach (var (user, summary) in sink.TotalsByUser().OrderBy(p => p.Key))
{
    var skipped = sink.Records.Count(r => r.UserId == user && r.Outcome == UsageOutcome.Skipped);
    Console.WriteLine($"{user,-6} {summary.RequestCount,3} records ({skipped} refused)  {summary.Tokens.Total,6} tokens  ${summary.CostUsd.ToString("0.000000", CultureInfo.InvariantCulture)}");
}

var ledger = provider.GetServices<IUsageSink>().OfType<JsonLinesUsageSink>().Single();
Console.WriteLine($"\nLedger written to {Path.GetFullPath(ledger.DirectoryPath)}");
