using System.Globalization;
using System.Text.Json;
using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Tool;

/// <summary>
/// Issue 17: a JSON-lines ledger whose details were dropped under overload still reports the recorded totals, read
/// from its rollup lines through <see cref="JsonLinesUsageQuery"/>.
/// </summary>
public sealed class DroppedDetailsTests(DroppedDetailsLedger ledger) : IClassFixture<DroppedDetailsLedger>
{
    private const string From = "2026-03-01";
    private const string To = "2026-03-20";

    [Fact]
    public async Task Fixture_DetailLinesAlone_UndercountTheRecordedTotals()
    {
        // What the tool read before: the detail lines only. The tests below would pass on it only if nothing was dropped.
        var details = await JsonLinesUsageLedger.ReadAsync(ledger.Folder).ToListAsync();

        ledger.Dropped.Count.ShouldBe(1000);
        details.Count.ShouldBe(ledger.Usage.Records.Count - ledger.Dropped.Count);
        GeneratedUsage.Cost(details).ShouldBeLessThan(GeneratedUsage.Cost(ledger.Usage.Records));
    }

    [Fact]
    public async Task Report_DetailsDroppedUnderOverload_TotalsEqualTheRecordedTotals()
    {
        var run = await ToolRun.InProcessAsync(["report", ledger.Folder, "--from", From, "--to", To, "--format", "json", "--top", "3", "--by", "tenant"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        var all = ledger.Usage.Records;
        root.GetProperty("source").GetString().ShouldBe("rollups");
        var totals = root.GetProperty("totals");
        totals.GetProperty("cost_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(all));
        totals.GetProperty("requests").GetInt64().ShouldBe(all.Count);
        totals.GetProperty("total_tokens").GetInt64().ShouldBe(GeneratedUsage.Tokens(all).Total);
        totals.GetProperty("cached_input_tokens").GetInt64().ShouldBe(GeneratedUsage.Tokens(all).CachedInput);
        var days = root.GetProperty("by_day").EnumerateArray().ToList();
        days.Sum(d => d.GetProperty("cost_usd").GetDecimal()).ShouldBe(GeneratedUsage.Cost(all));
        foreach (var day in days)
        {
            var date = DateOnly.ParseExact(day.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var onDay = all.Where(r => DateOnly.FromDateTime(r.CompletedAt!.Value.UtcDateTime) == date).ToList();
            day.GetProperty("requests").GetInt64().ShouldBe(onDay.Count, $"requests on {date}");
            day.GetProperty("cost_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(onDay), $"cost on {date}");
        }
    }

    [Fact]
    public async Task Report_DetailsDroppedTable_ShowsTheRecordedTotalCost()
    {
        var run = await ToolRun.InProcessAsync(["report", ledger.Folder, "--from", From, "--to", To]);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Output.ShouldContain(GeneratedUsage.Cost(ledger.Usage.Records).ToString("0.############################", CultureInfo.InvariantCulture));
        run.Output.ShouldNotContain(GeneratedUsage.Cost(ledger.Kept).ToString("0.############################", CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Report_DetailsDroppedOnATerminal_ShowsTheProgressBarAndExactTotals()
    {
        var run = await ToolRun.InProcessAsync(["report", ledger.Folder, "--from", From, "--to", To, "--format", "json"], interactiveError: true, progressThresholdBytes: 1);

        run.ExitCode.ShouldBe(0, run.Error);
        run.Error.ShouldContain("Reading 20 ledger file(s)");
        run.Error.ShouldContain("%");
        run.Error.ShouldNotContain("pass 2"); // one streaming pass, with the previous period in it
        JsonDocument.Parse(run.RawOutput).RootElement.GetProperty("totals").GetProperty("cost_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(ledger.Usage.Records));
    }

    [Fact]
    public async Task Process_ReportOnLedgerWithDroppedDetails_PrintsTheRecordedTotalsAndExitsZero()
    {
        var run = await ToolRun.ProcessAsync(Path.GetTempPath(), "report", ledger.Folder, "--from", From, "--to", To, "--format", "json");

        run.ExitCode.ShouldBe(0, run.Error);
        run.Error.ShouldBeEmpty();
        var totals = JsonDocument.Parse(run.Output).RootElement.GetProperty("totals");
        totals.GetProperty("requests").GetInt64().ShouldBe(ledger.Usage.Records.Count);
        totals.GetProperty("cost_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(ledger.Usage.Records));
    }

    [Fact]
    public async Task Reprice_DetailsDropped_OldIsRecordedAndTheDroppedAreRepricedFromTheDailyTotals()
    {
        using var folder = new TempFolder();
        var prices = folder.File("prices.json");
        File.WriteAllText(prices, """
            { "gpt-4o": { "litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 0.000005, "output_cost_per_token": 0.00002 } }
            """);

        var run = await ToolRun.InProcessAsync(["reprice", ledger.Folder, "--prices", prices, "--format", "json"]);

        run.ExitCode.ShouldBe(0, run.Error);
        var root = JsonDocument.Parse(run.RawOutput).RootElement;
        root.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(ledger.Usage.Records));
        root.GetProperty("records_without_details").GetInt64().ShouldBe(ledger.Dropped.Count);
        var gpt4o = ledger.Usage.Records.Where(r => r.Model == "gpt-4o").ToList();
        var row = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o");
        row.GetProperty("records").GetInt64().ShouldBe(gpt4o.Count);
        row.GetProperty("old_usd").GetDecimal().ShouldBe(GeneratedUsage.Cost(gpt4o));

        // gpt-4o's new price has no tiers, so the daily totals' base rates give what each record would have cost.
        row.GetProperty("new_usd").GetDecimal().ShouldBe(gpt4o.Sum(r => (r.Tokens.Input * 5m / 1_000_000m) + (r.Tokens.Output * 20m / 1_000_000m)));
        var mini = root.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == "gpt-4o-mini");
        mini.GetProperty("unpriced_after").GetInt64().ShouldBe(ledger.Usage.Records.Count(r => r.Model == "gpt-4o-mini"));
        run.Error.ShouldContain($"{ledger.Dropped.Count:N0} record(s)");
        run.Error.ShouldContain("no detail lines");
    }
}
