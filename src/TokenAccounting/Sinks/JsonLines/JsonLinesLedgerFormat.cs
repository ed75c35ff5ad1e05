using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>Maps <see cref="UsageRecord"/> to and from ledger lines; owns the schema version and its checks.</summary>
internal static class JsonLinesLedgerFormat
{
    /// <summary>The schema version this library writes and the newest it reads (version 2 added rollup lines).</summary>
    public const int CurrentVersion = 2;

    /// <summary>The first schema version with rollup lines: its detail lines are covered by the rollup lines of their date.</summary>
    public const int RollupsVersion = 2;

    /// <summary>The <c>"kind"</c> of a rollup line; detail lines have none.</summary>
    public const string RollupKind = "rollup";

    private const decimal TicksPerMillisecond = TimeSpan.TicksPerMillisecond;

    /// <summary>
    /// Fills <paramref name="line"/> from a record: the reference mapping of the format. The sink writes the same
    /// bytes without the DTO through <see cref="JsonLinesLedgerWriter"/>, and tests hold the two to each other.
    /// </summary>
    public static void Fill(JsonLinesLedgerLine line, UsageRecord record, string batchId)
    {
        line.Version = CurrentVersion;
        line.BatchId = batchId;
        line.Id = record.Id;
        line.Model = record.Model;
        line.ResponseModel = record.ResponseModel;
        line.Provider = record.Provider;
        line.Operation = record.Operation.Value;
        var tokens = record.Tokens;
        line.InputTokens = tokens.Input;
        line.OutputTokens = tokens.Output;
        line.CachedInputTokens = tokens.CachedInput;
        line.CacheWriteInputTokens = tokens.CacheWriteInput;
        line.CacheWriteLongTtlInputTokens = tokens.CacheWriteLongTtlInput;
        line.ReasoningTokens = tokens.Reasoning;
        line.InputAudioTokens = NonZero(tokens.InputAudio);
        line.CachedInputAudioTokens = NonZero(tokens.CachedInputAudio);
        line.OutputAudioTokens = NonZero(tokens.OutputAudio);
        line.Provenance = ProvenanceName(record.Provenance);
        line.Outcome = OutcomeName(record.Outcome);
        line.DegradedReason = record.DegradedReason;
        line.StartedAt = record.StartedAt;
        line.CompletedAt = record.CompletedAt;
        line.LatencyMs = record.Latency is { } latency ? ToMilliseconds(latency) : null;
        line.StageDurationsMs = null;
        if (record.StageDurations is { Count: > 0 } stages)
        {
            var ms = new Dictionary<string, decimal>(stages.Count, StringComparer.Ordinal);
            foreach (var (name, duration) in stages)
            {
                ms[name] = ToMilliseconds(duration);
            }

            line.StageDurationsMs = ms;
        }

        line.HistoryLength = record.HistoryLength;
        line.CorrelationId = record.CorrelationId;
        line.UserId = record.UserId;
        line.TenantId = record.TenantId;
        line.ApiKeyId = record.ApiKeyId;
        line.Route = record.Route;
        line.ServiceTier = record.ServiceTier;
        line.ScopePath = record.ScopePath;
        line.Tags = record.Tags is { Count: > 0 } tags ? tags : null;
        line.ServerToolCalls = record.ServerToolCalls is { Count: > 0 } toolCalls ? toolCalls : null;
        var cost = record.Cost;
        line.CostUsd = cost?.Total;
        line.CostInputUsd = cost?.Input;
        line.CostCachedInputUsd = cost?.CachedInput;
        line.CostCacheWriteUsd = cost?.CacheWrite;
        line.CostCacheWriteLongTtlUsd = cost is { CacheWriteLongTtl: > 0 } ? cost.CacheWriteLongTtl : null;
        line.CostOutputUsd = cost?.Output;
        line.CostReasoningUsd = cost?.Reasoning;
        line.CostInputAudioUsd = NonZero(cost?.InputAudio);
        line.CostCachedInputAudioUsd = NonZero(cost?.CachedInputAudio);
        line.CostOutputAudioUsd = NonZero(cost?.OutputAudio);
        line.CostRequestsUsd = NonZero(cost?.Requests);
        line.CostServerToolCallsUsd = NonZero(cost?.ServerToolCalls);
        line.Unpaired = record.IsUnpaired ? true : null;

        // The pipeline strips Text unless capture is enabled; the sink writes what it is given.
        line.Text = record.Text;
    }

    /// <summary>Parses one line into a record, holding it to the rules <c>Record()</c> applies (<see cref="UsageRecord.Validate"/>).</summary>
    /// <exception cref="FormatException">The line is not valid JSON, violates the schema or breaks a record rule; the message names file and line.</exception>
    /// <exception cref="NotSupportedException">The line was written by a newer schema version.</exception>
    public static UsageRecord Parse(ReadOnlySpan<byte> utf8, string file, long lineNumber) =>
        ParseEntry(utf8, file, lineNumber).Record
        ?? throw new FormatException($"{file}:{lineNumber}: expected a detail line, found a rollup line.");

