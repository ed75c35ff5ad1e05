using Microsoft.Extensions.DependencyInjection;
using QuickStart;
using TokenAccounting;
using static QuickStart.TableWriter;

// Wire the library: a recorder plus an in-memory sink we can query at the end.
var services = new ServiceCollection();
services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromSeconds(1)).AddInMemorySink();
await using var provider = services.BuildServiceProvider();
var recorder = provider.GetRequiredService<IUsageRecorder>();
var sink = provider.GetRequiredService<InMemoryUsageSink>();

// A small agent: plan, research (with embeddings), write. Each user's run is one scope, each step a child scope.
var scopes = new List<(string Path, UsageTotals Totals)>();
foreach (var (user, tenant, task) in new[] { ("alice", "acme", "Summarize the Q3 report"), ("bob", "globex", "Draft a reply to the customer") })
{
    using var run = UsageScope.Begin($"run:{user}", userId: user, tenantId: tenant);
    var model = new ScriptedModel(recorder, user == "alice" ? "gpt-4o" : "gpt-4o-mini");
    var history = new List<string> { "You are a careful assistant.", task };

    foreach (var step in new[] { "plan", "research", "write" })
    {
        using var stepScope = UsageScope.Begin(step);
        if (step == "research")
        {
            foreach (var document in new[] { "Q3 revenue grew 12% year over year.", "Churn fell to 2.1%.", "Headcount was flat." })
            {
                model.Embed(document);
            }
        }

        for (var turn = 0; turn < 2; turn++)
        {
            history.Add(model.Complete(history));
        }

        scopes.Add((stepScope.Path, stepScope.Totals));
    }

    scopes.Add((run.Path, run.Totals));
}

await recorder.FlushAsync();

Write("Usage per scope (live scope totals, attributed exactly once to every enclosing scope)",
    ["scope", "requests", "chat input", "cached", "output", "reasoning", "embeddings input"],
    scopes.Select(s => new[]
    {
        s.Path, N(s.Totals.RequestCount), N(s.Totals.ForOperation(UsageOperation.Chat).Input), N(s.Totals.Tokens.CachedInput),
        N(s.Totals.Tokens.Output), N(s.Totals.Tokens.Reasoning), N(s.Totals.ForOperation(UsageOperation.Embeddings).Input),
    }));

Write("Usage per user (rollups delivered to the sink)",
    ["user", "requests", "input", "output", "total"],
    sink.TotalsByUser().OrderBy(p => p.Key).Select(p => new[]
    {
        p.Key, N(p.Value.RequestCount), N(p.Value.Tokens.Input), N(p.Value.Tokens.Output), N(p.Value.Tokens.Total),
    }));

Write("Usage per model",
    ["model", "requests", "input", "output"],
    sink.TotalsByModel().OrderBy(p => p.Key).Select(p => new[] { p.Key, N(p.Value.RequestCount), N(p.Value.Tokens.Input), N(p.Value.Tokens.Output) }));
