namespace TokenAccounting.Tests.Pricing;

public sealed class LiteLlmPriceLoaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static PriceLoadResult Load()
    {
        using var stream = PricingFixtures.Open("litellm-small.json");
        return LiteLlmPriceLoader.Load(stream);
    }

    [Fact]
    public void Load_Fixture_LoadsRepresentableEntriesAndSkipsTheRestWithReasons()
    {
        var result = Load();

        // Changed deliberately (issue 15): several thresholds, tiers lacking a part, audio prices and tiered_pricing
        // are represented now, so sonnet-incomplete-tier, two-thresholds and audio-test load instead of being skipped.
        result.Prices.Select(p => p.Model).ShouldBe(
            ["gpt-test", "claude-test", "gemini-test-pro", "deepseek-test", "embed-test", "sonnet-incomplete-tier", "two-thresholds", "audio-test", "tiered-test", "grok-test", "image-token-test", "claude-sonnet-4-20250514"],
            ignoreOrder: true);
        result.Skipped.Select(s => s.Name).ShouldBe(
            ["image-test", "mystery-test", "negative-test", "no-price-test", "openai/gpt-test", "image-per-image-test"],
            ignoreOrder: true);
        Reason(result, "image-test").ShouldContain("unsupported mode 'image_generation'");
        Reason(result, "image-per-image-test").ShouldContain("output_cost_per_image");
        Reason(result, "mystery-test").ShouldContain("unrecognized price field 'input_cost_per_token_per_moon_phase'");
        Reason(result, "negative-test").ShouldContain("negative");
        Reason(result, "no-price-test").ShouldContain("no input_cost_per_token");
        Reason(result, "openai/gpt-test").ShouldContain("duplicate");

        // Only image-token-test lists a price that is not represented (image tokens); search and audio prices are read.
        result.NonTextPricesIgnored.ShouldBe(1);
    }

    [Fact]
    public void Load_TierLackingAPart_TakesTheBasePriceOfThatPart()
    {
        var price = Load().ToCatalog().FindPrice("anthropic", "sonnet-incomplete-tier", Now)!;

        // The tier lists input and output only; its cache-read price is the base's $0.30 (LiteLLM bills it so).
        price.LongContext!.Rates.Input.ShouldBe(6m);
        price.LongContext.Rates.CachedInput.ShouldBe(0.3m);

        // 250,000 input of which 50,000 cached, 1,000 output: 200,000 × 6 + 50,000 × 0.3 + 1,000 × 22.5, / 1M = 1.2 + 0.015 + 0.0225.
        price.Cost(TokenCounts.FromAnthropic(200_000, 1_000, 50_000, 0)).Total.ShouldBe(1.2375m);
    }

    [Fact]
    public void Load_ClaudeSonnet4Entry_IsPricedWithTheBaseOneHourWriteAbove200k()
    {
        // The entry as LiteLLM ships it (it was skipped before: its 200k tier lists no 1-hour write price).
        var price = Load().ToCatalog().FindPrice("anthropic", "claude-sonnet-4-20250514", Now)!;

        price.LongContext!.AboveInputTokens.ShouldBe(200_000);
        price.LongContext.Rates.CacheWriteLongTtl.ShouldBe(6m);
        price.PerThousandServerToolCalls!["web_search"].ShouldBe(10m);

        // 300,000 input: uncached 100,000 × 6 + read 100,000 × 0.6 + 5m write 50,000 × 7.5 + 1h write 50,000 × 6, output 2,000 × 22.5 (per 1M)
        // = 0.6 + 0.06 + 0.375 + 0.3 + 0.045.
        price.Cost(TokenCounts.FromAnthropic(100_000, 2_000, 100_000, 100_000, 50_000)).Total.ShouldBe(1.38m);
    }

    [Fact]
    public void Load_TwoThresholds_KeepsBothTiers()
    {
        var price = Load().ToCatalog().FindPrice("openai", "two-thresholds", Now)!;

        price.LongContext!.AboveInputTokens.ShouldBe(128_000);
        price.AdditionalTiers.Single().AboveInputTokens.ShouldBe(256_000);

        // 100k → base 1/2; 200k → 2/4; 300k → 3/6 (per 1M, 1,000 output each).
        price.Cost(new TokenCounts(100_000, 1_000)).Total.ShouldBe(0.1m + 0.002m);
        price.Cost(new TokenCounts(200_000, 1_000)).Total.ShouldBe(0.4m + 0.004m);
        price.Cost(new TokenCounts(300_000, 1_000)).Total.ShouldBe(0.9m + 0.006m);
    }

    [Fact]
    public void Load_TieredPricing_RangeFromZeroIsTheBaseAndLaterRangesAreTiers()
    {
        var price = Load().ToCatalog().FindPrice("dashscope", "tiered-test", Now)!;

        price.Input.ShouldBe(1.2m);
        price.Output.ShouldBe(6m);
        price.LongContext!.AboveInputTokens.ShouldBe(256_000);
        price.LongContext.Rates.Input.ShouldBe(3m);

        // The second range lists no output or cache price: the base's apply.
        price.LongContext.Rates.Output.ShouldBe(6m);
        price.LongContext.Rates.CachedInput.ShouldBe(0.24m);
    }

    [Fact]
    public void Load_XaiThreshold_AppliesFromTheThresholdItself()
    {
        var price = Load().ToCatalog().FindPrice("xai", "grok-test", Now)!;

        price.LongContext!.IncludesThreshold.ShouldBeTrue();

        // Exactly 128,000 input tokens already bill at the higher tier for xAI: 128,000 × 0.4 / 1M = 0.0512.
        price.Cost(new TokenCounts(128_000, 0)).Total.ShouldBe(0.0512m);
        price.Cost(new TokenCounts(127_999, 0)).Total.ShouldBe(0.0255998m);

        // Others bill strictly above: claude-test at exactly 200,000 stays at the base $3.
        Load().ToCatalog().FindPrice("anthropic", "claude-test", Now)!.Cost(new TokenCounts(200_000, 0)).Total.ShouldBe(0.6m);
    }

    [Fact]
    public void Load_AudioTokenPrices_AreRead()
    {
        var price = Load().ToCatalog().FindPrice("openai", "audio-test", Now)!;

        price.InputAudio.ShouldBe(40m);
        price.CachedInputAudio.ShouldBe(2.5m);
        price.OutputAudio.ShouldBe(80m);
    }

    [Fact]
    public void Load_SearchContextCostPerQuery_IsAWebSearchPricePerCall()
    {
        var price = Load().ToCatalog().FindPrice("anthropic", "claude-test", Now)!;

        // $0.01 per query = $10 per 1,000 calls; 3 searches cost 0.03.
        price.PerThousandServerToolCalls!["web_search"].ShouldBe(10m);
        var cost = price.Cost(new TokenCounts(0, 0), new BillableExtras(0, 0, 0, new Dictionary<string, long> { ["web_search"] = 3 }), null, null);
        cost.ServerToolCalls.ShouldBe(0.03m);
        cost.Total.ShouldBe(0.03m);
    }

    [Fact]
    public void Load_OpenAIEntry_ConvertsPerTokenToPerMillionWithServiceTiers()
    {
        var price = Load().ToCatalog().FindPrice("openai", "gpt-test", Now)!;

        price.Input.ShouldBe(2.5m);
        price.CachedInput.ShouldBe(1.25m);
        price.Output.ShouldBe(10m);
        price.MaxInputTokens.ShouldBe(128_000);
        price.Batch!.Rates.Input.ShouldBe(1.25m);
        price.Batch.Rates.Output.ShouldBe(5m);
        price.Priority!.Rates.CachedInput.ShouldBe(2.125m);
        price.Priority.Rates.Output.ShouldBe(17m);

        // Only a flex cache-read price is listed, no flex input/output: the flex variant is left out (base prices apply).
        price.Flex.ShouldBeNull();

        // Priority request: 10,000 × 4.25 / 1M + 2,000 × 17 / 1M = 0.0425 + 0.034 = 0.0765.
        price.Cost(TokenCounts.FromOpenAI(10_000, 2_000), "priority").Total.ShouldBe(0.0765m);
    }

    [Fact]
    public void Load_AnthropicEntry_ReadsOneHourWritesAndTheWholeRequestTier()
    {
        var price = Load().ToCatalog().FindPrice("anthropic", "claude-test", Now)!;

        price.CacheWrite.ShouldBe(3.75m);
        price.CacheWriteLongTtl.ShouldBe(6m);
        price.LongContext!.AboveInputTokens.ShouldBe(200_000);
        price.LongContext.Rates.CacheWriteLongTtl.ShouldBe(12m);

        // 250,000 input (uncached 100,000; read 50,000; 5m write 60,000; 1h write 40,000), 1,000 output — all at tier rates:
        // 100,000 × 6 + 50,000 × 0.6 + 60,000 × 7.5 + 40,000 × 12 + 1,000 × 22.5, / 1M
        // = 0.6 + 0.03 + 0.45 + 0.48 + 0.0225 = 1.5825
        var cost = price.Cost(TokenCounts.FromAnthropic(100_000, 1_000, 50_000, 100_000, 40_000));
        cost.Total.ShouldBe(1.5825m);
        cost.CacheWriteLongTtl.ShouldBe(0.48m);
    }

    [Fact]
    public void Load_ProviderPrefixedName_IsStrippedAndProviderNormalized()
    {
        var catalog = Load().ToCatalog();

        var price = catalog.FindPrice("gcp.gemini", "gemini-test-pro", Now)!;
        price.Model.ShouldBe("gemini-test-pro");
        price.Reasoning.ShouldBe(10m);
        price.LongContext!.Rates.Reasoning.ShouldBe(15m);
    }

    [Fact]
    public void Load_FloatNoiseAndCacheHitAlias_AreReadExactly()
    {
        var price = Load().ToCatalog().FindPrice("deepseek", "deepseek-test", Now)!;

        // 4.2000000000000004e-07 per token is $0.42 per 1M, not 0.4200000000000000400.
        price.Output.ShouldBe(0.42m);
        price.Output.ToString(System.Globalization.CultureInfo.InvariantCulture).ShouldBe("0.42");
        price.CachedInput.ShouldBe(0.028m);
    }

    [Fact]
    public void Load_EmbeddingWithoutOutputPrice_HasZeroOutputPrice()
    {
        var price = Load().ToCatalog().FindPrice("openai", "embed-test", Now)!;

        price.Output.ShouldBe(0m);

        // 1,000,000 × 0.02 / 1M = 0.02.
        price.Cost(new TokenCounts(1_000_000, 0)).Total.ShouldBe(0.02m);
    }

    [Fact]
    public void Load_NotAnObject_ThrowsFormatException()
    {
        using var json = new MemoryStream("[1, 2]"u8.ToArray());

        Should.Throw<FormatException>(() => LiteLlmPriceLoader.Load(json));
    }

    private static string Reason(PriceLoadResult result, string name) => result.Skipped.Single(s => s.Name == name).Reason;
}
