using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace TokenAccounting.Sqlite;

/// <summary>
/// A prepared statement driven through SQLitePCL directly, binding by position. The hot write path uses it because
/// <c>SqliteCommand</c> matches parameters by name on every execution, which costs more than the insert itself for
/// a 36-column row. It runs on the writer's <see cref="SqliteConnection"/>, inside its transactions.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        ThrowOnError(rc);
    }

    public void Text(int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(_statement, index);
        }
        else
        {
            raw.sqlite3_bind_text(_statement, index, value);
        }
    }

    public void Int64(int index, long value) => raw.sqlite3_bind_int64(_statement, index, value);

    public void Int64(int index, long? value)
    {
        if (value is { } v)
        {
            raw.sqlite3_bind_int64(_statement, index, v);
        }
        else
        {
            raw.sqlite3_bind_null(_statement, index);
        }
    }

    /// <summary>Runs the bound statement and returns the number of rows it changed.</summary>
    public int Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        raw.sqlite3_reset(_statement);
        if (rc != raw.SQLITE_DONE)
        {
            ThrowOnError(rc);
        }

        return raw.sqlite3_changes(_db);
    }

    public void Dispose() => _statement.Dispose();

    private void ThrowOnError(int rc)
    {
        if (rc is not raw.SQLITE_OK and not raw.SQLITE_DONE and not raw.SQLITE_ROW)
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
