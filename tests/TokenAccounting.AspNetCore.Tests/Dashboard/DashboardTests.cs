using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.Dashboard;

public sealed partial class DashboardTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Today = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static Task<TestApp> StartAsync(
        Action<TokenAccountingDashboardOptions>? dashboard = null,
        Action<ITokenAccountingBuilder>? accounting = null,
        Func<IEndpointConventionBuilder, IEndpointConventionBuilder>? conventions = null) =>
        TestApp.StartAsync(
            configureAccounting: b =>
            {
                b.AddPricing();
                b.Services.AddSingleton<IUsageQuery>(sp => new InMemoryUsageQuery(new LiveRecords(sp.GetServices<IUsageSink>().OfType<InMemoryUsageSink>().First())));
                accounting?.Invoke(b);
            },
            configureApp: app =>
            {
                var mapped = app.MapTokenAccountingDashboard("/usage/dashboard", dashboard);
                conventions?.Invoke(mapped);
            },
            now: Now);

    private static async Task SeedAsync(TestApp app)
    {
        var at = Now.AddHours(-1);
        app.Recorder.Record(Usage.Chat("gpt-4o", 100, 10, userId: "alice") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o-mini", 50, 5, userId: "alice") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o", 300, 30, userId: "bob") with { TenantId = "acme", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o", 1000, 100, userId: "zoe") with { TenantId = "globex", CompletedAt = at });
        app.Recorder.Record(Usage.Chat("gpt-4o-mini", 7000, 700, userId: "zoe") with { TenantId = "globex", CompletedAt = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero) });
        await app.Recorder.FlushAsync();
    }

    private static async Task<string> HtmlAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.OK, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        return body;
    }

    private static string Money(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Metric(string html, string name)
    {
        var match = Regex.Match(html, $"data-metric=\"{name}\">([^<]*)<");
        match.Success.ShouldBeTrue($"no data-metric={name} in the page");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>The body rows of <c>table[data-table=id]</c>, as decoded cell texts.</summary>
    private static List<string[]> Rows(string html, string id)
    {
        var table = Regex.Match(html, $"<table data-table=\"{id}\">(.*?)</table>", RegexOptions.Singleline);
        table.Success.ShouldBeTrue($"no table data-table={id} in the page");
        var body = Regex.Match(table.Groups[1].Value, "<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
        return [.. Regex.Matches(body, "<tr[^>]*>(.*?)</tr>", RegexOptions.Singleline)
            .Select(row => Regex.Matches(row.Groups[1].Value, "<t[hd][^>]*>(.*?)</t[hd]>", RegexOptions.Singleline)
                .Select(cell => WebUtility.HtmlDecode(Regex.Replace(cell.Groups[1].Value, "<[^>]+>", string.Empty))).ToArray())];
    }

    [Fact]
    public async Task Dashboard_Anonymous_IsRefusedByDefault()
    {
        await using var app = await StartAsync();

        foreach (var path in new[] { "/usage/dashboard", "/usage/dashboard/content", "/usage/dashboard/assets/dashboard.js", "/usage/dashboard/assets/dashboard.css" })
        {
            (await app.Client.GetAsync(path)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized, path);
        }
    }

    [Fact]
    public async Task Dashboard_CallerWithoutTheConfiguredPolicy_IsForbidden()
    {
        await using var app = await StartAsync(dashboard: o => o.AuthorizationPolicy = "admin");

        (await app.Client.GetAsUserAsync("/usage/dashboard", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.Client.GetAsUserAsync("/usage/dashboard", user: "root", tenant: "acme", role: "admin")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Dashboard_ChainedRequireAuthorization_AddsThePolicyToEveryEndpoint()
    {
        await using var app = await StartAsync(conventions: b => b.RequireAuthorization("admin"));

        (await app.Client.GetAsUserAsync("/usage/dashboard", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.Client.GetAsUserAsync("/usage/dashboard/content", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await app.Client.GetAsUserAsync("/usage/dashboard", user: "root", tenant: "acme", role: "admin")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Dashboard_AllowAnonymousWithAnAllTenantsPolicyAnyoneMeets_ServesAnonymousCallers()
    {
        await using var app = await StartAsync(
            dashboard: o =>
            {
                o.AllowAnonymous = true;
                o.AllTenantsPolicy = "anyone";
            },
            accounting: b => b.Services.AddAuthorization(o => o.AddPolicy("anyone", p => p.RequireAssertion(_ => true))));
        await SeedAsync(app);

        var html = await HtmlAsync(await app.Client.GetAsync("/usage/dashboard?from=2026-12-01&to=2026-12-01"));

        Metric(html, "requests").ShouldBe("4");
    }

    [Fact]
    public async Task Dashboard_AllowAnonymousWithoutAllTenants_RefusesTheTenantlessCaller()
    {
        await using var app = await StartAsync(dashboard: o => o.AllowAnonymous = true);

        var response = await app.Client.GetAsync("/usage/dashboard");

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).ShouldContain("no tenant claim");
    }

    [Fact]
    public async Task Dashboard_Page_CarriesTheSecurityHeadersAndNoInlineScriptOrStyle()
    {
        await using var app = await StartAsync();
        await SeedAsync(app);

        var response = await app.Client.GetAsUserAsync("/usage/dashboard", user: "alice", tenant: "acme");
        var html = await HtmlAsync(response);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        csp.ShouldContain("default-src 'none'");
        csp.ShouldContain("script-src 'self'");
        csp.ShouldContain("style-src 'self'");
        csp.ShouldContain("frame-ancestors 'none'");
        csp.ShouldNotContain("unsafe-inline");
        csp.ShouldNotContain("unsafe-eval");
        response.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        response.Headers.GetValues("X-Frame-Options").Single().ShouldBe("DENY");
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();

        // Nothing the policy would block: every script has a src, no style element or attribute, no event handler attribute.
        html.ShouldContain("<svg", customMessage: "the charts are in the page");
        Regex.Matches(html, "<script\\b[^>]*>").ShouldAllBe(m => m.Value.Contains("src=\"/usage/dashboard/assets/dashboard.js\""));
        Regex.IsMatch(html, "<style\\b", RegexOptions.IgnoreCase).ShouldBeFalse();
        Regex.IsMatch(html, "\\sstyle\\s*=", RegexOptions.IgnoreCase).ShouldBeFalse();
        Regex.IsMatch(html, "\\son[a-z]+\\s*=", RegexOptions.IgnoreCase).ShouldBeFalse();
        Regex.IsMatch(html, "(src|href)=\"(https?:)?//", RegexOptions.IgnoreCase).ShouldBeFalse("nothing is loaded from another origin");
        html.ShouldContain("<link rel=\"stylesheet\" href=\"/usage/dashboard/assets/dashboard.css\">");
    }

    [Fact]
    public async Task Dashboard_Assets_AreServedFromThePackageWithNosniffAndRevalidation()
    {
        await using var app = await StartAsync();

        var script = await app.Client.GetAsUserAsync("/usage/dashboard/assets/dashboard.js", user: "alice", tenant: "acme");
        var style = await app.Client.GetAsUserAsync("/usage/dashboard/assets/dashboard.css", user: "alice", tenant: "acme");

        script.StatusCode.ShouldBe(HttpStatusCode.OK);
        script.Content.Headers.ContentType!.MediaType.ShouldBe("text/javascript");
        script.Headers.GetValues("X-Content-Type-Options").Single().ShouldBe("nosniff");
        (await script.Content.ReadAsStringAsync()).ShouldContain("refresh-now");
        style.Content.Headers.ContentType!.MediaType.ShouldBe("text/css");
        (await style.Content.ReadAsStringAsync()).ShouldContain("main#spend-report", customMessage: "the report's own stylesheet is included");

        var again = new HttpRequestMessage(HttpMethod.Get, "/usage/dashboard/assets/dashboard.js").As(user: "alice", tenant: "acme");
        again.Headers.IfNoneMatch.Add(script.Headers.ETag!);
        (await app.Client.SendAsync(again)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
    }

    [Fact]
    public async Task Dashboard_AllTenantsCaller_FiguresMatchTheLedger()
    {
        await using var app = await StartAsync(dashboard: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);
        var today = app.Sink.Records.Where(r => r.CompletedAt >= Today).ToList();

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard?from=2026-12-01&to=2026-12-01", user: "root", role: "admin"));

        today.Count.ShouldBe(4);
        today.ShouldAllBe(r => r.Cost != null, "the records are priced");
        Metric(html, "requests").ShouldBe("4");
        Metric(html, "cost-usd").ShouldBe(Money(today.Sum(r => r.Cost!.Total)));
        Metric(html, "total-tokens").ShouldBe(today.Sum(r => r.Tokens.Total).ToString("N0", CultureInfo.InvariantCulture));
        Rows(html, "by-user").Select(r => r[0] + "=" + r[7]).ShouldBe(
            today.GroupBy(r => r.UserId!).Select(g => (User: g.Key, Cost: g.Sum(r => r.Cost!.Total))).OrderByDescending(u => u.Cost).Select(u => u.User + "=" + Money(u.Cost)));
        Rows(html, "by-tenant").Select(r => r[0]).ShouldBe(["globex", "acme"]);
    }

    [Fact]
    public async Task Dashboard_TenantCaller_SeesOnlyItsTenant()
    {
        await using var app = await StartAsync(dashboard: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);
        var acme = app.Sink.Records.Where(r => r.TenantId == "acme").ToList();

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard?groupBy=tenant,user", user: "alice", tenant: "acme"));

        html.ShouldContain("data-tenant=\"acme\"");
        Metric(html, "requests").ShouldBe("3");
        Metric(html, "cost-usd").ShouldBe(Money(acme.Sum(r => r.Cost!.Total)));
        Rows(html, "by-tenant").Select(r => r[0]).ShouldBe(["acme"]);
        Rows(html, "by-custom").Select(r => r[0]).ShouldBe(["acme / bob", "acme / alice"]);
        html.ShouldNotContain("globex");
        html.ShouldNotContain("zoe");
        html.ShouldNotContain("id=\"pipeline-health\"", customMessage: "pipeline counters count every tenant");
    }

    [Fact]
    public async Task Dashboard_CallerWithoutTenant_IsForbidden()
    {
        await using var app = await StartAsync();

        var page = await app.Client.GetAsUserAsync("/usage/dashboard", user: "alice");
        var content = await app.Client.GetAsUserAsync("/usage/dashboard/content", user: "alice");

        page.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await page.Content.ReadAsStringAsync()).ShouldContain("no tenant claim");
        page.Headers.GetValues("Content-Security-Policy").ShouldHaveSingleItem();
        content.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Dashboard_RangeAndGrouping_ComeFromTheQuery()
    {
        await using var app = await StartAsync(dashboard: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);
        var november = app.Sink.Records.Single(r => r.CompletedAt < Today);

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard?from=2026-11-20&to=2026-11-20&groupBy=user,model", user: "root", role: "admin"));

        Metric(html, "requests").ShouldBe("1");
        Metric(html, "cost-usd").ShouldBe(Money(november.Cost!.Total));
        Rows(html, "by-custom").Select(r => r[0]).ShouldBe(["zoe / gpt-4o-mini"]);
        html.ShouldContain("value=\"2026-11-20\"");
        Regex.IsMatch(html, "<option value=\"user,model\" selected>").ShouldBeTrue("the grouping switch shows the query's grouping");
    }

    [Fact]
    public async Task Dashboard_DefaultRange_IsTheLastThirtyDaysThroughToday()
    {
        await using var app = await StartAsync(dashboard: o => o.AllTenantsPolicy = "admin");
        await SeedAsync(app);

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard", user: "root", role: "admin"));

        html.ShouldContain("id=\"from\" name=\"from\" value=\"2026-11-02\"");
        html.ShouldContain("id=\"to\" name=\"to\" value=\"2026-12-01\"");
        Metric(html, "requests").ShouldBe("5");
    }

    [Theory]
    [InlineData("from=2026-13-01", "from", "is not a UTC day")]
    [InlineData("from=2026-12-02&to=2026-12-01", "to", "is before 'from'")]
    [InlineData("from=2024-01-01&to=2026-12-01", "to", "at most 400")]
    [InlineData("groupBy=colour", "groupBy", "'colour' is not a dimension")]
    [InlineData("groupBy=user,user", "groupBy", "appears twice")]
    [InlineData("from=2026-11-01&from=2026-11-02", "from", "given 2 times")]
    public async Task Dashboard_BadQuery_Answers400NamingTheParameter(string query, string parameter, string message)
    {
        await using var app = await StartAsync();

        foreach (var path in new[] { "/usage/dashboard?", "/usage/dashboard/content?" })
        {
            var response = await app.Client.GetAsUserAsync(path + query, user: "alice", tenant: "acme");
            var body = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

            response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, path);
            body.ShouldContain($"data-error=\"{parameter}\"");
            body.ShouldContain(message);
        }
    }

    [Fact]
    public async Task Dashboard_Content_IsTheRefreshableViewWithoutThePageAround()
    {
        await using var app = await StartAsync();
        await SeedAsync(app);

        var content = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard/content?from=2026-12-01&to=2026-12-01", user: "alice", tenant: "acme"));

        content.ShouldStartWith("<div class=\"dashboard-view\"");
        content.ShouldNotContain("<html");
        Metric(content, "requests").ShouldBe("3");

        app.Recorder.Record(Usage.Chat("gpt-4o", 1, 1, userId: "alice") with { TenantId = "acme", CompletedAt = Now });
        await app.Recorder.FlushAsync();
        var refreshed = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard/content?from=2026-12-01&to=2026-12-01", user: "alice", tenant: "acme"));
        Metric(refreshed, "requests").ShouldBe("4");
    }

    [Fact]
    public async Task Dashboard_BudgetGauges_ShowTheStoresUseForTheCallersOwnSubjects()
    {
        await using var app = await StartAsync(
            dashboard: o => o.AllTenantsPolicy = "admin",
            accounting: b => b.AddBudgets(
                new BudgetPolicy { Name = "per-user-daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 400, WarningThreshold = 0.5 },
                new BudgetPolicy { Name = "per-tenant-monthly", Dimension = BudgetDimension.Tenant, Unit = BudgetUnit.Tokens, Limit = 10_000, Window = BudgetWindow.UtcMonth },
                new BudgetPolicy { Name = "global-daily", Dimension = BudgetDimension.Global, Unit = BudgetUnit.Tokens, Limit = 1_000_000 }));
        await SeedAsync(app);
        var budgets = app.Services.GetRequiredService<BudgetManager>();

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard", user: "bob", tenant: "acme"));

        var gauges = Regex.Matches(html, "<tr data-budget=\"([^\"]+)\" data-subject=\"([^\"]*)\" data-state=\"([^\"]+)\" data-used=\"([^\"]+)\"")
            .Select(m => $"{m.Groups[1].Value}|{m.Groups[2].Value}|{m.Groups[3].Value}|{m.Groups[4].Value}").ToList();
        var bobUsed = budgets.GetUsed("per-user-daily", new BudgetSubject { UserId = "bob" });
        bobUsed.ShouldBe(330m, "bob's tokens today");
        gauges.ShouldBe(
            [$"per-user-daily|bob|warning|330", $"per-tenant-monthly|acme|ok|{budgets.GetUsed("per-tenant-monthly", new BudgetSubject { TenantId = "acme" })}"],
            "only the caller's own subjects; the global budget counts other tenants");
        html.ShouldContain("<meter min=\"0\" max=\"400\" low=\"200\" high=\"200\" optimum=\"0\" value=\"330\"");

        var admin = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard", user: "root", role: "admin"));
        admin.ShouldContain("data-budget=\"per-user-daily\" data-subject=\"zoe\" data-state=\"exceeded\" data-used=\"1100\"");
        admin.ShouldContain("data-budget=\"per-tenant-monthly\" data-subject=\"globex\"");
        admin.ShouldContain("data-budget=\"global-daily\" data-subject=\"\" data-state=\"ok\" data-used=\"1595\"");
    }

    [Fact]
    public async Task Dashboard_PipelineHealth_ShowsAFailingSinkToAllTenantsCallers()
    {
        var down = new OutageSink();
        await using var app = await StartAsync(
            dashboard: o => o.AllTenantsPolicy = "admin",
            accounting: b =>
            {
                b.AddSink(down);
                b.Services.Configure<TokenAccountingOptions>(o => o.MaxBatchSize = 1);
            });
        app.Recorder.Record(Usage.Chat("gpt-4o", 5, 5, userId: "alice") with { TenantId = "acme", CompletedAt = Now });
        await Eventually.TrueAsync(() => app.Recorder.GetDiagnostics().Sink("OutageSink")!.FailedAttempts >= 1, "the sink failed once");

        var html = await HtmlAsync(await app.Client.GetAsUserAsync("/usage/dashboard", user: "root", role: "admin"));

        html.ShouldContain("id=\"pipeline-health\"");
        html.ShouldContain("<tr data-sink=\"OutageSink\" data-status=\"failing\">");
        html.ShouldContain("<tr data-sink=\"InMemoryUsageSink\" data-status=\"ok\">");
        Metric(html, "failing-sinks").ShouldBe("1");
        Metric(html, "records-accepted").ShouldBe("1");
        Rows(html, "pipeline-sinks").Single(r => r[0] == "OutageSink")[2].ShouldBe("1", "the failed record waits in the sink's buffer");
    }

    [Fact]
    public void MapTokenAccountingDashboard_AnonymousAndAPolicy_ThrowsNamingTheOptions()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddTokenAccounting().AddAspNetCore();
        builder.Services.AddSingleton<IUsageQuery>(new InMemoryUsageQuery([]));
        using var app = builder.Build();

        Should.Throw<ArgumentException>(() => app.MapTokenAccountingDashboard("/d", o =>
        {
            o.AllowAnonymous = true;
            o.AuthorizationPolicy = "admin";
        })).Message.ShouldContain("AllowAnonymous and AuthorizationPolicy");
        Should.Throw<ArgumentOutOfRangeException>(() => app.MapTokenAccountingDashboard("/d", o => o.RefreshInterval = TimeSpan.FromMilliseconds(10)))
            .Message.ShouldContain("RefreshInterval");
        Should.Throw<ArgumentException>(() => app.MapTokenAccountingDashboard("dashboard")).Message.ShouldContain("must start with '/'");
    }

    [Fact]
    public void MapTokenAccountingDashboard_WithoutAUsageQuery_ThrowsSayingWhatToAdd()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddTokenAccounting().AddAspNetCore();
        using var app = builder.Build();

        Should.Throw<InvalidOperationException>(() => app.MapTokenAccountingDashboard()).Message.ShouldContain("AddSqliteLedger");
    }

    private sealed class LiveRecords(InMemoryUsageSink sink) : IEnumerable<UsageRecord>
    {
        public IEnumerator<UsageRecord> GetEnumerator() => sink.Records.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Fails every write with records (it passes the empty startup probe).</summary>
    private sealed class OutageSink : IUsageSink
    {
        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) =>
            batch.Records.Count == 0 ? ValueTask.CompletedTask : throw new InvalidOperationException("The sink is down.");
    }
}
