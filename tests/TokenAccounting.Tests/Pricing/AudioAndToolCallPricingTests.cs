namespace TokenAccounting.Tests.Pricing;

/// <summary>Issue 15 §4: audio parts at their own rates, server tool calls per call, per-request fees, through the pipeline's pricer.</summary>
public sealed class AudioAndToolCallPricingTests
{
    private static readonly ModelPrice AudioPrice = new()
    {
        Provider = "openai",
        Model = "gpt-4o-audio-preview",
        Input = 2.50m,
        CachedInput = 1.25m,
        Output = 10m,
        InputAudio = 40m,
        CachedInputAudio = 2.50m,
        OutputAudio = 80m,
    };

    [Fact]
    public void Price_RecordWithAudioParts_PricesAudioAtItsOwnRatesAndTextAtTheRest()
    {
        var catalog = PriceCatalog.Create([AudioPrice], DateTimeOffset.UnixEpoch);
        var record = new UsageRecord
        {
            Provider = "openai",
            Model = "gpt-4o-audio-preview",
            // 1,195 in (cached 100, of which 60 audio; 1,024 audio in all), 684 out (542 audio).
            Tokens = new TokenCounts(1195, 684, 100, 0, 0, 0, inputAudio: 1024, cachedInputAudio: 60, outputAudio: 542),
        };

        var cost = UsagePricing.Price(catalog, record).ShouldNotBeNull();

        // Text: uncached 1195 − 100 − (1024 − 60) = 131 × 2.50; cached 100 − 60 = 40 × 1.25; output 684 − 542 = 142 × 10.
        cost.Input.ShouldBe(131 * 2.50m / 1_000_000m);
        cost.CachedInput.ShouldBe(40 * 1.25m / 1_000_000m);
        cost.Output.ShouldBe(142 * 10m / 1_000_000m);
        cost.InputAudio.ShouldBe(964 * 40m / 1_000_000m);
        cost.CachedInputAudio.ShouldBe(60 * 2.50m / 1_000_000m);
        cost.OutputAudio.ShouldBe(542 * 80m / 1_000_000m);
        cost.Total.ShouldBe(0.0003275m + 0.00005m + 0.00142m + 0.03856m + 0.00015m + 0.04336m);
    }

    [Fact]
    public void Cost_TokenCountsWithAudio_PricesTheAudioPartsWithoutARecord()
    {
        var cost = AudioPrice.Cost(new TokenCounts(1000, 0, 0, 0, 0, 0, inputAudio: 1000));

        cost.Input.ShouldBe(0m);
        cost.InputAudio.ShouldBe(0.04m);
    }

    [Fact]
    public void Price_AnthropicWebSearches_ChargesTenDollarsPerThousandCalls()
    {
        var price = new ModelPrice
        {
            Provider = "anthropic",
            Model = "claude-x",
            Input = 3m,
            Output = 15m,
            PerThousandServerToolCalls = new Dictionary<string, decimal> { ["web_search"] = 10m },
        };
        var catalog = PriceCatalog.Create([price], DateTimeOffset.UnixEpoch);
        var parsed = UsageParsers.ReadAnthropic("""{"model": "claude-x", "usage": {"input_tokens": 1000, "output_tokens": 100, "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 2}}}""");
        var record = parsed.ApplyTo(new UsageRecord { Provider = "anthropic", Model = "claude-x" });

        var cost = UsagePricing.Price(catalog, record).ShouldNotBeNull();

        cost.ServerToolCalls.ShouldBe(0.03m); // 3 × $10 / 1,000; web_fetch has no price and costs nothing
        cost.Total.ShouldBe(0.003m + 0.0015m + 0.03m);
    }

    [Fact]
    public void Price_BuiltInClaudeWithWebSearch_ChargesTheSearches()
    {
        var record = new UsageRecord
        {
            Provider = "anthropic",
            Model = "claude-sonnet-4-5",
            CompletedAt = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero),
            Tokens = new TokenCounts(1000, 100),
            ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 4 },
        };

        UsagePricing.Price(PriceCatalog.BuiltIn, record).ShouldNotBeNull().ServerToolCalls.ShouldBe(0.04m);
    }

    [Fact]
    public void Price_RecordWithToolCallsInADictionary_AllocatesOnlyTheUsageCost()
    {
        // Issue 15 §7: the per-record pricing path allocates nothing beyond its result; the tool-call enumerator was 56 B.
        var at = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var plain = new UsageRecord { Provider = "anthropic", Model = "claude-sonnet-4-5", CompletedAt = at, Tokens = new TokenCounts(1000, 100) };
        var withTools = plain with { ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 4, ["web_fetch"] = 1 } };
        _ = UsagePricing.Price(PriceCatalog.BuiltIn, plain);
        _ = UsagePricing.Price(PriceCatalog.BuiltIn, withTools);

        // The UsageCost of a call with tool calls is itself larger than a text-only one (its parts beyond text live out
        // of line), so the yardstick is the same cost built directly: pricing may allocate that and nothing more.
        var baseline = Allocations.AllocatedBy(() => new UsageCost(1m, 1m, 0m, 1m, 0m, 0m, 0m, 0m, 0m, 0m, 0.05m));
        var allocated = Allocations.AllocatedBy(() => UsagePricing.Price(PriceCatalog.BuiltIn, withTools));

        allocated.ShouldBe(baseline, "pricing the tool calls allocates nothing more than the UsageCost it returns");
        UsagePricing.Price(PriceCatalog.BuiltIn, withTools).ShouldNotBeNull().ServerToolCalls.ShouldBe(0.04m);
    }

    [Fact]
    public void Price_PerRequestFee_ChargedOncePerRecord()
    {
        var price = new ModelPrice { Provider = "perplexity", Model = "sonar", Input = 1m, Output = 1m, PerThousandRequests = 5m };
        var catalog = PriceCatalog.Create([price], DateTimeOffset.UnixEpoch);

        var cost = UsagePricing.Price(catalog, new UsageRecord { Provider = "perplexity", Model = "sonar", Tokens = new TokenCounts(0, 0) }).ShouldNotBeNull();

        cost.Requests.ShouldBe(0.005m);
        cost.Total.ShouldBe(0.005m);
    }

    [Fact]
    public void Price_ServiceTierReadFromTheResponse_PricesAtTheTierServed()
    {
        var price = new ModelPrice
        {
            Provider = "openai",
            Model = "gpt-5",
            Input = 1.25m,
            Output = 10m,
            Flex = new ServiceTierPrice { Rates = new TokenRates { Input = 0.625m, Output = 5m } },
        };
        var catalog = PriceCatalog.Create([price], DateTimeOffset.UnixEpoch);
        var parsed = UsageParsers.ReadOpenAI("""{"model": "gpt-5", "service_tier": "flex", "usage": {"input_tokens": 1000000, "output_tokens": 0}}""");

        var cost = UsagePricing.Price(catalog, parsed.ApplyTo(new UsageRecord { Provider = "openai", Model = "gpt-5" })).ShouldNotBeNull();

        cost.Total.ShouldBe(0.625m);
    }
}
