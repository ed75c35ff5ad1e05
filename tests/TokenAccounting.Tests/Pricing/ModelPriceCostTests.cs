namespace TokenAccounting.Tests.Pricing;

public sealed class ModelPriceCostTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Cost_OpenAIWithCachedAndReasoningTokens_BillsEachTokenOnce()
    {
        // o4-mini list price: input $1.10, cached input $0.275, output $4.40 per 1M tokens.
        var price = new ModelPrice { Provider = "openai", Model = "o4-mini", Input = 1.10m, CachedInput = 0.275m, Output = 4.40m };

        // prompt_tokens 10,000 of which cached 6,000; completion_tokens 3,000 of which reasoning 2,000.
        var cost = price.Cost(TokenCounts.FromOpenAI(promptTokens: 10_000, completionTokens: 3_000, cachedTokens: 6_000, reasoningTokens: 2_000));

        // uncached input: (10,000 − 6,000) × 1.10 / 1M = 0.0044
        // cached input:    6,000 × 0.275 / 1M           = 0.00165
        // output:         (3,000 − 2,000) × 4.40 / 1M   = 0.0044
        // reasoning:       2,000 × 4.40 / 1M            = 0.0088 (Reasoning defaults to Output)
        // total                                          = 0.01925 (not 0.0286: reasoning is not billed on top of output,
        //                                                   and cached tokens are not billed again at the input price)
        cost.Input.ShouldBe(0.0044m);
        cost.CachedInput.ShouldBe(0.00165m);
        cost.CacheWrite.ShouldBe(0m);
        cost.Output.ShouldBe(0.0044m);
        cost.Reasoning.ShouldBe(0.0088m);
        cost.Total.ShouldBe(0.01925m);
    }

    [Fact]
    public void Cost_AnthropicWithFiveMinuteAndOneHourCacheWrites_PricesEachTtl()
    {
        var price = PriceCatalog.BuiltIn.FindPrice("anthropic", "claude-sonnet-4-5", Now)!;

        // Anthropic usage: input_tokens 1,000 (uncached), output 500, cache_read 2,000, cache_creation 3,000 of which 1h 1,000.
        var cost = price.Cost(TokenCounts.FromAnthropic(inputTokens: 1_000, outputTokens: 500, cacheReadInputTokens: 2_000, cacheCreationInputTokens: 3_000, cacheCreation1hInputTokens: 1_000));

        // Claude Sonnet 4.5: input $3, cache read $0.30, 5m write $3.75, 1h write $6, output $15 per 1M.
        // input:      1,000 × 3 / 1M    = 0.003
        // cache read: 2,000 × 0.30 / 1M = 0.0006
        // 5m write:   2,000 × 3.75 / 1M = 0.0075
        // 1h write:   1,000 × 6 / 1M    = 0.006  → cache write 0.0135, of which long TTL 0.006
        // output:       500 × 15 / 1M   = 0.0075
        // total                          = 0.0246
        cost.Input.ShouldBe(0.003m);
        cost.CachedInput.ShouldBe(0.0006m);
        cost.CacheWrite.ShouldBe(0.0135m);
        cost.CacheWriteLongTtl.ShouldBe(0.006m);
        cost.Output.ShouldBe(0.0075m);
        cost.Total.ShouldBe(0.0246m);
    }

    [Fact]
    public void Cost_GeminiAbove200kInputTokens_PricesWholeRequestAtTierRates()
    {
        var price = PriceCatalog.BuiltIn.FindPrice("gcp.gemini", "gemini-2.5-pro", Now)!;

        // promptTokenCount 250,000 (cached 50,000), candidates 1,000, thoughts 2,000 → input 250,000 > 200,000.
        var cost = price.Cost(TokenCounts.FromGemini(promptTokenCount: 250_000, candidatesTokenCount: 1_000, cachedContentTokenCount: 50_000, thoughtsTokenCount: 2_000));

        // Long-context rates apply to EVERY token of the request: input $2.50, cached $0.25, output $15 per 1M.
        // input:     200,000 × 2.50 / 1M = 0.5
        // cached:     50,000 × 0.25 / 1M = 0.0125
        // output:      1,000 × 15 / 1M   = 0.015
        // reasoning:   2,000 × 15 / 1M   = 0.03
        // total                           = 0.5575 (base rates would have given 0.25 + 0.00625 + 0.03 = 0.28625)
        cost.Input.ShouldBe(0.5m);
        cost.CachedInput.ShouldBe(0.0125m);
        cost.Output.ShouldBe(0.015m);
        cost.Reasoning.ShouldBe(0.03m);
        cost.Total.ShouldBe(0.5575m);
    }

    [Fact]
    public void Cost_GeminiAtExactly200kInputTokens_UsesBaseRates()
    {
        var price = PriceCatalog.BuiltIn.FindPrice("google", "gemini-2.5-pro", Now)!;

        // The tier applies strictly above 200,000: 200,000 × 1.25 / 1M = 0.25; 1,000 × 10 / 1M = 0.01; total 0.26.
        price.Cost(TokenCounts.FromGemini(200_000, 1_000)).Total.ShouldBe(0.26m);
    }

    [Fact]
    public void Cost_BatchServiceTier_UsesBatchPrices()
    {
        var price = PriceCatalog.BuiltIn.FindPrice("openai", "gpt-4o", Now)!;
        var tokens = TokenCounts.FromOpenAI(promptTokens: 1_000_000, completionTokens: 100_000);

        // gpt-4o batch: input $1.25, output $5 per 1M → 1,000,000 × 1.25 / 1M + 100,000 × 5 / 1M = 1.25 + 0.5 = 1.75.
        price.Cost(tokens, "batch").Total.ShouldBe(1.75m);
        price.Cost(tokens, "BATCH").Total.ShouldBe(1.75m);

        // Standard: 1,000,000 × 2.50 / 1M + 100,000 × 10 / 1M = 2.5 + 1.0 = 3.5.
        price.Cost(tokens).Total.ShouldBe(3.5m);

        // A tier the model has no variant for ("flex" on gpt-4o, or "default") falls back to the base prices.
        price.Cost(tokens, "flex").Total.ShouldBe(3.5m);
        price.Cost(tokens, "default").Total.ShouldBe(3.5m);
    }

    [Fact]
    public void Cost_BatchVariantWithoutOwnTierAboveBaseThreshold_UsesBaseLongContextRates()
    {
        var price = new ModelPrice
        {
            Model = "m",
            Input = 1m,
            Output = 2m,
            LongContext = new PriceTier { AboveInputTokens = 100, Rates = new TokenRates { Input = 10m, Output = 20m } },
            Batch = new ServiceTierPrice { Rates = new TokenRates { Input = 0.5m, Output = 1m } },
        };

        // Below the threshold the batch rates apply: 100 × 0.5 / 1M + 10 × 1 / 1M = 0.00005 + 0.00001 = 0.00006.
        price.Cost(new TokenCounts(100, 10), "batch").Total.ShouldBe(0.00006m);

        // Above it the variant has no tier of its own, so the base schedule's tier applies: 101 × 10 / 1M + 10 × 20 / 1M = 0.00101 + 0.0002.
        price.Cost(new TokenCounts(101, 10), "batch").Total.ShouldBe(0.00121m);
    }

    [Fact]
    public void Cost_UnsetParts_DefaultToDocumentedPrices()
    {
        var price = new ModelPrice { Model = "m", Input = 2m, Output = 8m };

        // Cached and cache-write input at the input price, the 1h write at the cache-write price, reasoning at the output price:
        // 10 × 2 + 20 × 2 + 30 × 2 (of which 5 long-TTL) + (40 − 15) × 8 + 15 × 8, all / 1M.
        var cost = price.Cost(new TokenCounts(input: 60, output: 40, cachedInput: 20, cacheWriteInput: 30, cacheWriteLongTtlInput: 5, reasoning: 15));

        cost.Input.ShouldBe(0.00002m);
        cost.CachedInput.ShouldBe(0.00004m);
        cost.CacheWrite.ShouldBe(0.00006m);
        cost.CacheWriteLongTtl.ShouldBe(0.00001m);
        cost.Output.ShouldBe(0.0002m);
        cost.Reasoning.ShouldBe(0.00012m);
    }

    [Fact]
    public void Cost_TinyPrices_AreExactInDecimal()
    {
        var price = new ModelPrice { Model = "nano", Input = 0.05m, CachedInput = 0.005m, Output = 0.4m };

        // One cached token at $0.005 per 1M is exactly $0.000000005 — no float rounding.
        price.Cost(new TokenCounts(input: 1, output: 0, cachedInput: 1)).Total.ShouldBe(0.000000005m);

        // A million records of one cached token sum to exactly half a cent.
        var sum = 0m;
        var one = price.Cost(new TokenCounts(input: 1, output: 0, cachedInput: 1));
        for (var i = 0; i < 1_000_000; i++)
        {
            sum += one.Total;
        }

        sum.ShouldBe(0.005m);
    }

    [Fact]
    public void Cost_ZeroTokens_IsZeroAndNeverNegative()
    {
        var cost = PriceCatalog.BuiltIn.FindPrice("openai", "gpt-5", Now)!.Cost(TokenCounts.Zero, "priority");

        cost.ShouldBe(UsageCost.Zero);
        cost.Total.ShouldBe(0m);
    }

    [Theory]
    [InlineData(nameof(ModelPrice.Input))]
    [InlineData(nameof(ModelPrice.Output))]
    [InlineData(nameof(ModelPrice.CachedInput))]
    [InlineData(nameof(ModelPrice.Reasoning))]
    public void ModelPrice_NegativePrice_ThrowsNamingTheField(string field)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => field switch
        {
            nameof(ModelPrice.Input) => new ModelPrice { Model = "m", Input = -1m, Output = 1m },
            nameof(ModelPrice.Output) => new ModelPrice { Model = "m", Input = 1m, Output = -1m },
            nameof(ModelPrice.CachedInput) => new ModelPrice { Model = "m", Input = 1m, Output = 1m, CachedInput = -0.1m },
            _ => new ModelPrice { Model = "m", Input = 1m, Output = 1m, Reasoning = -2m },
        });

        ex.ParamName.ShouldBe(field);
        ex.Message.ShouldContain("per million tokens");
    }

    [Fact]
    public void UsageCost_LongTtlAboveCacheWrite_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new UsageCost(0, 0, 1m, 0, 0, 2m)).ParamName.ShouldBe("cacheWriteLongTtl");
    }

    [Fact]
    public void UsageCost_Add_SumsEveryPartIncludingLongTtl()
    {
        var sum = new UsageCost(1m, 2m, 3m, 4m, 5m, 1m) + new UsageCost(0.1m, 0.2m, 0.3m, 0.4m, 0.5m, 0.3m);

        sum.ShouldBe(new UsageCost(1.1m, 2.2m, 3.3m, 4.4m, 5.5m, 1.3m));
        sum.Total.ShouldBe(16.5m);
    }
}
