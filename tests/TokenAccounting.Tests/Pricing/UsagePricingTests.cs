namespace TokenAccounting.Tests.Pricing;

public sealed class UsagePricingTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Price_KnownModel_UsesProviderModelTierAndCompletionTime()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.5m, Output = 10m, Batch = new ServiceTierPrice { Rates = new TokenRates { Input = 1.25m, Output = 5m } } }]);
        var record = new UsageRecord { Provider = "openai", Model = "gpt-4o-2024-08-06", ServiceTier = "batch", CompletedAt = Now, Tokens = TokenCounts.FromOpenAI(2_000, 400) };

        // Batch: 2,000 × 1.25 / 1M + 400 × 5 / 1M = 0.0025 + 0.002 = 0.0045.
        UsagePricing.Price(catalog, record)!.Total.ShouldBe(0.0045m);
        catalog.Diagnostics.UnpricedRecords.ShouldBe(0);
    }

    [Fact]
    public void Price_UnknownModel_ReturnsNullAndCountsIt()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Model = "known", Input = 1m, Output = 1m }]);
        var record = new UsageRecord { Provider = "acme", Model = "mystery-1", CompletedAt = Now, Tokens = new TokenCounts(10, 10) };

        UsagePricing.Price(catalog, record).ShouldBeNull();
        UsagePricing.Price(catalog, record).ShouldBeNull();
        UsagePricing.Price(catalog, record with { Provider = null, Model = "mystery-2" }).ShouldBeNull();

        catalog.Diagnostics.UnpricedRecords.ShouldBe(3);
        catalog.Diagnostics.UnpricedByModel.ShouldBe(new Dictionary<string, long> { ["acme/mystery-1"] = 2, ["mystery-2"] = 1 }, ignoreOrder: true);
    }

    [Fact]
    public void Price_CustomCatalogWithDiagnostics_CountsIntoTheGivenDiagnostics()
    {
        var diagnostics = new PricingDiagnostics();

        UsagePricing.Price(new NothingCatalog(), new UsageRecord { Model = "x", CompletedAt = Now }, diagnostics).ShouldBeNull();

        diagnostics.UnpricedRecords.ShouldBe(1);
    }

    [Fact]
    public void Price_BeforeFirstEffectiveDate_ReturnsNull()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Model = "m", Input = 1m, Output = 1m, EffectiveFrom = Now }]);

        UsagePricing.Price(catalog, new UsageRecord { Model = "m", CompletedAt = Now.AddSeconds(-1), Tokens = new TokenCounts(1, 1) }).ShouldBeNull();
        UsagePricing.Price(catalog, new UsageRecord { Model = "m", CompletedAt = Now, Tokens = new TokenCounts(1, 1) }).ShouldNotBeNull();
    }

    [Fact]
    public void Price_ConcurrentLookups_AgreeWithSequentialOnes()
    {
        var catalog = PriceCatalog.BuiltIn.WithOverrides([]);
        var records = catalog.Prices.Select(p => new UsageRecord { Provider = p.Provider, Model = p.Model + "-2025-01-01", CompletedAt = Now, Tokens = TokenCounts.FromOpenAI(123_456, 7_890, 1_000, 500) }).ToArray();
        var expected = records.Select(r => UsagePricing.Price(PriceCatalog.Create(catalog.Prices), r)?.Total).ToArray();

        var actual = new decimal?[records.Length];
        Parallel.For(0, records.Length * 20, i => actual[i % records.Length] = UsagePricing.Price(catalog, records[i % records.Length])?.Total);

        actual.ShouldBe(expected);
    }

    private sealed class NothingCatalog : IPriceCatalog
    {
        public ModelPrice? FindPrice(string? provider, string model, DateTimeOffset asOf) => null;
    }
}
