using System.Text.Json.Serialization;

namespace TokenAccounting;

/// <summary>
/// One detail line of the JSON-lines ledger (schema versions 1 and 2; the audio counts and server tool calls are
/// optional fields of version 2). Property names are the file format: stable,
/// snake_case, never renamed. Null properties are omitted. Durations are milliseconds as exact decimals
/// (ticks / 10,000); costs are exact decimal US dollars. A rollup line (version 2, <see cref="Kind"/> =
/// <c>"rollup"</c>) is read into this type first, to see its kind, then into <see cref="JsonLinesLedgerRollupLine"/>.
/// </summary>
internal sealed class JsonLinesLedgerLine
{
    [JsonPropertyName("v")]
    [JsonPropertyOrder(-2)]
    public int Version { get; set; }

    [JsonPropertyName("batch_id")]
    [JsonPropertyOrder(-1)]
    public string? BatchId { get; set; }

    /// <summary>Absent on detail lines; <c>"rollup"</c> on rollup lines (schema version 2).</summary>
    [JsonPropertyName("kind")]
    [JsonPropertyOrder(-1)]
    public string? Kind { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("response_model")]
    public string? ResponseModel { get; set; }

    [JsonPropertyName("provider")]
    public string? Provider { get; set; }

    [JsonPropertyName("operation")]
    public string? Operation { get; set; }

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

    [JsonPropertyName("provenance")]
    public string? Provenance { get; set; }

    [JsonPropertyName("outcome")]
    public string? Outcome { get; set; }

    [JsonPropertyName("degraded_reason")]
    public string? DegradedReason { get; set; }

    [JsonPropertyName("started_at")]
    public DateTimeOffset? StartedAt { get; set; }

    [JsonPropertyName("completed_at")]
    public DateTimeOffset? CompletedAt { get; set; }

    [JsonPropertyName("latency_ms")]
    public decimal? LatencyMs { get; set; }

    [JsonPropertyName("stage_durations_ms")]
    public Dictionary<string, decimal>? StageDurationsMs { get; set; }

    [JsonPropertyName("history_length")]
    public int? HistoryLength { get; set; }

    [JsonPropertyName("correlation_id")]
    public string? CorrelationId { get; set; }

    [JsonPropertyName("user_id")]
    public string? UserId { get; set; }

    [JsonPropertyName("tenant_id")]
    public string? TenantId { get; set; }

    [JsonPropertyName("api_key_id")]
    public string? ApiKeyId { get; set; }

    [JsonPropertyName("route")]
    public string? Route { get; set; }

    [JsonPropertyName("service_tier")]
    public string? ServiceTier { get; set; }

    [JsonPropertyName("scope_path")]
    public string? ScopePath { get; set; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, string>? Tags { get; set; }

    /// <summary><see cref="UsageRecord.ServerToolCalls"/> (tool name → calls); omitted when null or empty.</summary>
    [JsonPropertyName("server_tool_calls")]
    public IReadOnlyDictionary<string, long>? ServerToolCalls { get; set; }

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

    [JsonPropertyName("unpaired")]
    public bool? Unpaired { get; set; }

    [JsonPropertyName("text")]
    public string? Text { get; set; }
}
