using System.Text;

namespace TokenAccounting.Tests.Recording;

public sealed class UsageParsersAnthropicTests
{
    [Fact]
    public void ParseAnthropic_MessageFromApiReference_AddsCacheReadsAndWritesToInput()
    {
        // Source: https://docs.claude.com/en/api/messages (Create a Message, "Response 200" example).
        // Anthropic's input_tokens (2095) excludes the cache, so Input = 2095 + cache_read 2051 + cache_creation 2051 = 6197.
        // CachedInput 2051, CacheWriteInput 2051, UncachedInput 2095, Output 503, Total 6700.
        // The example's cache_creation breakdown is all zeros next to a non-zero total: it carries no split, so
        // the total stands and CacheWriteLongTtlInput is 0.
        var counts = UsageParsers.ParseAnthropic(ProviderFixtures.Read("anthropic-message.json"));

        counts.ShouldBe(new TokenCounts(input: 6197, output: 503, cachedInput: 2051, cacheWriteInput: 2051, cacheWriteLongTtlInput: 0));
        counts.UncachedInput.ShouldBe(2095);
        counts.Total.ShouldBe(6700);
    }

    [Fact]
    public void ParseAnthropic_MessageStartEventFromStreamingGuide_ReadsMessageUsage()
    {
        // Source: https://docs.claude.com/en/docs/build-with-claude/streaming (basic streaming request, message_start).
        // message.usage { input_tokens 25, output_tokens 1 }: Input 25, Output 1 (output grows in message_delta).
        var counts = UsageParsers.ParseAnthropic(ProviderFixtures.Read("anthropic-message-start.json"));

        counts.ShouldBe(new TokenCounts(input: 25, output: 1));
    }

    [Fact]
    public void ParseAnthropic_MessageDeltaEventFromStreamingGuide_InputMayBeAbsent()
    {
        // Source: https://docs.claude.com/en/docs/build-with-claude/streaming (basic streaming request, message_delta).
        // usage { output_tokens 15 } is cumulative and carries no input: Input 0, Output 15.
        var counts = UsageParsers.ParseAnthropic(ProviderFixtures.Read("anthropic-message-delta.json"));

        counts.ShouldBe(new TokenCounts(input: 0, output: 15));
    }

    [Fact]
    public void ParseAnthropic_MessageDeltaWithCumulativeInputCounts_ReadsThemToo()
    {
        // Newer API versions repeat the cumulative input counts in message_delta (nullable when unknown).
        const string json = """
            {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null},
             "usage": {"input_tokens": 10, "cache_creation_input_tokens": null, "cache_read_input_tokens": 300, "output_tokens": 42,
                       "server_tool_use": null}}
            """;

        UsageParsers.ParseAnthropic(json).ShouldBe(new TokenCounts(input: 310, output: 42, cachedInput: 300));
    }

    [Fact]
    public void ParseAnthropic_UsageWithTtlBreakdown_CountsOneHourWritesAsLongTtl()
    {
        // Constructed after the usage shape documented in https://docs.claude.com/en/docs/build-with-claude/prompt-caching
        // ("Tracking cache performance" with mixed TTLs), whose example elides the counts.
        // input 2048 + cache_read 1800 + cache_creation 248 = Input 4096; CacheWriteInput 248 of which 1h = 100;
        // the breakdown agrees with the total (148 + 100 = 248). Output 503.
        var counts = UsageParsers.ParseAnthropic(ProviderFixtures.Read("anthropic-cache-ttl-breakdown-usage.json"));

        counts.ShouldBe(new TokenCounts(input: 4096, output: 503, cachedInput: 1800, cacheWriteInput: 248, cacheWriteLongTtlInput: 100));
    }

    [Fact]
    public void ParseAnthropic_BreakdownWithoutTotal_SumsTheBreakdown()
    {
        const string json = """
            {"input_tokens": 5, "output_tokens": 6, "cache_creation": {"ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 70}}
            """;

        UsageParsers.ParseAnthropic(json).ShouldBe(new TokenCounts(input: 105, output: 6, cacheWriteInput: 100, cacheWriteLongTtlInput: 70));
    }

