namespace TokenAccounting.Tests.Pricing;

public sealed class UsageRepricerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Reprice_AfterPriceCut_ReportsOldNewAndDeltaPerModel()
    {
        var oldCatalog = PriceCatalog.Create(
        [
            new ModelPrice { Provider = "openai", Model = "gpt-a", Input = 10m, Output = 30m },
            new ModelPrice { Provider = "openai", Model = "gpt-b", Input = 1m, Output = 2m },
        ]);
        var newCatalog = oldCatalog.WithOverrides(new ModelPrice { Provider = "openai", Model = "gpt-a", Input = 5m, Output = 15m });
        UsageRecord Priced(string model, long input, long output)
        {
            var record = new UsageRecord { Provider = "openai", Model = model, CompletedAt = Now, Tokens = new TokenCounts(input, output) };
            return record with { Cost = UsagePricing.Price(oldCatalog, record) };
        }

        var records = new[]
        {
            Priced("gpt-a", 100_000, 10_000), // old 1.0 + 0.3 = 1.3;  new 0.5 + 0.15 = 0.65
            Priced("gpt-a", 200_000, 0),      // old 2.0;              new 1.0
            Priced("gpt-b", 1_000_000, 0),    // old 1.0;              new 1.0
            new UsageRecord { Provider = "openai", Model = "gpt-z", CompletedAt = Now, Tokens = new TokenCounts(1, 1) }, // unpriced both times
        };

        var report = UsageRepricer.Reprice(records, newCatalog);

        report.OldTotal.ShouldBe(4.3m);
        report.NewTotal.ShouldBe(2.65m);
        report.Delta.ShouldBe(-1.65m);
        report.Records.ShouldBe(4);
        var a = report.Models.Single(m => m.Model == "gpt-a");
        (a.Records, a.OldTotal, a.NewTotal, a.Delta).ShouldBe((2L, 3.3m, 1.65m, -1.65m));
        report.Models.Single(m => m.Model == "gpt-b").Delta.ShouldBe(0m);
        var z = report.Models.Single(m => m.Model == "gpt-z");
        (z.UnpricedBefore, z.UnpricedAfter).ShouldBe((1L, 1L));

        // The two-catalog overload computes the old side from the old catalog and agrees.
        UsageRepricer.Reprice(records, oldCatalog, newCatalog).Delta.ShouldBe(-1.65m);
    }

    [Fact]
    public void WithCost_ReplacesCostWithTheCatalogs()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Model = "m", Input = 1m, Output = 1m }]);
        var records = new[] { new UsageRecord { Model = "m", CompletedAt = Now, Tokens = new TokenCounts(1_000_000, 0), Cost = UsageCost.Zero } };

        UsageRepricer.WithCost(records, catalog).Single().Cost!.Total.ShouldBe(1m);
    }
}
