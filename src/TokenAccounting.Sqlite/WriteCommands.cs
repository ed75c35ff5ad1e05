using System.Buffers;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <summary>The writer's prepared commands, created once and re-bound for every row.</summary>
internal sealed class WriteCommands : IDisposable
{
    private static readonly string[] RollupKeyColumns = ["date", "model", "provider", "operation", "user_id", "tenant_id", "api_key_id"];

    private static readonly string[] RollupSumColumns = [.. LedgerQueryRows.TokenColumns, "request_count", "unpriced_request_count"];

    private static readonly string[] RollupCostColumns = LedgerQueryRows.CostColumns;

    private readonly ArrayBufferWriter<byte> _tagsBuffer = new(256);
    private readonly Utf8JsonWriter _tagsWriter;
    private readonly List<KeyValuePair<string, string>> _boundTags = [];
    private readonly ArrayBufferWriter<byte> _toolCallsBuffer = new(64);
    private readonly Utf8JsonWriter _toolCallsWriter;

    public WriteCommands(SqliteConnection connection)
    {
        // The default encoder, as the PostgreSQL ledger's: the same text for the same tags.
        _tagsWriter = new Utf8JsonWriter(_tagsBuffer);
        _toolCallsWriter = new Utf8JsonWriter(_toolCallsBuffer);
        Connection = connection;
        InsertBatch = new RawStatement(
            connection,
            "INSERT INTO usage_batches (batch_id, applied_at, record_count, rollup_count) VALUES (?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING");

        // A record re-sent in another batch keeps its first copy: ids are unique, and the rollups count it once
        // through their own deltas, not through this table.
        InsertRecord = new RawStatement(
            connection,
            $"INSERT INTO usage_records ({string.Join(", ", LedgerDetailRows.Columns)}) VALUES ({Placeholders(LedgerDetailRows.Columns.Length)}) ON CONFLICT (id) DO NOTHING");

        string[] rollupColumns = [.. RollupKeyColumns, .. RollupSumColumns, .. RollupCostColumns];
        // Saturating, never wrapping: SQLite turns an integer sum that overflows into a REAL, which reads back wrong.
        var updates = RollupSumColumns.Select(c => $"{c} = CASE WHEN {c} > {LedgerArithmetic.MaxCountSql} - excluded.{c} THEN {LedgerArithmetic.MaxCountSql} ELSE {c} + excluded.{c} END")
            .Concat(RollupCostColumns.Select(c => $"{c} = ta_decimal_add({c}, excluded.{c})"));
        UpsertRollup = new RawStatement(
            connection,
            $"INSERT INTO usage_rollups ({string.Join(", ", rollupColumns)}) VALUES ({Placeholders(rollupColumns.Length)}) "
            + $"ON CONFLICT ({string.Join(", ", RollupKeyColumns)}) DO UPDATE SET {string.Join(", ", updates)}");
    }

    public SqliteConnection Connection { get; }

    public RawStatement InsertBatch { get; }

    public RawStatement InsertRecord { get; }

    public RawStatement UpsertRollup { get; }

    public void BindBatch(UsageBatch batch, DateTimeOffset now)
    {
        InsertBatch.Text(1, batch.BatchId);
        InsertBatch.Timestamp(2, now);
        InsertBatch.Int64(3, batch.Records.Count);
        InsertBatch.Int64(4, batch.Rollups.Count);
    }

    public void BindRecord(UsageRecord record, string batchId, int index, DateTimeOffset now)
    {
        var p = InsertRecord;
        var tokens = record.Tokens;
        var cost = record.Cost;
        p.Text(1, LedgerRows.Id(record, batchId, index));
        p.Text(2, batchId);
        p.Text(3, record.Model);
        p.Text(4, record.ResponseModel);
        p.Text(5, record.Provider);
        p.Text(6, LedgerRows.Operation(record.Operation));
        p.Int64(7, tokens.Input);
        p.Int64(8, tokens.Output);
        p.Int64(9, tokens.CachedInput);
        p.Int64(10, tokens.CacheWriteInput);
        p.Int64(11, tokens.CacheWriteLongTtlInput);
        p.Int64(12, tokens.Reasoning);
        p.Text(13, LedgerRows.Provenance(record.Provenance));
        p.Text(14, LedgerRows.Outcome(record.Outcome));
        p.Text(15, record.DegradedReason);
        p.Timestamp(16, record.StartedAt);
        p.Timestamp(17, LedgerRows.CompletedAt(record, now));
        p.Int64(18, LedgerRows.LatencyMicroseconds(record.Latency));
        p.Text(19, LedgerRows.StageDurationsJson(record.StageDurations));
        p.Int64(20, (long?)record.HistoryLength);
        p.Text(21, record.CorrelationId);
        p.Text(22, record.UserId);
        p.Text(23, record.TenantId);
        p.Text(24, record.ApiKeyId);
        p.Text(25, record.Route);
        p.Text(26, record.ServiceTier);
        p.Text(27, record.ScopePath);
        BindTags(record.Tags);
        p.Decimal(29, cost?.Input);
        p.Decimal(30, cost?.CachedInput);
        p.Decimal(31, cost?.CacheWrite);
        p.Decimal(32, cost?.Output);
        p.Decimal(33, cost?.Reasoning);
        p.Decimal(34, cost?.Total);
        p.Text(35, record.Text);
        p.Int64(36, record.IsUnpaired ? 1L : 0L);
        p.Decimal(37, cost?.CacheWriteLongTtl);
        p.Int64(38, tokens.InputAudio);
        p.Int64(39, tokens.CachedInputAudio);
        p.Int64(40, tokens.OutputAudio);
        BindServerToolCalls(record.ServerToolCalls);
        p.Decimal(42, cost?.InputAudio);
        p.Decimal(43, cost?.CachedInputAudio);
        p.Decimal(44, cost?.OutputAudio);
        p.Decimal(45, cost?.Requests);
        p.Decimal(46, cost?.ServerToolCalls);
    }