    [Fact]
    public void ParseAnthropic_BreakdownDisagreesWithTotal_TakesTheTotalAndReportsTheCorrection()
    {
        // Issue 15 §5 changed this: a disagreeing breakdown used to throw and lose the record; the total now stands.
        const string json = """
            {"input_tokens": 5, "output_tokens": 6, "cache_creation_input_tokens": 90,
             "cache_creation": {"ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 70}}
            """;

        UsageParsers.ParseAnthropic(json).ShouldBe(new TokenCounts(95, 6, cachedInput: 0, cacheWriteInput: 90, cacheWriteLongTtlInput: 70));
        UsageParsers.ReadAnthropic(json).Corrections.ShouldBe(UsageCorrections.CacheCreationBreakdownMismatch);
    }

    [Fact]
    public void ParseAnthropic_NullCacheCreationAndNullCacheCounts_ReadAsZero()
    {
        const string json = """
            {"input_tokens": 5, "output_tokens": 6, "cache_creation_input_tokens": null, "cache_read_input_tokens": null, "cache_creation": null}
            """;

        UsageParsers.ParseAnthropic(json).ShouldBe(new TokenCounts(input: 5, output: 6));
    }

    [Fact]
    public void ParseAnthropic_BareUsageWithoutInputTokens_ThrowsFormatExceptionNamingInputTokens()
    {
        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic("""{"output_tokens": 15}"""));

