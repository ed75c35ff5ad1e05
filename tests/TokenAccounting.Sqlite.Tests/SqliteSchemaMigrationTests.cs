using Microsoft.Data.Sqlite;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.Sqlite.Tests;

/// <summary>
/// Schema 3 (audio token counts, server tool calls, the cost parts beyond text tokens) over a database that version 2
/// created: the migration runs once, what version 2 stored reads back unchanged (zero for the new fields), and new
/// records keep every field.
/// </summary>
public sealed class SqliteSchemaMigrationTests : IDisposable
{
    /// <summary>
    /// The DDL version 2 of the ledger ran, verbatim (steps 1 and 2 as TokenAccounting.Sqlite shipped them, with the
    /// version table and its marks), so the test does not depend on today's migration list.
    /// </summary>
    private const string Version2Ddl = """
        CREATE TABLE IF NOT EXISTS tokenaccounting_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL);
        CREATE TABLE usage_records (
            id TEXT NOT NULL PRIMARY KEY,
            batch_id TEXT NOT NULL,
            model TEXT NOT NULL,
            response_model TEXT NULL,
            provider TEXT NULL,
            operation TEXT NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_input_tokens INTEGER NOT NULL,
            cache_write_input_tokens INTEGER NOT NULL,
            cache_write_long_ttl_input_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            provenance TEXT NOT NULL,
            outcome TEXT NOT NULL,
            degraded_reason TEXT NULL,
            started_at TEXT NULL,
            completed_at TEXT NOT NULL,
            latency_us INTEGER NULL,
            stage_durations_ms TEXT NULL,
            history_length INTEGER NULL,
            correlation_id TEXT NULL,
            user_id TEXT NULL,
            tenant_id TEXT NULL,
            api_key_id TEXT NULL,
            route TEXT NULL,
            service_tier TEXT NULL,
            scope_path TEXT NULL,
            tags TEXT NULL,
            cost_input TEXT NULL,
            cost_cached_input TEXT NULL,
            cost_cache_write TEXT NULL,
            cost_output TEXT NULL,
            cost_reasoning TEXT NULL,
            cost_total TEXT NULL,
            text TEXT NULL,
            is_unpaired INTEGER NOT NULL
        );
        CREATE INDEX ix_usage_records_completed_at ON usage_records (completed_at);
        CREATE TABLE usage_rollups (
            date TEXT NOT NULL,
            model TEXT NOT NULL,
            provider TEXT NOT NULL DEFAULT '',
            operation TEXT NOT NULL,
            user_id TEXT NOT NULL DEFAULT '',
            tenant_id TEXT NOT NULL DEFAULT '',
            api_key_id TEXT NOT NULL DEFAULT '',
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_input_tokens INTEGER NOT NULL,
            cache_write_input_tokens INTEGER NOT NULL,
            cache_write_long_ttl_input_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            request_count INTEGER NOT NULL,
            unpriced_request_count INTEGER NOT NULL,
            cost_input TEXT NOT NULL,
            cost_cached_input TEXT NOT NULL,
            cost_cache_write TEXT NOT NULL,
            cost_output TEXT NOT NULL,
            cost_reasoning TEXT NOT NULL,
            PRIMARY KEY (date, model, provider, operation, user_id, tenant_id, api_key_id)
        );
        CREATE TABLE usage_batches (
            batch_id TEXT NOT NULL PRIMARY KEY,
            applied_at TEXT NOT NULL,
            record_count INTEGER NOT NULL,
            rollup_count INTEGER NOT NULL
        );
        CREATE INDEX ix_usage_batches_applied_at ON usage_batches (applied_at);
        ALTER TABLE usage_records ADD COLUMN cost_cache_write_long_ttl TEXT NULL;
        ALTER TABLE usage_rollups ADD COLUMN cost_cache_write_long_ttl TEXT NOT NULL DEFAULT '0';
        INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES (1, '2026-01-01T00:00:00.0000000Z'), (2, '2026-01-01T00:00:00.0000000Z');
        """;

    private readonly TempDatabase _db = new();