    private void BindServerToolCalls(IReadOnlyDictionary<string, long>? toolCalls)
    {
        if (toolCalls is null || toolCalls.Count == 0)
        {
            InsertRecord.Text(41, null);
            return;
        }

        _toolCallsBuffer.ResetWrittenCount();
        _toolCallsWriter.Reset();
        LedgerDetailRows.WriteServerToolCalls(_toolCallsWriter, toolCalls);
        _toolCallsWriter.Flush();
        InsertRecord.Utf8(41, _toolCallsBuffer.WrittenSpan);
    }

    // Rows of a batch mostly carry the same tags (often the same scope's dictionary): when a row's tags are, pair by
    // pair and in order, what is bound already, the JSON text would be identical, so it is neither written nor bound.
    private void BindTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null || tags.Count == 0)
        {
            _boundTags.Clear();
            InsertRecord.Text(28, null);
            return;
        }

        if (_boundTags.Count > 0 && SameAsBound(tags))
        {
            return;
        }

        _boundTags.Clear();
        _tagsBuffer.ResetWrittenCount();
        _tagsWriter.Reset();
        LedgerRows.WriteTags(_tagsWriter, tags);
        _tagsWriter.Flush();
        InsertRecord.Utf8(28, _tagsBuffer.WrittenSpan);
        foreach (var pair in tags)
        {
            _boundTags.Add(pair);
        }
    }

    private bool SameAsBound(IReadOnlyDictionary<string, string> tags)
    {
        if (tags.Count != _boundTags.Count)
        {
            return false;
        }

        var i = 0;
        if (tags is Dictionary<string, string> dictionary)
        {
            // The struct enumerator: no allocation per row.
            foreach (var (name, value) in dictionary)
            {
                if (!IsBound(i++, name, value))
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var (name, value) in tags)
        {
            if (!IsBound(i++, name, value))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsBound(int index, string name, string value) =>
        string.Equals(_boundTags[index].Key, name, StringComparison.Ordinal) && string.Equals(_boundTags[index].Value, value, StringComparison.Ordinal);

    public void BindRollup(RollupRow row)
    {
        var p = UpsertRollup;
        var key = row.Key;
        p.Text(1, SqliteText.Date(key.Date));
        p.Text(2, key.Model);
        p.Text(3, key.Provider);
        p.Text(4, key.Operation);
        p.Text(5, key.UserId);
        p.Text(6, key.TenantId);
        p.Text(7, key.ApiKeyId);
        p.Int64(8, row.Tokens.Input);
        p.Int64(9, row.Tokens.Output);
        p.Int64(10, row.Tokens.CachedInput);
        p.Int64(11, row.Tokens.CacheWriteInput);
        p.Int64(12, row.Tokens.CacheWriteLongTtlInput);
        p.Int64(13, row.Tokens.Reasoning);
        p.Int64(14, row.Tokens.InputAudio);
        p.Int64(15, row.Tokens.CachedInputAudio);
        p.Int64(16, row.Tokens.OutputAudio);
        p.Int64(17, row.Requests);
        p.Int64(18, row.Unpriced);
        p.Decimal(19, row.Cost.Input);
        p.Decimal(20, row.Cost.CachedInput);
        p.Decimal(21, row.Cost.CacheWrite);
        p.Decimal(22, row.Cost.Output);
        p.Decimal(23, row.Cost.Reasoning);
        p.Decimal(24, row.Cost.CacheWriteLongTtl);
        p.Decimal(25, row.Cost.InputAudio);
        p.Decimal(26, row.Cost.CachedInputAudio);
        p.Decimal(27, row.Cost.OutputAudio);
        p.Decimal(28, row.Cost.Requests);
        p.Decimal(29, row.Cost.ServerToolCalls);
    }

    public void Dispose()
    {
        _tagsWriter.Dispose();
        _toolCallsWriter.Dispose();
        InsertBatch.Dispose();
        InsertRecord.Dispose();
        UpsertRollup.Dispose();
    }

    private static string Placeholders(int count) => string.Join(", ", Enumerable.Repeat("?", count));
}
