using System.Text;
using System.Text.Json;

namespace TokenAccounting.Tests.Recording;

/// <summary>
/// The parsers' contract (issue 12 §5): <c>Parse*</c> throws only <see cref="FormatException"/> for bad input and
/// <c>TryParse*</c> never throws, for the cases a fuzz run found escaping as other exceptions or as negative totals.
/// </summary>
public sealed class UsageParsersContractTests
{
    public static TheoryData<string> Providers => new() { "openai", "anthropic", "gemini", "bedrock" };

    [Theory]
    [MemberData(nameof(Providers))]
    public void Parse_StringWithLoneSurrogate_ThrowsFormatExceptionAndTryParseReturnsFalse(string provider)
    {
        var json = Valid(provider).Replace("}", ", \"note\": \"a\uD800b\"}", StringComparison.Ordinal);

        Should.Throw<FormatException>(() => ParseString(provider, json)).Message.ShouldContain("not valid UTF-16");
        TryParseString(provider, json).ShouldBeFalse();
    }

    [Fact]
    public void ParseAnthropicStream_StringWithLoneSurrogate_ThrowsFormatExceptionAndTryParseReturnsFalse()
    {
        const string start = """{"type": "message_start", "message": {"usage": {"input_tokens": 5, "output_tokens": 1}}}""";
        var delta = "{\"type\": \"message_delta\", \"usage\": {\"output_tokens\": 7}, \"x\": \"\uDC00\"}";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropicStream(start, delta));
        UsageParsers.TryParseAnthropicStream(start, delta, out _).ShouldBeFalse();
        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropicStream(delta, start));
    }

    [Theory]
    [InlineData("openai", "prompt_tokens")]
    [InlineData("anthropic", "input_tokens")]
    [InlineData("gemini", "promptTokenCount")]
    public void Parse_InvalidUtf8StringWhereACountBelongs_ThrowsFormatExceptionAndTryParseReturnsFalse(string provider, string member)
    {
        // "\xC3\x28" is not UTF-8; describing the bad value in the error used to throw InvalidOperationException.
        var utf8 = Encoding.UTF8.GetBytes(Valid(provider).Replace($"\"{member}\": 1200", $"\"{member}\": \"#\"", StringComparison.Ordinal));
        var at = Array.IndexOf(utf8, (byte)'#');
        utf8 = [.. utf8[..at], 0xC3, 0x28, .. utf8[(at + 1)..]];

        Should.Throw<FormatException>(() => ParseBytes(provider, utf8)).Message.ShouldContain("not valid UTF-8");
        TryParseBytes(provider, utf8).ShouldBeFalse();
        using var document = JsonDocument.Parse(utf8);
        Should.Throw<FormatException>(() => ParseElement(provider, document.RootElement));
        TryParseElement(provider, document.RootElement).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"prompt_tokens": 9223372036854775807, "completion_tokens": 9223372036854775807}""", "usage.completion_tokens")]
    [InlineData("""{"input_tokens": 9223372036854775807, "output_tokens": 1}""", "usage.output_tokens")]
    public void ParseOpenAI_CountsWhoseTotalOverflows_ThrowsFormatExceptionNamingTheMember(string json, string member)
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseOpenAI(json)).Message.ShouldStartWith(member);
        UsageParsers.TryParseOpenAI(json, out _).ShouldBeFalse();
    }

    [Fact]
    public void ParseAnthropic_CountsWhoseTotalOverflows_ThrowsFormatException()
    {
        const string json = """{"input_tokens": 9223372036854775807, "output_tokens": 9223372036854775807}""";

        Should.Throw<FormatException>(() => UsageParsers.ParseAnthropic(json)).Message.ShouldStartWith("usage.output_tokens");
        UsageParsers.TryParseAnthropic(json, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData("""{"promptTokenCount": 9223372036854775807, "candidatesTokenCount": 9223372036854775807}""")]
    [InlineData("""{"promptTokenCount": 9223372036854775000, "toolUsePromptTokenCount": 100, "candidatesTokenCount": 9000}""")]
    [InlineData("""{"promptTokenCount": 1, "candidatesTokenCount": 9223372036854775807, "thoughtsTokenCount": 9223372036854775807}""")]
    public void ParseGemini_CountsWhoseTotalOverflows_ThrowsFormatException(string json)
    {
        Should.Throw<FormatException>(() => UsageParsers.ParseGemini(json)).Message.ShouldStartWith("usageMetadata");
        UsageParsers.TryParseGemini(json, out _).ShouldBeFalse();
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Parse_DeeplyNestedValue_ThrowsFormatException(string provider)
    {
        var json = Valid(provider).Replace("1200", new string('[', 10_000) + new string(']', 10_000), StringComparison.Ordinal);

        Should.Throw<FormatException>(() => ParseString(provider, json));
        TryParseString(provider, json).ShouldBeFalse();
    }

    internal static string Valid(string provider) => provider switch
    {
        "openai" => """{"usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500, "prompt_tokens_details": {"cached_tokens": 1000}, "completion_tokens_details": {"reasoning_tokens": 100}}}""",
        "anthropic" => """{"type": "message", "usage": {"input_tokens": 1200, "output_tokens": 300, "cache_read_input_tokens": 40, "cache_creation_input_tokens": 30, "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 10}}}""",
        "bedrock" => """{"usage": {"inputTokens": 1200, "outputTokens": 300, "totalTokens": 1570, "cacheReadInputTokens": 40, "cacheWriteInputTokens": 30, "cacheDetails": [{"inputTokens": 30, "ttl": "1h"}]}}""",
        _ => """{"usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 300, "cachedContentTokenCount": 1000, "thoughtsTokenCount": 100, "toolUsePromptTokenCount": 5, "totalTokenCount": 1605}}""",
    };

    internal static TokenCounts ParseString(string provider, string json) => provider switch
    {
        "openai" => UsageParsers.ParseOpenAI(json),
        "anthropic" => UsageParsers.ParseAnthropic(json),
        "bedrock" => UsageParsers.ParseBedrock(json),
        _ => UsageParsers.ParseGemini(json),
    };

    internal static bool TryParseString(string provider, string json) => provider switch
    {
        "openai" => UsageParsers.TryParseOpenAI(json, out _),
        "anthropic" => UsageParsers.TryParseAnthropic(json, out _),
        "bedrock" => UsageParsers.TryParseBedrock(json, out _),
        _ => UsageParsers.TryParseGemini(json, out _),
    };

    internal static TokenCounts ParseBytes(string provider, byte[] utf8) => provider switch
    {
        "openai" => UsageParsers.ParseOpenAI(utf8),
        "anthropic" => UsageParsers.ParseAnthropic(utf8),
        "bedrock" => UsageParsers.ParseBedrock(utf8),
        _ => UsageParsers.ParseGemini(utf8),
    };

    internal static bool TryParseBytes(string provider, byte[] utf8) => provider switch
    {
        "openai" => UsageParsers.TryParseOpenAI(utf8, out _),
        "anthropic" => UsageParsers.TryParseAnthropic(utf8, out _),
        "bedrock" => UsageParsers.TryParseBedrock(utf8, out _),
        _ => UsageParsers.TryParseGemini(utf8, out _),
    };

    internal static TokenCounts ParseElement(string provider, JsonElement element) => provider switch
    {
        "openai" => UsageParsers.ParseOpenAI(element),
        "anthropic" => UsageParsers.ParseAnthropic(element),
        "bedrock" => UsageParsers.ParseBedrock(element),
        _ => UsageParsers.ParseGemini(element),
    };

    internal static bool TryParseElement(string provider, JsonElement element) => provider switch
    {
        "openai" => UsageParsers.TryParseOpenAI(element, out _),
        "anthropic" => UsageParsers.TryParseAnthropic(element, out _),
        "bedrock" => UsageParsers.TryParseBedrock(element, out _),
        _ => UsageParsers.TryParseGemini(element, out _),
    };

    internal static ParsedUsage ReadString(string provider, string json) => provider switch
    {
        "openai" => UsageParsers.ReadOpenAI(json),
        "anthropic" => UsageParsers.ReadAnthropic(json),
        "bedrock" => UsageParsers.ReadBedrock(json),
        _ => UsageParsers.ReadGemini(json),
    };

    internal static bool TryReadString(string provider, string json) => provider switch
    {
        "openai" => UsageParsers.TryReadOpenAI(json, out _),
        "anthropic" => UsageParsers.TryReadAnthropic(json, out _),
        "bedrock" => UsageParsers.TryReadBedrock(json, out _),
        _ => UsageParsers.TryReadGemini(json, out _),
    };

    internal static ParsedUsage ReadBytes(string provider, byte[] utf8) => provider switch
    {
        "openai" => UsageParsers.ReadOpenAI(utf8),
        "anthropic" => UsageParsers.ReadAnthropic(utf8),
        "bedrock" => UsageParsers.ReadBedrock(utf8),
        _ => UsageParsers.ReadGemini(utf8),
    };

    internal static bool TryReadBytes(string provider, byte[] utf8) => provider switch
    {
        "openai" => UsageParsers.TryReadOpenAI(utf8, out _),
        "anthropic" => UsageParsers.TryReadAnthropic(utf8, out _),
        "bedrock" => UsageParsers.TryReadBedrock(utf8, out _),
        _ => UsageParsers.TryReadGemini(utf8, out _),
    };
}