    public SqliteSchemaMigrationTests()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_db.FilePath)!);
        Execute(Version2Ddl);

        // What version 2 wrote for one priced record and its rollup (every column version 2 had).
        Execute("""
            INSERT INTO usage_records (id, batch_id, model, response_model, provider, operation, input_tokens, output_tokens, cached_input_tokens,
                cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, provenance, outcome, degraded_reason, started_at,
                completed_at, latency_us, stage_durations_ms, history_length, correlation_id, user_id, tenant_id, api_key_id, route, service_tier,
                scope_path, tags, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_total, text, is_unpaired,
                cost_cache_write_long_ttl)
            VALUES ('old-1', 'b-old', 'gpt-4o', 'gpt-4o-2024-08-06', 'openai', 'chat', 100, 10, 20, 30, 5, 4, 'reported', 'succeeded', NULL,
                '2026-01-15T00:59:59.0000000Z', '2026-01-15T01:00:00.0000000Z', 1000000, '{"ttft":250}', 3, 'c-old', 'u1', 't1', 'k1', '/old',
                'default', 'old/scope', '{"feature":"old"}', '0.000125', '0.00001', '0.000375', '0.0001', '0.00004', '0.00065', NULL, 0, '0.0001');
            INSERT INTO usage_rollups (date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
                cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
                unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_cache_write_long_ttl)
            VALUES ('2026-01-15', 'gpt-4o', 'openai', 'chat', 'u1', 't1', 'k1', 100, 10, 20, 30, 5, 4, 1, 0, '0.000125', '0.00001', '0.000375',
                '0.0001', '0.00004', '0.0001');
            INSERT INTO usage_batches (batch_id, applied_at, record_count, rollup_count) VALUES ('b-old', '2026-01-15T01:00:01.0000000Z', 1, 1);
            """);
    }

    private static UsageRecord OldRecord => new()
    {
        Id = "old-1",
        Model = "gpt-4o",
        ResponseModel = "gpt-4o-2024-08-06",
        Provider = "openai",
        Operation = UsageOperation.Chat,
        Tokens = new TokenCounts(100, 10, 20, 30, 5, 4),
        StartedAt = Day1.AddHours(1).AddSeconds(-1),
        CompletedAt = Day1.AddHours(1),
        Latency = TimeSpan.FromSeconds(1),
        StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(250) },
        HistoryLength = 3,
        CorrelationId = "c-old",
        UserId = "u1",
        TenantId = "t1",
        ApiKeyId = "k1",
        Route = "/old",
        ServiceTier = "default",
        ScopePath = "old/scope",
        Tags = new Dictionary<string, string> { ["feature"] = "old" },
        Cost = new UsageCost(0.000125m, 0.00001m, 0.000375m, 0.0001m, 0.00004m, 0.0001m),
    };

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Open_Version2Database_MigratesToVersion3Once()
    {
        using (var ledger = new SqliteUsageLedger(_db.Options()))
        {
            await ledger.TrimAsync();
        }

        using (var again = new SqliteUsageLedger(_db.Options()))
        {
            await again.TrimAsync();
        }

        Scalar("SELECT group_concat(version) FROM (SELECT version FROM tokenaccounting_schema_version ORDER BY version)").ShouldBe("1,2,3");
        foreach (var column in new[] { "input_audio_tokens", "cached_input_audio_tokens", "output_audio_tokens", "server_tool_calls", "cost_input_audio", "cost_cached_input_audio", "cost_output_audio", "cost_requests", "cost_server_tool_calls" })
        {
            Scalar($"SELECT COUNT(*) FROM pragma_table_info('usage_records') WHERE name = '{column}'").ShouldBe("1", column);
        }

        foreach (var column in new[] { "input_audio_tokens", "cached_input_audio_tokens", "output_audio_tokens", "cost_input_audio", "cost_cached_input_audio", "cost_output_audio", "cost_requests", "cost_server_tool_calls" })
        {
            Scalar($"SELECT COUNT(*) FROM pragma_table_info('usage_rollups') WHERE name = '{column}'").ShouldBe("1", column);
        }

        // The rollups were rebuilt clustered on their key, the row version 2 stored kept, nothing left over.
        Scalar("SELECT sql FROM sqlite_master WHERE name = 'usage_rollups'").ShouldEndWith("WITHOUT ROWID");
        Scalar("SELECT COUNT(*) || ':' || SUM(input_tokens) || ':' || MAX(cost_input) FROM usage_rollups").ShouldBe("1:100:0.000125");
        Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'usage_rollups_v3'").ShouldBe("0");
    }

    [Fact]
    public async Task ReadAsync_RowWrittenByVersion2_ReadsBackUnchangedWithZeroForNewFields()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());

        var records = await ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1)));

        var record = records.ShouldHaveSingleItem();
        record.ShouldMatch(OldRecord);
        record.Tokens.InputAudio.ShouldBe(0);
        record.Tokens.CachedInputAudio.ShouldBe(0);
        record.Tokens.OutputAudio.ShouldBe(0);
        record.ServerToolCalls.ShouldBeNull();
        record.Cost!.Requests.ShouldBe(0m);
        record.Cost.Total.ShouldBe(0.00065m);
    }

    [Fact]
    public async Task QueryTotalsAsync_Version2Rows_SumUnchangedWithZeroForNewParts()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var expectedCost = new UsageCost(0.000125m, 0.00001m, 0.000375m, 0.0001m, 0.00004m, 0.0001m);

        var fromRollups = (await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();
        var fromDetails = (await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)))).Rows.ShouldHaveSingleItem();

        foreach (var row in new[] { fromRollups, fromDetails })
        {
            row.Tokens.ShouldBe(new TokenCounts(100, 10, 20, 30, 5, 4));
            row.RequestCount.ShouldBe(1);
            row.UnpricedRequestCount.ShouldBe(0);
            row.Cost.ShouldBe(expectedCost);
        }
    }

    [Fact]
    public async Task WriteAsync_AfterMigration_NewRecordKeepsEveryFieldAndRollupsAddToTheOldRow()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var full = LedgerRecords.Full("new-1", Day1.AddHours(2)) with { UserId = "u1", TenantId = "t1", ApiKeyId = "k1", Model = "gpt-4o", Operation = UsageOperation.Chat };

        await ledger.WriteAsync(Batch("b-new", full), default);

        var records = await ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1)));
        records.Count.ShouldBe(2);
        records[0].ShouldMatch(OldRecord);
        records[1].ShouldMatch(full);
        var row = (await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.ShouldHaveSingleItem();
        row.Tokens.ShouldBe(OldRecord.Tokens + full.Tokens);
        row.Tokens.InputAudio.ShouldBe(250);
        row.RequestCount.ShouldBe(2);
        row.Cost.ShouldBe(OldRecord.Cost! + full.Cost!);
        Scalar("SELECT COUNT(*) FROM usage_rollups").ShouldBe("1");
    }

    internal static async Task<List<UsageRecord>> ToListAsync(IAsyncEnumerable<UsageRecord> records)
    {
        var list = new List<UsageRecord>();
        await foreach (var record in records)
        {
            list.Add(record);
        }

        return list;
    }

    private string? Scalar(string sql)
    {
        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