    /// <summary>Fills <paramref name="line"/> from a rollup delta of a batch (the rollup line's reference mapping).</summary>
    public static void FillRollup(JsonLinesLedgerRollupLine line, UsageRollup rollup, string batchId)
    {
        var key = rollup.Key;
        line.Version = CurrentVersion;
        line.Kind = RollupKind;
        line.BatchId = batchId;
        line.Date = key.Date;
        line.Model = key.Model;
        line.Provider = key.Provider;
        line.Operation = key.Operation.Value;
        line.UserId = key.UserId;
        line.TenantId = key.TenantId;
        line.ApiKeyId = key.ApiKeyId;
        line.RequestCount = rollup.RequestCount;
        line.UnpricedRequestCount = rollup.UnpricedRequestCount;
        var tokens = rollup.Tokens;
        line.InputTokens = tokens.Input;
        line.OutputTokens = tokens.Output;
        line.CachedInputTokens = tokens.CachedInput;
        line.CacheWriteInputTokens = tokens.CacheWriteInput;
        line.CacheWriteLongTtlInputTokens = tokens.CacheWriteLongTtlInput;
        line.ReasoningTokens = tokens.Reasoning;
        line.InputAudioTokens = NonZero(tokens.InputAudio);
        line.CachedInputAudioTokens = NonZero(tokens.CachedInputAudio);
        line.OutputAudioTokens = NonZero(tokens.OutputAudio);
        var cost = rollup.Cost;
        line.CostUsd = cost?.Total;
        line.CostInputUsd = cost?.Input;
        line.CostCachedInputUsd = cost?.CachedInput;
        line.CostCacheWriteUsd = cost?.CacheWrite;
        line.CostCacheWriteLongTtlUsd = NonZero(cost?.CacheWriteLongTtl);
        line.CostOutputUsd = cost?.Output;
        line.CostReasoningUsd = cost?.Reasoning;
        line.CostInputAudioUsd = NonZero(cost?.InputAudio);
        line.CostCachedInputAudioUsd = NonZero(cost?.CachedInputAudio);
        line.CostOutputAudioUsd = NonZero(cost?.OutputAudio);
        line.CostRequestsUsd = NonZero(cost?.Requests);
        line.CostServerToolCallsUsd = NonZero(cost?.ServerToolCalls);
    }

    /// <summary>
    /// Parses one line of either kind: a detail line into its record, a rollup line (version 2) into its
    /// <see cref="UsageRollup"/>. Detail lines are held to the rules <c>Record()</c> applies, rollup keys to the same
    /// string rules.
    /// </summary>
    /// <exception cref="FormatException">The line is not a valid ledger line; the message names file and line.</exception>
    /// <exception cref="NotSupportedException">The line was written by a newer schema version.</exception>
    public static JsonLinesLedgerEntry ParseEntry(ReadOnlySpan<byte> utf8, string file, long lineNumber)
    {
        var line = Deserialize(utf8, JsonLinesLedgerJsonContext.Default.JsonLinesLedgerLine, file, lineNumber);
        CheckVersion(line.Version, file, lineNumber);
        if (line.Kind is null)
        {
            return new JsonLinesLedgerEntry(line.Version, line.BatchId, ToRecordOrThrow(line, file, lineNumber), null);
        }

        if (!string.Equals(line.Kind, RollupKind, StringComparison.Ordinal) || line.Version < RollupsVersion)
        {
            throw new FormatException(
                $"{file}:{lineNumber}: \"kind\" has the unknown value \"{line.Kind}\" for schema version {line.Version} (expected no kind, or \"rollup\" from version {RollupsVersion}).");
        }

        // Rollup lines are few (one per key and batch): parsing twice, to see the kind first, costs nothing that counts.
        var rollup = Deserialize(utf8, JsonLinesLedgerJsonContext.Default.JsonLinesLedgerRollupLine, file, lineNumber);
        try
        {
            return new JsonLinesLedgerEntry(line.Version, rollup.BatchId, null, ToRollup(rollup, file, lineNumber));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{file}:{lineNumber}: invalid rollup line: {ex.Message}", ex);
        }
    }

    /// <summary>Throws what the reader would throw for <paramref name="key"/>: the string rules of <see cref="UsageRecord.Validate"/>.</summary>
    /// <exception cref="ArgumentException">A key string breaks a record rule.</exception>
    public static void ValidateRollupKey(UsageRollupKey key) =>
        new UsageRecord
        {
            Model = key.Model,
            Provider = key.Provider,
            Operation = key.Operation,
            UserId = key.UserId,
            TenantId = key.TenantId,
            ApiKeyId = key.ApiKeyId,
        }.Validate();

