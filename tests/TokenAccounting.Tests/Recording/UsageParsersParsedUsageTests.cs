using System.Text.Json;

namespace TokenAccounting.Tests.Recording;

/// <summary>Issue 15 §4 and §5: the payloads the peers read correctly, audio, server tool calls and service tiers.</summary>
public sealed class UsageParsersParsedUsageTests
{
    [Fact]
    public void ParseOpenAI_ChatCacheWriteTokens_CountsThemAsCacheWrites()
    {
        var counts = UsageParsers.ParseOpenAI(RealPayloads.OpenAIChatCacheWrite);

        counts.ShouldBe(new TokenCounts(194, 2, cachedInput: 0, cacheWriteInput: 100));
        counts.UncachedInput.ShouldBe(94);
    }

    [Fact]
    public void ParseOpenAI_GatewayChunkWithReasoningInsideCompletion_TakesTheCountsAsTheyAre()
    {
        var usage = UsageParsers.ReadOpenAI(RealPayloads.OpenAIChatCacheReadAndWriteGateway);

        usage.Tokens.ShouldBe(new TokenCounts(163, 241, cachedInput: 162, reasoning: 204));
        usage.Corrections.ShouldBe(UsageCorrections.None);
        usage.ResponseModel.ShouldBe("x-ai/grok-4.1-fast-reasoning");
    }

    [Fact]
    public void ReadOpenAI_ResponsesCacheWriteTokens_CountsThemAsCacheWritesAndReadsTheTier()
    {
        var usage = UsageParsers.ReadOpenAI(RealPayloads.OpenAIResponsesCacheWrite);

        usage.Tokens.ShouldBe(new TokenCounts(3000, 300, cachedInput: 1024, cacheWriteInput: 1500, reasoning: 128));
        usage.ServiceTier.ShouldBe("default");
        usage.ResponseModel.ShouldBe("gpt-5-2025-08-07");
        usage.ServerToolCalls.ShouldBeNull();
    }

