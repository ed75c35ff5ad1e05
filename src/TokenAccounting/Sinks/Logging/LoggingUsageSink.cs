using Microsoft.Extensions.Logging;

namespace TokenAccounting;

/// <summary>
/// Writes one structured log event per detail record (event id 1, <c>UsageRecorded</c>) with the record's dimensions,
/// tokens and cost as named properties. Never logs <see cref="UsageRecord.Text"/>, even when text capture is enabled.
/// </summary>
/// <remarks>
/// Properties: <c>Operation</c>, <c>Model</c>, <c>Provider</c>, <c>Outcome</c>, <c>InputTokens</c>,
/// <c>CachedInputTokens</c>, <c>CacheWriteInputTokens</c>, <c>OutputTokens</c>, <c>ReasoningTokens</c>,
/// <c>Provenance</c>, <c>CostUsd</c>, <c>UserId</c>, <c>TenantId</c>, <c>ApiKeyId</c>, <c>Route</c>, <c>ScopePath</c>,
/// <c>CorrelationId</c>, <c>DegradedReason</c>, <c>LatencyMs</c>, <c>ResponseModel</c>, <c>RecordId</c>, <c>BatchId</c>.
/// Only details are logged, not rollups: details the pipeline dropped under memory pressure are not logged.
/// </remarks>
public sealed partial class LoggingUsageSink : IUsageSink
{
    private readonly ILogger _logger;
    private readonly LogLevel _level;

    /// <summary>Creates the sink.</summary>
    /// <param name="logger">The logger that receives the events.</param>
    /// <param name="options">The options; defaults when null.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public LoggingUsageSink(ILogger logger, LoggingUsageSinkOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        options ??= new LoggingUsageSinkOptions();
        options.Validate();
        _logger = logger;
        _level = options.Level;
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_logger.IsEnabled(_level))
        {
            return ValueTask.CompletedTask;
        }

        foreach (var record in batch.Records)
        {
            var tokens = record.Tokens;
            LogUsage(
                _logger,
                _level,
                record.Operation.Value,
                record.Model,
                record.Provider,
                record.Outcome,
                tokens.Input,
                tokens.CachedInput,
                tokens.CacheWriteInput,
                tokens.Output,
                tokens.Reasoning,
                record.Provenance,
                record.Cost?.Total,
                record.UserId,
                record.TenantId,
                record.ApiKeyId,
                record.Route,
                record.ScopePath,
                record.CorrelationId,
                record.DegradedReason,
                record.Latency?.TotalMilliseconds,
                record.ResponseModel,
                record.Id,
                batch.BatchId);
        }

        return ValueTask.CompletedTask;
    }

    // Text is deliberately not a parameter: it can never reach a log.
    [LoggerMessage(EventId = 1, EventName = "UsageRecorded", Message =
        "LLM usage: {Operation} {Model} ({Provider}) {Outcome}; input {InputTokens} tokens (cached {CachedInputTokens}, cache write {CacheWriteInputTokens}), " +
        "output {OutputTokens} (reasoning {ReasoningTokens}), {Provenance}; cost {CostUsd} USD; user {UserId}, tenant {TenantId}, api key {ApiKeyId}, " +
        "route {Route}, scope {ScopePath}, correlation {CorrelationId}, degraded {DegradedReason}, latency {LatencyMs} ms, response model {ResponseModel}, " +
        "record {RecordId}, batch {BatchId}")]
    private static partial void LogUsage(
        ILogger logger,
        LogLevel level,
        string operation,
        string model,
        string? provider,
        UsageOutcome outcome,
        long inputTokens,
        long cachedInputTokens,
        long cacheWriteInputTokens,
        long outputTokens,
        long reasoningTokens,
        UsageProvenance provenance,
        decimal? costUsd,
        string? userId,
        string? tenantId,
        string? apiKeyId,
        string? route,
        string? scopePath,
        string? correlationId,
        string? degradedReason,
        double? latencyMs,
        string? responseModel,
        string? recordId,
        string batchId);
}
