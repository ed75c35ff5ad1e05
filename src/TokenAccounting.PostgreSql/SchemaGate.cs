using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <summary>Runs the schema migration once per owner, on first use; a failed attempt is retried by the next caller.</summary>
internal sealed class SchemaGate(NpgsqlDataSource dataSource, TimeProvider timeProvider)
{
    private readonly object _lock = new();
    private Task? _migration;

    public ValueTask EnsureAsync(CancellationToken cancellationToken)
    {
        var migration = Volatile.Read(ref _migration);
        if (migration is { IsCompletedSuccessfully: true })
        {
            return ValueTask.CompletedTask;
        }

        lock (_lock)
        {
            if (_migration is null || _migration.IsFaulted || _migration.IsCanceled)
            {
                // Not tied to one caller's token: a caller that gives up must not fail the migration for the others.
                _migration = PostgreSqlSchema.MigrateAsync(dataSource, timeProvider.GetUtcNow(), CancellationToken.None);
            }

            migration = _migration;
        }

        return new ValueTask(migration.WaitAsync(cancellationToken));
    }
}
