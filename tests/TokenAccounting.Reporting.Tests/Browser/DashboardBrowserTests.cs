using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using TokenAccounting.Reporting.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TokenAccounting.Reporting.Tests.Browser;

/// <summary>
/// The AspNetCore dashboard as a person sees it: a real Kestrel app over a SQLite ledger, opened in the run's one headless
/// Chromium. A CSP violation is logged to the console, so "no console errors" also proves the page runs under its policy.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class DashboardBrowserTests(ChromiumFixture chromium, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset Now = GeneratedUsage.Start.AddDays(13).AddHours(12);
    private readonly TempFolder _folder = new();
    private readonly GeneratedUsage _usage = new(count: 700, days: 14, seed: 43);
    private WebApplication _app = null!;
    private string _url = string.Empty;

    public async Task InitializeAsync()
    {
        var ledger = _folder.File("usage.db");
        await _usage.WriteSqliteAsync(ledger);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now));
        builder.Services.AddAuthentication(HeaderAuthHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthHandler>(HeaderAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("admin", p => p.RequireRole("admin")));
        builder.Services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromHours(1))
            .AddSqliteLedger(o => o.ConnectionString = $"Data Source={ledger};Pooling=False")
            .AddPricing()
            .AddBudgets(new BudgetPolicy { Name = "per-user-daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 20_000, WarningThreshold = 0.8 })
            .AddAspNetCore();
        _app = builder.Build();
        _app.UseTokenAccounting();
        _app.MapTokenAccountingDashboard("/usage/dashboard", o =>
        {
            o.AllTenantsPolicy = "admin";
            o.RefreshInterval = TimeSpan.FromSeconds(1);
        });
        await _app.StartAsync();
        _url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public void Dispose() => _folder.Dispose();

    [SkippableFact]
    public async Task Dashboard_InChromium_ChartsNumbersRangePickerGroupingAndRefreshWork()
    {
        var browser = chromium.EnsureAvailable();
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Test-User"] = "ops", ["X-Test-Role"] = "admin" },
        });
        var (page, problems, foreign) = await OpenAsync(context);

        await page.GotoAsync(_url + "/usage/dashboard?from=2026-03-01&to=2026-03-14");

        // Charts drawn, each named; the numbers are the ledger's.
        var charts = await page.QuerySelectorAllAsync("svg.chart");
        charts.Count.ShouldBe(5);
        foreach (var chart in charts)
        {
            var box = (await chart.BoundingBoxAsync()).ShouldNotBeNull();
            box.Width.ShouldBeGreaterThan(400);
            (await chart.EvaluateAsync<int>("svg => svg.querySelectorAll('path, rect').length")).ShouldBeGreaterThan(5);
        }

        var all = _usage.Records.ToList();
        (await page.InnerTextAsync("[data-metric=cost-usd]")).ShouldBe(Money(GeneratedUsage.Cost(all)));
        (await page.InnerTextAsync("[data-metric=requests]")).ShouldBe(all.Count.ToString("N0", CultureInfo.InvariantCulture));
        (await page.GetAttributeAsync(".dashboard-view", "data-source")).ShouldBe("rollups");
        var days = await page.EvalOnSelectorAllAsync<string[]>("table[data-table=cost-per-day] tbody tr", "rows => rows.map(r => r.cells[0].innerText + '=' + r.cells[r.cells.length - 1].innerText)");
        days.ShouldBe(all.GroupBy(r => r.CompletedAt!.Value.UtcDateTime.Date).OrderBy(g => g.Key)
            .Select(g => g.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "=" + Money(GeneratedUsage.Cost(g))));
        (await page.IsVisibleAsync("#pipeline-health")).ShouldBeTrue();
        (await page.InnerTextAsync("[data-metric=failing-sinks]")).ShouldBe("0");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-all-tenants.png"), FullPage = true });

        // Refresh: usage recorded now appears without reloading the page (the 1 s auto-refresh, or the button).
        var extra = new UsageRecord { Model = "gpt-4o", Provider = "openai", Operation = UsageOperation.Chat, Tokens = new TokenCounts(40_000, 2_000), UserId = "user-01", TenantId = "tenant-a", CompletedAt = Now };
        _app.Services.GetRequiredService<IUsageRecorder>().Record(extra);
        await _app.Services.GetRequiredService<IUsageRecorder>().FlushAsync();
        var expected = Money(GeneratedUsage.Cost(all) + UsageRepricer.WithCost([extra], PriceCatalog.BuiltIn).Single().Cost!.Total);
        await page.ClickAsync("#refresh-now");
        await page.WaitForFunctionAsync("value => document.querySelector('[data-metric=cost-usd]').innerText === value", expected);
        (await page.InnerTextAsync("#refresh-status")).ShouldStartWith("Updated ");
        await page.WaitForFunctionAsync("() => Number(document.getElementById('dashboard').dataset.refreshes) >= 2");
        (await page.GetAttributeAsync("[data-budget=per-user-daily][data-subject=user-01]", "data-used")).ShouldBe("42000");
        (await page.GetAttributeAsync("[data-budget=per-user-daily][data-subject=user-01]", "data-state")).ShouldBe("exceeded");

        // The range picker: a shorter range, applied with "Show"; only the query changes in the URL.
        await page.FillAsync("#from", "2026-03-05");
        await page.FillAsync("#to", "2026-03-07");
        await page.ClickAsync("#dashboard-controls button[type=submit]");
        await page.WaitForURLAsync(url => url.Contains("from=2026-03-05", StringComparison.Ordinal));
        new Uri(page.Url).Query.ShouldBe("?from=2026-03-05&to=2026-03-07&groupBy=");
        var range = _usage.In(GeneratedUsage.Start.AddDays(4), GeneratedUsage.Start.AddDays(7)).ToList();
        (await page.InnerTextAsync("[data-metric=cost-usd]")).ShouldBe(Money(GeneratedUsage.Cost(range)));
        (await page.InnerTextAsync("[data-metric=requests]")).ShouldBe(range.Count.ToString("N0", CultureInfo.InvariantCulture));

        // The grouping switch: applies at once.
        await page.SelectOptionAsync("#groupBy", "user,model");
        await page.WaitForURLAsync(url => url.Contains("groupBy=user%2Cmodel", StringComparison.Ordinal));
        new Uri(page.Url).Query.ShouldBe("?from=2026-03-05&to=2026-03-07&groupBy=user%2Cmodel");
        var top = range.GroupBy(r => (r.UserId ?? "(none)") + " / " + r.Model).Select(g => (Label: g.Key, Cost: GeneratedUsage.Cost(g)))
            .OrderByDescending(g => g.Cost).First();
        var rows = await page.EvalOnSelectorAllAsync<string[]>("table[data-table=by-custom] tbody tr", "rows => rows.map(r => r.cells[0].innerText + '=' + r.cells[7].innerText)");
        rows[0].ShouldBe(top.Label + "=" + Money(top.Cost));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-grouped.png"), FullPage = true });

        problems.ShouldBeEmpty();
        foreign.ShouldBeEmpty();
    }

    [SkippableFact]
    public async Task Dashboard_InChromium_TenantUserSeesOnlyTheirTenant()
    {
        var browser = chromium.EnsureAvailable();
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1200, Height = 900 },
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Test-User"] = "user-03", ["X-Test-Tenant"] = "tenant-b" },
        });
        var (page, problems, foreign) = await OpenAsync(context);

        await page.GotoAsync(_url + "/usage/dashboard?from=2026-03-01&to=2026-03-14&groupBy=tenant");

        var tenant = _usage.Records.Where(r => r.TenantId == "tenant-b").ToList();
        (await page.InnerTextAsync("[data-metric=cost-usd]")).ShouldBe(Money(GeneratedUsage.Cost(tenant)));
        (await page.InnerTextAsync("[data-metric=requests]")).ShouldBe(tenant.Count.ToString("N0", CultureInfo.InvariantCulture));
        (await page.EvalOnSelectorAllAsync<string[]>("table[data-table=by-custom] tbody tr", "rows => rows.map(r => r.cells[0].innerText)")).ShouldBe(["tenant-b"]);
        (await page.ContentAsync()).ShouldNotContain("tenant-a");
        (await page.QuerySelectorAsync("#pipeline-health")).ShouldBeNull();
        var gauge = (await page.QuerySelectorAsync("[data-budget=per-user-daily][data-subject=user-03] meter")).ShouldNotBeNull();
        (await gauge.BoundingBoxAsync()).ShouldNotBeNull().Width.ShouldBeGreaterThan(50);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("dashboard-tenant.png"), FullPage = true });

        problems.ShouldBeEmpty();
        foreign.ShouldBeEmpty();
    }

    private async Task<(IPage Page, List<string> Problems, List<string> Foreign)> OpenAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                problems.Add($"console {message.Type}: {message.Text}");
            }
        };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                problems.Add($"HTTP {response.Status} for {response.Url}");
            }
        };
        var foreign = new List<string>();
        await page.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith(_url, StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                foreign.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });
        return (page, problems, foreign);
    }

    private static string Money(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private string Screenshot(string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>Authenticates from X-Test-User (NameIdentifier), X-Test-Tenant (tid) and X-Test-Role headers.</summary>
    private sealed class HeaderAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "Test";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var claims = new List<Claim>();
            if (Request.Headers.TryGetValue("X-Test-User", out var user))
            {
                claims.Add(new Claim(ClaimTypes.NameIdentifier, user!));
            }

            if (Request.Headers.TryGetValue("X-Test-Tenant", out var tenant))
            {
                claims.Add(new Claim("tid", tenant!));
            }

            if (Request.Headers.TryGetValue("X-Test-Role", out var role))
            {
                claims.Add(new Claim(ClaimTypes.Role, role!));
            }

            return Task.FromResult(claims.Count == 0
                ? AuthenticateResult.NoResult()
                : AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
        }
    }
}
