using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <summary>
/// Creates and migrates the ledger's tables on first use, recording each applied step in
/// <c>tokenaccounting_schema_version</c>. Steps are append-only: a new version adds a new entry, never edits one.
/// </summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 3;

    // Costs are TEXT holding an invariant decimal (exact); they are summed by the ledger's ta_decimal_* functions.
    // Rollup key columns are NOT NULL with '' for "none" so that the primary key (and ON CONFLICT) treats two
    // "no tenant" rows as the same key.
    private static readonly string[] Migrations =
    [
        """
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
        """,

        // 2: the part of cost_cache_write spent on cache writes with a TTL of an hour or more (UsageCost.CacheWriteLongTtl).
        // Rows written before read it as none.
        """
        ALTER TABLE usage_records ADD COLUMN cost_cache_write_long_ttl TEXT NULL;
        ALTER TABLE usage_rollups ADD COLUMN cost_cache_write_long_ttl TEXT NOT NULL DEFAULT '0';
        """,

        // 3: audio token counts (TokenCounts.InputAudio, CachedInputAudio, OutputAudio), the record's server-side tool
        // calls (a JSON object of counts: details only, queries never read it) and the cost parts beyond text tokens
        // (UsageCost.InputAudio, CachedInputAudio, OutputAudio, Requests, ServerToolCalls). Rows written before read
        // them as zero. Details get the columns by ADD COLUMN with constant defaults (no row is rewritten). The rollups
        // are rebuilt as a WITHOUT ROWID table clustered on their key, so a query's date range is one ordered scan of
        // the rows themselves instead of an index walk with a table lookup per row; they are bounded by keys, not by
        // records, so the copy is small.
        """
        ALTER TABLE usage_records ADD COLUMN input_audio_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage_records ADD COLUMN cached_input_audio_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage_records ADD COLUMN output_audio_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage_records ADD COLUMN server_tool_calls TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN cost_input_audio TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN cost_cached_input_audio TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN cost_output_audio TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN cost_requests TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN cost_server_tool_calls TEXT NULL;
        CREATE TABLE usage_rollups_v3 (
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
            cost_cache_write_long_ttl TEXT NOT NULL DEFAULT '0',
            input_audio_tokens INTEGER NOT NULL DEFAULT 0,
            cached_input_audio_tokens INTEGER NOT NULL DEFAULT 0,
            output_audio_tokens INTEGER NOT NULL DEFAULT 0,
            cost_input_audio TEXT NOT NULL DEFAULT '0',
            cost_cached_input_audio TEXT NOT NULL DEFAULT '0',
            cost_output_audio TEXT NOT NULL DEFAULT '0',
            cost_requests TEXT NOT NULL DEFAULT '0',
            cost_server_tool_calls TEXT NOT NULL DEFAULT '0',
            PRIMARY KEY (date, model, provider, operation, user_id, tenant_id, api_key_id)
        ) WITHOUT ROWID;
        INSERT INTO usage_rollups_v3 (date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
            cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
            unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_cache_write_long_ttl)
        SELECT date, model, provider, operation, user_id, tenant_id, api_key_id, input_tokens, output_tokens,
            cached_input_tokens, cache_write_input_tokens, cache_write_long_ttl_input_tokens, reasoning_tokens, request_count,
            unpriced_request_count, cost_input, cost_cached_input, cost_cache_write, cost_output, cost_reasoning, cost_cache_write_long_ttl
        FROM usage_rollups;
        DROP TABLE usage_rollups;
        ALTER TABLE usage_rollups_v3 RENAME TO usage_rollups;
        """,
    ];

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; safe to run concurrently and repeatedly.</summary>
    public static void Migrate(SqliteConnection connection, DateTimeOffset now) => Migrate(connection, now, CurrentVersion);

    /// <summary>Brings the database to <paramref name="targetVersion"/> (tests build older databases with it).</summary>
    internal static void Migrate(SqliteConnection connection, DateTimeOffset now, int targetVersion)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS tokenaccounting_schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at TEXT NOT NULL)");
        using var read = connection.CreateCommand();
        read.Transaction = transaction;
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM tokenaccounting_schema_version";
        var version = Convert.ToInt32(read.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite ledger's schema is at version {version}, newer than the {CurrentVersion} this version of TokenAccounting.Sqlite knows; upgrade the package.");
        }

        for (var next = version + 1; next <= targetVersion; next++)
        {
            Execute(connection, transaction, Migrations[next - 1]);
            using var mark = connection.CreateCommand();
            mark.Transaction = transaction;
            mark.CommandText = "INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES ($version, $at)";
            mark.Parameters.AddWithValue("$version", next);
            mark.Parameters.AddWithValue("$at", SqliteText.Timestamp(now));
            mark.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
