namespace TokenAccounting.Tests.Pricing;

/// <summary>The cost formulas for the parts beyond text tokens, several tiers and time-of-day windows.</summary>
public sealed class PriceRatesTests
{
    private static readonly TokenRates Tier2 = new() { Input = 2m, Output = 4m };
    private static readonly TokenRates Tier3 = new() { Input = 3m, Output = 6m };

    [Fact]
    public void Cost_SeveralTiers_PricesTheWholeRequestAtTheHighestTierPassed()
    {
        var price = new ModelPrice
        {
            Model = "m",
            Input = 1m,
            Output = 2m,
            LongContext = new PriceTier { AboveInputTokens = 100_000, Rates = Tier2 },
            AdditionalTiers = [new PriceTier { AboveInputTokens = 200_000, Rates = Tier3 }],
        };

        price.Cost(new TokenCounts(100_000, 1_000)).Total.ShouldBe(0.1m + 0.002m);
        price.Cost(new TokenCounts(150_000, 1_000)).Total.ShouldBe(0.3m + 0.004m);
        price.Cost(new TokenCounts(200_001, 1_000)).Total.ShouldBe(0.600003m + 0.006m);
    }

    [Fact]
    public void Cost_TierIncludingItsThreshold_AppliesAtExactlyTheThreshold()
    {
        var strict = new ModelPrice { Model = "m", Input = 1m, Output = 1m, LongContext = new PriceTier { AboveInputTokens = 1_000, Rates = Tier2 } };
        var inclusive = new ModelPrice { Model = "m", Input = 1m, Output = 1m, LongContext = new PriceTier { AboveInputTokens = 1_000, IncludesThreshold = true, Rates = Tier2 } };

        strict.Cost(new TokenCounts(1_000, 0)).Total.ShouldBe(0.001m);
        inclusive.Cost(new TokenCounts(1_000, 0)).Total.ShouldBe(0.002m);
        inclusive.Cost(new TokenCounts(999, 0)).Total.ShouldBe(0.000999m);
    }

    [Fact]
    public void Create_TwoTiersWithTheSameThreshold_ThrowsNamingTheModel()
    {
        var price = new ModelPrice
        {
            Model = "twin-tiers",
            Input = 1m,
            Output = 1m,
            LongContext = new PriceTier { AboveInputTokens = 1_000, Rates = Tier2 },
            AdditionalTiers = [new PriceTier { AboveInputTokens = 1_000, Rates = Tier3 }],
        };

        Should.Throw<ArgumentException>(() => PriceCatalog.Create([price])).Message.ShouldContain("twin-tiers");
    }

    [Fact]
    public void Cost_AudioWithoutAudioPrices_IsPricedAsText()
    {
        // No audio rates: audio input at the input price, cached audio at the cache-read price, audio output at the output price.
        var price = new ModelPrice { Model = "m", Input = 2m, CachedInput = 1m, Output = 8m };
        var extras = new BillableExtras(inputAudio: 500, cachedInputAudio: 200, outputAudio: 100, serverToolCalls: null);

        var withAudio = price.Cost(TokenCounts.FromOpenAI(1_000, 300, 400), extras, null, null);
        var textOnly = price.Cost(TokenCounts.FromOpenAI(1_000, 300, 400));

        withAudio.Total.ShouldBe(textOnly.Total);
        withAudio.InputAudio.ShouldBe(0.0006m);
        withAudio.CachedInputAudio.ShouldBe(0.0002m);
        withAudio.OutputAudio.ShouldBe(0.0008m);
    }

    [Fact]
    public void Cost_CachedAudioWithoutCacheOrAudioCachePrice_IsPricedAsAudioInput()
    {
        // genai-prices' rule: with neither a cache-read nor an audio cache-read price, cached audio is billed as audio input.
        var price = new ModelPrice { Model = "m", Input = 1m, InputAudio = 10m, Output = 1m };

        var cost = price.Cost(TokenCounts.FromOpenAI(1_000, 0, 500), new BillableExtras(500, 500, 0, null), null, null);

        cost.CachedInputAudio.ShouldBe(0.005m);
        cost.CachedInput.ShouldBe(0m);
        cost.Input.ShouldBe(0.0005m);
    }