        ex.Message.ShouldBe("usage.input_tokens is required but is missing.");
    }

    [Fact]
    public void ParseAnthropic_MessageStartWithNegativeInput_ThrowsFormatExceptionNamingMessageUsagePath()
    {
        const string json = """{"type": "message_start", "message": {"usage": {"input_tokens": -1, "output_tokens": 1}}}""";

        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(json));

        ex.Message.ShouldBe("message.usage.input_tokens must be zero or greater, but is -1.");
    }

    [Fact]
    public void ParseAnthropic_MessageDeltaWithoutUsage_ThrowsFormatException()
    {
        const string json = """{"type": "message_delta", "delta": {"stop_reason": "end_turn"}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(json)).Message.ShouldContain("usage is required");
    }

    [Fact]
    public void ParseAnthropic_InputPlusCacheOverflows_ThrowsFormatExceptionWithArgumentInner()
    {
        var json = $$"""{"input_tokens": {{long.MaxValue}}, "output_tokens": 0, "cache_read_input_tokens": 1}""";

        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(json));

        ex.Message.ShouldContain("usage.input_tokens");

        // FromAnthropic reports the overflowing sum as bad input (ArgumentOutOfRangeException), as every factory does (issue 12 §2).
        ex.InnerException.ShouldBeOfType<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void TryParseAnthropic_Utf8MessagePayload_ReturnsTrueAndTheCounts()
    {
        var bytes = ProviderFixtures.ReadUtf8("anthropic-message.json");

        UsageParsers.TryParseAnthropic(bytes.AsSpan(), out var counts).ShouldBeTrue();
        counts.Input.ShouldBe(6197);
    }

    [Fact]
    public void TryParseAnthropic_DisagreeingBreakdown_KeepsTheTotalAndCapsTheLongTtlPart()
    {
        // Issue 15 §5 changed this from "returns false": the 1-hour part (9) is capped at the total (5).
        const string json = """
            {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 5, "cache_creation": {"ephemeral_1h_input_tokens": 9}}
            """;

        UsageParsers.TryParseAnthropic(Encoding.UTF8.GetBytes(json).AsSpan(), out var counts).ShouldBeTrue();
        counts.ShouldBe(new TokenCounts(6, 1, cachedInput: 0, cacheWriteInput: 5, cacheWriteLongTtlInput: 5));
    }

    [Fact]
    public void ParseAnthropicStream_StartAndDeltaFromStreamingGuide_TakesInputFromStartAndOutputFromDelta()
    {
        // Source: https://docs.claude.com/en/docs/build-with-claude/streaming (basic streaming request).
        // message_start usage { input_tokens 25, output_tokens 1 }; message_delta usage { output_tokens 15 } (cumulative).
        // Expected: Input 25, Output 15 (not 1 + 15), Total 40.
        var counts = UsageParsers.ParseAnthropicStream(
            ProviderFixtures.Read("anthropic-message-start.json"),
            ProviderFixtures.Read("anthropic-message-delta.json"));

        counts.ShouldBe(new TokenCounts(input: 25, output: 15));
        counts.Total.ShouldBe(40);
    }

    [Fact]
    public void ParseAnthropicStream_DeltaRepeatsCumulativeInputCounts_DeltaCountsWin()
    {
        const string start = """{"type": "message_start", "message": {"usage": {"input_tokens": 10, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}""";
        const string delta = """{"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"input_tokens": 12, "cache_read_input_tokens": 400, "cache_creation_input_tokens": null, "output_tokens": 30}}""";

        // input 12 + cache read 400 (from the delta) + cache creation 0 (null in the delta, 0 in the start) = 412.
        UsageParsers.ParseAnthropicStream(start, delta).ShouldBe(new TokenCounts(input: 412, output: 30, cachedInput: 400));
    }

    [Fact]
    public void ParseAnthropicStream_StartWithTtlBreakdownAndDeltaWithOutputOnly_KeepsStartCacheWrites()
    {
        const string start = """
            {"type": "message_start", "message": {"usage": {"input_tokens": 3, "output_tokens": 1, "cache_creation_input_tokens": 50,
             "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 30}}}}
            """;
        const string delta = """{"type": "message_delta", "usage": {"output_tokens": 9}}""";

        UsageParsers.ParseAnthropicStream(start, delta)
            .ShouldBe(new TokenCounts(input: 53, output: 9, cacheWriteInput: 50, cacheWriteLongTtlInput: 30));
    }

    [Fact]
    public void ParseAnthropicStream_StartWithoutInputTokens_ThrowsFormatExceptionNamingMessageUsage()
    {
        const string start = """{"type": "message_start", "message": {"usage": {"output_tokens": 1}}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropicStream(start, ProviderFixtures.Read("anthropic-message-delta.json")))
            .Message.ShouldBe("message.usage.input_tokens is required but is missing.");
    }

    [Fact]
    public void ParseAnthropicStream_DeltaWithStringOutput_ThrowsFormatExceptionNamingDeltaUsage()
    {
        const string delta = """{"type": "message_delta", "usage": {"output_tokens": "15"}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropicStream(ProviderFixtures.Read("anthropic-message-start.json"), delta))
            .Message.ShouldStartWith("usage.output_tokens must be a non-negative integer token count");
    }

    [Fact]
    public void TryParseAnthropicStream_MalformedDelta_ReturnsFalseAndDefault()
    {
        UsageParsers.TryParseAnthropicStream(ProviderFixtures.Read("anthropic-message-start.json"), "{\"type\": ", out var counts).ShouldBeFalse();
        counts.ShouldBe(default);
        UsageParsers.TryParseAnthropicStream(null, "{}", out _).ShouldBeFalse();
    }

    [Fact]
    public void TryParseAnthropicStream_JsonElements_AgreeWithStringOverload()
    {
        using var start = System.Text.Json.JsonDocument.Parse(ProviderFixtures.Read("anthropic-message-start.json"));
        using var delta = System.Text.Json.JsonDocument.Parse(ProviderFixtures.Read("anthropic-message-delta.json"));

        UsageParsers.TryParseAnthropicStream(start.RootElement, delta.RootElement, out var counts).ShouldBeTrue();
        counts.ShouldBe(new TokenCounts(input: 25, output: 15));
    }
}
