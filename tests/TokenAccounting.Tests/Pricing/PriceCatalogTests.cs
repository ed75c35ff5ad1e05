namespace TokenAccounting.Tests.Pricing;

public sealed class PriceCatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FindPrice_DatedSnapshotWithoutExactEntry_FallsBackToBaseModel()
    {
        var price = PriceCatalog.BuiltIn.FindPrice("openai", "gpt-4o-2024-08-06", Now);

        price.ShouldNotBeNull();
        price.Model.ShouldBe("gpt-4o");
        price.Input.ShouldBe(2.50m);
    }

    [Fact]
    public void FindPrice_DatedSnapshotWithExactEntry_UsesExactEntry()
    {
        // gpt-4o-2024-05-13 kept its launch price ($5 / $15), unlike the gpt-4o alias.
        var price = PriceCatalog.BuiltIn.FindPrice("openai", "gpt-4o-2024-05-13", Now)!;

        price.Model.ShouldBe("gpt-4o-2024-05-13");
        price.Input.ShouldBe(5m);
        price.Output.ShouldBe(15m);
    }

    [Theory]
    [InlineData("openai", "GPT-4o")]
    [InlineData(null, "openai/gpt-4o")]
    [InlineData("openai", "openai/gpt-4o-2024-11-20")]
    [InlineData("OpenAI", "gpt-4o")]
    public void FindPrice_NormalizedNames_FindGpt4o(string? provider, string model)
    {
        PriceCatalog.BuiltIn.FindPrice(provider, model, Now)?.Model.ShouldBe("gpt-4o");
        PriceCatalog.BuiltIn.FindPrice(provider, model, Now).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("anthropic", "claude-sonnet-4-20250514", "claude-sonnet-4")]
    [InlineData("gcp.gemini", "models/gemini-2.5-flash", "gemini-2.5-flash")]
    [InlineData("x_ai", "grok-4-0709", "grok-4-0709")]
    [InlineData("mistral_ai", "mistral-large-latest", "mistral-large-latest")]
    public void FindPrice_ProviderAliasesAndSuffixes_ResolveAsDocumented(string provider, string model, string? expectedModel)
    {
        var price = PriceCatalog.BuiltIn.FindPrice(provider, model, Now);

        // Claude on Vertex AI is another provider ("google"), so the Anthropic price must not be taken for it.
        price?.Model.ShouldBe(expectedModel);
        (price is null).ShouldBe(expectedModel is null);
    }

    [Fact]
    public void FindPrice_OtherProviderOnlyAndNoFallbackRule_ReturnsNull()
    {
        // Without a provider rule saying so, another provider's price is never assumed (Azure may bill differently).
        var catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices, PriceCatalog.BuiltIn.AsOf);

        catalog.FindPrice("azure.ai.openai", "gpt-4o", Now).ShouldBeNull();
    }

    [Fact]
    public void FindPrice_AzureModelItDoesNotList_FallsBackToOpenAIAsTheDataSays()
    {
        // Changed deliberately with the genai-prices catalog: its Azure entry names OpenAI and Anthropic as
        // fallback_model_providers, so Azure's gpt-4o is priced at OpenAI's published price (data, not a guess).
        var price = PriceCatalog.BuiltIn.FindPrice("azure.ai.openai", "gpt-4o", Now)!;

        price.Provider.ShouldBe("openai");
        price.Input.ShouldBe(2.50m);

        // A model Azure lists itself keeps Azure's own entry.
        PriceCatalog.BuiltIn.FindPrice("azure", "phi-3-mini-128k-instruct", Now)!.Provider.ShouldBe("azure");
    }

    [Fact]
    public void FindPrice_VertexClaudeId_FindsGooglesOwnPrice()
    {
        // Changed deliberately: the Vertex id (with its @date) now finds Google's own Claude price instead of nothing.
        var price = PriceCatalog.BuiltIn.FindPrice("gcp.vertex_ai", "claude-sonnet-4@20250514", Now)!;

        price.Provider.ShouldBe("google");
        price.Input.ShouldBe(3m);
        price.Output.ShouldBe(15m);
    }

    [Fact]
    public void FindPrice_SameModelWithDifferentProviders_CachesEachResolutionSeparately()
    {
        var catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices);

        catalog.FindPrice("openai", "gpt-4o", Now).ShouldNotBeNull();
        catalog.FindPrice("azure", "gpt-4o", Now).ShouldBeNull();
        catalog.FindPrice(null, "gpt-4o", Now).ShouldNotBeNull();
        catalog.FindPrice("openai", "gpt-4o", Now).ShouldNotBeNull();
        catalog.FindPrice("azure", "gpt-4o", Now).ShouldBeNull();
    }

    [Fact]
    public void FindPrice_ManyDistinctUnknownNames_StaysCorrectPastTheCacheBound()
    {
        var catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices);

        for (var i = 0; i < 5_000; i++)
        {
            catalog.FindPrice("openai", $"bogus-{i}", Now).ShouldBeNull();
        }

        catalog.FindPrice("openai", "gpt-4o-2024-08-06", Now)!.Model.ShouldBe("gpt-4o");
    }

    [Fact]
    public void FindPrice_UnknownModel_ReturnsNull()
    {
        PriceCatalog.BuiltIn.FindPrice("openai", "gpt-imaginary-9", Now).ShouldBeNull();
    }

    [Fact]
    public void FindPrice_PriceChangeBetweenTwoDates_UsesPriceInEffectAtTheTime()
    {
        var change = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var catalog = PriceCatalog.Create(
        [
            new ModelPrice { Provider = "acme", Model = "acme-1", Input = 4m, Output = 8m, EffectiveFrom = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) },
            new ModelPrice { Provider = "acme", Model = "acme-1", Input = 2m, Output = 6m, EffectiveFrom = change },
        ]);
        var tokens = new TokenCounts(1_000, 1_000);

        // Before the first effective date no price is known.
        catalog.FindPrice("acme", "acme-1", new DateTimeOffset(2025, 12, 31, 23, 59, 59, TimeSpan.Zero)).ShouldBeNull();

        // Old price: 1,000 × 4 / 1M + 1,000 × 8 / 1M = 0.012.
        catalog.FindPrice("acme", "acme-1", change.AddTicks(-1))!.Cost(tokens).Total.ShouldBe(0.012m);

        // From the change (inclusive): 1,000 × 2 / 1M + 1,000 × 6 / 1M = 0.008.
        catalog.FindPrice("acme", "acme-1", change)!.Cost(tokens).Total.ShouldBe(0.008m);
        catalog.FindPrice("acme", "acme-1", change.AddYears(1))!.Cost(tokens).Total.ShouldBe(0.008m);
    }

    [Fact]
    public void FindPrice_BuiltInDeepSeekPriceCut_PricesEachDateAtItsPrice()
    {
        var tokens = TokenCounts.FromOpenAI(promptTokens: 1_000_000, completionTokens: 1_000_000, cachedTokens: 500_000);

        // 2025-06-01: miss $0.27, hit $0.07, output $1.10 → 500,000 × 0.27 / 1M + 500,000 × 0.07 / 1M + 1,000,000 × 1.10 / 1M = 0.135 + 0.035 + 1.1.
        PriceCatalog.BuiltIn.FindPrice("deepseek", "deepseek-chat", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero))!.Cost(tokens).Total.ShouldBe(1.27m);

        // 2025-10-01 (V3.2 prices): miss $0.28, hit $0.028, output $0.42 → 0.14 + 0.014 + 0.42.
        PriceCatalog.BuiltIn.FindPrice("deepseek", "deepseek-chat", new DateTimeOffset(2025, 10, 1, 0, 0, 0, TimeSpan.Zero))!.Cost(tokens).Total.ShouldBe(0.574m);
    }

    [Fact]
    public void FindPrice_ProviderlessEntry_MatchesAnyProvider()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Model = "local-llm", Input = 0m, Output = 0m }]);

        catalog.FindPrice("ollama", "local-llm", Now).ShouldNotBeNull();
        catalog.FindPrice(null, "LOCAL-LLM", Now).ShouldNotBeNull();
    }

    [Fact]
    public void Create_DuplicateModelProviderAndDate_ThrowsNamingTheModel()
    {
        var ex = Should.Throw<ArgumentException>(() => PriceCatalog.Create(
        [
            new ModelPrice { Provider = "openai", Model = "gpt-x", Input = 1m, Output = 1m },
            new ModelPrice { Provider = "OpenAI", Model = "GPT-X", Input = 2m, Output = 2m },
        ]));

        ex.Message.ShouldContain("gpt-x", Case.Insensitive);
    }

    [Fact]
    public void WithOverrides_SameModelAndProvider_ReplacesEveryVersion()
    {
        var catalog = PriceCatalog.BuiltIn.WithOverrides(new ModelPrice { Provider = "deepseek", Model = "deepseek-chat", Input = 1m, Output = 1m });

        // The built-in catalog's three dated prices are all replaced, so old dates get the override too.
        catalog.FindPrice("deepseek", "deepseek-chat", new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero))!.Input.ShouldBe(1m);
        catalog.FindPrice("deepseek", "deepseek-chat", Now)!.Input.ShouldBe(1m);
        catalog.FindPrice("deepseek", "deepseek-reasoner", Now)!.Input.ShouldBe(0.28m);
        PriceCatalog.BuiltIn.FindPrice("deepseek", "deepseek-chat", Now)!.Input.ShouldBe(0.28m);
    }

    [Fact]
    public void WithOverrides_ProviderlessOverride_ReplacesEveryProvidersPrice()
    {
        var catalog = PriceCatalog.BuiltIn.WithOverrides(new ModelPrice { Model = "gpt-4o", Input = 1.5m, Output = 6m });

        catalog.FindPrice("openai", "gpt-4o", Now)!.Input.ShouldBe(1.5m);
        catalog.FindPrice("openai", "gpt-4o-2024-08-06", Now)!.Input.ShouldBe(1.5m);
    }

    [Fact]
    public void BuiltIn_Catalog_HasAtLeast1000ModelsFrom25ProvidersAsOfTheDataDate()
    {
        var catalog = PriceCatalog.BuiltIn;

        // The genai-prices data's date (commit 47df840, 2026-08-21); the curated overlay is older.
        catalog.AsOf.ShouldBe(new DateTimeOffset(2026, 8, 21, 0, 0, 0, TimeSpan.Zero));
        catalog.Prices.Select(p => (p.Provider, p.Model.ToUpperInvariant())).Distinct().Count().ShouldBeGreaterThanOrEqualTo(1_000);
        catalog.Prices.Select(p => p.Provider).Distinct().Count().ShouldBeGreaterThanOrEqualTo(25);
        catalog.Prices.Select(p => p.Provider).ShouldContain("aws.bedrock");
        catalog.Prices.Select(p => p.Provider).ShouldContain("openrouter");
        catalog.Providers.Count.ShouldBeGreaterThanOrEqualTo(25);

        // History: several models have more than one dated version.
        catalog.Prices.GroupBy(p => (p.Provider, p.Model)).Count(g => g.Count() > 1).ShouldBeGreaterThanOrEqualTo(5);

        // Embeddings are there too.
        catalog.FindPrice("openai", "text-embedding-3-small", Now)!.Input.ShouldBe(0.02m);
        catalog.FindPrice("google", "gemini-embedding-001", Now)!.Input.ShouldBe(0.15m);
        catalog.FindPrice("mistral", "mistral-embed", Now)!.Input.ShouldBe(0.1m);
    }

    [Fact]
    public void BuiltIn_AnthropicPrices_FollowTheCacheMultipliers()
    {
        // Anthropic's published rule: cache read 0.1×, 5-minute write 1.25×, 1-hour write 2× the input price — for
        // the curated models (those with 1-hour write prices), except Claude Haiku 3, which Anthropic lists at
        // $0.30 writes and $0.03 reads (its curated 0.1×/1.25× values were wrong; genai-prices had it right).
        foreach (var price in PriceCatalog.BuiltIn.Prices.Where(p => p.Provider == "anthropic" && p.CacheWriteLongTtl is not null && p.Model != "claude-3-haiku"))
        {
            price.CachedInput.ShouldBe(price.Input * 0.1m, price.Model);
            price.CacheWrite.ShouldBe(price.Input * 1.25m, price.Model);
            price.CacheWriteLongTtl.ShouldBe(price.Input * 2m, price.Model);
        }
    }

    [Fact]
    public void FromJson_MissingInput_ThrowsNamingTheEntry()
    {
        using var json = new MemoryStream("""{ "models": [ { "model": "m", "output": 1 } ] }"""u8.ToArray());

        var ex = Should.Throw<FormatException>(() => PriceCatalog.FromJson(json));

        ex.Message.ShouldContain("models[0] ('m')");
        ex.Message.ShouldContain("\"input\"");
    }
}
