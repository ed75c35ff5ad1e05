namespace TokenAccounting.Tests.Recording;

public sealed class TokenCountsTests
{
    [Theory]
    [InlineData(-1, 0, 0, 0, 0, 0, "Input")]
    [InlineData(0, -1, 0, 0, 0, 0, "Output")]
    [InlineData(5, 0, -1, 0, 0, 0, "CachedInput")]
    [InlineData(5, 0, 0, -1, 0, 0, "CacheWriteInput")]
    [InlineData(5, 0, 0, 2, -1, 0, "CacheWriteLongTtlInput")]
    [InlineData(5, 5, 0, 0, 0, -1, "Reasoning")]
    public void Constructor_NegativeCount_ThrowsArgumentOutOfRangeNamingTheField(long input, long output, long cached, long cacheWrite, long longTtl, long reasoning, string field)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning));

        ex.ParamName.ShouldBe(field);
        ex.Message.ShouldContain($"{field} must be zero or greater (was -1)");
    }

    [Fact]
    public void Constructor_CachedExceedsInput_ThrowsArgumentExceptionNamingCachedInput()
    {
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input: 10, output: 0, cachedInput: 11));

        ex.ParamName.ShouldBe("CachedInput");
        ex.Message.ShouldContain("must not exceed Input (10)");
    }

    [Fact]
    public void Constructor_CachedPlusCacheWriteExceedsInput_ThrowsArgumentExceptionNamingCachedInput()
    {
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input: 10, output: 0, cachedInput: 6, cacheWriteInput: 5));

        ex.ParamName.ShouldBe("CachedInput");
        ex.Message.ShouldContain("CachedInput (6) + CacheWriteInput (5) must not exceed Input (10)");
    }

    [Fact]
    public void Constructor_CachedPlusCacheWriteOverflowsLong_ThrowsArgumentExceptionInsteadOfWrappingPastTheCheck()
    {
        // long.MaxValue + long.MaxValue wraps to -2, which a naive "sum > input" check lets through.
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input: 5, output: 0, cachedInput: long.MaxValue, cacheWriteInput: long.MaxValue));

        ex.ParamName.ShouldBe("CachedInput");
    }

    [Fact]
    public void Constructor_CachedPlusCacheWriteEqualsInput_IsAccepted()
    {
        var counts = new TokenCounts(input: 10, output: 0, cachedInput: 4, cacheWriteInput: 6);

        counts.UncachedInput.ShouldBe(0);
    }

    [Fact]
    public void Constructor_LongTtlExceedsCacheWrite_ThrowsArgumentExceptionNamingLongTtl()
    {
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input: 10, output: 0, cacheWriteInput: 3, cacheWriteLongTtlInput: 4));

        ex.ParamName.ShouldBe("CacheWriteLongTtlInput");
        ex.Message.ShouldContain("must not exceed CacheWriteInput (3)");
    }

    [Fact]
    public void Constructor_ReasoningExceedsOutput_ThrowsArgumentExceptionNamingReasoning()
    {
        var ex = Should.Throw<ArgumentException>(() => new TokenCounts(input: 0, output: 5, reasoning: 6));

        ex.ParamName.ShouldBe("Reasoning");
        ex.Message.ShouldContain("Output includes reasoning tokens");
    }

    [Fact]
    public void FromOpenAI_CachedExceedsPrompt_ThrowsArgumentExceptionNamingCachedTokens()
    {
        var ex = Should.Throw<ArgumentException>(() => TokenCounts.FromOpenAI(10, 1, cachedTokens: 11));

        ex.ParamName.ShouldBe("cachedTokens");
        ex.Message.ShouldContain("already includes cached tokens");
    }

    [Fact]
    public void FromOpenAI_ReasoningExceedsCompletion_ThrowsArgumentExceptionNamingReasoningTokens()
    {
        var ex = Should.Throw<ArgumentException>(() => TokenCounts.FromOpenAI(10, 1, reasoningTokens: 2));

        ex.ParamName.ShouldBe("reasoningTokens");
    }

    [Fact]
    public void FromOpenAI_NegativePrompt_ThrowsArgumentOutOfRangeNamingPromptTokens()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => TokenCounts.FromOpenAI(-1, 1)).ParamName.ShouldBe("promptTokens");
    }

    [Fact]
    public void FromAnthropic_OneHourExceedsCacheCreation_ThrowsArgumentExceptionNamingIt()
    {
        var ex = Should.Throw<ArgumentException>(() => TokenCounts.FromAnthropic(1, 1, cacheCreationInputTokens: 2, cacheCreation1hInputTokens: 3));

        ex.ParamName.ShouldBe("cacheCreation1hInputTokens");
    }

    [Fact]
    public void FromAnthropic_NegativeCacheRead_ThrowsArgumentOutOfRangeNamingIt()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => TokenCounts.FromAnthropic(1, 1, cacheReadInputTokens: -1))
            .ParamName.ShouldBe("cacheReadInputTokens");
    }

    [Fact]
    public void FromAnthropic_CacheReadsAndWrites_AreAddedToInput()
    {
        // input 100 (uncached) + read 900 + write 50 = 1050 inclusive input.
        TokenCounts.FromAnthropic(100, 20, 900, 50, 10)
            .ShouldBe(new TokenCounts(input: 1050, output: 20, cachedInput: 900, cacheWriteInput: 50, cacheWriteLongTtlInput: 10));
    }

    [Fact]
    public void FromGemini_CachedExceedsPrompt_ThrowsArgumentExceptionNamingCachedContent()
    {
        Should.Throw<ArgumentException>(() => TokenCounts.FromGemini(10, 1, cachedContentTokenCount: 11))
            .ParamName.ShouldBe("cachedContentTokenCount");
    }

    [Fact]
    public void FromGemini_NegativeThoughts_ThrowsArgumentOutOfRangeNamingThoughts()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => TokenCounts.FromGemini(10, 1, thoughtsTokenCount: -1))
            .ParamName.ShouldBe("thoughtsTokenCount");
    }

    [Fact]
    public void FromGemini_Thoughts_AreAddedToOutput()
    {
        TokenCounts.FromGemini(10, 5, 4, 7).ShouldBe(new TokenCounts(input: 10, output: 12, cachedInput: 4, reasoning: 7));
    }

    [Fact]
    public void AdditionOperator_TwoCounts_AddsEveryFieldAndTotal()
    {
        var left = new TokenCounts(input: 100, output: 50, cachedInput: 30, cacheWriteInput: 20, cacheWriteLongTtlInput: 5, reasoning: 10);
        var right = new TokenCounts(input: 7, output: 3, cachedInput: 1, cacheWriteInput: 2, cacheWriteLongTtlInput: 2, reasoning: 3);

        var sum = left + right;

        sum.ShouldBe(new TokenCounts(input: 107, output: 53, cachedInput: 31, cacheWriteInput: 22, cacheWriteLongTtlInput: 7, reasoning: 13));
        sum.Total.ShouldBe(160);
        TokenCounts.Add(left, right).ShouldBe(sum);
    }

    // Issue 12 §2 replaces the old OverflowException of these two cases: sums saturate, never wrap, never throw.
    [Fact]
    public void AdditionOperator_InputOverflows_SaturatesAtLongMaxValue()
    {
        var big = new TokenCounts(input: long.MaxValue, output: 0);

        var sum = big + new TokenCounts(input: 1, output: 0);

        sum.Input.ShouldBe(long.MaxValue);
        sum.Total.ShouldBe(long.MaxValue);
    }

    [Fact]
    public void AdditionOperator_OutputOverflows_SaturatesAtLongMaxValue()
    {
        var big = new TokenCounts(input: 0, output: long.MaxValue, reasoning: long.MaxValue);

        var sum = big + new TokenCounts(input: 0, output: 1, reasoning: 1);

        sum.Output.ShouldBe(long.MaxValue);
        sum.Reasoning.ShouldBe(long.MaxValue);
    }

    [Fact]
    public void AdditionOperator_SaturatedInput_CapsItsPartsSoTheInvariantsHold()
    {
        var half = new TokenCounts(input: long.MaxValue, output: 0, cachedInput: (long.MaxValue / 2) + 1, cacheWriteInput: (long.MaxValue / 2) - 1, cacheWriteLongTtlInput: 7);

        var sum = half + half;

        sum.Input.ShouldBe(long.MaxValue);
        sum.CacheWriteInput.ShouldBe(long.MaxValue - 3);
        sum.CachedInput.ShouldBe(3);
        sum.UncachedInput.ShouldBe(0);
        sum.CacheWriteLongTtlInput.ShouldBe(14);
    }

    [Fact]
    public void Total_TwoHalvesOverLongMaxValue_SaturatesInsteadOfGoingNegative()
    {
        var sum = new TokenCounts(input: long.MaxValue, output: 0) + new TokenCounts(input: 0, output: long.MaxValue);

        sum.Input.ShouldBe(long.MaxValue);
        sum.Output.ShouldBe(long.MaxValue);
        sum.Total.ShouldBe(long.MaxValue);
    }

    [Fact]
    public void Constructor_TotalOverflowsLong_ThrowsNamingTotal()
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new TokenCounts(long.MaxValue, long.MaxValue));

        ex.ParamName.ShouldBe("Total");
        ex.Message.ShouldContain("must fit in a 64-bit count");
        Should.NotThrow(() => new TokenCounts(long.MaxValue - 5, 5));
    }

    [Fact]
    public void Factories_TotalOverflowsLong_ThrowArgumentExceptionNamingTheParameter()
    {
        Should.Throw<ArgumentException>(() => TokenCounts.FromOpenAI(long.MaxValue, long.MaxValue)).ParamName.ShouldBe("completionTokens");
        Should.Throw<ArgumentException>(() => TokenCounts.FromAnthropic(long.MaxValue, 1)).ParamName.ShouldBe("outputTokens");
        Should.Throw<ArgumentException>(() => TokenCounts.FromAnthropic(long.MaxValue, 0, cacheReadInputTokens: 1)).ParamName.ShouldBe("cacheCreationInputTokens");
        Should.Throw<ArgumentException>(() => TokenCounts.FromGemini(1, long.MaxValue, thoughtsTokenCount: 1)).ParamName.ShouldBe("thoughtsTokenCount");
        Should.Throw<ArgumentException>(() => TokenCounts.FromGemini(long.MaxValue, 1)).ParamName.ShouldBe("candidatesTokenCount");
    }

    [Fact]
    public void Zero_IsDefaultAndIsZero()
    {
        TokenCounts.Zero.ShouldBe(default);
        TokenCounts.Zero.IsZero.ShouldBeTrue();
        new TokenCounts(0, 1).IsZero.ShouldBeFalse();
    }
}
