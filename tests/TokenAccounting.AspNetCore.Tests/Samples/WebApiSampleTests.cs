using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.AspNetCore.Tests.Samples;

/// <summary>The samples/WebApi application end to end, through WebApplicationFactory.</summary>
public sealed class WebApiSampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ta-webapi-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private WebApplicationFactory<Program> Factory(int dailyTokensPerUser = 100_000) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseEnvironment("Testing")
            .UseSetting("Ledger", Path.Combine(_folder, "usage.db"))
            .UseSetting("DailyTokensPerUser", dailyTokensPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static HttpRequestMessage Chat(string user, string tenant, string prompt = "How many tokens is this?")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/chat") { Content = JsonContent.Create(new { prompt }) };
        request.Headers.Add("X-User", user);
        request.Headers.Add("X-Tenant", tenant);
        return request;
    }

    private static HttpRequestMessage Get(string url, string? user = null, string? tenant = null, string? role = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (user is not null)
        {
            request.Headers.Add("X-User", user);
        }

        if (tenant is not null)
        {
            request.Headers.Add("X-Tenant", tenant);
        }

        if (role is not null)
        {
            request.Headers.Add("X-Role", role);
        }

        return request;
    }

    [Fact]
    public async Task Sample_ConcurrentUsers_SpendApiGivesExactPerUserAndTenantTotals()
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();
        var users = Enumerable.Range(0, 6).Select(i => (User: $"user-{i}", Tenant: $"tenant-{i % 2}")).ToArray();

        var responses = await Task.WhenAll(users.SelectMany(u => Enumerable.Range(0, 10).Select(_ => client.SendAsync(Chat(u.User, u.Tenant)))));

        responses.ShouldAllBe(r => r.StatusCode == HttpStatusCode.OK);
        var reply = await responses[0].Content.ReadFromJsonAsync<JsonElement>();
        var perCall = reply.GetProperty("inputTokens").GetInt64() + reply.GetProperty("outputTokens").GetInt64();

        using var all = await client.SendAsync(Get("/usage/totals?groupBy=user&flush=true", user: "ops", role: "admin"));
        var rows = (await all.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rows").EnumerateArray().ToList();
        rows.Count.ShouldBe(6);
        rows.ShouldAllBe(r => r.GetProperty("requestCount").GetInt64() == 10 && r.GetProperty("tokens").GetProperty("total").GetInt64() == 10 * perCall);

        using var own = await client.SendAsync(Get("/usage/totals?groupBy=user", user: "user-0", tenant: "tenant-0"));
        var ownRows = (await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("userId").GetString()).ToList();
        ownRows.ShouldBe(["user-0", "user-2", "user-4"], "a tenant's caller sees only that tenant's users");
    }

    [Fact]
    public async Task Sample_UserOverDailyBudget_Gets429WithRetryAfterWhileOthersContinue()
    {
        await using var factory = Factory(dailyTokensPerUser: 300);
        using var client = factory.CreateClient();

        HttpResponseMessage? denied = null;
        for (var i = 0; i < 10 && denied is null; i++)
        {
            var response = await client.SendAsync(Chat("alice", "acme"));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                denied = response;
            }
            else
            {
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
        }

        denied.ShouldNotBeNull("alice exhausts 300 tokens within ten calls");
        var retryAfter = long.Parse(denied.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        retryAfter.ShouldBeInRange(1, 24 * 3600);
        var problem = await denied.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("policy").GetString().ShouldBe("per-user-daily");
        (await client.SendAsync(Chat("bob", "acme"))).StatusCode.ShouldBe(HttpStatusCode.OK, "bob has his own budget");

        using var budgets = await client.SendAsync(Get("/usage/budgets", user: "alice", tenant: "acme"));
        var policy = (await budgets.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policies")[0];
        policy.GetProperty("limit").GetDecimal().ShouldBe(300m);
        policy.GetProperty("used").GetDecimal().ShouldBeGreaterThan(200m);
    }

    [Fact]
    public async Task Sample_HealthAndAuthorization_AnswerAsDocumented()
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();

        (await client.GetStringAsync("/health")).ShouldBe("Healthy");
        (await client.GetAsync("/usage/totals")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.PostAsJsonAsync("/chat", new { prompt = "hi" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await client.SendAsync(Get("/usage/totals?tenantId=other", user: "alice", tenant: "acme"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await client.SendAsync(Get("/usage/totals?top=0", user: "alice", tenant: "acme"))).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Sample_StreamingChat_IsRecordedWithTheCallersAttribution()
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();

        using var stream = await client.SendAsync(Get("/chat/stream?prompt=tell%20me", user: "carol", tenant: "initech"));
        stream.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await stream.Content.ReadAsStringAsync()).ShouldContain("scripted");

        using var totals = await client.SendAsync(Get("/usage/totals?groupBy=user,tenant&flush=true", user: "ops", role: "admin"));
        var row = (await totals.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rows").EnumerateArray().ShouldHaveSingleItem();
        row.GetProperty("userId").GetString().ShouldBe("carol");
        row.GetProperty("tenantId").GetString().ShouldBe("initech");
        row.GetProperty("tokens").GetProperty("output").GetInt64().ShouldBe(40);
    }

    [Fact]
    public async Task Sample_Dashboard_RefusesAnonymousCallersAndShowsATenantUserOnlyTheirTenant()
    {
        await using var factory = Factory();
        using var client = factory.CreateClient();
        (await client.SendAsync(Chat("alice", "acme"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.SendAsync(Chat("alice", "acme"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.SendAsync(Chat("zoe", "globex"))).StatusCode.ShouldBe(HttpStatusCode.OK);
        await factory.Services.GetRequiredService<IUsageRecorder>().FlushAsync();

        (await client.SendAsync(Get("/usage/dashboard"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var tenant = await client.SendAsync(Get("/usage/dashboard", user: "alice", tenant: "acme"));
        var admin = await client.SendAsync(Get("/usage/dashboard", user: "ops", role: "admin"));

        tenant.StatusCode.ShouldBe(HttpStatusCode.OK);
        tenant.Headers.GetValues("Content-Security-Policy").Single().ShouldContain("script-src 'self'");
        var page = await tenant.Content.ReadAsStringAsync();
        page.ShouldContain("data-tenant=\"acme\"");
        page.ShouldContain("<dd data-metric=\"requests\">2</dd>");
        page.ShouldNotContain("globex");
        page.ShouldContain("data-budget=\"per-user-daily\" data-subject=\"alice\"");
        var all = await admin.Content.ReadAsStringAsync();
        all.ShouldContain("<dd data-metric=\"requests\">3</dd>");
        all.ShouldContain("id=\"pipeline-health\"");
    }
}
