using System.Globalization;
using Npgsql;
using TokenAccounting.PostgreSql.Tests.Infrastructure;
using static TokenAccounting.TestKit.LedgerUsage;

namespace TokenAccounting.PostgreSql.Tests;

[Collection(PostgresTestGroup.Name)]
public sealed class PostgreSqlUsageLedgerTests(PostgresServer server)
{
    [SkippableFact]
    public async Task WriteAsync_FirstUse_CreatesSchemaAtCurrentVersion()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using (var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString }))
        {
            await ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 5)), default);
        }

        (await Scalar(connectionString, "SELECT string_agg(version::text, ',' ORDER BY version) FROM tokenaccounting_schema_version")).ShouldBe("1,2,3");
        (await Scalar(connectionString, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'"))
            .ShouldBe("tokenaccounting_schema_version,usage_batches,usage_budget_counters,usage_records,usage_rollups");
    }

    [SkippableFact]
    public async Task Migrate_ManyInstancesStartingTogether_ApplyEachStepOnce()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var ledgers = Enumerable.Range(0, 6).Select(_ => new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString })).ToList();
        try
        {
            var start = new TaskCompletionSource();
            var writes = ledgers.Select((l, i) => Task.Run(async () =>
            {
                await start.Task;
                await l.WriteAsync(Batch("b" + i, Record("r" + i, Day1.AddHours(1), 1, 0)), default);
            })).ToList();
            start.SetResult();
            await Task.WhenAll(writes);
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }

        (await Scalar(connectionString, "SELECT COUNT(*) FROM tokenaccounting_schema_version")).ShouldBe("3");
        (await Scalar(connectionString, "SELECT SUM(request_count) FROM usage_rollups")).ShouldBe("6");
    }

    [SkippableFact]
    public async Task Migrate_SchemaNewerThanLibrary_ThrowsNamingBothVersions()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using (var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString }))
        {
            await ledger.TrimAsync();
        }

        await Scalar(connectionString, "INSERT INTO tokenaccounting_schema_version VALUES (99, now())");
        await using var newer = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        var error = await Should.ThrowAsync<InvalidOperationException>(() => newer.WriteAsync(Batch("b1"), default).AsTask());
        error.Message.ShouldContain("version 99");
        error.Message.ShouldContain("the 3 this version");
    }

    [SkippableFact]
    public async Task Migrate_DatabaseAtVersion1_AddsLongTtlCacheWriteCostAndKeepsRows()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await PostgreSqlSchema.MigrateAsync(dataSource, Day1, targetVersion: 1, CancellationToken.None);
        }

        // A day written by version 1: one rollup row, priced, without the long-TTL column.
        await Scalar(connectionString, """
            INSERT INTO usage_rollups (date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
                cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
                unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning)
            VALUES ('2026-01-15', 'gpt-4o', 'openai', 'chat', '', '', '', 100, 10, 0, 0, 0, 0, 1, 0, 1.5, 0, 0.25, 2, 0)
            """);

        await using (var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString }))
        {
            var before = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
            before.Rows[0].Cost.ShouldBe(new UsageCost(1.5m, 0m, 0.25m, 2m, 0m));

            var record = Record("r1", Day1.AddHours(1), 10, 5) with { Cost = new UsageCost(0.5m, 0m, 0.75m, 1m, 0m, 0.5m) };
            await ledger.WriteAsync(Batch("b1", record), default);
            var after = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
            after.Rows[0].Cost.ShouldBe(new UsageCost(2m, 0m, 1m, 3m, 0m, 0.5m));
        }

        (await Scalar(connectionString, "SELECT string_agg(version::text, ',' ORDER BY version) FROM tokenaccounting_schema_version")).ShouldBe("1,2,3");
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task QueryTotalsAsync_CostWithLongTtlCacheWrites_KeepsTheLongTtlPartInDetailsAndRollups(bool rollupsOnly)
    {
        await using var ledger = await CreateLedgerAsync();
        var first = Record("r1", Day1.AddHours(1), 10, 5) with { Cost = new UsageCost(0.1m, 0m, 0.75m, 0.2m, 0m, 0.5m) };
        var second = Record("r2", Day1.AddHours(2), 10, 5) with { Cost = new UsageCost(0.1m, 0m, 0.25m, 0.2m, 0m, 0.125m) };
        UsageRecord[] records = [first, second];
        await ledger.WriteAsync(new UsageBatch("b1", rollupsOnly ? [] : records, Rollups(records)), default);

        var expected = new UsageCost(0.2m, 0m, 1m, 0.4m, 0m, 0.625m);
        var fromRollups = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromRollups.Rows[0].Cost!.CacheWriteLongTtl.ShouldBe(expected.CacheWriteLongTtl);
        fromRollups.Rows[0].Cost.ShouldBe(expected);
        if (!rollupsOnly)
        {
            var fromDetails = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddHours(12)));
            fromDetails.Source.ShouldBe(UsageQuerySource.Details);
            fromDetails.Rows[0].Cost.ShouldBe(expected);
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_FailureAfterCommitThenRetry_AppliesBatchOnce(bool withDetails)
    {
        await using var ledger = await CreateLedgerAsync();
        var records = new[] { Record("r1", Day1.AddHours(1), 100, 20, cost: Cost(0.25m, 0.5m)), Record("r2", Day1.AddHours(2), 50, 10) };
        var batch = new UsageBatch("b1", withDetails ? records : [], Rollups(records));
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
        (await Scalar(ledger, "SELECT COUNT(*) FROM usage_records")).ShouldBe(withDetails ? "2" : "0");
        (await Scalar(ledger, "SELECT COUNT(*) FROM usage_batches")).ShouldBe("1");
        failures.ShouldBe(1);
    }

    [SkippableFact]
    public async Task WriteAsync_SameBatchFromTwoInstancesAtOnce_AppliesItOnce()
    {
        var connectionString = await server.CreateDatabaseAsync();
        await using var first = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        await using var second = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        await first.TrimAsync();
        var batch = Batch("b1", Record("r1", Day1.AddHours(1), 100, 20));

        await Task.WhenAll(first.WriteAsync(batch, default).AsTask(), second.WriteAsync(batch, default).AsTask());

        (await first.GetUsedAsync(Day1, Day1.AddDays(1))).Tokens.Total.ShouldBe(120);
    }

    [SkippableFact]
    public async Task WriteAsync_RollupsFromManyInstancesConcurrently_AreSummedExactly()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var ledgers = Enumerable.Range(0, 4).Select(_ => new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString })).ToList();
        try
        {
            // Every batch touches the same keys (in different orders): upserts must neither lose updates nor deadlock.
            var writes = ledgers.Select((ledger, l) => Task.Run(async () =>
            {
                for (var b = 0; b < 25; b++)
                {
                    var records = Enumerable.Range(0, 6).Select(i => Record($"{l}-{b}-{i}", Day1.AddHours(1), 7, 3, user: "u" + ((i + l) % 3), cost: Cost(0.1m, 0.2m))).ToArray();
                    var rollups = Rollups(records);
                    if (l % 2 == 1)
                    {
                        rollups.Reverse();
                    }

                    await ledger.WriteAsync(new UsageBatch($"{l}-{b}", b % 2 == 0 ? records : [], rollups), default);
                }
            })).ToList();
            await Task.WhenAll(writes);
        }
        finally
        {
            foreach (var ledger in ledgers)
            {
                await ledger.DisposeAsync();
            }
        }

        await using var reader = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString });
        var total = await reader.GetUsedAsync(Day1, Day1.AddDays(1));
        total.RequestCount.ShouldBe(4 * 25 * 6);
        total.Tokens.ShouldBe(new TokenCounts(7 * 600, 3 * 600));
        total.Cost!.Total.ShouldBe(0.3m * 600);
        (await Scalar(reader, "SELECT COUNT(*) FROM usage_rollups")).ShouldBe("3");
    }

    [SkippableFact]
    public async Task WriteAsync_DuplicateKeysInOneBatch_ArePreAggregated()
    {
        await using var ledger = await CreateLedgerAsync();
        var key = new UsageRollupKey(DateOnly.FromDateTime(Day1.UtcDateTime), "gpt-4o", null, UsageOperation.Chat, null, "t1", null);
        UsageRollup[] rollups =
        [
            new(key, new TokenCounts(10, 1), 1, Cost(1m, 0m)),
            new(key with { Operation = new UsageOperation("CHAT") }, new TokenCounts(20, 2), 2, null, 2),
            new(key with { TenantId = null }, new TokenCounts(5, 5), 1, null, 1),
        ];

        await ledger.WriteAsync(new UsageBatch("b1", [Record("r1", Day1.AddHours(1), 1, 0)], rollups), default);

        (await Scalar(ledger, "SELECT string_agg(tenant_id || ':' || input_tokens || ':' || request_count || ':' || unpriced_request_count || ':' || cost_input, ' ' ORDER BY tenant_id) FROM usage_rollups"))
            .ShouldBe(":5:1:1:0 t1:30:3:2:1");
    }

    [SkippableFact]
    public async Task WriteAsync_ManyRecords_StoresEveryDetailWithAllFields()
    {
        await using var ledger = await CreateLedgerAsync();
        var records = Enumerable.Range(0, 2500).Select(i => Record($"r{i}", Day1.AddSeconds(i), i, 1)).ToList();
        records.Add(new UsageRecord
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
        });

        await ledger.WriteAsync(new UsageBatch("b1", records, Rollups(records)), default);

        (await Scalar(ledger, "SELECT COUNT(*) FROM usage_records")).ShouldBe("2501");
        (await Scalar(ledger, "SELECT SUM(input_tokens) FROM usage_records WHERE id <> 'full'")).ShouldBe((2499L * 2500 / 2).ToString(CultureInfo.InvariantCulture));
        (await Scalar(ledger, """
            SELECT concat_ws('|', batch_id, model, response_model, provider, operation,
              concat_ws(',', input_tokens, output_tokens, cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens),
              provenance, outcome, degraded_reason, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), to_char(completed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'),
              latency_us, stage_durations_ms::text, history_length, correlation_id, user_id, tenant_id, api_key_id, route, service_tier, scope_path, tags::text,
              concat_ws(',', cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_total), text, is_unpaired)
            FROM usage_records WHERE id = 'full'
            """)).ShouldBe(
            "b1|claude-sonnet-4|claude-sonnet-4-20250514|anthropic|embeddings|100,40,30,20,10,5|estimated|cancelled|empty_completion|"
            + "2026-01-15 03:00:00.000|2026-01-15 03:00:01.500|1500250|{\"ttft\": 250}|7|c-1|u1|t1|k1|/chat|priority|agent/step|{\"feature\": \"search\"}|"
            + "0.000123,0.0000045,0.01,0.2,0.03,0.2401275|hello|t");
    }

    // Details are written in PostgreSQL's binary COPY format by the ledger itself: numeric as base-10000 digits.
    [SkippableFact]
    public async Task WriteAsync_DecimalsOfEveryScaleAndSize_AreStoredExactlyWithTheirScale()
    {
        decimal[] values =
        [
            0m, 0.00m, 1.0m, 1.5m, 9999m, 10000m, 100000000m, 0.00000015m, 0.00064m, 1234.5678m, 12345678.123456789m,
            0.0000000000000000000000000001m, 7.9228162514264337593543950335m, decimal.MaxValue, 1000000.000000m,
        ];
        await using var ledger = await CreateLedgerAsync();
        var records = values.Select((v, i) => Record($"r{i:D2}", Day1.AddHours(1), 1, 1, cost: new UsageCost(v, 0m, 0m, 0m, 0m))).ToArray();

        // No rollups: summing these would overflow a decimal.
        await ledger.WriteAsync(new UsageBatch("b1", records, []), default);

        (await Scalar(ledger, "SELECT string_agg(cost_input::text, ' ' ORDER BY id) FROM usage_records"))
            .ShouldBe(string.Join(' ', values.Select(v => v.ToString(CultureInfo.InvariantCulture))));
    }

    [SkippableFact]
    public async Task WriteAsync_TextTagsAndTimesNeedingCare_RoundTrip()
    {
        await using var ledger = await CreateLedgerAsync();
        var tags = new Dictionary<string, string> { ["quote\"and\\slash"] = "line\nbreak\ttab", ["é"] = "😀 ü", ["<html>"] = "&'" };
        var longText = new string('x', 200_000) + "é😀";
        var beforeEpoch = new DateTimeOffset(1999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_995);
        var withOffset = new DateTimeOffset(2026, 1, 15, 5, 30, 0, TimeSpan.FromHours(5.5)).AddTicks(1_234_567);
        var record = Record("r1", withOffset, 1, 1) with { Tags = tags, Text = longText, StartedAt = beforeEpoch, Route = "tab\tnew\nline\\" };

        await ledger.WriteAsync(Batch("b1", record), default);

        await using var command = ledger.DataSource.CreateCommand(
            "SELECT tags = $1::jsonb, text = $2, route, (extract(epoch FROM started_at) * 1000000)::bigint, (extract(epoch FROM completed_at) * 1000000)::bigint FROM usage_records");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = System.Text.Json.JsonSerializer.Serialize(tags) });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = longText });
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).ShouldBeTrue();
        reader.GetBoolean(0).ShouldBeTrue("tags");
        reader.GetBoolean(1).ShouldBeTrue("text");
        reader.GetString(2).ShouldBe("tab\tnew\nline\\");
        static long UnixMicroseconds(DateTimeOffset value) => (long)Math.Floor((value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10.0);
        reader.GetInt64(3).ShouldBe(UnixMicroseconds(beforeEpoch));
        reader.GetInt64(4).ShouldBe(UnixMicroseconds(withOffset));
    }

    [SkippableFact]
    public async Task WriteAsync_SameIdTwiceInOneBatch_KeepsTheFirstDetail()
    {
        await using var ledger = await CreateLedgerAsync();

        await ledger.WriteAsync(Batch("b1", Record("same", Day1.AddHours(1), 10, 1), Record("other", Day1.AddHours(1), 5, 1), Record("same", Day1.AddHours(2), 99, 9)), default);

        (await Scalar(ledger, "SELECT string_agg(id || ':' || input_tokens, ',' ORDER BY id) FROM usage_records")).ShouldBe("other:5,same:10");
        (await Scalar(ledger, "SELECT SUM(input_tokens) FROM usage_rollups")).ShouldBe("114");
    }

    [SkippableFact]
    public async Task WriteAsync_CancelledInTheMiddleOfTheCopy_WritesNothingAndRetrySucceeds()
    {
        await using var ledger = await CreateLedgerAsync();
        using var cancellation = new CancellationTokenSource();
        var records = Enumerable.Range(0, 5000).Select(i => Record($"r{i}", Day1.AddSeconds(i), 1, 1)).ToList();

        // The copy reads the records in order and sends them in chunks: cancel once it is well into them.
        var cancelling = new CancelAt(records, 3000, cancellation);
        var batch = new UsageBatch("b1", cancelling, Rollups(records));
        await Should.ThrowAsync<OperationCanceledException>(() => ledger.WriteAsync(batch, cancellation.Token).AsTask());
        cancelling.Reached.ShouldBeTrue();
        (await Scalar(ledger, "SELECT (SELECT COUNT(*) FROM usage_records) || ':' || (SELECT COUNT(*) FROM usage_batches) || ':' || (SELECT COUNT(*) FROM usage_rollups)")).ShouldBe("0:0:0");

        await ledger.WriteAsync(new UsageBatch("b1", records, Rollups(records)), default);

        (await Scalar(ledger, "SELECT COUNT(*) FROM usage_records")).ShouldBe("5000");
        (await Scalar(ledger, "SELECT SUM(request_count) FROM usage_rollups")).ShouldBe("5000");
    }

    [Fact]
    public async Task Constructor_FromConnectionString_BuildsADataSourceThatSkipsTheResetOnClose()
    {
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = "Host=127.0.0.1;Database=ledger" });

        new NpgsqlConnectionStringBuilder(ledger.DataSource.ConnectionString).NoResetOnClose.ShouldBeTrue();
    }

    [SkippableFact]
    public async Task WriteAsync_RecordResentInAnotherBatch_KeepsFirstDetail()
    {
        await using var ledger = await CreateLedgerAsync();
        await ledger.WriteAsync(Batch("b1", Record("same", Day1.AddHours(1), 10, 1)), default);
        await ledger.WriteAsync(new UsageBatch("b2", [Record("same", Day1.AddHours(1), 99, 9)], []), default);

        (await Scalar(ledger, "SELECT COUNT(*) || ':' || MAX(input_tokens) || ':' || MAX(batch_id) FROM usage_records")).ShouldBe("1:10:b1");
    }

    [SkippableFact]
    public async Task TrimAsync_DetailsOlderThanRetention_AreDeletedAndRollupsKept()
    {
        var clock = new FakeTimeProvider(Day1.AddDays(7).AddHours(2));
        var connectionString = await server.CreateDatabaseAsync();
        await using var ledger = new PostgreSqlUsageLedger(new PostgreSqlLedgerOptions { ConnectionString = connectionString, DetailRetention = TimeSpan.FromDays(3) }, clock);
        await ledger.WriteAsync(Batch("old", Record("r-old", Day1.AddDays(6).AddHours(23), 10, 1)), default);
        await ledger.WriteAsync(Batch("new", Record("r-new", Day1.AddDays(7).AddHours(1), 20, 2)), default);
        clock.SetUtcNow(Day1.AddDays(10));

        var deleted = await ledger.TrimAsync();

        deleted.ShouldBe(1);
        (await Scalar(ledger, "SELECT string_agg(id, ',') FROM usage_records")).ShouldBe("r-new");
        var fromRollups = await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(11)));
        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromRollups.Rows.Single().Tokens.Total.ShouldBe(33);
        (await ledger.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(10).AddHours(1)))).Rows.Single().Tokens.Total.ShouldBe(22);
    }

    [SkippableFact]
    public async Task WriteAsync_TrimIntervalElapsed_TrimsDetailsAndBatchIds()
    {
        var clock = new FakeTimeProvider(Day1.AddDays(1));
        var connectionString = await server.CreateDatabaseAsync();
        var options = new PostgreSqlLedgerOptions { ConnectionString = connectionString, DetailRetention = TimeSpan.FromDays(1), AppliedBatchRetention = TimeSpan.FromHours(1) };
        await using var ledger = new PostgreSqlUsageLedger(options, clock);
        await ledger.WriteAsync(Batch("b1", Record("r1", Day1.AddHours(1), 10, 1)), default);

        clock.Advance(TimeSpan.FromMinutes(30));
        await ledger.WriteAsync(Batch("b2", Record("r2", Day1.AddDays(1).AddMinutes(20), 10, 1)), default);
        (await Scalar(ledger, "SELECT COUNT(*) FROM usage_records")).ShouldBe("2");

        clock.Advance(TimeSpan.FromMinutes(31));
        await ledger.WriteAsync(Batch("b3"), default);
        (await Scalar(ledger, "SELECT string_agg(id, ',') FROM usage_records")).ShouldBe("r2");
        (await Scalar(ledger, "SELECT string_agg(batch_id, ',' ORDER BY batch_id) FROM usage_batches")).ShouldBe("b2,b3");
    }

    private async Task<PostgreSqlUsageLedger> CreateLedgerAsync() =>
        new(new PostgreSqlLedgerOptions { ConnectionString = await server.CreateDatabaseAsync() });

    private static Task<string?> Scalar(PostgreSqlUsageLedger ledger, string sql) => Scalar(ledger.DataSource, sql);

    private static async Task<string?> Scalar(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        return await Scalar(dataSource, sql);
    }

    private static async Task<string?> Scalar(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private sealed class CancelAt(List<UsageRecord> records, int index, CancellationTokenSource cancellation) : IReadOnlyList<UsageRecord>
    {
        public bool Reached { get; private set; }

        public int Count => records.Count;

        public UsageRecord this[int i]
        {
            get
            {
                if (i == index)
                {
                    Reached = true;
                    cancellation.Cancel();
                }

                return records[i];
            }
        }

        public IEnumerator<UsageRecord> GetEnumerator() => records.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
