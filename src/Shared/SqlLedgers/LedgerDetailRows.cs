using System.Data.Common;
using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>
/// The detail table's columns and how a stored detail row becomes a <see cref="UsageRecord"/> again (shared by the
/// SQLite and PostgreSQL ledgers, which differ only in how times and decimals come back from their drivers: see
/// <see cref="LedgerSqlDialect"/>).
/// </summary>
internal static class LedgerDetailRows
{
    /// <summary>The columns of <c>usage_records</c> in the order both writers bind them and the readers select them.</summary>
    public static readonly string[] Columns =
    [
        "id", "batch_id", "model", "response_model", "provider", "operation",
        "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_input_tokens", "cache_write_long_ttl_input_tokens", "reasoning_tokens",
        "provenance", "outcome", "degraded_reason", "started_at", "completed_at", "latency_us", "stage_durations_ms", "history_length",
        "correlation_id", "user_id", "tenant_id", "api_key_id", "route", "service_tier", "scope_path", "tags",
        "cost_input", "cost_cached_input", "cost_cache_write", "cost_output", "cost_reasoning", "cost_total", "text", "is_unpaired",
        "cost_cache_write_long_ttl",

        // Schema 3.
        "input_audio_tokens", "cached_input_audio_tokens", "output_audio_tokens", "server_tool_calls",
        "cost_input_audio", "cost_cached_input_audio", "cost_output_audio", "cost_requests", "cost_server_tool_calls",
    ];

    /// <summary>
    /// Writes the server-tool-calls column: a JSON object of counts (<c>{"web_search":3}</c>) in the dictionary's order.
    /// Queries never read it, so it costs them nothing; callers store NULL for none.
    /// </summary>
    public static void WriteServerToolCalls(Utf8JsonWriter writer, IReadOnlyDictionary<string, long> toolCalls)
    {
        writer.WriteStartObject();
        foreach (var (tool, count) in toolCalls)
        {
            writer.WriteNumber(tool, count);
        }

        writer.WriteEndObject();
    }

    /// <summary>The guard of both ledgers' <c>ReadAsync(from, to)</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="to"/> is not later than <paramref name="from"/>.</exception>
    public static void ThrowIfEmptyRange(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The read range end ({to:O}) must be later than its start ({from:O}).", nameof(to));
        }
    }

    /// <summary>
    /// Rebuilds the record of the current row (selected in <see cref="Columns"/> order) and checks it against the rules
    /// <c>Record()</c> applies. A row that cannot be read or breaks a rule is an <see cref="InvalidDataException"/>
    /// naming the table, the row's id and the rule.
    /// </summary>
    public static UsageRecord Read(DbDataReader reader, LedgerSqlDialect dialect)
    {
        var id = reader.IsDBNull(0) ? "(null)" : reader.GetValue(0).ToString();
        UsageRecord record;
        try
        {
            string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
            long Long(int ordinal) => reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
            decimal? Money(int ordinal) => reader.IsDBNull(ordinal) ? null : dialect.ReadMoney(reader, ordinal);
            DateTimeOffset? Timestamp(int ordinal) => reader.IsDBNull(ordinal) ? null : dialect.ReadTimestamp(reader, ordinal);

            var tokens = new TokenCounts(Long(6), Long(7), Long(8), Long(9), Long(10), Long(11), Long(37), Long(38), Long(39));
            UsageCost? cost = null;
            if (!reader.IsDBNull(33))
            {
                // Priced (cost_total is set); a part a row of an earlier schema did not have reads as zero.
                cost = new UsageCost(
                    Money(28) ?? 0m, Money(29) ?? 0m, Money(30) ?? 0m, Money(31) ?? 0m, Money(32) ?? 0m, Money(36) ?? 0m,
                    Money(41) ?? 0m, Money(42) ?? 0m, Money(43) ?? 0m, Money(44) ?? 0m, Money(45) ?? 0m);
            }

            record = new UsageRecord
            {
                Id = Text(0),
                Model = reader.GetString(2),
                ResponseModel = Text(3),
                Provider = Text(4),
                Operation = new UsageOperation(reader.GetString(5)),
                Tokens = tokens,
                Provenance = Provenance(reader.GetString(12)),
                Outcome = Outcome(reader.GetString(13)),
                DegradedReason = Text(14),
                StartedAt = Timestamp(15),
                CompletedAt = dialect.ReadTimestamp(reader, 16),
                Latency = reader.IsDBNull(17) ? null : TimeSpan.FromTicks(checked(Long(17) * TimeSpan.TicksPerMicrosecond)),
                StageDurations = StageDurations(Text(18)),
                HistoryLength = reader.IsDBNull(19) ? null : checked((int)Long(19)),
                CorrelationId = Text(20),
                UserId = Text(21),
                TenantId = Text(22),
                ApiKeyId = Text(23),
                Route = Text(24),
                ServiceTier = Text(25),
                ScopePath = Text(26),
                Tags = Tags(Text(27)),
                Cost = cost,
                Text = Text(34),
                IsUnpaired = Convert.ToBoolean(reader.GetValue(35), CultureInfo.InvariantCulture),
                ServerToolCalls = ServerToolCalls(Text(40)),
            };
            record.Validate();
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidCastException)
        {
            throw new InvalidDataException(
                $"The ledger's usage_records table holds a row that breaks the rules Record() applies: the detail row with id {id}: {ex.Message} "
                + "It was not written by TokenAccounting; fix or delete that row.",
                ex);
        }

        return record;
    }

    private static UsageProvenance Provenance(string value) => value switch
    {
        "reported" => UsageProvenance.Reported,
        "estimated" => UsageProvenance.Estimated,
        _ => throw new FormatException($"provenance '{value}' is not 'reported' or 'estimated'."),
    };

    private static UsageOutcome Outcome(string value) => value switch
    {
        "succeeded" => UsageOutcome.Succeeded,
        "failed" => UsageOutcome.Failed,
        "cancelled" => UsageOutcome.Cancelled,
        "skipped" => UsageOutcome.Skipped,
        _ => throw new FormatException($"outcome '{value}' is not one of succeeded, failed, cancelled, skipped."),
    };

    private static Dictionary<string, TimeSpan>? StageDurations(string? json)
    {
        if (Json(json, "stage_durations_ms", LedgerJson.Default.DictionaryStringDouble) is not { } milliseconds)
        {
            return null;
        }

        var stages = new Dictionary<string, TimeSpan>(milliseconds.Count, StringComparer.Ordinal);
        foreach (var (name, value) in milliseconds)
        {
            stages[name] = TimeSpan.FromMilliseconds(value);
        }

        return stages;
    }

    private static Dictionary<string, string>? Tags(string? json) => Json(json, "tags", LedgerJson.Default.DictionaryStringString);

    private static Dictionary<string, long>? ServerToolCalls(string? json) => Json(json, "server_tool_calls", LedgerJson.Default.DictionaryStringInt64);

    private static T? Json<T>(string? json, string column, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (json is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, type) ?? throw new FormatException($"{column} is JSON null, not an object.");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{column} is not the JSON object the ledger writes: {ex.Message}", ex);
        }
    }
}
