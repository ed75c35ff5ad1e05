using Microsoft.Data.Sqlite;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.Sqlite.Tests;

public sealed class SqliteUsageLedgerTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task WriteAsync_FirstUse_CreatesSchemaAtCurrentVersionInWalMode()
    {
        using (var ledger = new SqliteUsageLedger(_db.Options()))
        {
            await ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 5)), default);
        }

        Scalar("SELECT group_concat(version) FROM (SELECT version FROM tokenaccounting_schema_version ORDER BY version)").ShouldBe("1,2,3");
        Scalar("SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name)")
            .ShouldBe("tokenaccounting_schema_version,usage_batches,usage_records,usage_rollups");
        Scalar("PRAGMA journal_mode").ShouldBe("wal");
        Scalar("PRAGMA page_size").ShouldBe("16384");
    }

    [Fact]
    public async Task WriteAsync_ExistingDatabaseWithOtherPageSize_KeepsItsPageSizeAndWorks()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_db.FilePath)!);
        Execute("PRAGMA page_size=4096; CREATE TABLE app_table (x INTEGER); INSERT INTO app_table VALUES (1);");

        using (var ledger = new SqliteUsageLedger(_db.Options()))
        {
            await ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 5)), default);
            (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).Tokens.Total.ShouldBe(15);
        }

        Scalar("PRAGMA page_size").ShouldBe("4096");
        Scalar("SELECT x FROM app_table").ShouldBe("1");
    }

    [Fact]
    public async Task Migrate_OpenedAgain_KeepsDataAndDoesNotReapplySteps()
    {
        using (var first = new SqliteUsageLedger(_db.Options()))
        {
            await first.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 5)), default);
        }

        using (var second = new SqliteUsageLedger(_db.Options()))
        {
            await second.WriteAsync(Batch("b2", Record("r2", Day1.AddHours(2), 1, 1)), default);
            var total = await second.GetUsedAsync(Day1, Day1.AddDays(1));
            total.Tokens.Total.ShouldBe(17);
        }

        Scalar("SELECT COUNT(*) FROM tokenaccounting_schema_version").ShouldBe("3");
    }

    [Fact]
    public async Task Migrate_SchemaNewerThanLibrary_ThrowsNamingBothVersions()
    {
        using (var ledger = new SqliteUsageLedger(_db.Options()))
        {
            await ledger.TrimAsync();
        }

        Execute("INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES (99, 'x')");
        using var newer = new SqliteUsageLedger(_db.Options());
        var error = await Should.ThrowAsync<InvalidOperationException>(() => newer.WriteAsync(Batch("b1"), default).AsTask());
        error.Message.ShouldContain("version 99");
        error.Message.ShouldContain("the 3 this version");
    }

    [Fact]
    public async Task Migrate_DatabaseAtVersion1_AddsLongTtlCacheWriteCostAndKeepsRows()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_db.FilePath)!);
        using (var connection = new SqliteConnection(_db.ConnectionString))
        {
            connection.Open();
            SqliteSchema.Migrate(connection, Day1, targetVersion: 1);
        }

        // A day written by version 1: one rollup row, priced, without the long-TTL column.
        Execute("""
            INSERT INTO usage_rollups (date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
                cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
                unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning)
            VALUES ('2026-01-15', 'gpt-4o', 'openai', 'chat', '', '', '', 100, 10, 0, 0, 0, 0, 1, 0, '1.5', '0', '0.25', '2', '0')
            """);

        using (var ledger = new SqliteUsageLedger(_db.Options()))
        {
            var before = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
            before.Rows[0].Cost.ShouldBe(new UsageCost(1.5m, 0m, 0.25m, 2m, 0m));

            var record = Record("r1", Day1.AddHours(1), 10, 5) with { Cost = new UsageCost(0.5m, 0m, 0.75m, 1m, 0m, 0.5m) };
            await ledger.WriteAsync(Batch("b1", record), default);
            var after = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
            after.Rows[0].Cost.ShouldBe(new UsageCost(2m, 0m, 1m, 3m, 0m, 0.5m));
        }

        Scalar("SELECT group_concat(version) FROM (SELECT version FROM tokenaccounting_schema_version ORDER BY version)").ShouldBe("1,2,3");
    }

    [Fact]
    public async Task QueryTotalsAsync_CostWithLongTtlCacheWrites_KeepsTheLongTtlPartInDetailsAndRollups()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var first = Record("r1", Day1.AddHours(1), 10, 5) with { Cost = new UsageCost(0.1m, 0m, 0.75m, 0.2m, 0m, 0.5m) };
        var second = Record("r2", Day1.AddHours(2), 10, 5) with { Cost = new UsageCost(0.1m, 0m, 0.25m, 0.2m, 0m, 0.125m) };
        await ledger.WriteAsync(Batch("b1", first, second), default);

        var expected = new UsageCost(0.2m, 0m, 1m, 0.4m, 0m, 0.625m);
        var fromRollups = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromRollups.Rows[0].Cost!.CacheWriteLongTtl.ShouldBe(expected.CacheWriteLongTtl);
        fromRollups.Rows[0].Cost.ShouldBe(expected);
        var fromDetails = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)));
        fromDetails.Source.ShouldBe(UsageQuerySource.Details);
        fromDetails.Rows[0].Cost.ShouldBe(expected);
    }

    [Fact]
    public async Task WriteAsync_FailureAfterCommitThenRetry_AppliesBatchOnce()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var batch = Batch("b1", Record("r1", Day1.AddHours(1), 100, 20, cost: Cost(0.25m, 0.5m)), Record("r2", Day1.AddHours(2), 50, 10));
        var failures = 0;
        ledger.AfterCommit = _ =>
        {
            if (failures++ == 0)
            {
                throw new IOException("acknowledgement lost");
            }
        };

        await Should.ThrowAsync<IOException>(() => ledger.WriteAsync(batch, default).AsTask());
        await ledger.WriteAsync(batch, default);
        await ledger.WriteAsync(batch, default);

        var total = await ledger.GetUsedAsync(Day1, Day1.AddDays(1));
        total.Tokens.ShouldBe(new TokenCounts(150, 30));
        total.RequestCount.ShouldBe(2);
        total.Cost!.Total.ShouldBe(0.75m);
        Scalar("SELECT COUNT(*) FROM usage_records").ShouldBe("2");
        Scalar("SELECT COUNT(*) FROM usage_batches").ShouldBe("1");
        failures.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_CancelledBeforeCommit_WritesNothingAndRetrySucceeds()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var batch = Batch("b1", Record("r1", Day1.AddHours(1), 100, 20));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(() => ledger.WriteAsync(batch, cancelled.Token).AsTask());
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).RequestCount.ShouldBe(0);

        await ledger.WriteAsync(batch, default);
        (await ledger.GetUsedAsync(Day1, Day1.AddDays(1))).RequestCount.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_RollupsOfSameKeyAcrossBatches_AreSummedExactly()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        for (var i = 0; i < 10; i++)
        {
            // 0.1 + 0.2 is not exact in binary floating point; the ledger must keep decimals exact.
            await ledger.WriteAsync(Batch("b" + i, Record("r" + i, Day1.AddHours(1), 7, 3, user: "u1", cost: Cost(0.1m, 0.2m))), default);
        }

        Scalar("SELECT COUNT(*) FROM usage_rollups").ShouldBe("1");
        Scalar("SELECT input_tokens || '/' || output_tokens || '/' || request_count || '/' || cost_input || '/' || cost_output FROM usage_rollups")
            .ShouldBe("70/30/10/1.0/2.0");
        var total = await ledger.GetUsedAsync(Day1, Day1.AddDays(1), UsageDimension.User, "u1");
        total.Cost!.Total.ShouldBe(3.0m);
    }

    [Fact]
    public async Task WriteAsync_DuplicateKeysInOneBatch_ArePreAggregated()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var key = new UsageRollupKey(DateOnly.FromDateTime(Day1.UtcDateTime), "gpt-4o", null, UsageOperation.Chat, null, "t1", null);
        var upperCaseOperation = key with { Operation = new UsageOperation("CHAT") };
        UsageRollup[] rollups =
        [
            new(key, new TokenCounts(10, 1), 1, Cost(1m, 0m)),
            new(upperCaseOperation, new TokenCounts(20, 2), 2, null, 2),
            new(key with { TenantId = null }, new TokenCounts(5, 5), 1, null, 1),
        ];

        await ledger.WriteAsync(new UsageBatch("b1", [], rollups), default);

        Scalar("SELECT group_concat(tenant_id || ':' || input_tokens || ':' || request_count || ':' || unpriced_request_count || ':' || cost_input, ' ') FROM (SELECT * FROM usage_rollups ORDER BY tenant_id)")
            .ShouldBe(":5:1:1:0 t1:30:3:2:1");
    }

    [Fact]
    public async Task WriteAsync_ManyRecords_StoresEveryDetailWithAllFields()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var records = Enumerable.Range(0, 2500).Select(i => Record($"r{i}", Day1.AddSeconds(i), i, 1)).ToList();
        var full = new UsageRecord
        {
            Id = "full",
            Model = "claude-sonnet-4",
            ResponseModel = "claude-sonnet-4-20250514",
            Provider = "anthropic",
            Operation = UsageOperation.Embeddings,
            Tokens = new TokenCounts(100, 40, 30, 20, 10, 5),
            Provenance = UsageProvenance.Estimated,
            Outcome = UsageOutcome.Cancelled,
            DegradedReason = "empty_completion",
            StartedAt = Day1.AddHours(3),
            CompletedAt = Day1.AddHours(3).AddMilliseconds(1500),
            Latency = TimeSpan.FromMilliseconds(1500.25),
            StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(250) },
            HistoryLength = 7,
            CorrelationId = "c-1",
            UserId = "u1",
            TenantId = "t1",
            ApiKeyId = "k1",
            Route = "/chat",
            ServiceTier = "priority",
            ScopePath = "agent/step",
            Tags = new Dictionary<string, string> { ["feature"] = "search" },
            Cost = new UsageCost(0.000123m, 0.0000045m, 0.01m, 0.2m, 0.03m),
            Text = "hello",
            IsUnpaired = true,
        };
        records.Add(full);

        await ledger.WriteAsync(new UsageBatch("b1", records, Rollups(records)), default);

        Scalar("SELECT COUNT(*) FROM usage_records").ShouldBe("2501");
        Scalar("SELECT SUM(input_tokens) FROM usage_records WHERE id <> 'full'").ShouldBe((2499L * 2500 / 2).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Scalar("""
            SELECT batch_id || '|' || model || '|' || response_model || '|' || provider || '|' || operation || '|' ||
              input_tokens || ',' || output_tokens || ',' || cached_input_tokens || ',' || cache_write_input_tokens || ',' || cache_write_long_ttl_input_tokens || ',' || reasoning_tokens || '|' ||
              provenance || '|' || outcome || '|' || degraded_reason || '|' || started_at || '|' || completed_at || '|' || latency_us || '|' || stage_durations_ms || '|' ||
              history_length || '|' || correlation_id || '|' || user_id || '|' || tenant_id || '|' || api_key_id || '|' || route || '|' || service_tier || '|' || scope_path || '|' || tags || '|' ||
              cost_input || ',' || cost_cached_input || ',' || cost_cache_write || ',' || cost_output || ',' || cost_reasoning || ',' || cost_total || '|' || text || '|' || is_unpaired
            FROM usage_records WHERE id = 'full'
            """).ShouldBe(
            "b1|claude-sonnet-4|claude-sonnet-4-20250514|anthropic|embeddings|100,40,30,20,10,5|estimated|cancelled|empty_completion|"
            + "2026-01-15T03:00:00.0000000Z|2026-01-15T03:00:01.5000000Z|1500250|{\"ttft\":250}|7|c-1|u1|t1|k1|/chat|priority|agent/step|{\"feature\":\"search\"}|"
            + "0.000123,0.0000045,0.01,0.2,0.03,0.2401275|hello|1");
    }

    // The writer skips re-binding a parameter whose value is already bound: every row must still get its own values,
    // including equal decimals of another scale, values after NULLs and a reused tags dictionary changed between batches.
    [Fact]
    public async Task WriteAsync_RowsRepeatingAndAlternatingValues_StoreEachRowsOwnValues()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var shared = new Dictionary<string, string> { ["a"] = "1" };
        UsageRecord Row(string id, Dictionary<string, string>? tags, decimal? input, string? route, DateTimeOffset? started) =>
            Record(id, Day1.AddHours(1), 1, 1) with
            {
                Tags = tags,
                Cost = input is { } value ? new UsageCost(value, 0m, 0m, 0m, 0m) : null,
                Route = route is null ? null : new string(route.AsSpan()),
                StartedAt = started,
            };

        await ledger.WriteAsync(Batch(
            "b1",
            Row("r1", shared, 1.0m, "/x", null),
            Row("r2", shared, 1.00m, null, null),
            Row("r3", null, null, "/x", null),
            Row("r4", shared, 1.0m, "/x", Day1),
            Row("r5", new Dictionary<string, string> { ["a"] = "2" }, 2.50m, "/y", null)), default);
        shared["a"] = "3";
        await ledger.WriteAsync(Batch("b2", Row("r6", shared, 1.0m, "/y", null)), default);

        Scalar("""
            SELECT group_concat(id || '=' || COALESCE(tags, '-') || ',' || COALESCE(cost_input, '-') || ',' || COALESCE(route, '-') || ',' || COALESCE(started_at, '-'), ';')
            FROM (SELECT * FROM usage_records ORDER BY id)
            """).ShouldBe(
            "r1={\"a\":\"1\"},1.0,/x,-;r2={\"a\":\"1\"},1.00,-,-;r3=-,-,/x,-;r4={\"a\":\"1\"},1.0,/x,2026-01-15T00:00:00.0000000Z;"
            + "r5={\"a\":\"2\"},2.50,/y,-;r6={\"a\":\"3\"},1.0,/y,-");
    }

    [Fact]
    public async Task WriteAsync_RecordResentInAnotherBatch_KeepsFirstDetail()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        await ledger.WriteAsync(Batch("b1", Record("same", Day1.AddHours(1), 10, 1)), default);
        await ledger.WriteAsync(new UsageBatch("b2", [Record("same", Day1.AddHours(1), 99, 9)], []), default);

        Scalar("SELECT COUNT(*) || ':' || MAX(input_tokens) || ':' || MAX(batch_id) FROM usage_records").ShouldBe("1:10:b1");
    }

    [Fact]
    public async Task WriteAsync_RecordWithoutId_GetsIdFromBatchSoRetriesMatch()
    {
        using var ledger = new SqliteUsageLedger(_db.Options());
        var batch = Batch("b7", Record("x", Day1.AddHours(1), 1, 1) with { Id = null });

        await ledger.WriteAsync(batch, default);

        Scalar("SELECT id FROM usage_records").ShouldBe("b7:0");
    }

    [Fact]
    public async Task TrimAsync_DetailsOlderThanRetention_AreDeletedAndRollupsKept()
    {
        var clock = new FakeTimeProvider(Day1.AddDays(7).AddHours(2));
        using var ledger = new SqliteUsageLedger(_db.Options(retention: TimeSpan.FromDays(3)), clock);
        await ledger.WriteAsync(Batch("old", Record("r-old", Day1.AddDays(6).AddHours(23), 10, 1)), default);
        await ledger.WriteAsync(Batch("new", Record("r-new", Day1.AddDays(7).AddHours(1), 20, 2)), default);
        clock.SetUtcNow(Day1.AddDays(10));

        var deleted = await ledger.TrimAsync();

        deleted.ShouldBe(1);
        Scalar("SELECT group_concat(id) FROM usage_records").ShouldBe("r-new");
        var fromRollups = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(11)));
        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromRollups.Rows.Single().Tokens.Total.ShouldBe(33);
        var fromDetails = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(10).AddHours(1)));
        fromDetails.Source.ShouldBe(UsageQuerySource.Details);
        fromDetails.Rows.Single().Tokens.Total.ShouldBe(22);
    }

    [Fact]
    public async Task WriteAsync_TrimIntervalElapsed_TrimsOnTheWayOut()
    {
        var clock = new FakeTimeProvider(Day1.AddDays(1));
        using var ledger = new SqliteUsageLedger(_db.Options(retention: TimeSpan.FromDays(1)), clock);
        await ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 1)), default);

        clock.Advance(TimeSpan.FromMinutes(30));
        await ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddDays(1).AddMinutes(20), 10, 1)), default);
        Scalar("SELECT COUNT(*) FROM usage_records").ShouldBe("2");

        clock.Advance(TimeSpan.FromMinutes(31));
        await ledger.WriteAsync(Batch("b3"), default);
        Scalar("SELECT group_concat(id) FROM usage_records").ShouldBe("r2");
    }

    [Fact]
    public async Task TrimAsync_BatchIdsOlderThanRetention_AreForgotten()
    {
        var clock = new FakeTimeProvider(Day1);
        using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { ConnectionString = _db.ConnectionString, AppliedBatchRetention = TimeSpan.FromDays(2) }, clock);
        await ledger.WriteAsync(Batch("b1"), default);
        clock.Advance(TimeSpan.FromDays(1));
        await ledger.WriteAsync(Batch("b2"), default);
        clock.Advance(TimeSpan.FromDays(1.5));

        await ledger.TrimAsync();

        Scalar("SELECT group_concat(batch_id) FROM usage_batches").ShouldBe("b2");
    }

    [Theory]
    [InlineData("", "ConnectionString")]
    [InlineData("Data Source=x.db|0.5", "DetailRetention")]
    public void Constructor_InvalidOption_ThrowsNamingIt(string connectionString, string option)
    {
        var parts = connectionString.Split('|');
        var options = new SqliteLedgerOptions
        {
            ConnectionString = parts[0],
            DetailRetention = parts.Length > 1 ? TimeSpan.FromHours(double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)) : null,
        };

        var error = Should.Throw<ArgumentException>(() => new SqliteUsageLedger(options));
        error.Message.ShouldContain("SqliteLedgerOptions." + option);
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
