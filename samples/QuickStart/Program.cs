using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using QuickStart;
using TokenAccounting;
using static QuickStart.TableWriter;

// Wire the library: the recorder, built-in prices, the embedded JSON-lines ledger (the default store: no server)
// and an in-memory sink to query at the end.
var services = new ServiceCollection();
services.AddTokenAccounting()
    .AddPricing()
    .AddJsonLinesSink(o => o.PathTemplate = "usage-ledger/usage-{date}.jsonl")
    .AddInMemorySink();
await using var provider = services.BuildServiceProvider();
var recorder = provider.GetRequiredService<IUsageRecorder>();
var sink = provider.GetRequiredService<InMemoryUsageSink>();

// Wrap the model clients once: every call is accounted by the middleware.
IChatClient Chat(string model) => new ScriptedChatClient(model).WithTokenAccounting(provider);
var embedder = new ScriptedEmbeddingGenerator().WithTokenAccounting(provider);

// A small agent: plan, research (with embeddings), write. Each user's run is one scope, each step a child scope.
var scopes = new List<(string Path, UsageTotals Totals)>();
var stepTotals = new List<(string Path, UsageScope Scope)>();
foreach (var (user, tenant, task, model) in new[]
{
    ("alice", "acme", "Summarize the Q3 report", "gpt-4o"),
    ("bob", "globex", "Draft a reply to the customer", "gpt-4o-mini"),
})
{
    using var run = UsageScope.Begin($"run:{user}", userId: user, tenantId: tenant);
    var client = Chat(model);
    var history = new List<ChatMessage> { new(ChatRole.System, "You are a careful assistant."), new(ChatRole.User, task) };

    foreach (var step in new[] { "plan", "research", "write" })
    {
        using var stepScope = UsageScope.Begin(step);
        if (step == "research")
        {
            await embedder.GenerateAsync(["Q3 revenue grew 12% year over year.", "Churn fell to 2.1%.", "Headcount was flat."]);
        }

        for (var turn = 0; turn < 2; turn++)
        {
            var response = await client.GetResponseAsync(history);
            history.AddRange(response.Messages);
        }

        stepTotals.Add((stepScope.Path, stepScope));
    }

    stepTotals.Add((run.Path, run));
}

// Deliver everything (pricing happens in the pipeline, so scope costs are complete after this).
await recorder.FlushAsync();

Write("Usage per scope (attributed exactly once to every enclosing scope)",
    ["scope", "requests", "chat input", "cached", "output", "reasoning", "embeddings input", "cost USD"],
    stepTotals.Select(s => s.Scope.Totals).Zip(stepTotals, (t, s) => new[]
    {
        s.Path, N(t.RequestCount), N(t.ForOperation(UsageOperation.Chat).Input), N(t.Tokens.CachedInput),
        N(t.Tokens.Output), N(t.Tokens.Reasoning), N(t.ForOperation(UsageOperation.Embeddings).Input), Usd(t.Cost?.Total ?? 0m),
    }));

Write("Usage per user (rollups delivered to the sinks)",
    ["user", "requests", "input", "output", "total", "cost USD"],
    sink.TotalsByUser().OrderBy(p => p.Key).Select(p => new[]
    {
        p.Key, N(p.Value.RequestCount), N(p.Value.Tokens.Input), N(p.Value.Tokens.Output), N(p.Value.Tokens.Total), Usd(p.Value.Cost?.Total ?? 0m),
    }));

Write("Usage per model",
    ["model", "requests", "input", "output", "cost USD"],
    sink.TotalsByModel().OrderBy(p => p.Key).Select(p => new[] { p.Key, N(p.Value.RequestCount), N(p.Value.Tokens.Input), N(p.Value.Tokens.Output), Usd(p.Value.Cost?.Total ?? 0m) }));

// The ledger on disk: read it back.
var ledger = provider.GetServices<IUsageSink>().OfType<JsonLinesUsageSink>().Single();
var readBack = 0;
await foreach (var _ in JsonLinesUsageLedger.ReadAsync(ledger.DirectoryPath))
{
    readBack++;
}

Console.WriteLine();
Console.WriteLine($"JSON-lines ledger: {Path.GetFullPath(ledger.DirectoryPath)} ({readBack} records in total, this run added {sink.Records.Count})");

static string Usd(decimal value) => value.ToString("0.000000", CultureInfo.InvariantCulture);
