using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Adapters;

/// <summary>
/// The official OpenAI SDK behind Microsoft.Extensions.AI.OpenAI's adapters, over a canned HTTP transport answering
/// with the payloads OpenAI documents: what the accounting middleware records from what the adapter reports.
/// </summary>
public sealed class OpenAIAdapterTests : IDisposable
{
    private const string Question = "Hello there, how are you?"; // 25 UTF-8 bytes

    private readonly CannedHttpHandler _http = new();
    private readonly CapturingRecorder _recorder = new();

    public void Dispose() => _http.Dispose();

    private OpenAIClient Client() => new(new ApiKeyCredential("test-key"), new OpenAIClientOptions
    {
        Transport = new HttpClientPipelineTransport(new HttpClient(_http)),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    private IChatClient Chat(string model) => Client().GetChatClient(model).AsIChatClient().AsBuilder().UseTokenAccounting(_recorder).Build();

    [Fact]
    public async Task ChatCompletions_CachedAndReasoningTokens_RecordedInclusiveAndNotTwice()
    {
        _http.Json("""
            {
              "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
              "object": "chat.completion",
              "created": 1741570283,
              "model": "o4-mini-2025-04-16",
              "choices": [
                {
                  "index": 0,
                  "message": { "role": "assistant", "content": "I am well, thank you.", "refusal": null, "annotations": [] },
                  "logprobs": null,
                  "finish_reason": "stop"
                }
              ],
              "usage": {
                "prompt_tokens": 2006,
                "completion_tokens": 300,
                "total_tokens": 2306,
                "prompt_tokens_details": { "cached_tokens": 1920, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 192, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
              },
              "service_tier": "default",
              "system_fingerprint": null
            }
            """);

        var response = await Chat("o4-mini").GetResponseAsync(Question);

        response.Text.ShouldBe("I am well, thank you.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(2006, 300, cachedInput: 1920, reasoning: 192));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        (record.Model, record.ResponseModel, record.Provider).ShouldBe(("o4-mini", "o4-mini-2025-04-16", "openai"));
    }

    [Fact]
    public async Task ChatCompletions_CacheWriteTokens_RecordedAsCacheWriteInsideInput()
    {
        // GPT-5.6 and later report prompt-cache writes in prompt_tokens_details.cache_write_tokens (inside prompt_tokens).
        // The adapter does not carry the field into UsageDetails; the middleware reads it from the raw usage.
        _http.Json("""
            {
              "id": "chatcmpl-C1",
              "object": "chat.completion",
              "created": 1764547200,
              "model": "gpt-5.6-2026-10-01",
              "choices": [ { "index": 0, "message": { "role": "assistant", "content": "ok", "refusal": null, "annotations": [] }, "logprobs": null, "finish_reason": "stop" } ],
              "usage": {
                "prompt_tokens": 2600,
                "completion_tokens": 50,
                "total_tokens": 2650,
                "prompt_tokens_details": { "cached_tokens": 2000, "cache_write_tokens": 400, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
              },
              "service_tier": "default"
            }
            """);

        await Chat("gpt-5.6").GetResponseAsync(Question);

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(2600, 50, cachedInput: 2000, cacheWriteInput: 400));
    }

    [Fact]
    public async Task ChatCompletionsStreaming_AdapterAsksForUsage_FinalUsageChunkRecorded()
    {
        _http.EventStream("""
            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Fine,"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" thanks."},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":12,"total_tokens":1212,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

            data: [DONE]


            """);

        var text = string.Empty;
        await foreach (var update in Chat("gpt-4o-mini").GetStreamingResponseAsync(Question))
        {
            text += update.Text;
        }

        text.ShouldBe("Fine, thanks.");
        _http.Requests.ShouldHaveSingleItem().Body.ShouldContain("\"stream_options\":{\"include_usage\":true}");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(1200, 12, cachedInput: 1024));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.ResponseModel.ShouldBe("gpt-4o-mini-2024-07-18");
    }

    [Fact]
    public async Task ChatCompletionsStreaming_CacheWriteTokensInTheUsageChunk_Recorded()
    {
        _http.EventStream("""
            data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1764547200,"model":"gpt-5.6-2026-10-01","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1764547200,"model":"gpt-5.6-2026-10-01","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-7","object":"chat.completion.chunk","created":1764547200,"model":"gpt-5.6-2026-10-01","choices":[],"usage":{"prompt_tokens":3000,"completion_tokens":20,"total_tokens":3020,"prompt_tokens_details":{"cached_tokens":0,"cache_write_tokens":2900,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":8,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

            data: [DONE]


            """);

        await foreach (var _ in Chat("gpt-5.6").GetStreamingResponseAsync(Question))
        {
        }

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(3000, 20, cacheWriteInput: 2900, reasoning: 8));
    }

