using System.Text;
using System.Text.Json;

namespace TokenAccounting.Tests.Recording;

public sealed class UsageParsersOpenAITests
{
    [Fact]
    public void ParseOpenAI_ChatCompletionObjectFromApiReference_TakesPromptAndCompletionAsTheyAre()
    {
        // Source: https://platform.openai.com/docs/api-reference/chat/object (the chat completion object example).
        // prompt_tokens 19 (cached 0), completion_tokens 10 (reasoning 0): OpenAI counts are already inclusive.
        // Expected: Input 19, Output 10, CachedInput 0, Reasoning 0, Total 29 (= total_tokens).
        var counts = UsageParsers.ParseOpenAI(ProviderFixtures.Read("openai-chat-completion.json"));

        counts.ShouldBe(new TokenCounts(input: 19, output: 10));
        counts.Total.ShouldBe(29);
    }

    [Fact]
    public void ParseOpenAI_PromptCachingGuideUsage_CachedTokensArePartOfInput()
    {
        // Source: https://platform.openai.com/docs/guides/prompt-caching (usage of a request that hit the cache).
        // prompt_tokens 2006 already includes prompt_tokens_details.cached_tokens 1920, so nothing is added:
        // Input 2006, CachedInput 1920, UncachedInput 2006 - 1920 = 86, Output 300, Total 2306 (= total_tokens).
        var counts = UsageParsers.ParseOpenAI(ProviderFixtures.Read("openai-chat-prompt-caching-usage.json"));

        counts.ShouldBe(new TokenCounts(input: 2006, output: 300, cachedInput: 1920));
        counts.UncachedInput.ShouldBe(86);
        counts.Total.ShouldBe(2306);
    }

    [Fact]
    public void ParseOpenAI_ResponsesObjectFromApiReference_ReadsInputAndOutputTokens()
    {
        // Source: https://platform.openai.com/docs/api-reference/responses/object (the response object example).
        // input_tokens 328 (cached 0), output_tokens 52 (reasoning 0): Input 328, Output 52, Total 380 (= total_tokens).
        var counts = UsageParsers.ParseOpenAI(ProviderFixtures.Read("openai-responses-object.json"));

        counts.ShouldBe(new TokenCounts(input: 328, output: 52));
        counts.Total.ShouldBe(380);
    }

    [Fact]
    public void ParseOpenAI_ReasoningGuideResponsesUsage_ReasoningIsPartOfOutput()
    {
        // Source: https://platform.openai.com/docs/guides/reasoning (usage object of a reasoning model's response).
        // output_tokens 1186 already includes output_tokens_details.reasoning_tokens 1024 (visible answer 162):
        // Input 75, Output 1186, Reasoning 1024, Total 1261 (= total_tokens, reasoning not added twice).
        var counts = UsageParsers.ParseOpenAI(ProviderFixtures.Read("openai-responses-reasoning-usage.json"));

        counts.ShouldBe(new TokenCounts(input: 75, output: 1186, reasoning: 1024));
        counts.Total.ShouldBe(1261);
    }

    [Fact]
    public void ParseOpenAI_EmbeddingsResponseFromApiReference_OutputIsZero()
    {
        // Source: https://platform.openai.com/docs/api-reference/embeddings/create (response example; the
        // 1536-float vector, elided with "..." in the documentation, is shortened to its three listed values).
        // usage { prompt_tokens 8, total_tokens 8 } has no completion: Input 8, Output 0, Total 8.
        var counts = UsageParsers.ParseOpenAI(ProviderFixtures.Read("openai-embeddings.json"));

        counts.ShouldBe(new TokenCounts(input: 8, output: 0));
    }

    [Fact]
    public void ParseOpenAI_ChatUsageWithAudioAndPredictionDetails_ReadsAudioAndIgnoresPredictions()
    {
        const string json = """
            {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160,
             "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 10},
             "completion_tokens_details": {"reasoning_tokens": 16, "audio_tokens": 5, "accepted_prediction_tokens": 3, "rejected_prediction_tokens": 2}}
            """;

        // Issue 15 §4: audio tokens are now read (parts of prompt and completion); prediction counts are still ignored.
        UsageParsers.ParseOpenAI(json).ShouldBe(new TokenCounts(120, 40, 64, 0, 0, 16, inputAudio: 10, cachedInputAudio: 0, outputAudio: 5));
    }

    [Fact]
    public void ParseOpenAI_NullDetailsAndNullOptionalCounts_ReadAsZero()
    {
        const string json = """
            {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": null,
             "prompt_tokens_details": null, "completion_tokens_details": {"reasoning_tokens": null}}
            """;

        UsageParsers.ParseOpenAI(json).ShouldBe(new TokenCounts(input: 5, output: 7));
    }

    [Fact]
    public void ParseOpenAI_ResponsesStreamCompletedEvent_ReadsResponseUsage()
    {
        const string json = """
            {"type": "response.completed", "sequence_number": 9,
             "response": {"id": "resp_1", "object": "response", "status": "completed",
               "usage": {"input_tokens": 12, "input_tokens_details": {"cached_tokens": 4}, "output_tokens": 9,
                         "output_tokens_details": {"reasoning_tokens": 2}, "total_tokens": 21}}}
            """;

        UsageParsers.ParseOpenAI(json).ShouldBe(new TokenCounts(input: 12, output: 9, cachedInput: 4, reasoning: 2));
    }

    [Fact]
    public void ParseOpenAI_JsonElementOfUsageObject_ReadsTheSameAsTheWholeResponse()
    {
        using var document = JsonDocument.Parse(ProviderFixtures.Read("openai-chat-prompt-caching-usage.json"));
        var usageOnly = document.RootElement.GetProperty("usage");

        UsageParsers.ParseOpenAI(usageOnly).ShouldBe(UsageParsers.ParseOpenAI(document.RootElement));
        UsageParsers.ParseOpenAI(usageOnly).CachedInput.ShouldBe(1920);
    }

    [Fact]
    public void ParseOpenAI_Utf8Bytes_ReadsTheSameAsTheString()
    {
        var bytes = ProviderFixtures.ReadUtf8("openai-responses-reasoning-usage.json");

        UsageParsers.ParseOpenAI(bytes.AsSpan()).ShouldBe(new TokenCounts(input: 75, output: 1186, reasoning: 1024));
    }

    [Fact]
    public void ParseOpenAI_Utf8BytesWithByteOrderMark_IsAccepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("""{"prompt_tokens": 3, "completion_tokens": 4}""")).ToArray();

        UsageParsers.ParseOpenAI(bytes).ShouldBe(new TokenCounts(input: 3, output: 4));
    }

    [Fact]
    public void TryParseOpenAI_ValidPayload_ReturnsTrueAndTheCounts()
    {
        UsageParsers.TryParseOpenAI(ProviderFixtures.Read("openai-chat-completion.json"), out var counts).ShouldBeTrue();
        counts.ShouldBe(new TokenCounts(19, 10));
    }

    [Fact]
    public void TryParseOpenAI_AllOverloadsOnValidPayload_AgreeWithParse()
    {
        var json = ProviderFixtures.Read("openai-chat-prompt-caching-usage.json");
        using var document = JsonDocument.Parse(json);
        var expected = UsageParsers.ParseOpenAI(json);

        UsageParsers.TryParseOpenAI(document.RootElement, out var fromElement).ShouldBeTrue();
        UsageParsers.TryParseOpenAI(Encoding.UTF8.GetBytes(json).AsSpan(), out var fromBytes).ShouldBeTrue();
        fromElement.ShouldBe(expected);
        fromBytes.ShouldBe(expected);
    }
}