    /// <summary>Checks that a span is exactly one well-formed JSON value (used by the torn-tail check).</summary>
    public static bool IsCompleteJson(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static T Deserialize<T>(ReadOnlySpan<byte> utf8, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string file, long lineNumber)
        where T : class
    {
        T? line;
        try
        {
            line = JsonSerializer.Deserialize(utf8, type);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{file}:{lineNumber}: not a valid ledger line: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json throws this for a string it cannot decode (invalid UTF-8, an unpaired surrogate escape).
            throw new FormatException($"{file}:{lineNumber}: not a valid ledger line: a string is not valid UTF-8 or UTF-16: {ex.Message}", ex);
        }

        return line ?? throw new FormatException($"{file}:{lineNumber}: not a valid ledger line: expected a JSON object, found null.");
    }

    private static void CheckVersion(int version, string file, long lineNumber)
    {
        if (version > CurrentVersion)
        {
            throw new NotSupportedException(
                $"{file}:{lineNumber}: ledger schema version {version} is newer than this reader supports ({CurrentVersion}); upgrade TokenAccounting to read it.");
        }

        if (version < 1)
        {
            throw new FormatException($"{file}:{lineNumber}: the schema version field \"v\" is missing or not a positive integer (was {version}).");
        }
    }

    private static UsageRecord ToRecordOrThrow(JsonLinesLedgerLine line, string file, long lineNumber)
    {
        try
        {
            return ToRecord(line, file, lineNumber);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{file}:{lineNumber}: invalid ledger line: {ex.Message}", ex);
        }
    }

    private static UsageRollup ToRollup(JsonLinesLedgerRollupLine line, string file, long lineNumber)
    {
        if (line.Date is not { } date)
        {
            throw new FormatException($"{file}:{lineNumber}: the required field \"date\" of a rollup line is missing.");
        }

        if (string.IsNullOrWhiteSpace(line.Model) || string.IsNullOrWhiteSpace(line.Operation))
        {
            throw new FormatException($"{file}:{lineNumber}: the required fields \"model\" and \"operation\" of a rollup line are missing or empty.");
        }

        var cost = CostOf(
            line.CostInputUsd, line.CostCachedInputUsd, line.CostCacheWriteUsd, line.CostOutputUsd, line.CostReasoningUsd,
            line.CostCacheWriteLongTtlUsd, line.CostInputAudioUsd, line.CostCachedInputAudioUsd, line.CostOutputAudioUsd,
            line.CostRequestsUsd, line.CostServerToolCallsUsd);

        var key = new UsageRollupKey(date, line.Model, line.Provider, new UsageOperation(line.Operation), line.UserId, line.TenantId, line.ApiKeyId);
        ValidateRollupKey(key);
        // The constructor holds the counts to the TokenCounts invariants, audio parts included.
        var tokens = new TokenCounts(
            line.InputTokens,
            line.OutputTokens,
            line.CachedInputTokens,
            line.CacheWriteInputTokens,
            line.CacheWriteLongTtlInputTokens,
            line.ReasoningTokens,
            line.InputAudioTokens ?? 0,
            line.CachedInputAudioTokens ?? 0,
            line.OutputAudioTokens ?? 0);
        return new UsageRollup(key, tokens, line.RequestCount, cost, line.UnpricedRequestCount);
    }

    /// <summary>
    /// The cost a line (detail or rollup) carries: null when it has none of the text parts, which every priced line
    /// writes; the audio, request and tool-call parts are written only when non-zero.
    /// </summary>
    private static UsageCost? CostOf(
        decimal? input, decimal? cachedInput, decimal? cacheWrite, decimal? output, decimal? reasoning, decimal? cacheWriteLongTtl,
        decimal? inputAudio, decimal? cachedInputAudio, decimal? outputAudio, decimal? requests, decimal? serverToolCalls) =>
        input is null && cachedInput is null && cacheWrite is null && output is null && reasoning is null
            ? null
            : new UsageCost(
                input ?? 0m, cachedInput ?? 0m, cacheWrite ?? 0m, output ?? 0m, reasoning ?? 0m, cacheWriteLongTtl ?? 0m,
                inputAudio ?? 0m, cachedInputAudio ?? 0m, outputAudio ?? 0m, requests ?? 0m, serverToolCalls ?? 0m);

    private static decimal? NonZero(decimal? value) => value is 0m ? null : value;

    private static long? NonZero(long value) => value == 0 ? null : value;

    private static UsageRecord ToRecord(JsonLinesLedgerLine line, string file, long lineNumber)
    {
        if (string.IsNullOrWhiteSpace(line.Model))
        {
            throw new FormatException($"{file}:{lineNumber}: the required field \"model\" is missing or empty.");
        }

        var cost = CostOf(
            line.CostInputUsd, line.CostCachedInputUsd, line.CostCacheWriteUsd, line.CostOutputUsd, line.CostReasoningUsd,
            line.CostCacheWriteLongTtlUsd, line.CostInputAudioUsd, line.CostCachedInputAudioUsd, line.CostOutputAudioUsd,
            line.CostRequestsUsd, line.CostServerToolCallsUsd);

        Dictionary<string, TimeSpan>? stages = null;
        if (line.StageDurationsMs is { } stagesMs)
        {
            stages = new Dictionary<string, TimeSpan>(stagesMs.Count, StringComparer.Ordinal);
            foreach (var (name, ms) in stagesMs)
            {
                stages[name] = FromMilliseconds(ms, "stage_durations_ms." + name, file, lineNumber);
            }
        }

        var record = new UsageRecord
        {
            Id = line.Id,
            Model = line.Model,
            ResponseModel = line.ResponseModel,
            Provider = line.Provider,
            Operation = string.IsNullOrWhiteSpace(line.Operation) ? UsageOperation.Chat : new UsageOperation(line.Operation),
            Tokens = new TokenCounts(
                line.InputTokens,
                line.OutputTokens,
                line.CachedInputTokens,
                line.CacheWriteInputTokens,
                line.CacheWriteLongTtlInputTokens,
                line.ReasoningTokens,
                line.InputAudioTokens ?? 0,
                line.CachedInputAudioTokens ?? 0,
                line.OutputAudioTokens ?? 0),
            Provenance = ParseProvenance(line.Provenance, file, lineNumber),
            Outcome = ParseOutcome(line.Outcome, file, lineNumber),
            DegradedReason = line.DegradedReason,
            StartedAt = line.StartedAt,
            CompletedAt = line.CompletedAt,
            Latency = line.LatencyMs is { } latencyMs ? FromMilliseconds(latencyMs, "latency_ms", file, lineNumber) : null,
            StageDurations = stages,
            HistoryLength = line.HistoryLength,
            CorrelationId = line.CorrelationId,
            UserId = line.UserId,
            TenantId = line.TenantId,
            ApiKeyId = line.ApiKeyId,
            Route = line.Route,
            ServiceTier = line.ServiceTier,
            ScopePath = line.ScopePath,
            Tags = line.Tags,
            ServerToolCalls = line.ServerToolCalls,
            Cost = cost,
            Text = line.Text,
            IsUnpaired = line.Unpaired ?? false,
        };

        // What Record() would have rejected is not read either (a hand-edited or foreign file): Parse names the line.
        record.Validate();
        return record;
    }

    private static decimal ToMilliseconds(TimeSpan value) => value.Ticks / TicksPerMillisecond;

    private static TimeSpan FromMilliseconds(decimal ms, string field, string file, long lineNumber)
    {
        var ticks = ms * TicksPerMillisecond;
        if (ticks != decimal.Truncate(ticks) || ticks < long.MinValue || ticks > long.MaxValue)
        {
            throw new FormatException(
                $"{file}:{lineNumber}: \"{field}\" ({ms.ToString(CultureInfo.InvariantCulture)}) is not a whole number of 100-nanosecond ticks or is out of range.");
        }

        return TimeSpan.FromTicks((long)ticks);
    }

    private static string ProvenanceName(UsageProvenance value) => value switch
    {
        UsageProvenance.Reported => "reported",
        UsageProvenance.Estimated => "estimated",
        _ => ((int)value).ToString(CultureInfo.InvariantCulture),
    };

    private static string OutcomeName(UsageOutcome value) => value switch
    {
        UsageOutcome.Succeeded => "succeeded",
        UsageOutcome.Failed => "failed",
        UsageOutcome.Cancelled => "cancelled",
        UsageOutcome.Skipped => "skipped",
        _ => ((int)value).ToString(CultureInfo.InvariantCulture),
    };

    private static UsageProvenance ParseProvenance(string? value, string file, long lineNumber) => value switch
    {
        null or "reported" => UsageProvenance.Reported,
        "estimated" => UsageProvenance.Estimated,
        _ => throw new FormatException($"{file}:{lineNumber}: \"provenance\" has the unknown value \"{value}\" (expected \"reported\" or \"estimated\")."),
    };

    private static UsageOutcome ParseOutcome(string? value, string file, long lineNumber) => value switch
    {
        null or "succeeded" => UsageOutcome.Succeeded,
        "failed" => UsageOutcome.Failed,
        "cancelled" => UsageOutcome.Cancelled,
        "skipped" => UsageOutcome.Skipped,
        _ => throw new FormatException($"{file}:{lineNumber}: \"outcome\" has the unknown value \"{value}\" (expected \"succeeded\", \"failed\", \"cancelled\" or \"skipped\")."),
    };
}