    [Fact]
    public async Task ChatCompletionsStreaming_ServerSendsNoUsage_EstimatedFromRequestBytesAndChunks()
    {
        // An OpenAI-compatible server that ignores stream_options: no usage chunk arrives.
        _http.EventStream("""
            data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1694268190,"model":"local-model","choices":[{"index":0,"delta":{"role":"assistant","content":"Fine,"},"finish_reason":null}]}

            data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1694268190,"model":"local-model","choices":[{"index":0,"delta":{"content":" thanks"},"finish_reason":null}]}

            data: {"id":"chatcmpl-9","object":"chat.completion.chunk","created":1694268190,"model":"local-model","choices":[{"index":0,"delta":{"content":"."},"finish_reason":"stop"}]}

            data: [DONE]


            """);

        await foreach (var _ in Chat("local-model").GetStreamingResponseAsync(Question))
        {
        }

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(7, 3)); // ⌈25 / 4⌉ input, one token per content chunk
        record.Provenance.ShouldBe(UsageProvenance.Estimated);
        record.DegradedReason.ShouldBe("usage_not_reported");
        record.Outcome.ShouldBe(UsageOutcome.Succeeded);
    }

    [Fact]
    public async Task ChatCompletions_ToolLoopThroughAddChatClient_OneRecordPerRoundTripAttributedToTheScope()
    {
        _http.Json("""
            {
              "id": "chatcmpl-tool1", "object": "chat.completion", "created": 1741570283, "model": "gpt-4o-mini-2024-07-18",
              "choices": [ { "index": 0, "message": { "role": "assistant", "content": null, "refusal": null, "annotations": [],
                "tool_calls": [ { "id": "call_abc123", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } } ] },
                "logprobs": null, "finish_reason": "tool_calls" } ],
              "usage": { "prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99,
                "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 } }
            }
            """).Json("""
            {
              "id": "chatcmpl-tool2", "object": "chat.completion", "created": 1741570284, "model": "gpt-4o-mini-2024-07-18",
              "choices": [ { "index": 0, "message": { "role": "assistant", "content": "It is sunny in Paris.", "refusal": null, "annotations": [] }, "logprobs": null, "finish_reason": "stop" } ],
              "usage": { "prompt_tokens": 121, "completion_tokens": 8, "total_tokens": 129,
                "prompt_tokens_details": { "cached_tokens": 64, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 } }
            }
            """);
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        services.AddChatClient(Client().GetChatClient("gpt-4o-mini").AsIChatClient()).UseFunctionInvocation().UseTokenAccounting();
        await using var provider = services.BuildServiceProvider();
        var weather = AIFunctionFactory.Create((string city) => "sunny", "get_weather");

        using (UsageScope.Begin("weather", userId: "u-1", tenantId: "t-1"))
        {
            var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync("Weather in Paris?", new ChatOptions { Tools = [weather] });
            response.Text.ShouldBe("It is sunny in Paris.");
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        var records = provider.GetRequiredService<InMemoryUsageSink>().Records;
        records.Select(r => r.Tokens).ShouldBe([new TokenCounts(82, 17), new TokenCounts(121, 8, cachedInput: 64)]);
        records.ShouldAllBe(r => r.UserId == "u-1" && r.TenantId == "t-1" && r.Model == "gpt-4o-mini" && r.Provider == "openai");
        _http.Requests.Count.ShouldBe(2);
    }

    [Fact]
    public async Task Responses_CachedReasoningAndCacheWriteTokens_Recorded()
    {
        _http.Json("""
            {
              "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
              "object": "response",
              "created_at": 1741476542,
              "status": "completed",
              "error": null,
              "incomplete_details": null,
              "instructions": null,
              "max_output_tokens": null,
              "model": "gpt-5.6-2026-10-01",
              "output": [
                {
                  "type": "message",
                  "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                  "status": "completed",
                  "role": "assistant",
                  "content": [ { "type": "output_text", "text": "I am well.", "annotations": [] } ]
                }
              ],
              "parallel_tool_calls": true,
              "previous_response_id": null,
              "reasoning": { "effort": "medium", "summary": null },
              "store": true,
              "temperature": 1.0,
              "text": { "format": { "type": "text" } },
              "tool_choice": "auto",
              "tools": [],
              "top_p": 1.0,
              "truncation": "disabled",
              "usage": {
                "input_tokens": 3438,
                "input_tokens_details": { "cached_tokens": 3000, "cache_write_tokens": 400 },
                "output_tokens": 87,
                "output_tokens_details": { "reasoning_tokens": 64 },
                "total_tokens": 3525
              },
              "user": null,
              "metadata": {}
            }
            """);
#pragma warning disable OPENAI001 // The Responses client is marked experimental by the SDK.
        var chat = Client().GetResponsesClient().AsIChatClient("gpt-5.6").AsBuilder().UseTokenAccounting(_recorder).Build();
#pragma warning restore OPENAI001

        var response = await chat.GetResponseAsync(Question);

        response.Text.ShouldBe("I am well.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(3438, 87, cachedInput: 3000, cacheWriteInput: 400, reasoning: 64));
        (record.Model, record.ResponseModel, record.Provider).ShouldBe(("gpt-5.6", "gpt-5.6-2026-10-01", "openai"));
    }

    [Fact]
    public async Task ResponsesStreaming_CompletedEventUsage_Recorded()
    {
        _http.EventStream("""
            event: response.created
            data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

            event: response.output_item.added
            data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Fine,"}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" thanks."}

            event: response.output_item.done
            data: {"type":"response.output_item.done","sequence_number":4,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Fine, thanks.","annotations":[]}]}}

            event: response.completed
            data: {"type":"response.completed","sequence_number":5,"response":{"id":"resp_1","object":"response","created_at":1741290958,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Fine, thanks.","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":1500,"input_tokens_details":{"cached_tokens":1280},"output_tokens":9,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":1509},"user":null,"metadata":{}}}


            """);
#pragma warning disable OPENAI001
        var chat = Client().GetResponsesClient().AsIChatClient("gpt-4.1").AsBuilder().UseTokenAccounting(_recorder).Build();
#pragma warning restore OPENAI001

        var text = string.Empty;
        await foreach (var update in chat.GetStreamingResponseAsync(Question))
        {
            text += update.Text;
        }

        text.ShouldBe("Fine, thanks.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(1500, 9, cachedInput: 1280));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.ResponseModel.ShouldBe("gpt-4.1-2025-04-14");
    }

    [Fact]
    public async Task ChatCompletions_ServedTierDiffersFromTheRequestedOne_ServedTierRecorded()
    {
        // Asked for "flex" through the attribution resolver; the completion says "priority" served it.
        _http.Json("""
            {
              "id": "chatcmpl-C2",
              "object": "chat.completion",
              "created": 1764547200,
              "model": "o4-mini-2025-04-16",
              "choices": [ { "index": 0, "message": { "role": "assistant", "content": "ok", "refusal": null, "annotations": [] }, "logprobs": null, "finish_reason": "stop" } ],
              "usage": {
                "prompt_tokens": 20,
                "completion_tokens": 2,
                "total_tokens": 22,
                "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
              },
              "service_tier": "priority",
              "system_fingerprint": null
            }
            """);
        var chat = Client().GetChatClient("o4-mini").AsIChatClient().AsBuilder()
            .UseTokenAccounting(_recorder, o => o.AttributionResolver = (_, _) => new UsageAttribution { ServiceTier = "flex" })
            .Build();

        await chat.GetResponseAsync(Question);

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.ServiceTier.ShouldBe("priority");
        record.ServerToolCalls.ShouldBeNull();
        record.Tokens.ShouldBe(new TokenCounts(20, 2));
    }

    [Fact]
    public async Task ChatCompletions_NoTierInTheResponse_RequestedTierKept()
    {
        _http.Json("""
            {
              "id": "chatcmpl-C3",
              "object": "chat.completion",
              "created": 1764547200,
              "model": "gpt-4o-mini-2024-07-18",
              "choices": [ { "index": 0, "message": { "role": "assistant", "content": "ok", "refusal": null, "annotations": [] }, "logprobs": null, "finish_reason": "stop" } ],
              "usage": { "prompt_tokens": 20, "completion_tokens": 2, "total_tokens": 22 }
            }
            """);
        var chat = Client().GetChatClient("gpt-4o-mini").AsIChatClient().AsBuilder()
            .UseTokenAccounting(_recorder, o => o.AttributionResolver = (_, _) => new UsageAttribution { ServiceTier = "flex" })
            .Build();

        await chat.GetResponseAsync(Question);

        _recorder.Records.ShouldHaveSingleItem().ServiceTier.ShouldBe("flex");
    }

    [Fact]
    public async Task ChatCompletionsStreaming_ServiceTierOnTheChunks_Recorded()
    {
        _http.EventStream("""
            data: {"id":"chatcmpl-124","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","service_tier":"flex","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-124","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","service_tier":"flex","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":"Fine."},"logprobs":null,"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-124","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","service_tier":"flex","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

            data: {"id":"chatcmpl-124","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini-2024-07-18","service_tier":"flex","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":12,"total_tokens":1212,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

            data: [DONE]


            """);

        await foreach (var _ in Chat("gpt-4o-mini").GetStreamingResponseAsync(Question))
        {
        }

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(1200, 12, cachedInput: 1024));
        record.ServiceTier.ShouldBe("flex");
    }

    [Fact]
    public async Task Responses_WebSearchCalls_RecordedAsServerToolCallsWithTheServedTier()
    {
        // Each web_search_call output item is one billed tool call.
        _http.Json("""
            {
              "id": "resp_68b5fa0502748190b7dd390736892e10",
              "object": "response",
              "created_at": 1741476542,
              "status": "completed",
              "error": null,
              "incomplete_details": null,
              "instructions": null,
              "max_output_tokens": null,
              "model": "gpt-4.1-2025-04-14",
              "output": [
                { "type": "web_search_call", "id": "ws_67c9fa0502748190b7dd390736892e100be649c1a5ff9609", "status": "completed", "action": { "type": "search", "query": "positive news story today" } },
                { "type": "web_search_call", "id": "ws_67c9fa0502748190b7dd390736892e100be649c1a5ff9610", "status": "completed", "action": { "type": "search", "query": "good news science" } },
                {
                  "type": "message",
                  "id": "msg_67c9fa077e288190af08fdffda2e34f20be649c1a5ff9609",
                  "status": "completed",
                  "role": "assistant",
                  "content": [ { "type": "output_text", "text": "A new species was found.", "annotations": [] } ]
                }
              ],
              "parallel_tool_calls": true,
              "previous_response_id": null,
              "reasoning": { "effort": null, "summary": null },
              "service_tier": "default",
              "store": true,
              "temperature": 1.0,
              "text": { "format": { "type": "text" } },
              "tool_choice": "auto",
              "tools": [ { "type": "web_search", "search_context_size": "medium", "user_location": null } ],
              "top_p": 1.0,
              "truncation": "disabled",
              "usage": {
                "input_tokens": 328,
                "input_tokens_details": { "cached_tokens": 0 },
                "output_tokens": 356,
                "output_tokens_details": { "reasoning_tokens": 0 },
                "total_tokens": 684
              },
              "user": null,
              "metadata": {}
            }
            """);
#pragma warning disable OPENAI001
        var chat = Client().GetResponsesClient().AsIChatClient("gpt-4.1").AsBuilder().UseTokenAccounting(_recorder).Build();
#pragma warning restore OPENAI001

        var response = await chat.GetResponseAsync("What was a positive news story from today?");

        response.Text.ShouldBe("A new species was found.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(328, 356));
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
        record.ServiceTier.ShouldBe("default");
    }

    [Fact]
    public async Task ResponsesStreaming_WebSearchCall_CountedOnceWithTheServedTier()
    {
        // The web search surfaces twice (in progress, then done): one call.
        _http.EventStream("""
            event: response.created
            data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_2","object":"response","created_at":1741290958,"status":"in_progress","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"auto","store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[{"type":"web_search","search_context_size":"medium","user_location":null}],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

            event: response.output_item.added
            data: {"type":"response.output_item.added","sequence_number":1,"output_index":0,"item":{"id":"ws_1","type":"web_search_call","status":"in_progress","action":{"type":"search"}}}

            event: response.web_search_call.in_progress
            data: {"type":"response.web_search_call.in_progress","sequence_number":2,"output_index":0,"item_id":"ws_1"}

            event: response.web_search_call.searching
            data: {"type":"response.web_search_call.searching","sequence_number":3,"output_index":0,"item_id":"ws_1"}

            event: response.web_search_call.completed
            data: {"type":"response.web_search_call.completed","sequence_number":4,"output_index":0,"item_id":"ws_1"}

            event: response.output_item.done
            data: {"type":"response.output_item.done","sequence_number":5,"output_index":0,"item":{"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"weather today"}}}

            event: response.output_item.added
            data: {"type":"response.output_item.added","sequence_number":6,"output_index":1,"item":{"id":"msg_2","type":"message","status":"in_progress","role":"assistant","content":[]}}

            event: response.output_text.delta
            data: {"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_2","output_index":1,"content_index":0,"delta":"Sunny."}

            event: response.output_item.done
            data: {"type":"response.output_item.done","sequence_number":8,"output_index":1,"item":{"id":"msg_2","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Sunny.","annotations":[]}]}}

            event: response.completed
            data: {"type":"response.completed","sequence_number":9,"response":{"id":"resp_2","object":"response","created_at":1741290958,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"ws_1","type":"web_search_call","status":"completed","action":{"type":"search","query":"weather today"}},{"id":"msg_2","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Sunny.","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"priority","store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[{"type":"web_search","search_context_size":"medium","user_location":null}],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":310,"input_tokens_details":{"cached_tokens":0},"output_tokens":20,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":330},"user":null,"metadata":{}}}


            """);
#pragma warning disable OPENAI001
        var chat = Client().GetResponsesClient().AsIChatClient("gpt-4.1").AsBuilder().UseTokenAccounting(_recorder).Build();
#pragma warning restore OPENAI001

        var text = string.Empty;
        await foreach (var update in chat.GetStreamingResponseAsync("What's the weather?"))
        {
            text += update.Text;
        }

        text.ShouldBe("Sunny.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(310, 20));
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 1 });
        record.ServiceTier.ShouldBe("priority");
    }

    [Fact]
    public async Task Embeddings_PromptAndTotalTokens_RecordedAsInput()
    {
        var vector = Convert.ToBase64String(new[] { 0.5f, -0.25f, 0.125f }.SelectMany(BitConverter.GetBytes).ToArray());
        _http.Json($$"""
            {
              "object": "list",
              "data": [ { "object": "embedding", "embedding": "{{vector}}", "index": 0 } ],
              "model": "text-embedding-3-small",
              "usage": { "prompt_tokens": 8, "total_tokens": 8 }
            }
            """);
        var generator = Client().GetEmbeddingClient("text-embedding-3-small").AsIEmbeddingGenerator()
            .AsBuilder().UseTokenAccounting(_recorder).Build();

        var embeddings = await generator.GenerateAsync(["The food was delicious and the waiter..."]);

        embeddings.ShouldHaveSingleItem().Vector.ToArray().ShouldBe([0.5f, -0.25f, 0.125f]);
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Operation.ShouldBe(UsageOperation.Embeddings);
        record.Tokens.ShouldBe(new TokenCounts(8, 0));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        (record.Model, record.Provider).ShouldBe(("text-embedding-3-small", "openai"));
    }
}
