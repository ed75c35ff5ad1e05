namespace TokenAccounting.Tests.Recording;

/// <summary>
/// Provider payloads for the issue 15 §4/§5 cases; the comment above each names its source and says whether the usage
/// is verbatim ("verbatim") or follows the documented member layout with illustrative counts ("shape"). Ids and content
/// are shortened where they do not matter.
/// </summary>
internal static class RealPayloads
{
    // Verbatim: OpenRouter documentation, "Usage Accounting" (response format example): an OpenAI-format chat completion chunk whose
    // prompt_tokens_details carries cache_write_tokens. genai-prices' OpenAI "chat" extractor reads the same member.
    public const string OpenAIChatCacheWrite = """
        {"object": "chat.completion.chunk",
         "usage": {"completion_tokens": 2, "completion_tokens_details": {"reasoning_tokens": 0}, "cost": 0.95,
                   "cost_details": {"upstream_inference_cost": 19}, "prompt_tokens": 194,
                   "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 100, "audio_tokens": 0},
                   "total_tokens": 196}}
        """;

    // Verbatim: a recorded streaming chunk of x-ai/grok-4.1-fast-reasoning through an OpenAI-compatible gateway (published in the
    // gateway's "cost and usage details (streaming)" documentation): cached_tokens and cache_write_tokens in
    // prompt_tokens_details, reasoning inside completion_tokens (total = prompt + completion).
    public const string OpenAIChatCacheReadAndWriteGateway = """
        {"object": "chat.completion.chunk", "model": "x-ai/grok-4.1-fast-reasoning",
         "usage": {"completion_tokens": 241, "completion_tokens_details": {"audio_tokens": 0, "image_tokens": 0, "reasoning_tokens": 204},
                   "prompt_tokens": 163, "prompt_tokens_details": {"audio_tokens": 0, "cache_write_tokens": 0, "cached_tokens": 162, "video_tokens": 0},
                   "total_tokens": 404}}
        """;

    // Shape: OpenAI Responses API usage object (API reference) with input_tokens_details.cache_write_tokens, the member
    // genai-prices' OpenAI "responses" extractor maps to cache writes.
    public const string OpenAIResponsesCacheWrite = """
        {"id": "resp_67ccd3a9da748190baa7f1570fe91ac6", "object": "response", "model": "gpt-5-2025-08-07", "service_tier": "default",
         "output": [],
         "usage": {"input_tokens": 3000, "input_tokens_details": {"cached_tokens": 1024, "cache_write_tokens": 1500},
                   "output_tokens": 300, "output_tokens_details": {"reasoning_tokens": 128}, "total_tokens": 3300}}
        """;

    // Verbatim: Google Cloud documentation, Vertex AI partner models, Grok "Reasoning" capability, example response: xAI reports
    // reasoning_tokens outside completion_tokens, total_tokens = 663 + 50 + 124 = 837.
    public const string XaiReasoningOutsideCompletion = """
        {"choices": [{"finish_reason": "stop", "index": 0, "logprobs": null,
                      "message": {"content": "I am Grok, an AI assistant built by xAI...", "role": "assistant"}}],
         "created": 1775523905, "id": "knTMaJC0EJfM5OMP7I3xkAk", "model": "xai/grok-4.1-fast-reasoning", "object": "chat.completion",
         "system_fingerprint": "fp_39c5j0a324",
         "usage": {"completion_tokens": 50,
                   "completion_tokens_details": {"accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 124, "rejected_prediction_tokens": 0},
                   "cost_in_usd_ticks": 0, "num_sources_used": 0, "prompt_tokens": 663,
                   "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 654, "image_tokens": 0, "text_tokens": 663},
                   "total_tokens": 837}}
        """;

    // Shape: xAI chat completion with Live Search (xAI API reference, usage object): num_sources_used counts the sources
    // the search used, billed per source; reasoning outside completion_tokens as above (total 1200 + 300 + 100).
    public const string XaiLiveSearchSources = """
        {"id": "3b5e1c2a-live-search", "object": "chat.completion", "created": 1752000000, "model": "grok-3",
         "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Here is today's news..."}}],
         "citations": ["https://example.com/a", "https://example.com/b"],
         "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1600,
                   "prompt_tokens_details": {"text_tokens": 1200, "audio_tokens": 0, "image_tokens": 0, "cached_tokens": 0},
                   "completion_tokens_details": {"reasoning_tokens": 100, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
                   "num_sources_used": 7}}
        """;

    // Shape: OpenAI Chat Completions usage with audio (API reference, gpt-4o-audio-preview): audio tokens in
    // prompt_tokens_details and completion_tokens_details, part of prompt_tokens and completion_tokens.
    public const string OpenAIChatAudio = """
        {"id": "chatcmpl-AaTt1", "object": "chat.completion", "model": "gpt-4o-audio-preview-2024-12-17", "service_tier": "default",
         "usage": {"prompt_tokens": 1195, "completion_tokens": 684, "total_tokens": 1879,
                   "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 1024, "text_tokens": 171, "image_tokens": 0},
                   "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 542, "text_tokens": 142,
                                                 "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}}
        """;

