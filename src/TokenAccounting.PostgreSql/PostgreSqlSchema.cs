using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// Creates and migrates the ledger's tables on first use, recording each applied step in
/// <c>tokenaccounting_schema_version</c>. Instances starting together serialize on a transaction-scoped advisory
/// lock, so exactly one applies each step. Steps are append-only: a new version adds a new entry, never edits one.
/// </summary>
internal static class PostgreSqlSchema
{
    public const int CurrentVersion = 3;

    // Arbitrary constant naming "the TokenAccounting schema" for pg_advisory_xact_lock.
    private const long MigrationLockKey = 0x546F6B656E416363;

    // Rollup key columns are NOT NULL with '' for "none" so that the primary key (and ON CONFLICT) treats two
    // "no tenant" rows as the same key on every PostgreSQL version (NULLS NOT DISTINCT needs 15+).
    private static readonly string[] Migrations =
    [
        """
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
        """,

        // 2: the part of cost_cache_write spent on cache writes with a TTL of an hour or more (UsageCost.CacheWriteLongTtl).
        // Rows written before read it as none. Adding a column with a constant default rewrites no rows.
        """
        ALTER TABLE usage_records ADD COLUMN cost_cache_write_long_ttl numeric NULL;
        ALTER TABLE usage_rollups ADD COLUMN cost_cache_write_long_ttl numeric NOT NULL DEFAULT 0;
        """,

        // 3: audio token counts (TokenCounts.InputAudio, CachedInputAudio, OutputAudio), the record's server-side tool
        // calls (a jsonb object of counts: details only, queries never read it) and the cost parts beyond text tokens
        // (UsageCost.InputAudio, CachedInputAudio, OutputAudio, Requests, ServerToolCalls). Rows written before read
        // them as zero; adding columns with constant defaults rewrites no rows (PostgreSQL 11+).
        """
        ALTER TABLE usage_records
            ADD COLUMN input_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN cached_input_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN output_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN server_tool_calls jsonb NULL,
            ADD COLUMN cost_input_audio numeric NULL,
            ADD COLUMN cost_cached_input_audio numeric NULL,
            ADD COLUMN cost_output_audio numeric NULL,
            ADD COLUMN cost_requests numeric NULL,
            ADD COLUMN cost_server_tool_calls numeric NULL;
        ALTER TABLE usage_rollups
            ADD COLUMN input_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN cached_input_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN output_audio_tokens bigint NOT NULL DEFAULT 0,
            ADD COLUMN cost_input_audio numeric NOT NULL DEFAULT 0,
            ADD COLUMN cost_cached_input_audio numeric NOT NULL DEFAULT 0,
            ADD COLUMN cost_output_audio numeric NOT NULL DEFAULT 0,
            ADD COLUMN cost_requests numeric NOT NULL DEFAULT 0,
            ADD COLUMN cost_server_tool_calls numeric NOT NULL DEFAULT 0;
        """,
    ];

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; safe to run concurrently and repeatedly.</summary>
    public static Task MigrateAsync(NpgsqlDataSource dataSource, DateTimeOffset now, CancellationToken cancellationToken) =>
        MigrateAsync(dataSource, now, CurrentVersion, cancellationToken);

    /// <summary>Brings the database to <paramref name="targetVersion"/> (tests build older databases with it).</summary>
    internal static async Task MigrateAsync(NpgsqlDataSource dataSource, DateTimeOffset now, int targetVersion, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS tokenaccounting_schema_version (version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL)", cancellationToken).ConfigureAwait(false);
                int version;
                var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM tokenaccounting_schema_version", connection);
                await using (read.ConfigureAwait(false))
                {
                    version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                }

                if (version > CurrentVersion)
                {
                    throw new InvalidOperationException(
                        $"The PostgreSQL ledger's schema is at version {version}, newer than the {CurrentVersion} this version of TokenAccounting.PostgreSql knows; upgrade the package.");
                }

                for (var next = version + 1; next <= targetVersion; next++)
                {
                    await ExecuteAsync(connection, Migrations[next - 1], cancellationToken).ConfigureAwait(false);
                    var mark = new NpgsqlCommand("INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES ($1, $2)", connection)
                    {
                        Parameters = { new() { Value = next }, new() { Value = now.ToUniversalTime() } },
                    };
                    await using (mark.ConfigureAwait(false))
                    {
                        await mark.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
