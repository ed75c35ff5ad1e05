namespace TokenAccounting.Tests.Pricing;

/// <summary>
/// Issue 15 §7: the lookup cache in front of the catalog's name rules answers exactly what the rules answer: for new
/// string instances with the same contents, for names whose sampled hash collides, at every date of a dated price,
/// past the cache's capacity, and from many threads at once; and a cached lookup allocates nothing.
/// </summary>
public sealed class PriceCatalogLookupCacheTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FindPrice_NewInstancesOfACachedName_FindTheSamePrice()
    {
        var catalog = Catalog(("openai", "gpt-4o", 2.5m), ("azure", "gpt-4o", 2.75m));
        catalog.FindPrice("openai", "gpt-4o", Now)!.Input.ShouldBe(2.5m);

        catalog.FindPrice(Copy("openai"), Copy("gpt-4o"), Now)!.Input.ShouldBe(2.5m);
        catalog.FindPrice(Copy("azure"), Copy("gpt-4o"), Now)!.Input.ShouldBe(2.75m);
        catalog.FindPrice(null, Copy("gpt-4o"), Now)!.Input.ShouldBe(2.5m);
        catalog.FindPrice("openai", Copy("GPT-4o"), Now)!.Input.ShouldBe(2.5m);
    }

    [Fact]
    public void FindPrice_NamesWithTheSameSampledHash_EachFindsItsOwnPrice()
    {
        // Same length, same first, middle and last four characters: only the full comparison tells them apart.
        string[] names = ["abcd-1-ijklmnop-wxyz", "abcd-2-ijklmnop-wxyz", "abcd-3-ijklmnop-wxyz"];
        PriceCatalog.Hash(names[1]).ShouldBe(PriceCatalog.Hash(names[0]));
        PriceCatalog.Hash(names[2]).ShouldBe(PriceCatalog.Hash(names[0]));
        var catalog = Catalog([.. names.Select((name, i) => ("openai", name, (decimal)(i + 1)))]);

        for (var round = 0; round < 2; round++)
        {
            for (var i = 0; i < names.Length; i++)
            {
                catalog.FindPrice("openai", Copy(names[i]), Now)!.Input.ShouldBe(i + 1);
            }
        }

        catalog.FindPrice("openai", "abcd-4-ijklmnop-wxyz", Now).ShouldBeNull();
    }

    [Fact]
    public void FindPrice_DatedPriceCachedAtOneDate_TheTimeStillPicksTheVersion()
    {
        // o3: $10 / $40 until 2025-06-10, $2 / $8 from then on.
        var from = new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero);
        var catalog = PriceCatalog.Create(
        [
            new ModelPrice { Provider = "openai", Model = "o3", Input = 10m, Output = 40m },
            new ModelPrice { Provider = "openai", Model = "o3", Input = 2m, Output = 8m, EffectiveFrom = from },
        ]);

        catalog.FindPrice("openai", "o3", Now)!.Input.ShouldBe(2m);
        catalog.FindPrice("openai", "o3", from.AddTicks(-1))!.Input.ShouldBe(10m);
        catalog.FindPrice("openai", "o3", from)!.Input.ShouldBe(2m);

        // The same instant in another offset is the same moment.
        catalog.FindPrice("openai", "o3", from.ToOffset(TimeSpan.FromHours(-7)).AddTicks(-1))!.Input.ShouldBe(10m);

        var record = new UsageRecord { Provider = "openai", Model = "o3", Tokens = new TokenCounts(1_000_000, 0) };
        UsagePricing.Price(catalog, record with { CompletedAt = from.AddDays(-1) })!.Total.ShouldBe(10m);
        UsagePricing.Price(catalog, record with { CompletedAt = from.AddDays(1) })!.Total.ShouldBe(2m);
        UsagePricing.Price(catalog, record)!.Total.ShouldBe(2m, "no completion time: the latest price");
    }

    [Fact]
    public void FindPrice_OnlyLaterVersions_NullBeforeTheFirst()
    {
        var from = new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero);
        var catalog = PriceCatalog.Create([new ModelPrice { Provider = "openai", Model = "o3", Input = 2m, Output = 8m, EffectiveFrom = from }]);

        catalog.FindPrice("openai", "o3", from)!.Input.ShouldBe(2m);
        catalog.FindPrice("openai", "o3", from.AddTicks(-1)).ShouldBeNull();
    }

    [Fact]
    public void FindPrice_MoreNamesThanTheCacheHolds_EveryLookupStaysRight()
    {
        const int Models = 6_000;
        var catalog = Catalog([.. Enumerable.Range(1, Models).Select(i => ("openai", $"model-{i}", (decimal)i))]);

        for (var round = 0; round < 2; round++)
        {
            for (var i = 1; i <= Models; i++)
            {
                catalog.FindPrice("openai", $"model-{i}", Now)!.Input.ShouldBe(i);
                catalog.FindPrice("openai", $"model-{i}-unknown", Now).ShouldBeNull();
            }
        }
    }

    [Fact]
    public async Task FindPrice_ManyThreadsFillingTheCache_EveryLookupStaysRight()
    {
        const int Models = 2_000;
        var catalog = Catalog([.. Enumerable.Range(1, Models).Select(i => ("openai", $"model-{i}", (decimal)i))]);
        using var start = new ManualResetEventSlim();
        var wrong = 0;

        var threads = Enumerable.Range(0, 4).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.Wait();
                for (var round = 0; round < 3; round++)
                {
                    for (var i = 1; i <= Models; i++)
                    {
                        var model = (i * 7 + t * 13) % Models + 1;
                        if (catalog.FindPrice("openai", $"model-{model}", Now)?.Input != model)
                        {
                            Interlocked.Increment(ref wrong);
                        }
                    }
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        start.Set();
        await Task.WhenAll(threads);

        wrong.ShouldBe(0);
    }

    [Fact]
    public void Price_CachedNameInNewInstances_AllocatesOnlyTheUsageCost()
    {
        var catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices, PriceCatalog.BuiltIn.AsOf, PriceCatalog.BuiltIn.Providers);
        var tokens = TokenCounts.FromOpenAI(promptTokens: 12_000, completionTokens: 900, cachedTokens: 8_000, reasoningTokens: 300);
        var records = Enumerable.Range(0, 8)
            .Select(_ => new UsageRecord { Provider = Copy("aws.bedrock"), Model = Copy("us.anthropic.claude-sonnet-4-20250514-v1:0"), CompletedAt = Now, Tokens = tokens })
            .ToArray();
        var expected = UsagePricing.Price(catalog, records[0]).ShouldNotBeNull();
        var costBytes = Allocations.AllocatedBy(() => UsageCost.CreateTrusted(1m, 2m, 3m, 4m, 5m));

        foreach (var record in records[1..])
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var cost = UsagePricing.Price(catalog, record);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            cost.ShouldBe(expected);
            allocated.ShouldBe(costBytes);
        }
    }

    private static PriceCatalog Catalog(params (string Provider, string Model, decimal Input)[] prices) =>
        PriceCatalog.Create(prices.Select(p => new ModelPrice { Provider = p.Provider, Model = p.Model, Input = p.Input, Output = 1m }));

    // A new instance with the same characters, as a name read from each response would be.
    private static string Copy(string value) => new(value.AsSpan());
}
