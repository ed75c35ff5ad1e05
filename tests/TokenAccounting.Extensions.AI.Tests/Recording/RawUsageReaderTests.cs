using System.Text.Json;

namespace TokenAccounting.Extensions.AI.Tests.Recording;

public sealed class RawUsageReaderTests
{
    [Fact]
    public void Supplement_CacheWriteAboveUncachedInput_ClampedSoTheInvariantsHold()
    {
        var raw = new JsonRaw("""{"usage":{"prompt_tokens":100,"prompt_tokens_details":{"cached_tokens":80,"cache_write_tokens":50}}}""");

        var tokens = RawUsageReader.Supplement(new TokenCounts(100, 5, cachedInput: 80), raw);

        tokens.ShouldBe(new TokenCounts(100, 5, cachedInput: 80, cacheWriteInput: 20));
    }

    [Fact]
    public void Supplement_OneHourPartLargerThanTheWrites_ClampedToTheWrites()
    {
        var raw = new JsonRaw("""{"message":{"usage":{"input_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":900}}}}""");

        RawUsageReader.Supplement(new TokenCounts(500, 5, cacheWriteInput: 300), raw)
            .ShouldBe(new TokenCounts(500, 5, cacheWriteInput: 300, cacheWriteLongTtlInput: 300));
    }

    [Fact]
    public void Supplement_ResponsesCompletedEvent_ReadsTheWrappedResponsesUsage()
    {
        var raw = new JsonRaw("""{"type":"response.completed","response":{"usage":{"input_tokens":500,"input_tokens_details":{"cached_tokens":100,"cache_write_tokens":300}}}}""");

        RawUsageReader.Supplement(new TokenCounts(500, 9, cachedInput: 100), raw)
            .ShouldBe(new TokenCounts(500, 9, cachedInput: 100, cacheWriteInput: 300));
    }

    [Fact]
    public void Supplement_UnreadableOrUnrelatedRaw_CountsUnchanged()
    {
        var tokens = new TokenCounts(100, 5, cachedInput: 80);

        RawUsageReader.Supplement(tokens, new object()).ShouldBe(tokens);
        RawUsageReader.Supplement(tokens, "a string").ShouldBe(tokens);
        RawUsageReader.Supplement(tokens, new JsonRaw("""{"usage":{"prompt_tokens_details":{"cache_write_tokens":"many"}}}""")).ShouldBe(tokens);
        RawUsageReader.Supplement(tokens, new JsonRaw("[1,2]")).ShouldBe(tokens);
        RawUsageReader.Supplement(tokens, null).ShouldBe(tokens);
    }

    [Fact]
    public void Supplement_RawDataDictionary_ReadsTheUsageEntry()
    {
        using var usage = JsonDocument.Parse("""{"input_tokens":10,"cache_creation":{"ephemeral_1h_input_tokens":40}}""");
        var raw = new DictionaryRaw(new Dictionary<string, JsonElement> { ["usage"] = usage.RootElement.Clone() });

        RawUsageReader.Supplement(new TokenCounts(100, 1, cacheWriteInput: 60), raw)
            .ShouldBe(new TokenCounts(100, 1, cacheWriteInput: 60, cacheWriteLongTtlInput: 40));
    }

    /// <summary>Shaped like the Anthropic SDK's stream events: a public <c>Json</c> element.</summary>
    private sealed class JsonRaw(string json)
    {
        public JsonElement Json { get; } = JsonDocument.Parse(json).RootElement.Clone();
    }

    /// <summary>Shaped like the Anthropic SDK's models: a public <c>RawData</c> dictionary.</summary>
    private sealed class DictionaryRaw(IReadOnlyDictionary<string, JsonElement> data)
    {
        public IReadOnlyDictionary<string, JsonElement> RawData { get; } = data;
    }
}
