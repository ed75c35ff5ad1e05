using System.Globalization;
using Microsoft.Playwright;
using TokenAccounting.Reporting.Tests.Infrastructure;
using TokenAccounting.Reporting.Tests.Tool;
using Xunit.Abstractions;

namespace TokenAccounting.Reporting.Tests.Browser;

/// <summary>The HTML report as a person sees it: written by the tool, opened from disk in headless Chromium, offline.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class HtmlReportBrowserTests(ChromiumFixture chromium, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset From = GeneratedUsage.Start;
    private static readonly DateTimeOffset To = GeneratedUsage.Start.AddDays(14);
    private readonly TempFolder _folder = new();
    private readonly GeneratedUsage _usage = new(count: 900, days: 14, seed: 41);
    private string _page = string.Empty;

    public async Task InitializeAsync()
    {
        var ledger = _folder.File("usage-ledger");
        await _usage.WriteJsonLinesAsync(ledger);
        _page = _folder.File("spend.html");
        var run = await ToolRun.InProcessAsync(["report", ledger, "--from", "2026-03-01", "--to", "2026-03-14", "--format", "html", "--out", _page]);
        run.ExitCode.ShouldBe(0, run.Error);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _folder.Dispose();

    [SkippableFact]
    public async Task HtmlReport_InChromium_ChartsRenderNumbersMatchTheLedgerAndNothingIsFetched()
    {
        var browser = chromium.EnsureAvailable();
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
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
        var fetched = new List<string>();
        await page.RouteAsync("**/*", async route =>
        {
            if (route.Request.Url.StartsWith("file://", StringComparison.Ordinal))
            {
                await route.ContinueAsync();
            }
            else
            {
                fetched.Add(route.Request.Url);
                await route.AbortAsync();
            }
        });

        await page.GotoAsync(new Uri(_page).AbsoluteUri);

        // Charts: five scalable SVGs, drawn (sized on the page, with shapes in them), each named for screen readers.
        var charts = await page.QuerySelectorAllAsync("svg.chart");
        charts.Count.ShouldBe(5);
        foreach (var chart in charts)
        {
            var box = (await chart.BoundingBoxAsync()).ShouldNotBeNull();
            box.Width.ShouldBeGreaterThan(400);
            box.Height.ShouldBeGreaterThan(150);
            (await chart.EvaluateAsync<int>("svg => svg.querySelectorAll('path, rect').length")).ShouldBeGreaterThan(5);
            (await chart.GetAttributeAsync("role")).ShouldBe("img");
            var title = await page.TextContentAsync("#" + await chart.GetAttributeAsync("aria-labelledby"));
            title.ShouldNotBeNullOrWhiteSpace();
        }

        // The stacked chart has one colour per series it lists in its legend.
        var fills = await page.EvalOnSelectorAsync<string[]>("#chart-cost-per-day", "svg => [...svg.querySelectorAll('[fill]')].map(e => e.getAttribute('fill').toUpperCase())");
        fills.ShouldContain("#0072B2");
        fills.ShouldContain("#E69F00");

        // Numbers shown match the records.
        var records = _usage.In(From, To).ToList();
        (await page.InnerTextAsync("[data-metric=cost-usd]")).ShouldBe(Money(GeneratedUsage.Cost(records)));
        (await page.InnerTextAsync("[data-metric=requests]")).ShouldBe(records.Count.ToString("N0", CultureInfo.InvariantCulture));
        var dayTotals = await page.EvalOnSelectorAllAsync<string[]>("table[data-table=cost-per-day] tbody tr", "rows => rows.map(r => r.cells[0].innerText + '=' + r.cells[r.cells.length - 1].innerText)");
        dayTotals.ShouldBe(records.GroupBy(r => r.CompletedAt!.Value.UtcDateTime.Date).OrderBy(g => g.Key)
            .Select(g => g.Key.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "=" + Money(GeneratedUsage.Cost(g))));
        var users = await page.EvalOnSelectorAllAsync<string[]>("table[data-table=by-user] tbody tr", "rows => rows.map(r => r.cells[0].innerText + '=' + r.cells[7].innerText)");
        var expectedUsers = records.GroupBy(r => r.UserId).Select(g => (User: g.Key ?? "(none)", Cost: GeneratedUsage.Cost(g)))
            .OrderByDescending(u => u.Cost).ToList();
        users.Take(10).ShouldBe(expectedUsers.Take(10).Select(u => u.User + "=" + Money(u.Cost)));

        // Printable: the print stylesheet applies and Chromium lays the page out as a PDF.
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("spend-report.png"), FullPage = true });
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4" });
        pdf.Length.ShouldBeGreaterThan(10_000);

        problems.ShouldBeEmpty();
        fetched.ShouldBeEmpty();
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
}
