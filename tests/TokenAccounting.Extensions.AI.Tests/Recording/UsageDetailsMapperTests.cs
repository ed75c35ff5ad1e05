namespace TokenAccounting.Extensions.AI.Tests.Recording;

public sealed class UsageDetailsMapperTests
{
    [Fact]
    public void ToTokenCounts_OpenAIStyleInclusiveCounts_TakesThemAsTheyAre()
    {
        var usage = new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 300, CachedInputTokenCount = 800, ReasoningTokenCount = 200, TotalTokenCount = 1300 };

        UsageDetailsMapper.ToTokenCounts(usage).ShouldBe(new TokenCounts(1000, 300, cachedInput: 800, reasoning: 200));
    }

    [Fact]
    public void ToTokenCounts_OfficialAnthropicAdapter_DoesNotCountCacheTwice()
    {
        // input_tokens 50, cache_read 900, cache_creation 200: the adapter reports input = 1150 (inclusive),
        // cached = 900 and the creation in AdditionalCounts.
        var usage = new UsageDetails
        {
            InputTokenCount = 1150,
            OutputTokenCount = 80,
            CachedInputTokenCount = 900,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 200 },
        };

        var tokens = UsageDetailsMapper.ToTokenCounts(usage);

        tokens.ShouldBe(new TokenCounts(1150, 80, cachedInput: 900, cacheWriteInput: 200));
        tokens.UncachedInput.ShouldBe(50);
    }

    [Fact]
    public void ToTokenCounts_AnthropicRawCountsInAdditionalCounts_AddsCacheToInput()
    {
        // Adapters that pass Anthropic's raw usage through: InputTokenCount is input_tokens (cache excluded).
        var usage = new UsageDetails
        {
            InputTokenCount = 50,
            OutputTokenCount = 80,
            AdditionalCounts = new() { ["CacheCreationInputTokens"] = 200, ["CacheReadInputTokens"] = 900 },
        };

        UsageDetailsMapper.ToTokenCounts(usage).ShouldBe(TokenCounts.FromAnthropic(50, 80, cacheReadInputTokens: 900, cacheCreationInputTokens: 200));
    }

    [Fact]
    public void ToTokenCounts_SnakeCaseKeysAndOneHourWrites_AreRecognizedCaseInsensitively()
    {
        var usage = new UsageDetails
        {
            InputTokenCount = 10,
            OutputTokenCount = 5,
            AdditionalCounts = new()
            {
                ["cache_read_input_tokens"] = 100,
                ["CACHE_CREATION_INPUT_TOKENS"] = 40,
                ["ephemeral_1h_input_tokens"] = 30,
                ["WebSearchRequests"] = 2,
            },
        };

        UsageDetailsMapper.ToTokenCounts(usage).ShouldBe(new TokenCounts(150, 5, cachedInput: 100, cacheWriteInput: 40, cacheWriteLongTtlInput: 30));
    }

    [Fact]
    public void ToTokenCounts_InclusiveReadingImpossible_TreatsInputAsExclusive()
    {
        // cached (300) + writes (100) cannot be part of an input of 20, so 20 was the uncached part.
        var usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 1, CachedInputTokenCount = 300, AdditionalCounts = new() { ["cache_write_tokens"] = 100 } };

        UsageDetailsMapper.ToTokenCounts(usage).ShouldBe(new TokenCounts(420, 1, cachedInput: 300, cacheWriteInput: 100));
    }

    [Fact]
    public void ToTokenCounts_ReasoningAboveOutput_TreatsOutputAsExclusive()
    {
        var usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 40, ReasoningTokenCount = 500 };

        UsageDetailsMapper.ToTokenCounts(usage).ShouldBe(new TokenCounts(10, 540, reasoning: 500));
    }

    [Fact]
    public void ToTokenCounts_OnlyTotal_InputIsTotalMinusOutput()
    {
        UsageDetailsMapper.ToTokenCounts(new UsageDetails { TotalTokenCount = 64 }).ShouldBe(new TokenCounts(64, 0));
        UsageDetailsMapper.ToTokenCounts(new UsageDetails { TotalTokenCount = 64, OutputTokenCount = 4 }).ShouldBe(new TokenCounts(60, 4));
        UsageDetailsMapper.ToTokenCounts(new UsageDetails { TotalTokenCount = 64, InputTokenCount = 60 }).ShouldBe(new TokenCounts(60, 4));
    }

    [Fact]
    public void Map_SaysWhichSidesWereReported()
    {
        var inputOnly = UsageDetailsMapper.Map(new UsageDetails { InputTokenCount = 3 });
        var nothing = UsageDetailsMapper.Map(new UsageDetails());

        (inputOnly.HasInput, inputOnly.HasOutput).ShouldBe((true, false));
        (nothing.HasInput, nothing.HasOutput).ShouldBe((false, false));
        nothing.Tokens.ShouldBe(TokenCounts.Zero);
    }

    [Fact]
    public void ToTokenCounts_NegativeCount_ThrowsNamingTheField()
    {
        var exception = Should.Throw<ArgumentException>(() => UsageDetailsMapper.ToTokenCounts(new UsageDetails { InputTokenCount = 5, OutputTokenCount = -1 }));

        exception.Message.ShouldContain("OutputTokenCount");
    }

    [Fact]
    public void ToTokenCounts_Null_Throws()
    {
        Should.Throw<ArgumentNullException>(() => UsageDetailsMapper.ToTokenCounts(null!));
    }
}
