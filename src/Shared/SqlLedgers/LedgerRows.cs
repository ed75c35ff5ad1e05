using System.Globalization;
using System.Text.Json;

namespace TokenAccounting;

/// <summary>How records and rollups map to columns (shared by the SQLite and PostgreSQL ledgers: compiled into both).</summary>
internal static class LedgerRows
{
    public static string Outcome(UsageOutcome outcome) => outcome switch
    {
        UsageOutcome.Succeeded => "succeeded",
        UsageOutcome.Failed => "failed",
        UsageOutcome.Cancelled => "cancelled",
        UsageOutcome.Skipped => "skipped",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    public static string Provenance(UsageProvenance provenance) => provenance == UsageProvenance.Estimated ? "estimated" : "reported";

    /// <summary>A record without an id gets one derived from its batch, so a retry of the batch writes the same id.</summary>
    public static string Id(UsageRecord record, string batchId, int index) => record.Id ?? string.Create(CultureInfo.InvariantCulture, $"{batchId}:{index}");

    /// <summary>The pipeline stamps <see cref="UsageRecord.CompletedAt"/>; a record written without it falls back to its start, then to now.</summary>
    public static DateTimeOffset CompletedAt(UsageRecord record, DateTimeOffset now) => record.CompletedAt ?? record.StartedAt ?? now;

    /// <summary>
    /// Writes the tags column: a JSON object of string values in the dictionary's order. Both ledgers write it with a
    /// <see cref="Utf8JsonWriter"/> on the default encoder straight into their own buffers; callers store NULL for no tags.
    /// </summary>
    public static void WriteTags(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> tags)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in tags)
        {
            writer.WriteString(name, value);
        }

        writer.WriteEndObject();
    }

    public static string? StageDurationsJson(IReadOnlyDictionary<string, TimeSpan>? stages)
    {
        if (stages is null || stages.Count == 0)
        {
            return null;
        }

        var milliseconds = new Dictionary<string, double>(stages.Count, StringComparer.Ordinal);
        foreach (var (name, duration) in stages)
        {
            milliseconds[name] = duration.TotalMilliseconds;
        }

        return JsonSerializer.Serialize(milliseconds, LedgerJson.Default.DictionaryStringDouble);
    }

    /// <summary>Latency is stored in whole microseconds (the resolution PostgreSQL keeps for times).</summary>
    public static long? LatencyMicroseconds(TimeSpan? latency) => latency is { } value ? value.Ticks / TimeSpan.TicksPerMicrosecond : null;

    /// <summary>Key columns are NOT NULL with <c>''</c> for "none", so the unique key works on any engine version.</summary>
    public static string Key(string? value) => value ?? string.Empty;

    public static string? FromKey(string value) => value.Length == 0 ? null : value;

    public static string Operation(UsageOperation operation) => operation.Value.ToLowerInvariant();

    /// <summary>Merges rollups that share a key (so no key appears twice in one upsert) and orders them (so writers lock rows in one order).</summary>
    public static List<RollupRow> Aggregate(IReadOnlyList<UsageRollup> rollups)
    {
        var rows = new Dictionary<RollupRowKey, RollupRow>(rollups.Count);
        foreach (var rollup in rollups)
        {
            var k = rollup.Key;
            var key = new RollupRowKey(k.Date, k.Model, Key(k.Provider), Operation(k.Operation), Key(k.UserId), Key(k.TenantId), Key(k.ApiKeyId));
            if (!rows.TryGetValue(key, out var row))
            {
                row = new RollupRow(key);
                rows.Add(key, row);
            }

            row.Add(rollup);
        }

        var list = rows.Values.ToList();
        list.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        return list;
    }
}

internal readonly record struct RollupRowKey(DateOnly Date, string Model, string Provider, string Operation, string UserId, string TenantId, string ApiKeyId)
    : IComparable<RollupRowKey>
{
    public int CompareTo(RollupRowKey other)
    {
        var c = Date.CompareTo(other.Date);
        c = c != 0 ? c : string.CompareOrdinal(Model, other.Model);
        c = c != 0 ? c : string.CompareOrdinal(Provider, other.Provider);
        c = c != 0 ? c : string.CompareOrdinal(Operation, other.Operation);
        c = c != 0 ? c : string.CompareOrdinal(UserId, other.UserId);
        c = c != 0 ? c : string.CompareOrdinal(TenantId, other.TenantId);
        return c != 0 ? c : string.CompareOrdinal(ApiKeyId, other.ApiKeyId);
    }
}

internal sealed class RollupRow(RollupRowKey key)
{
    public RollupRowKey Key { get; } = key;

    public TokenCounts Tokens { get; private set; }

    public long Requests { get; private set; }

    public long Unpriced { get; private set; }

    public UsageCost Cost { get; private set; } = UsageCost.Zero;

    // Saturating, like every sum of the ledgers: TokenCounts and UsageCost addition saturate too.
    public void Add(UsageRollup rollup)
    {
        Tokens += rollup.Tokens;
        Requests = SaturatingArithmetic.Add(Requests, rollup.RequestCount);
        Unpriced = SaturatingArithmetic.Add(Unpriced, rollup.UnpricedRequestCount);
        if (rollup.Cost is { } cost)
        {
            Cost += cost;
        }
    }
}
