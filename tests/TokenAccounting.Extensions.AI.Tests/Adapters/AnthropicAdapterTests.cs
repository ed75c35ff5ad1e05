using Anthropic;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Adapters;

/// <summary>
/// The official Anthropic SDK's <see cref="IChatClient"/> (<c>AsIChatClient()</c>) over a canned HTTP transport
/// answering with the Messages API payloads Anthropic documents.
/// </summary>
public sealed class AnthropicAdapterTests : IDisposable
{
    private readonly CannedHttpHandler _http = new();
    private readonly CapturingRecorder _recorder = new();

    public void Dispose() => _http.Dispose();

    private IChatClient Chat() =>
        new AnthropicClient { ApiKey = "test-key", HttpClient = new HttpClient(_http), MaxRetries = 0 }
            .AsIChatClient("claude-sonnet-4-5", defaultMaxOutputTokens: 1024)
            .AsBuilder().UseTokenAccounting(_recorder).Build();

    [Fact]
    public async Task Messages_CacheReadAndFiveMinuteAndOneHourWrites_RecordedWithoutCountingTwice()
    {
        _http.Json("""
            {
              "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
              "type": "message",
              "role": "assistant",
              "model": "claude-sonnet-4-5-20250929",
              "content": [ { "type": "text", "text": "Here is the summary." } ],
              "stop_reason": "end_turn",
              "stop_sequence": null,
              "usage": {
                "input_tokens": 50,
                "cache_creation_input_tokens": 248,
                "cache_read_input_tokens": 1800,
                "cache_creation": { "ephemeral_5m_input_tokens": 148, "ephemeral_1h_input_tokens": 100 },
                "output_tokens": 503,
                "service_tier": "standard"
              }
            }
            """);

        var response = await Chat().GetResponseAsync("Summarize the document.");

        response.Text.ShouldBe("Here is the summary.");
        var record = _recorder.Records.ShouldHaveSingleItem();
        // Input = 50 uncached + 1800 read + 248 written; of the writes, 100 with the one-hour TTL.
        record.Tokens.ShouldBe(new TokenCounts(2098, 503, cachedInput: 1800, cacheWriteInput: 248, cacheWriteLongTtlInput: 100));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        (record.Model, record.ResponseModel, record.Provider).ShouldBe(("claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic"));
    }

