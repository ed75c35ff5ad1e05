using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>
/// One rollup line of the JSON-lines ledger (schema version 2): the exact delta of one <see cref="UsageRollup"/> of a
/// batch, so that totals stay exact when the pipeline dropped details. Property names are the file format: stable,
/// snake_case, never renamed; the key and token fields have the names of the detail line's fields. Null properties
/// are omitted; cost parts that are only in newer prices (audio, request fees, server tool calls) are omitted when 0.
/// </summary>
internal sealed class JsonLinesLedgerRollupLine
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    [JsonPropertyName("batch_id")]
    public string? BatchId { get; set; }

    /// <summary>The UTC date of the records' <see cref="UsageRecord.CompletedAt"/>, <c>yyyy-MM-dd</c>.</summary>
    [JsonPropertyName("date")]
    public DateOnly? Date { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("provider")]
    public string? Provider { get; set; }

    [JsonPropertyName("operation")]
    public string? Operation { get; set; }

    [JsonPropertyName("user_id")]
    public string? UserId { get; set; }

    [JsonPropertyName("tenant_id")]
    public string? TenantId { get; set; }

    [JsonPropertyName("api_key_id")]
    public string? ApiKeyId { get; set; }

    [JsonPropertyName("request_count")]
    public long RequestCount { get; set; }

    [JsonPropertyName("unpriced_request_count")]
    public long UnpricedRequestCount { get; set; }

    [JsonPropertyName("input_tokens")]
    public long InputTokens { get; set; }

    [JsonPropertyName("output_tokens")]
    public long OutputTokens { get; set; }

    [JsonPropertyName("cached_input_tokens")]
    public long CachedInputTokens { get; set; }

    [JsonPropertyName("cache_write_input_tokens")]
    public long CacheWriteInputTokens { get; set; }

    [JsonPropertyName("cache_write_long_ttl_input_tokens")]
    public long CacheWriteLongTtlInputTokens { get; set; }

    [JsonPropertyName("reasoning_tokens")]
    public long ReasoningTokens { get; set; }

    /// <summary>The audio part of the input tokens (cached audio included); omitted when 0.</summary>
    [JsonPropertyName("input_audio_tokens")]
    public long? InputAudioTokens { get; set; }

    /// <summary>The cached part of the audio input tokens; omitted when 0.</summary>
    [JsonPropertyName("cached_input_audio_tokens")]
    public long? CachedInputAudioTokens { get; set; }

    /// <summary>The audio part of the output tokens; omitted when 0.</summary>
    [JsonPropertyName("output_audio_tokens")]
    public long? OutputAudioTokens { get; set; }

    [JsonPropertyName("cost_usd")]
    public decimal? CostUsd { get; set; }

    [JsonPropertyName("cost_input_usd")]
    public decimal? CostInputUsd { get; set; }

    [JsonPropertyName("cost_cached_input_usd")]
    public decimal? CostCachedInputUsd { get; set; }

    [JsonPropertyName("cost_cache_write_usd")]
    public decimal? CostCacheWriteUsd { get; set; }

    [JsonPropertyName("cost_cache_write_long_ttl_usd")]
    public decimal? CostCacheWriteLongTtlUsd { get; set; }

    [JsonPropertyName("cost_output_usd")]
    public decimal? CostOutputUsd { get; set; }

    [JsonPropertyName("cost_reasoning_usd")]
    public decimal? CostReasoningUsd { get; set; }

    [JsonPropertyName("cost_input_audio_usd")]
    public decimal? CostInputAudioUsd { get; set; }

    [JsonPropertyName("cost_cached_input_audio_usd")]
    public decimal? CostCachedInputAudioUsd { get; set; }

    [JsonPropertyName("cost_output_audio_usd")]
    public decimal? CostOutputAudioUsd { get; set; }

    [JsonPropertyName("cost_requests_usd")]
    public decimal? CostRequestsUsd { get; set; }

    [JsonPropertyName("cost_server_tool_calls_usd")]
    public decimal? CostServerToolCallsUsd { get; set; }
}
