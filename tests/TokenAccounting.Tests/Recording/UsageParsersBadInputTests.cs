using System.Text;
using System.Text.Json;

namespace TokenAccounting.Tests.Recording;

public sealed class UsageParsersBadInputTests
{
    [Theory]
    [InlineData("""{"prompt_tokens": "19", "completion_tokens": 10}""", "usage.prompt_tokens must be a non-negative integer token count, but is a string (\"19\").")]
    [InlineData("""{"prompt_tokens": 19.5, "completion_tokens": 10}""", "usage.prompt_tokens must be an integer token count, but is 19.5.")]
    [InlineData("""{"prompt_tokens": 1e3, "completion_tokens": 10}""", "usage.prompt_tokens must be an integer token count, but is 1e3.")]
    [InlineData("""{"prompt_tokens": 19, "completion_tokens": -1}""", "usage.completion_tokens must be zero or greater, but is -1.")]
    [InlineData("""{"prompt_tokens": 99999999999999999999, "completion_tokens": 1}""", "usage.prompt_tokens (99999999999999999999) does not fit in a 64-bit token count.")]
    [InlineData("""{"prompt_tokens": null, "completion_tokens": 1}""", "usage.prompt_tokens is required but is null.")]
    [InlineData("""{"prompt_tokens": true, "completion_tokens": 1}""", "usage.prompt_tokens must be a non-negative integer token count, but is a boolean (true).")]
    [InlineData("""{"prompt_tokens": 5, "prompt_tokens_details": {"cached_tokens": "x"}}""", "usage.prompt_tokens_details.cached_tokens must be a non-negative integer token count, but is a string (\"x\").")]
    [InlineData("""{"prompt_tokens": 5, "completion_tokens": 1, "prompt_tokens_details": [1]}""", "usage.prompt_tokens_details must be a JSON object, but is an array.")]
    [InlineData("""{"usage": {"input_tokens": 5, "output_tokens": {}}}""", "usage.output_tokens must be a non-negative integer token count, but is an object.")]
    [InlineData("""{"input_tokens": 5}""", "usage.output_tokens is required but is missing.")]
    [InlineData("""{"usage": null, "choices": []}""", "usage is null: the payload carries no usage report.")]
    [InlineData("""{"usage": 12}""", "usage must be a JSON object, but is the number 12.")]
    [InlineData("""[1, 2]""", "The OpenAI usage must be a JSON object, but is an array.")]
    public void ParseOpenAI_BadMember_ThrowsFormatExceptionNamingThePathAndProblem(string json, string expectedMessage)
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json)).Message.ShouldBe(expectedMessage);
        UsageParsers.TryParseOpenAI(json, out var counts).ShouldBeFalse();
        counts.ShouldBe(default);
    }

    [Fact]
    public void ParseOpenAI_CachedExceedsPrompt_ThrowsFormatExceptionNamingCachedTokensWithArgumentInner()
    {
        const string json = """{"usage": {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 11}}}""";

        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json));

        ex.Message.ShouldStartWith("usage.prompt_tokens_details.cached_tokens is inconsistent with the other counts:");
        ex.InnerException.ShouldBeOfType<ArgumentException>().ParamName.ShouldBe("cachedTokens");
    }

    [Fact]
    public void ParseOpenAI_ReasoningExceedsOutputInResponses_ThrowsFormatExceptionNamingReasoningTokens()
    {
        const string json = """{"response": {"usage": {"input_tokens": 10, "output_tokens": 1, "output_tokens_details": {"reasoning_tokens": 2}}}}""";

        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json));

        ex.Message.ShouldStartWith("response.usage.output_tokens_details.reasoning_tokens is inconsistent with the other counts:");
        ex.InnerException.ShouldBeOfType<ArgumentException>().ParamName.ShouldBe("reasoningTokens");
    }

    [Fact]
    public void ParseOpenAI_ChatUsageMissingCompletionWithLargerTotal_ThrowsFormatExceptionNamingCompletionTokens()
    {
        // Not an embeddings usage: the total says 5 tokens were generated, so dropping them silently would under-count.
        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI("""{"prompt_tokens": 10, "total_tokens": 15}"""));

        ex.Message.ShouldStartWith("usage.completion_tokens is missing");
    }

    [Fact]
    public void ParseOpenAI_NeitherPromptNorInputTokens_ThrowsFormatExceptionNamingBothShapes()
    {
        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI("""{"id": "chatcmpl-1", "choices": []}"""));

        ex.Message.ShouldContain("usage.prompt_tokens");
        ex.Message.ShouldContain("usage.input_tokens");
    }

    [Theory]
    [InlineData("{\"prompt_tokens\": 1,")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"prompt_tokens\": 1} {}")]
    public void ParseOpenAI_MalformedJsonText_ThrowsFormatExceptionWithJsonInner(string json)
    {
        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json));

        ex.Message.ShouldStartWith("The usage JSON is malformed");
        ex.InnerException.ShouldBeAssignableTo<JsonException>();
        UsageParsers.TryParseOpenAI(json, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("{\"input_tokens\": 1,")]
    [InlineData("")]
    [InlineData("{\"input_tokens\": 1, \"output_tokens\": 2} x")]
    [InlineData("{\"input_tokens\": 1, \"output_tokens\": 2} {}")]
    public void ParseAnthropic_MalformedUtf8_ThrowsFormatException(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(bytes.AsSpan())).Message.ShouldStartWith("The usage JSON is malformed");
        UsageParsers.TryParseAnthropic(bytes.AsSpan(), out _).ShouldBeFalse();
    }

    [Fact]
    public void ParseGemini_DefaultJsonElement_ThrowsFormatException()
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseGemini(default(JsonElement))).Message.ShouldContain("holds no value");
        UsageParsers.TryParseGemini(default(JsonElement), out _).ShouldBeFalse();
    }

    [Fact]
    public void ParseOpenAI_NullString_ThrowsArgumentNullException()
    {
        Should.Throw<ArgumentNullException>(() => UsageParsers.ParseOpenAI((string)null!)).ParamName.ShouldBe("json");
    }

    [Fact]
    public void TryParseAllProviders_NullString_ReturnFalse()
    {
        UsageParsers.TryParseOpenAI((string?)null, out _).ShouldBeFalse();
        UsageParsers.TryParseAnthropic((string?)null, out _).ShouldBeFalse();
        UsageParsers.TryParseGemini((string?)null, out _).ShouldBeFalse();
    }

    [Fact]
    public void ParseAnthropic_BadOneHourCount_ThrowsFormatExceptionNamingNestedPath()
    {
        const string json = """{"input_tokens": 1, "output_tokens": 1, "cache_creation": {"ephemeral_1h_input_tokens": 1.5}}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(json))
            .Message.ShouldBe("usage.cache_creation.ephemeral_1h_input_tokens must be an integer token count, but is 1.5.");
    }

    [Fact]
    public void ParseGemini_NegativeThoughts_ThrowsFormatExceptionNamingThoughts()
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseGemini("""{"promptTokenCount": 1, "thoughtsTokenCount": -3}"""))
            .Message.ShouldBe("usageMetadata.thoughtsTokenCount must be zero or greater, but is -3.");
    }

    [Fact]
    public void ParseGemini_PromptPlusToolUseOverflows_ThrowsFormatException()
    {
        var json = $$"""{"promptTokenCount": {{long.MaxValue}}, "toolUsePromptTokenCount": 1}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseGemini(json)).Message.ShouldContain("toolUsePromptTokenCount");
    }

    [Fact]
    public void ParseOpenAI_VeryLongBadValue_QuotesItTruncated()
    {
        var longString = new string('7', 200);
        var ex = Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI($$"""{"prompt_tokens": "{{longString}}"}"""));

        ex.Message.Length.ShouldBeLessThan(150);
        ex.Message.ShouldContain("…");
    }
}
