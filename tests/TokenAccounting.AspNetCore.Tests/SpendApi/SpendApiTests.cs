using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.SpendApi;

public sealed class SpendApiTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static Task<TestApp> StartAsync(Action<TokenAccountingApiOptions>? api = null, Action<ITokenAccountingBuilder>? accounting = null) =>
        TestApp.StartAsync(
            configureAccounting: b =>
            {
                // Live over what the in-memory sink received (a ledger would be registered by AddSqliteLedger).
                b.Services.AddSingleton<IUsageQuery>(sp => new InMemoryUsageQuery(new LiveRecords(sp.GetServices<IUsageSink>().OfType<InMemoryUsageSink>().First())));
                accounting?.Invoke(b);
            },
            configureApp: app => app.MapTokenAccountingApi("/usage", api),
            now: Now);

    private static async Task SeedAsync(TestApp app)
    {
        var at = Now.AddHours(-1);
        app.Recorder.Record(Usage.Chat("gpt-4o", 100, 10, userId: "alice") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o-mini", 50, 5, userId: "alice") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o", 300, 30, userId: "bob") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o", 1000, 100, userId: "zoe") with { TenantId = "globex", CompletedAt = at });
        await app.Recorder.FlushAsync();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Totals_Anonymous_IsRefusedByDefault()
    {
        await using var app = await StartAsync();

        (await app.Client.GetAsync("/usage/totals")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await app.Client.GetAsync("/usage/budgets")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Totals_CallerWithoutTheRequiredPolicy_IsForbidden()
    {
        await using var app = await StartAsync(api: o => o.AuthorizationPolicy = "admin");

        (await app.Client.GetAsUserAsync("/usage/totals", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.Client.GetAsUserAsync("/usage/totals", user: "root", tenant: "acme", role: "admin")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Totals_AllowAnonymousWithoutIsolation_ServesAnonymousCallers()
    {
        await using var app = await StartAsync(api: o =>
        {
            o.AllowAnonymous = true;
            o.AllTenantsPolicy = "anyone";
        }, accounting: b => b.Services.AddAuthorization(o => o.AddPolicy("anyone", p => p.RequireAssertion(_ => true))));
        await SeedAsync(app);

        var json = await JsonAsync(await app.Client.GetAsync("/usage/totals?from=2026-12-01&to=2026-12-02"));

        json.GetProperty("rows")[0].GetProperty("tokens").GetProperty("input").GetInt64().ShouldBe(1450);
    }

    [Fact]
    public async Task Totals_GroupedByUser_SeesOnlyTheCallersTenant()
    {
        await using var app = await StartAsync();
        await SeedAsync(app);

        var json = await JsonAsync(await app.Client.GetAsUserAsync("/usage/totals?from=2026-12-01&to=2026-12-02&groupBy=user&orderBy=totalTokens", user: "alice", tenant: "acme"));

        json.GetProperty("tenantId").GetString().ShouldBe("acme");
        json.GetProperty("source").GetString().ShouldBe("details");
        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("userId").GetString()).ShouldBe(["bob", "alice"]);
        rows.Select(r => r.GetProperty("tokens").GetProperty("input").GetInt64()).ShouldBe([300L, 150L]);
        rows[1].GetProperty("requestCount").GetInt64().ShouldBe(2);
    }

    [Fact]
    public async Task Totals_AskingForAnotherTenant_IsForbiddenNamingTheParameter()
    {
        await using var app = await StartAsync();
        await SeedAsync(app);

        var response = await app.Client.GetAsUserAsync("/usage/totals?tenantId=globex", user: "alice", tenant: "acme");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldContain("'tenantId'");
    }

    [Fact]
    public async Task Totals_CallerWithoutTenantClaim_IsForbidden()
    {
        await using var app = await StartAsync();

        (await app.Client.GetAsUserAsync("/usage/totals", user: "alice")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Totals_CallerWithAllTenantsPolicy_SeesEveryTenantAndTopN()
    {
        await using var app = await StartAsync(api: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);

        var json = await JsonAsync(await app.Client.GetAsUserAsync("/usage/totals?from=2026-12-01&to=2026-12-02&groupBy=tenant,model&orderBy=totalTokens&top=2", user: "root", role: "admin"));

        var rows = json.GetProperty("rows").EnumerateArray().ToList();
        rows.Count.ShouldBe(2);
        (rows[0].GetProperty("tenantId").GetString(), rows[0].GetProperty("model").GetString(), rows[0].GetProperty("tokens").GetProperty("total").GetInt64()).ShouldBe(("globex", "gpt-4o", 1100L));
        (rows[1].GetProperty("tenantId").GetString(), rows[1].GetProperty("model").GetString(), rows[1].GetProperty("tokens").GetProperty("total").GetInt64()).ShouldBe(("acme", "gpt-4o", 440L));
        json.GetProperty("groupBy").EnumerateArray().Select(e => e.GetString()).ShouldBe(["tenant", "model"]);
    }

    [Fact]
    public async Task Totals_AdminPolicyCallerFilteringATenant_GetsThatTenant()
    {
        await using var app = await StartAsync(api: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);

        var json = await JsonAsync(await app.Client.GetAsUserAsync("/usage/totals?from=2026-12-01&to=2026-12-02&tenantId=globex", user: "root", tenant: "acme", role: "admin"));

        json.GetProperty("rows")[0].GetProperty("tokens").GetProperty("input").GetInt64().ShouldBe(1000);
    }

    [Theory]
    [InlineData("top=0", "top")]
    [InlineData("top=abc", "top")]
    [InlineData("top=5000", "top")]
    [InlineData("groupBy=color", "groupBy")]
    [InlineData("groupBy=user,user", "groupBy")]
    [InlineData("orderBy=size", "orderBy")]
    [InlineData("from=yesterday", "from")]
    [InlineData("from=2026-12-02&to=2026-12-01", "to")]
    [InlineData("flush=maybe", "flush")]
    [InlineData("model=a&model=b", "model")]
    public async Task Totals_BadParameter_Answers400ProblemNamingIt(string query, string parameter)
    {
        await using var app = await StartAsync();

        var response = await app.Client.GetAsUserAsync("/usage/totals?" + query, user: "alice", tenant: "acme");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        json.GetProperty("errors").EnumerateObject().Select(p => p.Name).ShouldBe([parameter]);
        json.GetProperty("detail").GetString()!.ShouldContain($"'{parameter}'");
    }

    [Fact]
    public async Task Totals_NotFlushedYet_LagUnlessFlushIsAsked()
    {
        await using var app = await StartAsync();
        app.Recorder.Record(Usage.Chat("gpt-4o", 70, 7, userId: "alice") with { TenantId = "acme" });

        var lagging = await JsonAsync(await app.Client.GetAsUserAsync("/usage/totals", user: "alice", tenant: "acme"));
        var flushed = await JsonAsync(await app.Client.GetAsUserAsync("/usage/totals?flush=true", user: "alice", tenant: "acme"));

        lagging.GetProperty("rows")[0].GetProperty("requestCount").GetInt64().ShouldBe(0, "the flush interval is an hour");
        flushed.GetProperty("rows")[0].GetProperty("tokens").GetProperty("input").GetInt64().ShouldBe(70);
        flushed.GetProperty("pendingRecords").GetInt64().ShouldBe(0);
    }

    [Fact]
    public async Task Totals_FlushNotAllowed_Answers400()
    {
        await using var app = await StartAsync(api: o => o.AllowFlush = false);

        (await app.Client.GetAsUserAsync("/usage/totals?flush=true", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Budgets_OwnSubject_ShowsLimitUsedRemainingAndWindow()
    {
        await using var app = await StartAsync(accounting: b => b.AddBudgets(
            new BudgetPolicy { Name = "per-user-day", Dimension = BudgetDimension.User, Limit = 1000, Window = BudgetWindow.UtcDay },
            new BudgetPolicy { Name = "per-tenant-month", Dimension = BudgetDimension.Tenant, Limit = 5000, Window = BudgetWindow.UtcMonth },
            new BudgetPolicy { Name = "per-key", Dimension = BudgetDimension.ApiKey, Limit = 10, Window = BudgetWindow.Lifetime }));
        var budgets = app.Services.GetRequiredService<BudgetManager>();
        budgets.Reserve(BudgetAmount.FromTokens(300), new BudgetSubject { UserId = "alice", TenantId = "acme" }).Commit(BudgetAmount.FromTokens(300));
        budgets.Reserve(BudgetAmount.FromTokens(100), new BudgetSubject { UserId = "bob", TenantId = "acme" }).Commit(BudgetAmount.FromTokens(100));

        var json = await JsonAsync(await app.Client.GetAsUserAsync("/usage/budgets", user: "alice", tenant: "acme"));

        json.GetProperty("subject").GetProperty("userId").GetString().ShouldBe("alice");
        var policies = json.GetProperty("policies").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);
        policies["per-user-day"].GetProperty("used").GetDecimal().ShouldBe(300m);
        policies["per-user-day"].GetProperty("remaining").GetDecimal().ShouldBe(700m);
        policies["per-user-day"].GetProperty("windowEnd").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero));
        policies["per-tenant-month"].GetProperty("used").GetDecimal().ShouldBe(400m);
        policies["per-tenant-month"].GetProperty("windowStart").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        policies["per-key"].GetProperty("applies").GetBoolean().ShouldBeFalse("the caller has no API key id");
    }

    [Fact]
    public async Task Budgets_AnotherUsersSubject_IsForbiddenUnlessAllTenants()
    {
        await using var app = await StartAsync(
            api: o => o.AllTenantsPolicy = "admin",
            accounting: b => b.AddBudgets(new BudgetPolicy { Name = "per-user-day", Dimension = BudgetDimension.User, Limit = 1000 }));
        app.Services.GetRequiredService<BudgetManager>().Reserve(BudgetAmount.FromTokens(250), new BudgetSubject { UserId = "zoe" }).Commit(BudgetAmount.FromTokens(250));

        var refused = await app.Client.GetAsUserAsync("/usage/budgets?userId=zoe", user: "alice", tenant: "acme");
        var admin = await JsonAsync(await app.Client.GetAsUserAsync("/usage/budgets?userId=zoe", user: "root", role: "admin"));

        refused.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await refused.Content.ReadAsStringAsync()).ShouldContain("'userId'");
        admin.GetProperty("policies")[0].GetProperty("used").GetDecimal().ShouldBe(250m);
    }

    [Fact]
    public void MapTokenAccountingApi_NoUsageQuery_ThrowsSayingWhatToAdd()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddTokenAccounting().AddAspNetCore();
        var app = builder.Build();

        var message = Should.Throw<InvalidOperationException>(() => app.MapTokenAccountingApi()).Message;
        message.ShouldContain("IUsageQuery");
        message.ShouldContain("AddJsonLinesSink");
    }

    private sealed class LiveRecords(InMemoryUsageSink sink) : IEnumerable<UsageRecord>
    {
        public IEnumerator<UsageRecord> GetEnumerator() => sink.Records.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