    [Fact]
    public async Task Messages_NoCache_InputAndOutputOnly()
    {
        _http.Json("""
            {
              "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
              "type": "message",
              "role": "assistant",
              "model": "claude-sonnet-4-5-20250929",
              "content": [ { "type": "text", "text": "Hi! My name is Claude." } ],
              "stop_reason": "end_turn",
              "stop_sequence": null,
              "usage": { "input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0 }
            }
            """);

        await Chat().GetResponseAsync("Hello");

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(2095, 503));
    }

    [Fact]
    public async Task MessagesStreaming_MessageStartAndMessageDelta_OneRecordWithTheFinalCounts()
    {
        // message_start carries the input side (and the cache split); message_delta the cumulative output.
        _http.EventStream("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":1000,"cache_read_input_tokens":3000,"cache_creation":{"ephemeral_5m_input_tokens":400,"ephemeral_1h_input_tokens":600},"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}

            event: message_stop
            data: {"type":"message_stop"}


            """);

        var text = string.Empty;
        await foreach (var update in Chat().GetStreamingResponseAsync("Hello"))
        {
            text += update.Text;
        }

        text.ShouldBe("Hello!");
        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(4025, 15, cachedInput: 3000, cacheWriteInput: 1000, cacheWriteLongTtlInput: 600));
        record.Provenance.ShouldBe(UsageProvenance.Reported);
        record.ResponseModel.ShouldBe("claude-sonnet-4-5-20250929");
    }

    [Fact]
    public async Task MessagesStreaming_MessageDeltaRepeatsTheInputSide_NotCountedTwice()
    {
        // Newer message_delta events repeat input_tokens and the cache counts as cumulative totals.
        _http.EventStream("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":2}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Done."}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":89}}

            event: message_stop
            data: {"type":"message_stop"}


            """);

        await foreach (var _ in Chat().GetStreamingResponseAsync("Finish it"))
        {
        }

        _recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(2520, 89, cachedInput: 2048));
    }

    [Fact]
    public async Task Messages_WebSearchAtThePriorityTier_ServerToolCallsAndServedTierRecorded()
    {
        // Anthropic bills web search per request: usage.server_tool_use.web_search_requests ($10 per 1,000).
        _http.Json("""
            {
              "id": "msg_01Ln8Bc8yP3BnSvrPfPPkZUu",
              "type": "message",
              "role": "assistant",
              "model": "claude-sonnet-4-5-20250929",
              "content": [
                { "type": "text", "text": "I'll search for that." },
                { "type": "server_tool_use", "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE", "name": "web_search", "input": { "query": "claude shannon birth date" }, "caller": { "type": "direct" } },
                {
                  "type": "web_search_tool_result",
                  "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
                  "caller": { "type": "direct" },
                  "content": [ { "type": "web_search_result", "url": "https://example.com/claude-shannon", "title": "Claude Shannon", "encrypted_content": "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5", "page_age": "April 30, 2025" } ]
                },
                { "type": "server_tool_use", "id": "srvtoolu_01Hd9LvJMw2sHcNKYRnTsAB5", "name": "web_search", "input": { "query": "claude shannon information theory 1948" }, "caller": { "type": "direct" } },
                {
                  "type": "web_search_tool_result",
                  "tool_use_id": "srvtoolu_01Hd9LvJMw2sHcNKYRnTsAB5",
                  "caller": { "type": "direct" },
                  "content": [ { "type": "web_search_result", "url": "https://example.org/mathematical-theory", "title": "A Mathematical Theory of Communication", "encrypted_content": "Ev0DCioIAxgCIiQ3NmU4ZmI4OC1k", "page_age": null } ]
                },
                { "type": "text", "text": "Claude Shannon was born on April 30, 1916." }
              ],
              "stop_reason": "end_turn",
              "stop_sequence": null,
              "usage": {
                "input_tokens": 6039,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 931,
                "server_tool_use": { "web_search_requests": 2, "web_fetch_requests": 0 },
                "service_tier": "priority"
              }
            }
            """);

        await Chat().GetResponseAsync("When was Claude Shannon born?");

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(6039, 931));
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 2 });
        record.ServiceTier.ShouldBe("priority");
    }

    [Fact]
    public async Task Messages_NoServerToolsAndNoTier_NeitherRecorded()
    {
        _http.Json("""
            {
              "id": "msg_01",
              "type": "message",
              "role": "assistant",
              "model": "claude-sonnet-4-5-20250929",
              "content": [ { "type": "text", "text": "Hi." } ],
              "stop_reason": "end_turn",
              "stop_sequence": null,
              "usage": { "input_tokens": 12, "output_tokens": 3 }
            }
            """);

        await Chat().GetResponseAsync("Hello");

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.ServerToolCalls.ShouldBeNull();
        record.ServiceTier.ShouldBeNull();
    }

    [Fact]
    public async Task MessagesStreaming_WebSearch_ToolCallsFromMessageDeltaAndTierFromMessageStart()
    {
        _http.EventStream("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_01G5Vc8oGW3T5Kd6ZxRDYzCS","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2679,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3,"service_tier":"standard"}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_014hJH82Qum7Td6UV8gDXThB","name":"web_search","input":{},"caller":{"type":"direct"}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"query\": \"weather NYC today\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_014hJH82Qum7Td6UV8gDXThB","caller":{"type":"direct"},"content":[{"type":"web_search_result","title":"Weather in New York City","url":"https://example.com/nyc-weather","encrypted_content":"Ev0DCioIAxgCIiQ3NmU4ZmI4OC1k","page_age":null}]}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Sunny, 24 °C."}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":510,"server_tool_use":{"web_search_requests":1,"web_fetch_requests":0}}}

            event: message_stop
            data: {"type":"message_stop"}


            """);

        await foreach (var _ in Chat().GetStreamingResponseAsync("What's the weather in New York?"))
        {
        }

        var record = _recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(2679, 510));
        record.ServerToolCalls.ShouldNotBeNull();
        record.ServerToolCalls.ShouldBe(new Dictionary<string, long> { ["web_search"] = 1 });
        record.ServiceTier.ShouldBe("standard");
    }
}
