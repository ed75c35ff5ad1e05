using System.Text.Json;

namespace TokenAccounting.Tests.Recording;

public sealed class UsageParsersGeminiTests
{
    [Fact]
    public void ParseGemini_GenerateContentResponseWithThoughts_AddsThoughtsToOutput()
    {
        // Source: https://firebase.google.com/docs/ai-logic/server-prompt-templates/get-started (example test
        // response of a Gemini generateContent call; the candidate text is shortened, usageMetadata is unchanged).
        // candidatesTokenCount 418 excludes thoughtsTokenCount 438, so Output = 418 + 438 = 856, Reasoning 438.
        // Input = promptTokenCount 34. Total 34 + 856 = 890 (= totalTokenCount).
        var counts = UsageParsers.ParseGemini(ProviderFixtures.Read("gemini-generate-content-thinking.json"));

        counts.ShouldBe(new TokenCounts(input: 34, output: 856, reasoning: 438));
        counts.Total.ShouldBe(890);
    }

    [Fact]
    public void ParseGemini_UsageMetadataWithCacheAndToolUse_CountsToolUsePromptAsInput()
    {
        // Constructed from the UsageMetadata field definitions in https://ai.google.dev/api/generate-content#UsageMetadata:
        // promptTokenCount includes cachedContentTokenCount; toolUsePromptTokenCount (tool results fed back as input)
        // is not part of promptTokenCount; totalTokenCount = prompt + candidates + toolUsePrompt + thoughts.
        // Input = 2500 + 300 = 2800, CachedInput 2048, Output = 120 + 80 = 200, Reasoning 80, Total 3000 (= totalTokenCount).
        var counts = UsageParsers.ParseGemini(ProviderFixtures.Read("gemini-usage-metadata-cache-and-tools.json"));

        counts.ShouldBe(new TokenCounts(input: 2800, output: 200, cachedInput: 2048, reasoning: 80));
        counts.Total.ShouldBe(3000);
    }

    [Fact]
    public void ParseGemini_ResponseAndItsUsageMetadataElement_ReadTheSame()
    {
        using var document = JsonDocument.Parse(ProviderFixtures.Read("gemini-generate-content-thinking.json"));

        UsageParsers.ParseGemini(document.RootElement.GetProperty("usageMetadata"))
            .ShouldBe(UsageParsers.ParseGemini(document.RootElement));
    }

    [Fact]
    public void ParseGemini_OnlyPromptCount_OmittedZeroCountsReadAsZero()
    {
        // Gemini omits zero counts (proto3 JSON), e.g. a blocked prompt has no candidatesTokenCount.
        UsageParsers.ParseGemini("""{"usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}}""")
            .ShouldBe(new TokenCounts(input: 7, output: 0));
    }

    [Fact]
    public void ParseGemini_CachedExceedsPrompt_ThrowsFormatExceptionNamingCachedContentWithArgumentInner()
    {
        var ex = Should.Throw<FormatException>(() =>
            UsageParsers.ParseGemini("""{"promptTokenCount": 10, "cachedContentTokenCount": 11}"""));

        ex.Message.ShouldStartWith("usageMetadata.cachedContentTokenCount");
        var inner = ex.InnerException.ShouldBeOfType<ArgumentException>();
        inner.ParamName.ShouldBe("cachedContentTokenCount");
    }

    [Fact]
    public void ParseGemini_ResponseWithoutUsageMetadata_ThrowsFormatExceptionNamingPromptTokenCount()
    {
        const string json = """{"candidates": [{"content": {"parts": [{"text": "hi"}]}}]}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseGemini(json))
            .Message.ShouldBe("usageMetadata.promptTokenCount is required but is missing.");
    }

    [Fact]
    public void ParseGemini_StringTotalTokenCount_ThrowsFormatExceptionNamingTotal()
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseGemini("""{"promptTokenCount": 1, "totalTokenCount": "1"}"""))
            .Message.ShouldContain("usageMetadata.totalTokenCount must be a non-negative integer token count, but is a string");
    }

    [Fact]
    public void TryParseGemini_ValidResponse_ReturnsTrueAndTheCounts()
    {
        UsageParsers.TryParseGemini(ProviderFixtures.Read("gemini-generate-content-thinking.json"), out var counts).ShouldBeTrue();
        counts.Reasoning.ShouldBe(438);
    }
}