    // Shape: OpenAI documentation, Web search tool (Responses API): a response whose output holds a web_search_call item and then
    // the message; a chat completion's top-level service_tier says which tier served it.
    public const string OpenAIResponsesWebSearch = """
        {"id": "resp_68c187", "object": "response", "model": "gpt-5-2025-08-07", "service_tier": "flex",
         "output": [
           {"type": "web_search_call", "id": "ws_67c9fa0502748190b7dd390736892e100be649c1a5ff9609", "status": "completed"},
           {"type": "web_search_call", "id": "ws_67c9fa0502748190b7dd390736892e100be649c1a5ff9610", "status": "completed"},
           {"id": "msg_67c9fa077e288190af08fdffda2e34f20be649c1a5ff9609", "type": "message", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": "On March 6, 2025, several news...", "annotations": []}]}],
         "usage": {"input_tokens": 12000, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 400,
                   "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 12400}}
        """;

    // Shape: Anthropic documentation, Web search tool, example response usage (server_tool_use.web_search_requests) together with
    // the Messages API reference's usage.service_tier.
    public const string AnthropicWebSearch = """
        {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-opus-4-1-20250805", "content": [],
         "stop_reason": "end_turn",
         "usage": {"input_tokens": 105, "output_tokens": 6039, "cache_read_input_tokens": 7123, "cache_creation_input_tokens": 7345,
                   "server_tool_use": {"web_search_requests": 1}, "service_tier": "priority"}}
        """;

    // Shape: Anthropic Messages API reference usage (cache_creation breakdown beside cache_creation_input_tokens), with a
    // breakdown that disagrees with the total (5m 1,000 + 1h 1,500 against 1,200). Anthropic bills the total.
    public const string AnthropicCacheCreationMismatch = """
        {"id": "msg_02", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
         "usage": {"input_tokens": 10, "cache_creation_input_tokens": 1200, "cache_read_input_tokens": 0,
                   "cache_creation": {"ephemeral_5m_input_tokens": 1000, "ephemeral_1h_input_tokens": 1500},
                   "output_tokens": 50, "service_tier": "standard"}}
        """;

    // Shape: Amazon Bedrock API reference, Converse response / TokenUsage: inputTokens leaves the cache out; totalTokens =
    // inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens; cacheDetails splits the writes by TTL.
    public const string BedrockConverseCache = """
        {"output": {"message": {"role": "assistant", "content": [{"text": "..."}]}}, "stopReason": "end_turn",
         "usage": {"inputTokens": 4, "outputTokens": 143, "totalTokens": 2180, "cacheReadInputTokens": 0, "cacheWriteInputTokens": 2033,
                   "cacheDetails": [{"inputTokens": 2033, "ttl": "1h"}]},
         "metrics": {"latencyMs": 3046}}
        """;

    // Shape: Amazon Bedrock API reference, ConverseStream metadata event: usage and metrics at the end of the stream.
    public const string BedrockConverseStreamMetadata = """
        {"metadata": {"usage": {"inputTokens": 30, "outputTokens": 628, "totalTokens": 1658, "cacheReadInputTokens": 1000, "cacheWriteInputTokens": 0},
                      "metrics": {"latencyMs": 1201}}}
        """;

    // Shape: Gemini API reference, UsageMetadata / ModalityTokenCount: usageMetadata with per-modality
    // promptTokensDetails and candidatesTokensDetails; native-audio output reports AUDIO candidates.
    public const string GeminiAudio = """
        {"candidates": [{"content": {"parts": [{"text": "..."}], "role": "model"}, "finishReason": "STOP"}],
         "usageMetadata": {"promptTokenCount": 1070, "candidatesTokenCount": 680, "totalTokenCount": 1750,
                           "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 30}, {"modality": "AUDIO", "tokenCount": 1040}],
                           "candidatesTokensDetails": [{"modality": "AUDIO", "tokenCount": 640}, {"modality": "TEXT", "tokenCount": 40}]},
         "modelVersion": "gemini-2.5-flash-native-audio-preview-09-2025"}
        """;

    // Shape: a Vertex AI generateContent usage as described in LiteLLM's Gemini usage handling, which checks
    // totalTokenCount the same way): candidatesTokenCount already includes thoughtsTokenCount, total = prompt + candidates.
    public const string GeminiThoughtsInsideCandidates = """
        {"usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 1130, "thoughtsTokenCount": 1100, "totalTokenCount": 1140},
         "modelVersion": "gemini-2.5-pro"}
        """;

    // Shape: Gemini API documentation, "Grounding with Google Search", example response: groundingMetadata lists the
    // webSearchQueries the model ran.
    public const string GeminiGrounding = """
        {"candidates": [{"content": {"parts": [{"text": "Spain won Euro 2024..."}], "role": "model"},
                         "groundingMetadata": {"webSearchQueries": ["UEFA Euro 2024 winner", "who won euro 2024"],
                                               "searchEntryPoint": {"renderedContent": "..."}, "groundingChunks": [], "groundingSupports": []}}],
         "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 60, "totalTokenCount": 72},
         "modelVersion": "gemini-2.5-flash"}
        """;
}
