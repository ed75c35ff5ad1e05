using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace TokenAccounting.Sqlite;

/// <summary>
/// A prepared statement driven through SQLitePCL directly, binding by position. The hot write path uses it because
/// <c>SqliteCommand</c> matches parameters by name on every execution, which costs more than the insert itself for
/// a 36-column row.
/// </summary>
/// <remarks>
/// Each bind is a native call (tens of nanoseconds), and SQLite keeps a statement's bindings across executions until
/// they are rebound, so a parameter whose value equals what is already bound is not bound again: rows of one batch
/// mostly repeat their batch id, model, provider, operation, outcome and NULLs. Strings count as equal only when they
/// are the same instance; decimals when their bits (value and scale, hence text) are equal. Values are encoded (or formatted) to
/// UTF-8 in one reused buffer and copied by SQLite at bind time (<c>SQLITE_TRANSIENT</c>), so binding allocates
/// nothing. Runs on the writer's <see cref="SqliteConnection"/>, inside its transactions; not thread-safe.
/// </remarks>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly Bound[] _bound;
    private byte[] _scratch = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        var rc = raw.sqlite3_prepare_v2(_db, sql, out _statement);
        ThrowOnError(rc);
        _bound = new Bound[raw.sqlite3_bind_parameter_count(_statement) + 1];
    }

    private enum Kind : byte
    {
        Unbound,
        Null,
        Text,
        Int64,
        Decimal,
        Timestamp,
    }

    public void Text(int index, string? value)
    {
        if (value is null)
        {
            Null(index);
            return;
        }

        ref var bound = ref _bound[index];
        if (bound.Kind == Kind.Text && ReferenceEquals(bound.Text, value))
        {
            return;
        }

        var length = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (length > _scratch.Length)
        {
            _scratch = new byte[Math.Max(length, _scratch.Length * 2)];
        }

        var written = Encoding.UTF8.GetBytes(value, _scratch);
        BindUtf8(index, written);
        bound = new Bound { Kind = Kind.Text, Text = value };
    }

    /// <summary>Binds UTF-8 text as given (always bound: the caller decides when it is unchanged).</summary>
    public void Utf8(int index, ReadOnlySpan<byte> value)
    {
        _bound[index] = default;
        Check(raw.sqlite3_bind_text(_statement, index, value));
    }

    public void Int64(int index, long value)
    {
        ref var bound = ref _bound[index];
        if (bound.Kind == Kind.Int64 && bound.Int64 == value)
        {
            return;
        }

        bound = default;
        Check(raw.sqlite3_bind_int64(_statement, index, value));
        bound = new Bound { Kind = Kind.Int64, Int64 = value };
    }

    public void Int64(int index, long? value)
    {
        if (value is { } v)
        {
            Int64(index, v);
        }
        else
        {
            Null(index);
        }
    }

    /// <summary>Binds a decimal as its invariant text (exact; the same text as <see cref="SqliteText.Decimal"/>).</summary>
    public void Decimal(int index, decimal value)
    {
        ref var bound = ref _bound[index];
        // Bitwise equality: the same value and scale, hence the same text (and cheaper than decimal's ==).
        if (bound.Kind == Kind.Decimal && Unsafe.As<decimal, Int128>(ref bound.Decimal) == Unsafe.As<decimal, Int128>(ref value))
        {
            return;
        }

        // A decimal's invariant text is at most 31 bytes, well inside the scratch buffer.
        value.TryFormat(_scratch, out var written, default, CultureInfo.InvariantCulture);
        BindUtf8(index, written);
        bound = new Bound { Kind = Kind.Decimal, Decimal = value };
    }

    /// <summary>Binds a decimal, or NULL.</summary>
    public void Decimal(int index, decimal? value)
    {
        if (value is { } v)
        {
            Decimal(index, v);
        }
        else
        {
            Null(index);
        }
    }

    /// <summary>Binds a time in the ledger's fixed-width UTC text (the same text as <see cref="SqliteText.Timestamp"/>).</summary>
    public void Timestamp(int index, DateTimeOffset value)
    {
        ref var bound = ref _bound[index];
        var ticks = value.UtcTicks;
        if (bound.Kind == Kind.Timestamp && bound.Int64 == ticks)
        {
            return;
        }

        value.UtcDateTime.TryFormat(_scratch, out var written, "O", CultureInfo.InvariantCulture);
        BindUtf8(index, written);
        bound = new Bound { Kind = Kind.Timestamp, Int64 = ticks };
    }

    /// <summary>Binds a time, or NULL.</summary>
    public void Timestamp(int index, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            Timestamp(index, v);
        }
        else
        {
            Null(index);
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

    private void Null(int index)
    {
        ref var bound = ref _bound[index];
        if (bound.Kind == Kind.Null)
        {
            return;
        }

        bound = default;
        Check(raw.sqlite3_bind_null(_statement, index));
        bound = new Bound { Kind = Kind.Null };
    }

    private void BindUtf8(int index, int length)
    {
        // Forget the cached value first: if the bind fails, the parameter's state is unknown.
        _bound[index] = default;
        Check(raw.sqlite3_bind_text(_statement, index, _scratch.AsSpan(0, length)));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            ThrowOnError(rc);
        }
    }

    private void ThrowOnError(int rc)
    {
        if (rc is not raw.SQLITE_OK and not raw.SQLITE_DONE and not raw.SQLITE_ROW)
        {
            throw new SqliteException($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(_db));
        }
    }

    private struct Bound
    {
        public Kind Kind;
        public long Int64;
        public decimal Decimal;
        public string? Text;
    }
}
