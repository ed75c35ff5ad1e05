using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.AI;
using TokenAccounting;
using WebApi;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAuthentication(DemoAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, DemoAuthenticationHandler>(DemoAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization(options => options.AddPolicy("admin", policy => policy.RequireRole("admin")));

var ledger = builder.Configuration["Ledger"] ?? Path.Combine(builder.Environment.ContentRootPath, "data", "usage.db");
builder.Services.AddTokenAccounting(options => options.FlushInterval = TimeSpan.FromSeconds(1))
    .AddSqliteLedger(options => options.ConnectionString = $"Data Source={ledger}")
    .AddPricing()
    .AddBudgets(new BudgetPolicy
    {
        Name = "per-user-daily",
        Dimension = BudgetDimension.User,
        Unit = BudgetUnit.Tokens,
        Limit = builder.Configuration.GetValue("DailyTokensPerUser", 2_000),
        Window = BudgetWindow.UtcDay,
        WarningThreshold = 0.8,
    })
    .AddAspNetCore(options => options.ApiKeyIdHeaderName = "X-Api-Key-Id");

// The chat client: the scripted model wrapped in token accounting (records, budgets, estimates), with the recorder,
// budgets and prices taken from the container.
builder.Services.AddChatClient(_ => new ScriptedChatClient("gpt-4o-mini"))
    .UseTokenAccounting(options => options.DefaultOutputTokenEstimate = 64);

builder.Services.AddHealthChecks().AddTokenAccounting();

var app = builder.Build();

app.UseTokenAccounting();

app.MapPost("/chat", async (ChatRequest request, IChatClient chat, CancellationToken cancellationToken) =>
{
    var response = await chat.GetResponseAsync(request.Prompt, cancellationToken: cancellationToken);
    return new ChatReply(response.Text, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
}).RequireAuthorization();

app.MapGet("/chat/stream", (string prompt, IChatClient chat, CancellationToken cancellationToken) => StreamAsync(chat, prompt, cancellationToken))
    .RequireAuthorization();

app.MapHealthChecks("/health");
app.MapTokenAccountingApi("/usage", options => options.AllTenantsPolicy = "admin");
app.MapTokenAccountingDashboard("/usage/dashboard", options => options.AllTenantsPolicy = "admin");

app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (var url in app.Urls)
    {
        Console.WriteLine($"TokenAccounting WebApi sample listening on {url}");
        Console.WriteLine($"  POST {url}/chat            {{\"prompt\":\"...\"}} with X-User and X-Tenant headers");
        Console.WriteLine($"  GET  {url}/chat/stream?prompt=...");
        Console.WriteLine($"  GET  {url}/health");
        Console.WriteLine($"  GET  {url}/usage/totals?groupBy=user   GET {url}/usage/budgets");
        Console.WriteLine($"  GET  {url}/usage/dashboard         (a page; X-Role: admin sees every tenant)");
    }
});

app.Run();

// Streams the answer as a JSON array of text chunks; the usage arrives with the last update and is recorded then.
static async IAsyncEnumerable<string> StreamAsync(IChatClient chat, string prompt, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
{
    await foreach (var update in chat.GetStreamingResponseAsync(prompt, cancellationToken: cancellationToken))
    {
        if (update.Text.Length > 0)
        {
            yield return update.Text;
        }
    }
}

/// <summary>The body of <c>POST /chat</c>.</summary>
internal sealed record ChatRequest(string Prompt);

/// <summary>The answer of <c>POST /chat</c>.</summary>
internal sealed record ChatReply(string Text, long InputTokens, long OutputTokens);

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program
{
}
