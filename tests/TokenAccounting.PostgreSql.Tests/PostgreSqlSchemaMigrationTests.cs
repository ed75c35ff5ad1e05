using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.PostgreSql.Tests;

/// <summary>
/// Schema 3 (audio token counts, server tool calls, the cost parts beyond text tokens) over a database that version 2
/// created, and round trips of every field (issue 15 §4): the migration runs once, what version 2 stored reads back
/// unchanged (zero for the new fields), and new records keep every field through WriteAsync, ReadAsync and the queries.
/// </summary>
[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlSchemaMigrationTests(PostgresServer server)
{
    /// <summary>
    /// The DDL version 2 of the ledger ran, verbatim (steps 1 and 2 as TokenAccounting.PostgreSql shipped them, with the
    /// version table and its marks), so the test does not depend on today's migration list.
    /// </summary>
    private const string Version2Ddl = """
        CREATE TABLE IF NOT EXISTS tokenaccounting_schema_version (version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL);
        CREATE TABLE usage_records (
            id text NOT NULL PRIMARY KEY,
            batch_id text NOT NULL,
            model text NOT NULL,
            response_model text NULL,
            provider text NULL,
            operation text NOT NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            cache_write_input_tokens bigint NOT NULL,
            cache_write_long_ttl_input_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            provenance text NOT NULL,
            outcome text NOT NULL,
            degraded_reason text NULL,
            started_at timestamptz NULL,
            completed_at timestamptz NOT NULL,
            latency_us bigint NULL,
            stage_durations_ms jsonb NULL,
            history_length integer NULL,
            correlation_id text NULL,
            user_id text NULL,
            tenant_id text NULL,
            api_key_id text NULL,
            route text NULL,
            service_tier text NULL,
            scope_path text NULL,
            tags jsonb NULL,
            cost_input numeric NULL,
            cost_cached_input numeric NULL,
            cost_cache_write numeric NULL,
            cost_output numeric NULL,
            cost_reasoning numeric NULL,
            cost_total numeric NULL,
            text text NULL,
            is_unpaired boolean NOT NULL
        );
        CREATE INDEX ix_usage_records_completed_at ON usage_records (completed_at);
        CREATE TABLE usage_rollups (
            date date NOT NULL,
            model text NOT NULL,
            provider text NOT NULL DEFAULT '',
            operation text NOT NULL,
            user_id text NOT NULL DEFAULT '',
            tenant_id text NOT NULL DEFAULT '',
            api_key_id text NOT NULL DEFAULT '',
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            cache_write_input_tokens bigint NOT NULL,
            cache_write_long_ttl_input_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            request_count bigint NOT NULL,
            unpriced_request_count bigint NOT NULL,
            cost_input numeric NOT NULL,
            cost_cached_input numeric NOT NULL,
            cost_cache_write numeric NOT NULL,
            cost_output numeric NOT NULL,
            cost_reasoning numeric NOT NULL,
            PRIMARY KEY (date, model, provider, operation, user_id, tenant_id, api_key_id)
        );
        CREATE TABLE usage_batches (
            batch_id text NOT NULL PRIMARY KEY,
            applied_at timestamptz NOT NULL,
            record_count integer NOT NULL,
            rollup_count integer NOT NULL
        );
        CREATE INDEX ix_usage_batches_applied_at ON usage_batches (applied_at);
        CREATE TABLE usage_budget_counters (
            budget_key text NOT NULL,
            window_key text NOT NULL,
            used numeric NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (budget_key, window_key)
        );
        ALTER TABLE usage_records ADD COLUMN cost_cache_write_long_ttl numeric NULL;
        ALTER TABLE usage_rollups ADD COLUMN cost_cache_write_long_ttl numeric NOT NULL DEFAULT 0;
        INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES (1, '2026-01-01T00:00:00Z'), (2, '2026-01-01T00:00:00Z');
        """;

    private const string Version2Rows = """
        INSERT INTO usage_records (id, batch_id, model, response_model, provider, operation, input_tokens, output_tokens, cached_input_tokens,
            cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, provenance, outcome, degraded_reason, started_at,
            completed_at, latency_us, stage_durations_ms, history_length, correlation_id, user_id, tenant_id, api_key_id, route, service_tier,
            scope_path, tags, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_total, text, is_unpaired,
            cost_cache_write_long_ttl)
        VALUES ('old-1', 'b-old', 'gpt-4o', 'gpt-4o-2024-08-06', 'openai', 'chat', 100, 10, 20, 30, 5, 4, 'reported', 'succeeded', NULL,
            '2026-01-15T00:59:59Z', '2026-01-15T01:00:00Z', 1000000, '{"ttft":250}', 3, 'c-old', 'u1', 't1', 'k1', '/old',
            'default', 'old/scope', '{"feature":"old"}', 0.000125, 0.00001, 0.000375, 0.0001, 0.00004, 0.00065, NULL, false, 0.0001);
        INSERT INTO usage_rollups (date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
            cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
            unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_cache_write_long_ttl)
        VALUES ('2026-01-15', 'gpt-4o', 'openai', 'chat', 'u1', 't1', 'k1', 100, 10, 20, 30, 5, 4, 1, 0, 0.000125, 0.00001, 0.000375,
            0.0001, 0.00004, 0.0001);
        INSERT INTO usage_batches (batch_id, applied_at, record_count, rollup_count) VALUES ('b-old', '2026-01-15T01:00:01Z', 1, 1);
        """;

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

    [SkippableFact]
    public async Task Open_Version2DatabaseWithData_MigratesOnceAndReadsOldRowsUnchangedThenKeepsNewFields()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await Execute(connectionString, Version2Ddl);
        await Execute(connectionString, Version2Rows);

        await using (var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString }))
        {
            // Old data, read by the new ledger: unchanged, zero for what version 2 did not have.
            var old = (await ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1)))).ShouldHaveSingleItem();
            old.ShouldMatch(OldRecord);
            old.Tokens.InputAudio.ShouldBe(0);
            old.ServerToolCalls.ShouldBeNull();
            old.Cost!.Total.ShouldBe(0.00065m);
            foreach (var query in new[] { new UsageQuery(Day1, Day1.AddDays(1)), new UsageQuery(Day1, Day1.AddHours(12)) })
            {
                var row = (await ledger.QueryTotalsAsync(query)).Rows.ShouldHaveSingleItem();
                row.Tokens.ShouldBe(OldRecord.Tokens);
                row.RequestCount.ShouldBe(1);
                row.Cost.ShouldBe(OldRecord.Cost);
            }

            // A new record with every field set, into the same rollup key.
            var full = LedgerRecords.Full("new-1", Day1.AddHours(2)) with { Model = "gpt-4o", Operation = UsageOperation.Chat };
            await ledger.WriteAsync(Batch("b-new", full), default);
            var records = await ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1)));
            records.Count.ShouldBe(2);
            records[0].ShouldMatch(OldRecord);
            records[1].ShouldMatch(full);
            foreach (var query in new[] { new UsageQuery(Day1, Day1.AddDays(1)), new UsageQuery(Day1, Day1.AddHours(12)) })
            {
                var row = (await ledger.QueryTotalsAsync(query)).Rows.ShouldHaveSingleItem();
                row.Tokens.ShouldBe(OldRecord.Tokens + full.Tokens);
                row.Tokens.OutputAudio.ShouldBe(150);
                row.RequestCount.ShouldBe(2);
                row.Cost.ShouldBe(OldRecord.Cost! + full.Cost!);
            }
        }

        await using (var again = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString }))
        {
            await again.TrimAsync();
        }

        (await Scalar(connectionString, "SELECT string_agg(version::text, ',' ORDER BY version) FROM tokenaccounting_schema_version")).ShouldBe("1,2,3");
        (await Scalar(connectionString, "SELECT COUNT(*) FROM usage_rollups")).ShouldBe("1");
    }

    [SkippableFact]
    public async Task ReadAsync_RecordsWithEveryFieldAndTopByCost_RoundTripAndOrderByEveryCostPart()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        var full = LedgerRecords.Full("full", Day1.AddHours(3));

        // Only tool-call fees: the top-N by cost must count them (the server orders by the summed parts).
        var toolCallsOnly = Record("tools", Day1.AddHours(4), 1, 1, user: "u-tools") with
        {
            Cost = new UsageCost(0m, 0m, 0m, 0m, 0m, 0m, 0m, 0m, 0m, 0m, 1m),
            ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 100 },
        };
        await ledger.WriteAsync(Batch("b1", full, toolCallsOnly), default);

        var records = await ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1)));
        records.Count.ShouldBe(2);
        records[0].ShouldMatch(full);
        records[1].ShouldMatch(toolCallsOnly);
        var top = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { GroupBy = [UsageDimension.User], OrderBy = UsageQueryOrder.Cost, Top = 1 });
        top.Rows.ShouldHaveSingleItem().UserId.ShouldBe("u-tools");
        var rollup = (await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { UserId = "u1" })).Rows.ShouldHaveSingleItem();
        rollup.Tokens.ShouldBe(full.Tokens);
        rollup.Cost.ShouldBe(full.Cost);
    }

    [SkippableFact]
    public async Task ReadAsync_StoredRowBreakingTheRules_ThrowsNamingTheRowAndTheRule()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        await ledger.WriteAsync(Batch("b1", LedgerRecords.Full("tampered", Day1.AddHours(2))), default);
        await Execute(connectionString, "UPDATE usage_records SET cached_input_audio_tokens = 500; UPDATE usage_rollups SET output_audio_tokens = 360");

        var read = await Should.ThrowAsync<InvalidDataException>(() => ToListAsync(ledger.ReadAsync(Day1, Day1.AddDays(1))));
        var details = await Should.ThrowAsync<InvalidDataException>(() => ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12))).AsTask());
        var rollups = await Should.ThrowAsync<InvalidDataException>(() => ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1))).AsTask());

        read.Message.ShouldContain("the detail row with id tampered");
        read.Message.ShouldContain("CachedInputAudio");
        details.Message.ShouldContain("the detail row with id tampered");
        rollups.Message.ShouldContain("the rollup row with key 2026-01-15|gpt-4o-realtime|openai|realtime|u1|t1|k1");
    }

    private static async Task<List<UsageRecord>> ToListAsync(IAsyncEnumerable<UsageRecord> records)
    {
        var list = new List<UsageRecord>();
        await foreach (var record in records)
        {
            list.Add(record);
        }

        return list;
    }

    private static async Task Execute(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string?> Scalar(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
