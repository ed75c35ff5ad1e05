namespace TokenAccounting;

/// <summary>
/// Names of the library's <see cref="System.Diagnostics.Metrics.Meter"/>, <see cref="System.Diagnostics.ActivitySource"/>,
/// instruments and attributes, so you can write <c>AddMeter(TokenAccountingDiagnostics.MeterName)</c>.
/// </summary>
public static class TokenAccountingDiagnostics
{
    /// <summary>The meter name: <c>"TokenAccounting"</c>.</summary>
    public const string MeterName = "TokenAccounting";

    /// <summary>The activity source name: <c>"TokenAccounting"</c>.</summary>
    public const string ActivitySourceName = "TokenAccounting";

    /// <summary>The OpenTelemetry GenAI token histogram: <c>gen_ai.client.token.usage</c> (unit <c>{token}</c>).</summary>
    public const string TokenUsageInstrument = "gen_ai.client.token.usage";

    /// <summary>Tokens by type (input, output, cache_read, cache_creation, reasoning, input_audio, cache_read_audio, output_audio): <c>tokenaccounting.tokens</c>.</summary>
    public const string TokensInstrument = "tokenaccounting.tokens";

    /// <summary>Cost in US dollars: <c>tokenaccounting.cost</c> (unit <c>{USD}</c>).</summary>
    public const string CostInstrument = "tokenaccounting.cost";

    /// <summary>Detail records dropped, by sink and reason: <c>tokenaccounting.records.dropped</c>.</summary>
    public const string RecordsDroppedInstrument = "tokenaccounting.records.dropped";

    /// <summary>
    /// Records and rollup deltas a sink could never write, isolated and set aside, by sink and kind (<c>record</c>,
    /// <c>rollup</c>): <c>tokenaccounting.records.quarantined</c>.
    /// </summary>
    public const string RecordsQuarantinedInstrument = "tokenaccounting.records.quarantined";

    /// <summary>Failed sink writes, by sink and error type: <c>tokenaccounting.sink.failures</c>.</summary>
    public const string SinkFailuresInstrument = "tokenaccounting.sink.failures";

    /// <summary>Duration of sink writes in seconds: <c>tokenaccounting.sink.flush.duration</c>.</summary>
    public const string SinkFlushDurationInstrument = "tokenaccounting.sink.flush.duration";

    /// <summary>Detail records buffered for sinks (observable gauge): <c>tokenaccounting.buffer.records</c>.</summary>
    public const string BufferedRecordsInstrument = "tokenaccounting.buffer.records";

    /// <summary>Budget reservations refused: <c>tokenaccounting.budget.denials</c>.</summary>
    public const string BudgetDenialsInstrument = "tokenaccounting.budget.denials";

    /// <summary>Records whose model has no price: <c>tokenaccounting.records.unpriced</c>.</summary>
    public const string UnpricedRecordsInstrument = "tokenaccounting.records.unpriced";

    /// <summary>
    /// Usage payloads a parser corrected instead of rejecting (<see cref="UsageCorrections"/>), by provider and
    /// correction: <c>tokenaccounting.usage.parse.corrections</c>. Counted on a process-wide meter of this name,
    /// because the parsers are static.
    /// </summary>
    public const string ParseCorrectionsInstrument = "tokenaccounting.usage.parse.corrections";

    /// <summary>The correction attribute of <c>tokenaccounting.usage.parse.corrections</c>: <c>tokenaccounting.correction</c>.</summary>
    public const string CorrectionAttribute = "tokenaccounting.correction";

    /// <summary>The token-type attribute of <c>gen_ai.client.token.usage</c>: <c>gen_ai.token.type</c>.</summary>
    public const string TokenTypeAttribute = "gen_ai.token.type";

    /// <summary>The token-type attribute of <c>tokenaccounting.tokens</c>: <c>tokenaccounting.token.type</c>.</summary>
    public const string DetailedTokenTypeAttribute = "tokenaccounting.token.type";

    /// <summary>The sink attribute: <c>tokenaccounting.sink</c>.</summary>
    public const string SinkAttribute = "tokenaccounting.sink";

    /// <summary>The drop-reason attribute (<c>buffer_full</c>, <c>queue_full</c>): <c>tokenaccounting.reason</c>.</summary>
    public const string ReasonAttribute = "tokenaccounting.reason";

    /// <summary>The user attribute (only when enabled): <c>tokenaccounting.user.id</c>.</summary>
    public const string UserAttribute = "tokenaccounting.user.id";

    /// <summary>The tenant attribute (only when enabled): <c>tokenaccounting.tenant.id</c>.</summary>
    public const string TenantAttribute = "tokenaccounting.tenant.id";

    /// <summary>The activity tag carrying a record's cost in US dollars: <c>tokenaccounting.cost.usd</c>.</summary>
    public const string CostActivityTag = "tokenaccounting.cost.usd";
}