    [Fact]
    public void Cost_ServerToolCalls_ChargesKnownToolsPerCallAndIgnoresUnpricedOnes()
    {
        var price = new ModelPrice
        {
            Model = "m",
            Input = 0m,
            Output = 0m,
            PerThousandServerToolCalls = new Dictionary<string, decimal> { ["web_search"] = 10m, ["code_execution"] = 50m },
        };
        var calls = new Dictionary<string, long> { ["WEB_SEARCH"] = 3, ["code_execution"] = 1, ["web_fetch"] = 7 };

        var cost = price.Cost(new TokenCounts(0, 0), new BillableExtras(0, 0, 0, calls), null, null);

        // 3 × 10 / 1,000 + 1 × 50 / 1,000 = 0.08; web_fetch has no price.
        cost.ServerToolCalls.ShouldBe(0.08m);
        cost.Total.ShouldBe(0.08m);
    }

    [Fact]
    public void Cost_PerThousandRequests_AddsOneRequestsFeeWhateverTheTokens()
    {
        var price = new ModelPrice { Model = "m", Input = 1m, Output = 1m, PerThousandRequests = 5m };

        price.Cost(new TokenCounts(0, 0)).Total.ShouldBe(0.005m);
        price.Cost(new TokenCounts(0, 0), "batch").Requests.ShouldBe(0.005m);
    }

    [Fact]
    public void Cost_TimeOfDayWindowAcrossMidnight_AppliesOnBothSides()
    {
        var price = new ModelPrice
        {
            Model = "m",
            Input = 2m,
            Output = 2m,
            TimeOfDay = [new TimeOfDayPrice { Start = new TimeOnly(22, 0), End = new TimeOnly(2, 0), Rates = new TokenRates { Input = 1m, Output = 1m } }],
        };
        var tokens = new TokenCounts(1_000_000, 0);
        var day = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        price.Cost(tokens, null, day.AddHours(23)).Total.ShouldBe(1m);
        price.Cost(tokens, null, day.AddHours(1)).Total.ShouldBe(1m);
        price.Cost(tokens, null, day.AddHours(2)).Total.ShouldBe(2m);
        price.Cost(tokens, null, day.AddHours(21).AddMinutes(59)).Total.ShouldBe(2m);

        // An offset time is compared in UTC: 23:30 at +02:00 is 21:30 UTC, outside the window.
        price.Cost(tokens, null, new DateTimeOffset(2026, 1, 1, 23, 30, 0, TimeSpan.FromHours(2))).Total.ShouldBe(2m);

        // Without a time the base prices apply.
        price.Cost(tokens).Total.ShouldBe(2m);
    }

    [Fact]
    public void UsageCost_AllParts_AddUpAndCompare()
    {
        var a = new UsageCost(1m, 2m, 3m, 4m, 5m, 1m, 6m, 7m, 8m, 9m, 10m);
        var b = new UsageCost(1m, 1m, 1m, 1m, 1m, 0m, 1m, 1m, 1m, 1m, 1m);

        // CacheWriteLongTtl is inside CacheWrite: 1+2+3+4+5+6+7+8+9+10 = 55.
        a.Total.ShouldBe(55m);
        (a + b).Total.ShouldBe(65m);
        (a + b).ServerToolCalls.ShouldBe(11m);
        a.ShouldBe(new UsageCost(1m, 2m, 3m, 4m, 5m, 1m, 6m, 7m, 8m, 9m, 10m));
        a.ShouldNotBe(new UsageCost(1m, 2m, 3m, 4m, 5m, 1m, 6m, 7m, 8m, 9m, 11m));
        a.GetHashCode().ShouldBe(new UsageCost(1m, 2m, 3m, 4m, 5m, 1m, 6m, 7m, 8m, 9m, 10m).GetHashCode());
    }

    [Fact]
    public void UsageCost_NegativeNewPart_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageCost(0, 0, 0, 0, 0, 0, 0, 0, 0, -1m, 0)).ParamName.ShouldBe("requests");
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageCost(0, 0, 0, 0, 0, 0, -1m, 0, 0, 0, 0)).ParamName.ShouldBe("inputAudio");
    }

    [Fact]
    public void ModelPrice_NegativeToolPrice_ThrowsNamingTheTool()
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new ModelPrice
        {
            Model = "m",
            Input = 1m,
            Output = 1m,
            PerThousandServerToolCalls = new Dictionary<string, decimal> { ["web_search"] = -1m },
        });

        ex.Message.ShouldContain("web_search");
    }
}
