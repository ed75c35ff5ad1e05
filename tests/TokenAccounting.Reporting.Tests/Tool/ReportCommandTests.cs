using System.Globalization;
using System.Text.Json;
using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Tool;

public sealed class ReportCommandTests(GeneratedLedgers ledgers) : IClassFixture<GeneratedLedgers>
{
    private const string From = "2026-03-11";
    private const string To = "2026-03-20";
    private static readonly DateTimeOffset Start = new(2026, 3, 11, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = new(2026, 3, 21, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("jsonlines")]
    [InlineData("sqlite")]
    public async Task Report_JsonFormat_TotalsMatchTheRecords(string kind)
    {
        var ledger = kind == "sqlite" ? ledgers.SqlitePath : ledgers.JsonLinesFolder;

        var run = await ToolRun.InProcessAsync(["report", ledger, "--from", From, "--to", To, "--format", "json", "--top", "4"]);

        run.ExitCode.ShouldBe(0, run.Error);
        using var json = JsonDocument.Parse(run.RawOutput);
        var records = ledgers.Usage.In(Start, End).ToList();
        var totals = json.RootElement.GetProperty("totals");
        totals.GetProperty("cost_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(records));
        totals.GetProperty("requests").GetInt64().ShouldBe(records.Count);
        totals.GetProperty("total_tokens").GetInt64().ShouldBe(GeneratedUsage.Tokens(records).Total);
        // Both ledgers answer a day-aligned range from their rollups (the tool reads JSON-lines through JsonLinesUsageQuery).
        json.RootElement.GetProperty("source").GetString().ShouldBe("rollups");
        json.RootElement.GetProperty("by_user").GetProperty("rows").GetArrayLength().ShouldBe(4);
    }

    [Fact]
    public async Task Report_Table_ShowsEverySectionWithTheTotalCost()
    {
        var run = await ToolRun.InProcessAsync(["report", ledgers.JsonLinesFolder, "--from", From, "--to", To, "--by", "tenant,model"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var cost = GeneratedUsage.Cost(ledgers.Usage.In(Start, End)).ToString("0.############################", CultureInfo.InvariantCulture);
        run.Output.ShouldContain(cost);
        foreach (var title in new[] { "Summary", "By day", "By tenant, model", "By model", "Top users", "Top tenants", "Saved by prompt caching", "Unpriced requests" })
        {
            run.Output.ShouldContain(title);
        }

        run.Output.ShouldContain("2026-03-11 to 2026-03-20 (UTC days, inclusive)");
    }

    [Fact]
    public async Task Report_CsvToFile_WritesTheFileAndSaysWhere()
    {
        using var folder = new TempFolder();
        var file = folder.File("spend.csv");

        var run = await ToolRun.InProcessAsync(["report", ledgers.SqlitePath, "--from", From, "--to", To, "--out", file]);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Output.ShouldContain("spend.csv");
        var total = File.ReadAllLines(file).Single(l => l.StartsWith("total,", StringComparison.Ordinal)).Split(',');
        decimal.Parse(total[16], CultureInfo.InvariantCulture).ShouldBe(GeneratedUsage.Cost(ledgers.Usage.In(Start, End)));
    }

    [Fact]
    public async Task Report_Budgets_FromFileAreShown()
    {
        using var folder = new TempFolder();
        var budgets = folder.File("budgets.json");
        File.WriteAllText(budgets, """[{ "name": "acme-daily", "dimension": "tenant", "value": "tenant-a", "unit": "usd", "limit": 0.0001, "window": "day" }]""");

        var run = await ToolRun.InProcessAsync(["report", ledgers.JsonLinesFolder, "--from", From, "--to", To, "--budgets", budgets, "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var budget = JsonDocument.Parse(run.RawOutput).RootElement.GetProperty("budgets")[0];
        budget.GetProperty("policy").GetString().ShouldBe("acme-daily");
        var lastDay = ledgers.Usage.In(End.AddDays(-1), End).Where(r => r.TenantId == "tenant-a");
        budget.GetProperty("used").GetDecimal().ShouldBe(GeneratedUsage.Cost(lastDay));
        budget.GetProperty("state").GetString().ShouldBe("exceeded");
    }

    [Fact]
    public async Task Report_DefaultRange_IsTheLast30DaysThroughToday()
    {
        var run = await ToolRun.InProcessAsync(["report", ledgers.JsonLinesFolder, "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        root.GetProperty("to").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 3, 26, 0, 0, 0, TimeSpan.Zero));
        root.GetProperty("from").GetDateTimeOffset().ShouldBe(new DateTimeOffset(2026, 2, 24, 0, 0, 0, TimeSpan.Zero));
        root.GetProperty("totals").GetProperty("requests").GetInt64().ShouldBe(ledgers.Usage.Records.Count);
    }

    [Fact]
    public async Task Report_LargeLedgerOnATerminal_ShowsAProgressBarOnStderr()
    {
        var run = await ToolRun.InProcessAsync(["report", ledgers.JsonLinesFolder, "--format", "json"], interactiveError: true, progressThresholdBytes: 1);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Error.ShouldContain("Reading");
        run.Error.ShouldContain("ledger file(s)");
        JsonDocument.Parse(run.RawOutput).RootElement.GetProperty("totals").GetProperty("requests").GetInt64().ShouldBe(ledgers.Usage.Records.Count);
    }

    [Fact]
    public async Task Report_SmallLedger_ShowsNoProgressBar()
    {
        var run = await ToolRun.InProcessAsync(["report", ledgers.JsonLinesFolder, "--format", "json"], interactiveError: true);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Error.ShouldNotContain("Reading");
    }
}
