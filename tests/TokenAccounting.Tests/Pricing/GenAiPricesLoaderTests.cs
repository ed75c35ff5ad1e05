namespace TokenAccounting.Tests.Pricing;

public sealed class GenAiPricesLoaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static PriceLoadResult Load()
    {
        using var stream = PricingFixtures.Open("genai-prices-small.json");
        return GenAiPricesLoader.Load(stream);
    }

    private static PriceCatalog Catalog() => Load().ToCatalog();

    [Fact]
    public void Load_Fixture_LoadsRepresentableModelsAndSkipsTheRestWithReasons()
    {
        var result = Load();

        result.Prices.Select(p => p.Model).Distinct().ShouldBe(
            ["o3", "gpt-test-realtime", "gpt-test-tiers", "gpt-test-free", "deepseek-chat", "sonar", "phi-test", "amazon.nova-test-v1:0", "meta.llama-test"],
            ignoreOrder: true);
        result.Skipped.Select(s => s.Name).ShouldBe(["openai/gpt-test-image", "openai/gpt-test-badmatch", "openai/o3"], ignoreOrder: true);
        Reason(result, "openai/gpt-test-image").ShouldContain("input_image_mtok");
        Reason(result, "openai/gpt-test-badmatch").ShouldContain("sounds_like");
        Reason(result, "openai/o3").ShouldContain("duplicate");
    }

    [Fact]
    public void Load_Providers_CarryModelMatchProviderMatchAndFallbacks()
    {
        var providers = Load().Providers.ToDictionary(p => p.Name);

        providers.Keys.ShouldBe(["openai", "deepseek", "perplexity", "azure", "aws.bedrock"], ignoreOrder: true);
        providers["openai"].ModelMatch!.IsMatch("o4-mini").ShouldBeTrue();
        providers["openai"].ModelMatch!.IsMatch("claude-3").ShouldBeFalse();
        providers["aws.bedrock"].ProviderMatch!.IsMatch("amazon-bedrock-runtime").ShouldBeTrue();
        providers["azure"].Fallbacks.ShouldBe(["openai"]);
    }

    [Fact]
    public void Load_StartDateConstraint_BecomesDatedVersions()
    {
        var versions = Load().Prices.Where(p => p.Model == "o3").OrderBy(p => p.EffectiveFrom ?? DateTimeOffset.MinValue).ToArray();

        // The first price applies to every date before the constraint (genai-prices uses it when none is active).
        versions.Length.ShouldBe(2);
        versions[0].EffectiveFrom.ShouldBeNull();
        versions[0].Input.ShouldBe(10m);
        versions[0].Output.ShouldBe(40m);
        versions[1].EffectiveFrom.ShouldBe(new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero));
        versions[1].Input.ShouldBe(2m);
        versions[1].Output.ShouldBe(8m);
        versions[1].MaxInputTokens.ShouldBe(200_000);

        var catalog = Catalog();
        catalog.FindPrice("openai", "o3-2025-04-16", new DateTimeOffset(2025, 6, 9, 23, 59, 59, TimeSpan.Zero))!.Input.ShouldBe(10m);
        catalog.FindPrice("openai", "o3-2025-04-16", new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero))!.Input.ShouldBe(2m);
    }

    [Fact]
    public void Load_TimeOfDayConstraint_BecomesAWindowOverTheUnconstrainedPrice()
    {
        var price = Catalog().FindPrice("deepseek", "deepseek-chat", Now)!;
        var tokens = TokenCounts.FromOpenAI(promptTokens: 1_000_000, completionTokens: 1_000_000);

        price.TimeOfDay.Count.ShouldBe(1);
        price.TimeOfDay[0].Start.ShouldBe(new TimeOnly(0, 30));
        price.TimeOfDay[0].End.ShouldBe(new TimeOnly(16, 30));

        // 12:00 UTC is inside 00:30–16:30: 1M × 0.27 + 1M × 1.10 = 1.37; 20:00 UTC is outside: 0.135 + 0.55 = 0.685.
        price.Cost(tokens, null, new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero)).Total.ShouldBe(1.37m);
        price.Cost(tokens, null, new DateTimeOffset(2025, 3, 1, 20, 0, 0, TimeSpan.Zero)).Total.ShouldBe(0.685m);
        price.Cost(tokens, null, new DateTimeOffset(2025, 3, 1, 16, 30, 0, TimeSpan.Zero)).Total.ShouldBe(0.685m);
    }

    [Fact]
    public void Load_PerFieldTiers_BecomeWholeRequestTiersAtEveryDistinctStart()
    {
        var price = Catalog().FindPrice("openai", "gpt-test-tiers", Now)!;

        price.LongContext!.AboveInputTokens.ShouldBe(128_000);
        price.AdditionalTiers.Select(t => t.AboveInputTokens).ShouldBe([256_000L]);

        // Output has no 128k tier: between the thresholds it keeps its base price, input takes its first tier.
        price.LongContext.Rates.Input.ShouldBe(2m);
        price.LongContext.Rates.Output.ShouldBe(4m);
        price.AdditionalTiers[0].Rates.Input.ShouldBe(3m);
        price.AdditionalTiers[0].Rates.Output.ShouldBe(6m);
        price.AdditionalTiers[0].Rates.CachedInput.ShouldBe(0.1m);

        // Strictly above each start: 128,000 input → base; 128,001 → first tier; 256,001 → second tier.
        price.Cost(new TokenCounts(128_000, 1_000)).Total.ShouldBe(0.128m + 0.004m);
        price.Cost(new TokenCounts(128_001, 1_000)).Total.ShouldBe(0.256002m + 0.004m);
        price.Cost(new TokenCounts(256_001, 1_000)).Total.ShouldBe(0.768003m + 0.006m);
    }

    [Fact]
    public void Load_AudioPrices_PriceAudioPartsAtTheirOwnRates()
    {
        var price = Catalog().FindPrice(null, "gpt-test-realtime-2025-08-28", Now)!;

        price.InputAudio.ShouldBe(32m);
        price.CachedInputAudio.ShouldBe(0.4m);
        price.OutputAudio.ShouldBe(64m);

        // Input 10,000 of which cached 4,000; audio input 3,000 of which cached 1,000; output 2,000 of which audio 500:
        // text uncached (10,000 − 4,000 − 2,000) × 4 = 0.016; text cached 3,000 × 0.4 = 0.0012; audio uncached 2,000 × 32 = 0.064;
        // audio cached 1,000 × 0.4 = 0.0004; text output 1,500 × 16 = 0.024; audio output 500 × 64 = 0.032 (per 1M).
        var cost = price.Cost(TokenCounts.FromOpenAI(10_000, 2_000, 4_000), new BillableExtras(3_000, 1_000, 500, null), null, null);
        cost.Input.ShouldBe(0.016m);
        cost.CachedInput.ShouldBe(0.0012m);
        cost.InputAudio.ShouldBe(0.064m);
        cost.CachedInputAudio.ShouldBe(0.0004m);
        cost.Output.ShouldBe(0.024m);
        cost.OutputAudio.ShouldBe(0.032m);
        cost.Total.ShouldBe(0.1376m);
    }

    [Fact]
    public void Load_RequestsKCount_ChargesAFeePerRecord()
    {
        var price = Catalog().FindPrice("perplexity", "sonar", Now)!;

        price.PerThousandRequests.ShouldBe(12m);

        // 1,000 × 1 / 1M + 1,000 × 1 / 1M + 12 / 1,000 = 0.002 + 0.012.
        var cost = price.Cost(new TokenCounts(1_000, 1_000));
        cost.Requests.ShouldBe(0.012m);
        cost.Total.ShouldBe(0.014m);
    }

    [Fact]
    public void Load_EmptyPrices_IsAFreeModel()
    {
        var price = Catalog().FindPrice("openai", "gpt-test-free", Now)!;

        price.Cost(new TokenCounts(1_000_000, 1_000_000)).Total.ShouldBe(0m);
    }

    [Fact]
    public void ToCatalog_MatchRulesAndProviderRules_FindModelsByOtherNames()
    {
        var catalog = Catalog();

        // starts_with, the or-list's equals, and the provider's model_match for a record without a provider.
        catalog.FindPrice("deepseek", "deepseek-chat-v3-0324", Now)!.Model.ShouldBe("deepseek-chat");
        catalog.FindPrice(null, "deepseek-v3", Now)!.Model.ShouldBe("deepseek-chat");

        // and: starts_with "phi-" and contains "instruct".
        catalog.FindPrice("azure", "phi-4-mini-instruct", Now)!.Model.ShouldBe("phi-test");
        catalog.FindPrice("azure", "phi-4-mini", Now).ShouldBeNull();

        // Azure falls back to OpenAI for what it does not list.
        catalog.FindPrice("azure", "o3", Now)!.Provider.ShouldBe("openai");

        // provider_match: "amazon-bedrock" is not a name the library knows, the data says it is AWS Bedrock.
        catalog.FindPrice("my-amazon-bedrock-gateway", "us.amazon.nova-test-v1:0", Now)!.Model.ShouldBe("amazon.nova-test-v1:0");
        catalog.FindPrice("aws.bedrock", "us.meta.llama-test-instruct-v1:0", Now)!.Model.ShouldBe("meta.llama-test");
    }

    [Fact]
    public void Load_NotAnArray_ThrowsFormatException()
    {
        using var json = new MemoryStream("""{ "providers": [] }"""u8.ToArray());

        Should.Throw<FormatException>(() => GenAiPricesLoader.Load(json)).Message.ShouldContain("array of providers");
    }

    [Fact]
    public void Load_InvalidJson_ThrowsFormatException()
    {
        using var json = new MemoryStream("[ { "u8.ToArray());

        Should.Throw<FormatException>(() => GenAiPricesLoader.Load(json));
    }

    private static string Reason(PriceLoadResult result, string name) => result.Skipped.Single(s => s.Name == name).Reason;
}
