namespace TokenAccounting.Tests.Pricing;

/// <summary>
/// The built-in catalog: genai-prices data with the curated prices merged over it. One test per conflict the merge
/// resolves, and the lookups issue 15 asks for (match rules, Bedrock and Vertex ids, history, windows).
/// </summary>
public sealed class BuiltInCatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly PriceCatalog Catalog = PriceCatalog.BuiltIn;

    [Fact]
    public void O3_KeepsGenAiPricesHistoryAndTheCuratedServiceTiers()
    {
        // Conflict: curated o3 is undated ($2/$8 with batch/flex/priority); genai-prices has $10/$40 before 2025-06-10.
        var before = Catalog.FindPrice("openai", "o3", new DateTimeOffset(2025, 6, 9, 12, 0, 0, TimeSpan.Zero))!;
        var after = Catalog.FindPrice("openai", "o3-2025-04-16", new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero))!;

        before.Input.ShouldBe(10m);
        before.Output.ShouldBe(40m);
        after.Input.ShouldBe(2m);
        after.Output.ShouldBe(8m);
        after.EffectiveFrom.ShouldBe(new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero));
        after.Batch!.Rates.Input.ShouldBe(1m);
        after.Flex!.Rates.CachedInput.ShouldBe(0.25m);

        // 1M in, 1M out: $50 before, $10 after, $5 in batch after.
        var tokens = new TokenCounts(1_000_000, 1_000_000);
        before.Cost(tokens).Total.ShouldBe(50m);
        after.Cost(tokens).Total.ShouldBe(10m);
        after.Cost(tokens, "batch").Total.ShouldBe(5m);
    }

    [Fact]
    public void ClaudeSonnet4_KeepsTheCuratedTierAbove200kAndOneHourWrites()
    {
        // Conflict: genai-prices prices claude-sonnet-4 flat at $3/$15; the curated entry has the >200k tier and 1h writes.
        var price = Catalog.FindPrice("anthropic", "claude-sonnet-4-20250514", Now)!;

        price.Model.ShouldBe("claude-sonnet-4");
        price.LongContext!.AboveInputTokens.ShouldBe(200_000);
        price.CacheWriteLongTtl.ShouldBe(6m);

        // 250,000 input, 1,000 output, all at the tier: 250,000 × 6 + 1,000 × 22.5, / 1M.
        price.Cost(TokenCounts.FromAnthropic(250_000, 1_000, 0, 0)).Total.ShouldBe(1.5225m);
    }

    [Fact]
    public void Gpt4o20240513_KeepsItsCuratedLaunchPriceOverTheGpt4oMatchRule()
    {
        // Conflict: genai-prices' gpt-4o rule lists gpt-4o-2024-05-13 at $2.50/$10; it launched and stays at $5/$15.
        var price = Catalog.FindPrice("openai", "gpt-4o-2024-05-13", Now)!;

        price.Input.ShouldBe(5m);
        price.Output.ShouldBe(15m);
    }

    [Fact]
    public void DeepSeekChat_CuratedHistoryWinsAndKeepsTheFormerOffPeakWindow()
    {
        // Conflict: genai-prices has one price with an off-peak window; the curated entry has the 2025 price history.
        var tokens = TokenCounts.FromOpenAI(promptTokens: 1_000_000, completionTokens: 1_000_000);
        var early = Catalog.FindPrice("deepseek", "deepseek-chat", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero))!;

        // Standard hours (10:00 UTC): 0.27 + 1.10; off-peak (18:00 UTC, inside 16:30–00:30): 0.135 + 0.55.
        early.Cost(tokens, null, new DateTimeOffset(2025, 6, 1, 10, 0, 0, TimeSpan.Zero)).Total.ShouldBe(1.37m);
        early.Cost(tokens, null, new DateTimeOffset(2025, 6, 1, 18, 0, 0, TimeSpan.Zero)).Total.ShouldBe(0.685m);
        early.Cost(tokens, null, new DateTimeOffset(2025, 6, 1, 0, 15, 0, TimeSpan.Zero)).Total.ShouldBe(0.685m);

        // The discount ended with the 2025-09-05 price: no window after it.
        var late = Catalog.FindPrice("deepseek", "deepseek-chat", Now)!;
        late.TimeOfDay.ShouldBeEmpty();
        late.Cost(tokens, null, new DateTimeOffset(2026, 1, 15, 18, 0, 0, TimeSpan.Zero)).Total.ShouldBe(0.70m);
    }

    [Fact]
    public void DeepSeekChat_PricedByThePipeline_AppliesTheWindowAtCompletionTime()
    {
        var record = new UsageRecord
        {
            Provider = "deepseek",
            Model = "deepseek-chat",
            CompletedAt = new DateTimeOffset(2025, 6, 1, 18, 0, 0, TimeSpan.Zero),
            Tokens = TokenCounts.FromOpenAI(1_000_000, 1_000_000),
        };

        UsagePricing.Price(Catalog, record, diagnostics: null)!.Total.ShouldBe(0.685m);
        UsagePricing.Price(Catalog, record with { CompletedAt = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero) }, diagnostics: null)!.Total.ShouldBe(1.37m);
    }

    [Fact]
    public void ClaudeHaiku3_TakesGenAiPricesCachePrices()
    {
        // Conflict resolved the other way: the curated $0.025 read / $0.3125 write were a 0.1×/1.25× rule Anthropic
        // does not apply to Haiku 3; its published (and genai-prices') prices are $0.03 and $0.30.
        var price = Catalog.FindPrice("anthropic", "claude-3-haiku-20240307", Now)!;

        price.CachedInput.ShouldBe(0.03m);
        price.CacheWrite.ShouldBe(0.3m);
        price.CacheWriteLongTtl.ShouldBe(0.5m);
    }

    [Fact]
    public void Ministral8b_KeepsTheCuratedOutputPrice()
    {
        // Conflict: genai-prices' ministral-8b rule says $1 output; Mistral lists Ministral 8B 24.10 at $0.10 / $0.10.
        var price = Catalog.FindPrice("mistral", "ministral-8b-2410", Now)!;

        price.Output.ShouldBe(0.1m);
    }

    [Fact]
    public void Grok4_CuratedTierAppliesFromExactly128kTokens()
    {
        // Conflict: genai-prices prices grok-4 flat; the curated entry has xAI's >128k tier, which xAI bills from the
        // threshold itself (data: IncludesThreshold), unlike Anthropic and Google (strictly above).
        var price = Catalog.FindPrice("xai", "grok-4-0709", Now)!;

        price.LongContext!.IncludesThreshold.ShouldBeTrue();
        price.Cost(new TokenCounts(128_000, 0)).Total.ShouldBe(0.768m);
        price.Cost(new TokenCounts(127_999, 0)).Total.ShouldBe(0.383997m);

        var sonnet = Catalog.FindPrice("anthropic", "claude-sonnet-4-5", Now)!;
        sonnet.LongContext!.IncludesThreshold.ShouldBeFalse();
        sonnet.Cost(new TokenCounts(200_000, 0)).Total.ShouldBe(0.6m);
    }

    [Fact]
    public void Gemini25Flash_CuratedPriceTakesGenAiPricesAudioRates()
    {
        // Merge fills what the curated entry does not list: the audio input rates come from genai-prices.
        var price = Catalog.FindPrice("google", "gemini-2.5-flash", Now)!;

        price.Batch.ShouldNotBeNull();
        price.InputAudio.ShouldBe(1m);
        price.CachedInputAudio.ShouldBe(0.1m);

        // 1M input of which 400,000 audio: 600,000 × 0.30 + 400,000 × 1.00, / 1M.
        price.Cost(new TokenCounts(1_000_000, 0), new BillableExtras(400_000, 0, 0, null), null, null).Total.ShouldBe(0.58m);
    }

    [Fact]
    public void AnthropicModels_ChargeWebSearchAtTenDollarsPerThousand()
    {
        // Not in genai-prices: the curated provider default prices Anthropic's web_search tool per call.
        var price = Catalog.FindPrice("anthropic", "claude-opus-4-6", Now)!;
        var searches = new BillableExtras(0, 0, 0, new Dictionary<string, long> { ["web_search"] = 3 });

        var cost = price.Cost(new TokenCounts(0, 0), searches, null, null);

        cost.ServerToolCalls.ShouldBe(0.03m);
        cost.Total.ShouldBe(0.03m);
    }

    [Theory]
    [InlineData("claude-opus-4-6", "claude-opus-4-6")]
    [InlineData("claude-opus-4-6-20260205", "claude-opus-4-6")]
    [InlineData("claude-sonnet-4.5", "claude-sonnet-4-5")]
    [InlineData("gpt-5.4-2026-03-05", "gpt-5.4")]
    [InlineData("deepseek-r1-0528", "deepseek-reasoner")]
    public void FindPrice_NameFoundOnlyByAMatchRule_FindsTheModel(string model, string expected)
    {
        Catalog.FindPrice(null, model, Now)!.Model.ShouldBe(expected);
    }

    [Theory]
    [InlineData("aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", 3, 15)]
    [InlineData("aws.bedrock", "eu.amazon.nova-pro-v1:0", 0.8, 3.2)]
    [InlineData("bedrock", "anthropic.claude-3-haiku-20240307-v1:0", 0.25, 1.25)]
    [InlineData("anthropic", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", 3, 15)]
    [InlineData("anthropic", "apac.anthropic.claude-3-5-haiku-20241022-v1:0", 0.8, 4)]
    [InlineData("gcp.vertex_ai", "gemini-2.5-pro@001", 1.25, 10)]
    [InlineData("gcp.vertex_ai", "claude-opus-4-1@20250805", 15, 75)]
    public void FindPrice_BedrockAndVertexIds_FindTheirPrice(string provider, string model, double input, double output)
    {
        var price = Catalog.FindPrice(provider, model, Now);

        price.ShouldNotBeNull();
        price.Input.ShouldBe((decimal)input);
        price.Output.ShouldBe((decimal)output);
    }

    [Fact]
    public void FindPrice_AnthropicNameWithBedrockDecorations_FindsTheCuratedAnthropicEntry()
    {
        var price = Catalog.FindPrice("anthropic", "us.anthropic.claude-sonnet-4-20250514-v1:0", Now)!;

        price.Model.ShouldBe("claude-sonnet-4");
        price.LongContext.ShouldNotBeNull();
    }
}