    [Fact]
    public void ParseOpenAI_CacheWritesBeyondThePrompt_ThrowsFormatExceptionNamingTheMember()
    {
        const string json = """{"prompt_tokens": 100, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 60, "cache_write_tokens": 50}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json)).Message.ShouldStartWith("usage.prompt_tokens_details.cache_write_tokens");
        UsageParsers.TryParseOpenAI(json, out _).ShouldBeFalse();
    }

    [Fact]
    public void ReadOpenAI_XaiReasoningOutsideCompletion_NormalizesFromTheTotalAndSaysSo()
    {
        using var corrections = new MetricCollector<long>(null, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.ParseCorrectionsInstrument);

        var usage = UsageParsers.ReadOpenAI(RealPayloads.XaiReasoningOutsideCompletion);

        usage.Tokens.ShouldBe(new TokenCounts(663, 50 + 124, cachedInput: 654, reasoning: 124));
        usage.Tokens.Total.ShouldBe(837);
        usage.Corrections.ShouldBe(UsageCorrections.ReasoningOutsideCompletion);
        UsageParsers.ParseOpenAI(RealPayloads.XaiReasoningOutsideCompletion).ShouldBe(usage.Tokens);
        corrections.GetMeasurementSnapshot().ShouldContain(m => (string?)m.Tags[TokenAccountingDiagnostics.CorrectionAttribute] == "reasoning_outside_completion" && (string?)m.Tags["gen_ai.provider.name"] == "openai");
    }

    [Fact]
    public void ReadOpenAI_XaiLiveSearch_ReadsTheSourcesUsedAsServerToolCalls()
    {
        var usage = UsageParsers.ReadOpenAI(RealPayloads.XaiLiveSearchSources);

        usage.ServerToolCalls.ShouldNotBeNull().ShouldBe(new Dictionary<string, long> { ["live_search_sources"] = 7 });
        usage.Tokens.ShouldBe(new TokenCounts(1200, 300 + 100, reasoning: 100));
        usage.Corrections.ShouldBe(UsageCorrections.ReasoningOutsideCompletion);
    }

    [Fact]
    public void ReadOpenAI_XaiUsageObjectAlone_ReadsTheSourcesUsed()
    {
        using var document = JsonDocument.Parse(RealPayloads.XaiLiveSearchSources);

        var usage = UsageParsers.ReadOpenAI(document.RootElement.GetProperty("usage"));

        usage.ServerToolCalls.ShouldNotBeNull()["live_search_sources"].ShouldBe(7);
    }

    [Fact]
    public void ReadOpenAI_XaiNoSourcesUsed_HasNoServerToolCalls()
    {
        UsageParsers.ReadOpenAI(RealPayloads.XaiReasoningOutsideCompletion).ServerToolCalls.ShouldBeNull();
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("2.5")]
    [InlineData("\"7\"")]
    public void ReadOpenAI_SourcesUsedNotACount_ThrowsFormatExceptionNamingTheMember(string value)
    {
        var json = $$$"""{"usage": {"prompt_tokens": 10, "completion_tokens": 5, "num_sources_used": {{{value}}}}}""";

        Should.Throw<FormatException>(() => UsageParsers.ReadOpenAI(json)).Message.ShouldStartWith("usage.num_sources_used");
        UsageParsers.TryReadOpenAI(json, out _).ShouldBeFalse();
    }

    [Fact]
    public void Price_BuiltInGrokWithLiveSearch_ChargesTwentyFiveDollarsPerThousandSources()
    {
        var parsed = UsageParsers.ReadOpenAI(RealPayloads.XaiLiveSearchSources);
        var record = parsed.ApplyTo(new UsageRecord { Provider = "xai", Model = "grok-3", CompletedAt = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero) });

        var cost = UsagePricing.Price(PriceCatalog.BuiltIn, record).ShouldNotBeNull();

        // 7 sources × $25 / 1,000 (xAI's Live Search price); grok-3 at $3 in / $15 out per million.
        cost.ServerToolCalls.ShouldBe(0.175m);
        cost.Total.ShouldBe(1200 * 3m / 1_000_000m + 400 * 15m / 1_000_000m + 0.175m);
    }

    [Fact]
    public void ParseOpenAI_XaiLiveSearch_CountsOnlyTheTokens()
    {
        UsageParsers.ParseOpenAI(RealPayloads.XaiLiveSearchSources).ShouldBe(new TokenCounts(1200, 400, reasoning: 100));
    }

    [Fact]
    public void ParseOpenAI_ReasoningAboveCompletionWithoutAMatchingTotal_StillThrowsFormatException()
    {
        // Without a total that says "reasoning is outside", a reasoning count above the completion is inconsistent.
        const string json = """{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15, "completion_tokens_details": {"reasoning_tokens": 9}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json)).Message.ShouldStartWith("usage.completion_tokens_details.reasoning_tokens");
    }

    [Fact]
    public void ReadOpenAI_ChatAudio_ReadsAudioPartsAndTier()
    {
        var usage = UsageParsers.ReadOpenAI(RealPayloads.OpenAIChatAudio);

        usage.Tokens.ShouldBe(new TokenCounts(1195, 684, 0, 0, 0, 0, inputAudio: 1024, cachedInputAudio: 0, outputAudio: 542));
        usage.ServiceTier.ShouldBe("default");
        usage.ResponseModel.ShouldBe("gpt-4o-audio-preview-2024-12-17");
    }

    [Fact]
    public void ParseOpenAI_AudioBeyondTheUncachedPrompt_CountsTheRestAsCachedAudio()
    {
        // 100 prompt tokens, 90 cached: of 50 audio tokens at most 10 can be uncached, so 40 were read from the cache.
        const string json = """{"prompt_tokens": 100, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 90, "audio_tokens": 50}}""";

        UsageParsers.ParseOpenAI(json).ShouldBe(new TokenCounts(100, 1, 90, 0, 0, 0, inputAudio: 50, cachedInputAudio: 40));
    }

    [Fact]
    public void ParseOpenAI_RealtimeCachedAudio_ReadsCachedTokensDetails()
    {
        // Realtime API usage: input_token_details.cached_tokens_details.audio_tokens, output_token_details.audio_tokens.
        const string json = """
            {"type": "response.done", "response": {"usage": {"total_tokens": 400, "input_tokens": 300, "output_tokens": 100,
             "input_token_details": {"cached_tokens": 128, "text_tokens": 100, "audio_tokens": 200, "cached_tokens_details": {"text_tokens": 64, "audio_tokens": 64}},
             "output_token_details": {"text_tokens": 20, "audio_tokens": 80}}}}
            """;

        UsageParsers.ParseOpenAI(json).ShouldBe(new TokenCounts(300, 100, 128, 0, 0, 0, inputAudio: 200, cachedInputAudio: 64, outputAudio: 80));
    }

    [Fact]
    public void ParseOpenAI_OutputAudioAboveTheNonReasoningOutput_ThrowsFormatExceptionNamingTheMember()
    {
        const string json = """{"prompt_tokens": 10, "completion_tokens": 10, "completion_tokens_details": {"reasoning_tokens": 6, "audio_tokens": 5}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json)).Message.ShouldStartWith("usage.completion_tokens_details.audio_tokens");
    }

    [Fact]
    public void ReadOpenAI_ResponsesWebSearchCalls_CountsOneCallPerItemAndTheServedTier()
    {
        var usage = UsageParsers.ReadOpenAI(RealPayloads.OpenAIResponsesWebSearch);

        usage.ServerToolCalls.ShouldNotBeNull().ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
        usage.ServiceTier.ShouldBe("flex");
        usage.Tokens.ShouldBe(new TokenCounts(12000, 400));
    }

    [Fact]
    public void ReadAnthropic_WebSearchAndServiceTier_ReadsThemBeside()
    {
        var usage = UsageParsers.ReadAnthropic(RealPayloads.AnthropicWebSearch);

        usage.Tokens.ShouldBe(TokenCounts.FromAnthropic(105, 6039, 7123, 7345));
        usage.ServerToolCalls.ShouldNotBeNull().ShouldBe(new Dictionary<string, long> { ["web_search"] = 1 });
        usage.ServiceTier.ShouldBe("priority");
        usage.ResponseModel.ShouldBe("claude-opus-4-1-20250805");
    }

    [Fact]
    public void ReadAnthropic_CacheCreationBreakdownDisagreeingWithTotal_TakesTheTotalAndCountsTheMismatch()
    {
        using var corrections = new MetricCollector<long>(null, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.ParseCorrectionsInstrument);

        var usage = UsageParsers.ReadAnthropic(RealPayloads.AnthropicCacheCreationMismatch);

        usage.Tokens.ShouldBe(new TokenCounts(10 + 1200, 50, cachedInput: 0, cacheWriteInput: 1200, cacheWriteLongTtlInput: 1200));
        usage.Corrections.ShouldBe(UsageCorrections.CacheCreationBreakdownMismatch);
        usage.ServiceTier.ShouldBe("standard");
        UsageParsers.TryParseAnthropic(RealPayloads.AnthropicCacheCreationMismatch, out var counts).ShouldBeTrue();
        counts.ShouldBe(usage.Tokens);
        corrections.GetMeasurementSnapshot().ShouldContain(m => (string?)m.Tags[TokenAccountingDiagnostics.CorrectionAttribute] == "cache_creation_mismatch" && (string?)m.Tags["gen_ai.provider.name"] == "anthropic");
    }

    [Fact]
    public void ReadAnthropicStream_ToolCallsAndTier_TakesTheDeltasCumulativeCounts()
    {
        using var start = System.Text.Json.JsonDocument.Parse("""{"type": "message_start", "message": {"model": "claude-sonnet-4-5", "usage": {"input_tokens": 25, "output_tokens": 1, "service_tier": "standard"}}}""");
        using var delta = System.Text.Json.JsonDocument.Parse("""{"type": "message_delta", "usage": {"output_tokens": 15, "server_tool_use": {"web_search_requests": 3, "web_fetch_requests": 1}}}""");

        var usage = UsageParsers.ReadAnthropicStream(start.RootElement, delta.RootElement);

        usage.Tokens.ShouldBe(new TokenCounts(25, 15));
        usage.ServerToolCalls.ShouldNotBeNull().ShouldBe(new Dictionary<string, long> { ["web_search"] = 3, ["web_fetch"] = 1 });
        usage.ServiceTier.ShouldBe("standard");
        usage.ResponseModel.ShouldBe("claude-sonnet-4-5");
    }

    [Fact]
    public void ReadAnthropic_NegativeToolCallCount_ThrowsFormatExceptionNamingTheMember()
    {
        const string json = """{"input_tokens": 1, "output_tokens": 1, "server_tool_use": {"web_search_requests": -1}}""";

        Should.Throw<FormatException>(() => UsageParsers.ReadAnthropic(json)).Message.ShouldStartWith("usage.server_tool_use.web_search_requests");
        UsageParsers.TryReadAnthropic(json, out var parsed).ShouldBeFalse();
        parsed.ShouldBeNull();
    }

    [Fact]
    public void ParseBedrock_ConverseWithCacheWrites_AddsTheCacheToTheInput()
    {
        var counts = UsageParsers.ParseBedrock(RealPayloads.BedrockConverseCache);

        counts.ShouldBe(new TokenCounts(4 + 2033, 143, cachedInput: 0, cacheWriteInput: 2033, cacheWriteLongTtlInput: 2033));
        counts.Total.ShouldBe(2180);
    }

    [Fact]
    public void ParseBedrock_ConverseStreamMetadata_ReadsItsUsage()
    {
        UsageParsers.ParseBedrock(RealPayloads.BedrockConverseStreamMetadata).ShouldBe(new TokenCounts(1030, 628, cachedInput: 1000));
    }

    [Fact]
    public void ReadBedrock_TotalShowingCacheInsideInput_DoesNotAddItTwice()
    {
        const string json = """{"usage": {"inputTokens": 1100, "outputTokens": 20, "totalTokens": 1120, "cacheReadInputTokens": 1000}}""";

        var usage = UsageParsers.ReadBedrock(json);

        usage.Tokens.ShouldBe(new TokenCounts(1100, 20, cachedInput: 1000));
        usage.Corrections.ShouldBe(UsageCorrections.CacheInsideInput);
    }

    [Theory]
    [InlineData("""{"usage": {"outputTokens": 1}}""", "usage.inputTokens is required")]
    [InlineData("""{"usage": {"inputTokens": 1, "outputTokens": -2}}""", "usage.outputTokens must be zero or greater")]
    [InlineData("""{"usage": null}""", "usage is null")]
    [InlineData("""{"metadata": {"usage": {"inputTokens": "3", "outputTokens": 1}}}""", "metadata.usage.inputTokens must be a non-negative integer")]
    public void ParseBedrock_BadInput_ThrowsFormatExceptionNamingTheMember(string json, string message)
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseBedrock(json)).Message.ShouldContain(message);
        UsageParsers.TryParseBedrock(json, out _).ShouldBeFalse();
    }

    [Fact]
    public void ReadGemini_AudioModalities_ReadsAudioParts()
    {
        var usage = UsageParsers.ReadGemini(RealPayloads.GeminiAudio);

        usage.Tokens.ShouldBe(new TokenCounts(1070, 680, 0, 0, 0, 0, inputAudio: 1040, cachedInputAudio: 0, outputAudio: 640));
        usage.ResponseModel.ShouldBe("gemini-2.5-flash-native-audio-preview-09-2025");
    }

    [Fact]
    public void ReadGemini_TotalShowingThoughtsInsideCandidates_DoesNotAddThemTwice()
    {
        var usage = UsageParsers.ReadGemini(RealPayloads.GeminiThoughtsInsideCandidates);

        usage.Tokens.ShouldBe(new TokenCounts(10, 1130, reasoning: 1100));
        usage.Tokens.Total.ShouldBe(1140);
        usage.Corrections.ShouldBe(UsageCorrections.ThoughtsInsideCandidates);
    }

    [Fact]
    public void ParseGemini_TotalIncludingThoughts_AddsThemToTheCandidates()
    {
        // Google's documented convention: totalTokenCount = prompt + candidates + thoughts.
        UsageParsers.ParseGemini("""{"promptTokenCount": 10, "candidatesTokenCount": 30, "thoughtsTokenCount": 100, "totalTokenCount": 140}""")
            .ShouldBe(new TokenCounts(10, 130, reasoning: 100));
    }

    [Fact]
    public void ReadGemini_GroundingQueries_CountsOneWebSearchPerQuery()
    {
        var usage = UsageParsers.ReadGemini(RealPayloads.GeminiGrounding);

        usage.ServerToolCalls.ShouldNotBeNull().ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
    }

    [Fact]
    public void ReadOpenAI_MetadataThatCannotBeStored_ReadsAsNull()
    {
        var usage = UsageParsers.ReadOpenAI("""{"model": "gpt\u0000x", "service_tier": 7, "usage": {"prompt_tokens": 1, "completion_tokens": 1}}""");

        usage.ResponseModel.ShouldBeNull();
        usage.ServiceTier.ShouldBeNull();
    }

    [Fact]
    public void ApplyTo_ParsedUsage_SetsTokensTierModelAndToolCallsKeepingTheRest()
    {
        var usage = UsageParsers.ReadAnthropic(RealPayloads.AnthropicWebSearch);
        var record = new UsageRecord { Model = "claude-opus-4-1", UserId = "u", ServiceTier = "batch" };

        var applied = usage.ApplyTo(record);

        applied.Tokens.ShouldBe(usage.Tokens);
        applied.ServiceTier.ShouldBe("priority");
        applied.ResponseModel.ShouldBe("claude-opus-4-1-20250805");
        applied.ServerToolCalls.ShouldBe(usage.ServerToolCalls);
        applied.UserId.ShouldBe("u");
        applied.Model.ShouldBe("claude-opus-4-1");
        Should.NotThrow(applied.Validate);
    }
}
