namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>The progress hook for progress bars over large ledgers: bytes done, growing within a read, ending at the files' size.</summary>
public sealed class JsonLinesProgressTests : IDisposable
{
    private static readonly DateTimeOffset Day1 = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<long> WriteDaysAsync(int days, int perDay)
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        for (var day = 0; day < days; day++)
        {
            var records = Enumerable.Range(0, perDay)
                .Select(i => LedgerUsage.Record($"d{day}-{i}", Day1.AddDays(day).AddSeconds(i), 100 + i, 10, cost: LedgerUsage.Cost(0.001m, 0.002m)))
                .ToArray();
            await sink.WriteAsync(LedgerUsage.Batch($"b{day}", records), CancellationToken.None);
        }

        return Directory.EnumerateFiles(_folder.Path, "*.jsonl").Sum(f => new FileInfo(f).Length);
    }

    [Fact]
    public async Task QueryTotalsAsync_WithProgress_ReportsGrowingBytesEndingAtTheLedgerSize()
    {
        var total = await WriteDaysAsync(days: 3, perDay: 2000);
        var reports = new Reports();
        var query = new JsonLinesUsageQuery(_folder.Path) { Progress = reports };

        var result = await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(3)));

        result.Rows.ShouldHaveSingleItem().RequestCount.ShouldBe(6000);
        reports.Values[0].ShouldBe(0);
        reports.Values.Count.ShouldBeGreaterThan(3, "one report per chunk read, more than one per file");
        reports.Values.ShouldBe(reports.Values.Order().ToList(), "values only grow within a query");
        reports.Values[^1].ShouldBe(total);
    }

    [Fact]
    public async Task QueryTotalsAsync_FilesOutsideTheRange_AreReportedAsDoneFirst()
    {
        var total = await WriteDaysAsync(days: 3, perDay: 500);
        var reports = new Reports();
        var query = new JsonLinesUsageQuery(_folder.Path) { Progress = reports };
        var lastDay = new FileInfo(_folder.Day("2026-01-17")).Length;

        var result = await query.QueryTotalsAsync(new UsageQuery(Day1.AddDays(2), Day1.AddDays(3)));

        result.Rows.ShouldHaveSingleItem().RequestCount.ShouldBe(500);
        reports.Values[0].ShouldBe(total - lastDay, "the two files before the range are skipped, not read");
        reports.Values[^1].ShouldBe(total);
    }

    [Fact]
    public async Task QueryTotalsAsync_SecondQuery_StartsBelowWhereTheFirstEnded()
    {
        var total = await WriteDaysAsync(days: 2, perDay: 100);
        var reports = new Reports();
        var query = new JsonLinesUsageQuery(_folder.Path) { Progress = reports };

        await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(2)));
        var firstCount = reports.Values.Count;
        await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(2)));

        reports.Values[firstCount - 1].ShouldBe(total);
        reports.Values[firstCount].ShouldBe(0);
        reports.Values[^1].ShouldBe(total);
    }

    [Fact]
    public async Task ReadAsync_WithProgress_ReportsTheBytesReadEndingAtTheLedgerSize()
    {
        var total = await WriteDaysAsync(days: 2, perDay: 1000);
        var reports = new Reports();

        var records = await JsonLinesUsageLedger.ReadAsync(_folder.Path, reports).ToListAsync();

        records.Count.ShouldBe(2000);
        reports.Values[0].ShouldBe(0);
        reports.Values.ShouldBe(reports.Values.Order().ToList());
        reports.Values[^1].ShouldBe(total);
    }

    [Fact]
    public async Task ReadAsync_NullProgress_ReadsAsWithout()
    {
        await WriteDaysAsync(days: 1, perDay: 10);

        (await JsonLinesUsageLedger.ReadAsync(_folder.Path, progress: null).CountAsync()).ShouldBe(10);
    }

    /// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to a thread pool).</summary>
    private sealed class Reports : IProgress<long>
    {
        public List<long> Values { get; } = [];

        public void Report(long value) => Values.Add(value);
    }
}
