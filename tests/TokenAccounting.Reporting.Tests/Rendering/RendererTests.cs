using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Rendering;

public sealed partial class RendererTests
{
    private static readonly DateTimeOffset From = GeneratedUsage.Start;
    private static readonly DateTimeOffset To = GeneratedUsage.Start.AddDays(7);
    private static readonly Lazy<GeneratedUsage> Usage = new(() => new GeneratedUsage(count: 600, days: 7, seed: 5));

    private static Task<SpendReport> BuildAsync(IEnumerable<UsageRecord>? records = null, int top = 3) =>
        SpendReportBuilder.BuildAsync(new InMemoryUsageQuery(records ?? Usage.Value.Records), new SpendReportOptions(From, To) { Top = top }).AsTask();

    [Fact]
    public async Task Csv_TotalAndBreakdownRows_ParseBackToTheExactFigures()
    {
        var report = await BuildAsync();

        var lines = SpendReportCsv.Render(report).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',')).ToList();
        string Cell(string[] row, string column) => row[Array.IndexOf(header, column)];

        var total = rows.Single(r => r[0] == "total");
        decimal.Parse(Cell(total, "cost_usd"), CultureInfo.InvariantCulture).ShouldBe(GeneratedUsage.Cost(Usage.Value.Records));
        long.Parse(Cell(total, "requests"), CultureInfo.InvariantCulture).ShouldBe(Usage.Value.Records.Count);
        var models = rows.Where(r => r[0] == "model").ToList();
        models.Sum(r => decimal.Parse(Cell(r, "cost_usd"), CultureInfo.InvariantCulture)).ShouldBe(GeneratedUsage.Cost(Usage.Value.Records));
        models.Count(r => r[1] == "true").ShouldBe(1); // 5 models, top 3: one others row
        rows.Where(r => r[0] == "day").Sum(r => long.Parse(Cell(r, "total_tokens"), CultureInfo.InvariantCulture)).ShouldBe(GeneratedUsage.Tokens(Usage.Value.Records).Total);
    }

    [Fact]
    public async Task Csv_ValuesThatLookLikeFormulasOrHoldCommas_AreQuoted()
    {
        UsageRecord[] records =
        [
            new() { Model = "m", UserId = "=HYPERLINK(\"x\")", Tokens = new TokenCounts(1, 1), CompletedAt = From.AddHours(1) },
            new() { Model = "m", UserId = "a,b", Tokens = new TokenCounts(1, 1), CompletedAt = From.AddHours(1) },
        ];

        var csv = SpendReportCsv.Render(await BuildAsync(records));

        csv.ShouldContain(",\"'=HYPERLINK(\"\"x\"\")\",");
        csv.ShouldContain(",\"a,b\",");
    }

    [Fact]
    public async Task Json_Money_IsExactAndNamesMatchTheReport()
    {
        var report = await BuildAsync();

        using var document = JsonDocument.Parse(SpendReportJson.Render(report));
        var root = document.RootElement;
        root.GetProperty("schema_version").GetInt32().ShouldBe(SpendReportJson.SchemaVersion);
        root.GetProperty("totals").GetProperty("cost_usd").GetDecimal().ShouldBe(report.Totals.TotalCost);
        root.GetProperty("totals").GetProperty("cache_savings_usd").GetDecimal().ShouldBe(report.Totals.CacheSavings);
        var byUser = root.GetProperty("by_user");
        byUser.GetProperty("group_count").GetInt32().ShouldBe(report.ByUser.GroupCount);
        byUser.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("cost_usd").GetDecimal()).ShouldBe(report.ByUser.Rows.Select(r => r.Cost!.Total));
        byUser.GetProperty("others").GetProperty("requests").GetInt64().ShouldBe(report.ByUser.Others!.RequestCount);
        root.GetProperty("by_day").GetArrayLength().ShouldBe(7);
        root.GetProperty("previous_period").GetProperty("cost_change").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Json_GroupWithoutValue_IsWrittenAsNull()
    {
        UsageRecord[] records = [new() { Model = "m", Tokens = new TokenCounts(1, 1), CompletedAt = From.AddHours(1) }];

        using var document = JsonDocument.Parse(SpendReportJson.Render(await BuildAsync(records)));

        document.RootElement.GetProperty("by_user").GetProperty("rows")[0].GetProperty("user").ValueKind.ShouldBe(JsonValueKind.Null);
    }

    [Fact]
    public async Task Text_EverySection_IsAlignedUnderItsTitle()
    {
        var report = await BuildAsync();

        var text = SpendReportText.Render(report);

        foreach (var title in new[] { "Summary", "By day", "By model", "Top users", "Top tenants", "Top API keys", "Saved by prompt caching" })
        {
            text.ShouldContain(title + Environment.NewLine);
        }

        text.ShouldContain(ReportFormat.Money(report.Totals.TotalCost));
        text.ShouldContain("(2 others)"); // 5 models, top 3
    }

    [Fact]
    public async Task Html_Page_IsSelfContainedWithoutScriptOrNetwork()
    {
        var html = SpendReportHtml.Render(await BuildAsync());

        html.ShouldStartWith("<!DOCTYPE html>");
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain(" src=", Case.Insensitive);
        html.ShouldNotContain("<link", Case.Insensitive);
        html.ShouldNotContain("@import", Case.Insensitive);
        Regex.IsMatch(html, @"url\((?!#)", RegexOptions.IgnoreCase).ShouldBeFalse("only in-page references (clip paths), never a fetched url(...)");
        var ids = Regex.Matches(html, "\\bid=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        ids.Distinct().Count().ShouldBe(ids.Count, "ids are unique across the charts of one page");
        // The only URLs are XML namespace names, which a browser never fetches.
        UrlPattern().Matches(html).Select(m => m.Value).Distinct().ShouldBeSubsetOf(["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"]);
        Regex.Count(html, "<svg ").ShouldBe(5);
        Regex.Count(html, "role=\"img\"").ShouldBe(5);
    }

    [Fact]
    public async Task Html_EveryChart_IsFollowedByTheTableOfItsData()
    {
        var html = SpendReportHtml.Render(await BuildAsync());

        foreach (var (section, table) in new[] { ("cost-per-day", "cost-per-day"), ("top-users", "by-user"), ("top-tenants", "by-tenant"), ("tokens-by-type", "tokens-by-type"), ("cache-savings", "cache-savings") })
        {
            var start = html.IndexOf($"<section id=\"{section}\"", StringComparison.Ordinal);
            var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
            var body = html[start..end];
            body.ShouldContain("<svg ");
            body.IndexOf($"data-table=\"{table}\"", StringComparison.Ordinal).ShouldBeGreaterThan(body.IndexOf("<svg ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Html_DimensionValues_AreEscaped()
    {
        UsageRecord[] records = [new() { Model = "m", UserId = "<img onerror=alert(1)>", Tokens = new TokenCounts(1, 1), CompletedAt = From.AddHours(1) }];

        var html = SpendReportHtml.Render(await BuildAsync(records));

        html.ShouldNotContain("<img onerror");
        html.ShouldContain("&lt;img onerror=alert(1)&gt;");
    }

    [Fact]
    public async Task Html_Fragment_IsTheMainElementForAHostPage()
    {
        var fragment = SpendReportHtml.RenderFragment(await BuildAsync());

        fragment.ShouldStartWith("<main id=\"spend-report\">");
        fragment.TrimEnd().ShouldEndWith("</main>");
        fragment.ShouldNotContain("<html");
        fragment.ShouldNotContain("style=\"");
        SpendReportHtml.Stylesheet.ShouldContain("@media print");
    }

    [Fact]
    public async Task Html_EmptyRange_SaysSoAndDrawsNoChart()
    {
        var html = SpendReportHtml.Render(await BuildAsync([]));

        html.ShouldContain("No usage in this range.");
        html.ShouldNotContain("<svg ");
    }

    [Fact]
    public async Task Tables_CostPerDayByModel_ShareOfCostSumsToTheWhole()
    {
        var report = await BuildAsync(top: 10);

        var byModel = SpendReportTables.Create(report).Single(t => t.Id == "by-model");

        var share = byModel.Columns.ToList().IndexOf("cost share");
        byModel.Rows.Sum(r => decimal.Parse(r[share].TrimEnd('%', ' '), CultureInfo.InvariantCulture)).ShouldBe(100m, tolerance: 0.3m);
    }

    [GeneratedRegex("https?://[^\"' )]+")]
    private static partial Regex UrlPattern();
}
