namespace TokenAccounting.Tests.Querying;

/// <summary>Query sums at the edges (issue 12 §2): they saturate, never throw and never go negative.</summary>
public sealed class InMemoryUsageQueryEdgeTests
{
    private static readonly DateTimeOffset Day = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task QueryTotalsAsync_TokenSumsOverflowingLong_Saturate()
    {
        var half = new TokenCounts((long.MaxValue / 2) + 1, (long.MaxValue / 2) - 1);
        var records = Enumerable.Range(0, 3).Select(i => new UsageRecord { Id = "r" + i, Model = "m", Tokens = half, CompletedAt = Day.AddHours(i) }).ToList();

        var result = await new InMemoryUsageQuery(records).QueryTotalsAsync(new UsageQuery(Day, Day.AddDays(1)));

        var row = result.Rows.ShouldHaveSingleItem();
        row.Tokens.Input.ShouldBe(long.MaxValue);
        row.Tokens.Output.ShouldBe(long.MaxValue);
        row.Tokens.Total.ShouldBe(long.MaxValue);
        row.RequestCount.ShouldBe(3);
    }

    [Fact]
    public async Task QueryTotalsAsync_CostSumsOverflowingDecimal_Saturate()
    {
        var big = new UsageCost((decimal.MaxValue / 2) + 1, 0m, 0m, 1m, 0m);
        var records = Enumerable.Range(0, 2).Select(i => new UsageRecord { Id = "r" + i, Model = "m", Tokens = new TokenCounts(1, 1), Cost = big, CompletedAt = Day }).ToList();

        var result = await new InMemoryUsageQuery(records).QueryTotalsAsync(new UsageQuery(Day, Day.AddDays(1)) { OrderBy = UsageQueryOrder.Cost });

        var row = result.Rows.ShouldHaveSingleItem();
        row.Cost!.Input.ShouldBe(decimal.MaxValue);
        row.Cost.Output.ShouldBe(2m);
        row.Cost.Total.ShouldBe(decimal.MaxValue);
        row.ToString().ShouldContain(decimal.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
