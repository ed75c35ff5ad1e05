using System.Globalization;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using AgentLoop;
using TokenAccounting;

// Two Agent Framework agents for three users: an assistant that delegates to a researcher agent (its tool), which
// calls a search tool. The model is scripted (no network). The chat pipeline is
// FunctionInvokingChatClient -> accounting -> model, so every model round trip is one record; each agent run is a
// UsageScope named after the agent, inside a scope per turn; a per-user daily token budget stops the user who asks too much.
var services = new ServiceCollection();
services.AddTokenAccounting()
    .AddPricing()
    .AddBudgets(new BudgetPolicy
    {
        Name = "user-daily-tokens",
        Dimension = BudgetDimension.User,
        Unit = BudgetUnit.Tokens,
        Limit = 9_000,
        Enforcement = BudgetEnforcement.Hard,
        WarningThreshold = 0.8,
    })
    .AddJsonLinesSink(o => o.PathTemplate = "usage-ledger/agent-{date}.jsonl")
    .AddInMemorySink();
services.AddChatClient(new ToolLoopChatClient())
    .UseFunctionInvocation()
    .UseTokenAccounting(o => o.DefaultOutputTokenEstimate = 500);
await using var provider = services.BuildServiceProvider();
var budgets = provider.GetRequiredService<BudgetManager>();
budgets.WarningThresholdCrossed += (_, e) => Console.WriteLine($"    ! {e.SubjectKey} crossed {e.Policy.WarningThreshold:P0} of '{e.Policy.Name}': used {e.Used:N0} of {e.Limit:N0}");

var chat = provider.GetRequiredService<IChatClient>();
var search = AIFunctionFactory.Create((string query) => $"results for {query}: ...", "search", "Searches the web.");
var researcher = chat.AsAIAgent(instructions: "Use the search tool, then summarize.", name: "researcher", description: "Finds and summarizes sources.", tools: [search])
    .AsBuilder().UseTokenAccounting().Build();
var assistant = chat.AsAIAgent(instructions: "Delegate research, then answer.", name: "assistant", tools: [researcher.AsAIFunction()])
    .AsBuilder().UseTokenAccounting().Build();

var questions = new (string User, string Question)[]
{
    ("alice", "Find three sources on battery recycling."),
    ("bob", "Compare the 2024 and 2025 pricing of our top five competitors, with every source you can find. " + string.Concat(Enumerable.Repeat("Include every detail. ", 200))),
    ("carol", "What is our refund policy?"),
    ("alice", "And the same for solar panels?"),
    ("bob", "Now do it for the next five competitors."),
};

var sessions = new Dictionary<string, AgentSession>();
var turns = new Dictionary<string, int>();
foreach (var (user, question) in questions)
{
    if (!sessions.TryGetValue(user, out var session))
    {
        sessions[user] = session = await assistant.CreateSessionAsync();
    }

    var turn = turns[user] = turns.GetValueOrDefault(user) + 1;
    var shown = question.Length > 70 ? question[..70] + "…" : question;
    Console.WriteLine($"\n{user}, turn {turn}: {shown}");
    using var scope = UsageScope.Begin($"turn-{turn}", userId: user);
    try
    {
        var response = await assistant.RunAsync(question, session, new AgentRunOptions { AdditionalProperties = new() { ["user_id"] = user } });
        Console.WriteLine($"  answer: {response.Text}");
        Console.WriteLine($"  turn total: {scope.Totals.RequestCount} model calls, {scope.Totals.Tokens.Total:N0} tokens");
    }
    catch (BudgetExceededException denied)
    {
        // The chat middleware refused the call before it reached the model; the agent run surfaced the exception.
        Console.WriteLine($"  stopped by budget '{denied.Policy.Name}': used {denied.Used:N0} of {denied.Limit:N0}, needed {denied.Requested:N0}");
    }
}

await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
var records = provider.GetRequiredService<InMemoryUsageSink>().Records;

Table("Per agent (each record counted once, for the agent that made the call)", ["agent", "calls", "input", "output", "cost"],
    records.Where(r => r.Outcome != UsageOutcome.Skipped)
        .GroupBy(r => r.Tags?.GetValueOrDefault(TokenAccountingAgentOptions.AgentNameTag) ?? "(none)")
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => Row(g.Key, g)));

Table("Per turn (user / turn: the assistant's run with the researcher's nested inside)", ["turn", "calls", "input", "output", "cost"],
    records.Where(r => r.Outcome != UsageOutcome.Skipped)
        .GroupBy(r => $"{r.UserId} / {r.ScopePath?.Split('/')[0]}")
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => Row(g.Key, g)));

Table("Per user", ["user", "calls", "input", "output", "cost", "refused"],
    records.GroupBy(r => r.UserId ?? "(none)")
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => Row(g.Key, g.Where(r => r.Outcome != UsageOutcome.Skipped)).Append(g.Count(r => r.Outcome == UsageOutcome.Skipped).ToString(CultureInfo.InvariantCulture)).ToArray()));

var ledger = provider.GetServices<IUsageSink>().OfType<JsonLinesUsageSink>().Single();
Console.WriteLine($"\nLedger written to {Path.GetFullPath(ledger.DirectoryPath)}");

static string[] Row(string key, IEnumerable<UsageRecord> group)
{
    var list = group.ToList();
    var tokens = list.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens);
    var cost = list.Sum(r => r.Cost?.Total ?? 0m);
    return [key, N(list.Count), N(tokens.Input), N(tokens.Output), "$" + cost.ToString("0.000000", CultureInfo.InvariantCulture)];
}

static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

static void Table(string title, string[] header, IEnumerable<string[]> rows)
{
    var all = new List<string[]> { header };
    all.AddRange(rows);
    var widths = Enumerable.Range(0, header.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
    Console.WriteLine($"\n{title}");
    for (var i = 0; i < all.Count; i++)
    {
        Console.WriteLine("  " + string.Join("  ", all[i].Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))));
        if (i == 0)
        {
            Console.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))));
        }
    }
}
