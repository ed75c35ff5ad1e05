using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace TokenAccounting.Sqlite;

/// <summary>
/// An embedded SQL ledger on SQLite: an <see cref="IUsageSink"/> that applies each batch exactly once (details, rollup
/// deltas and the batch id in one transaction) and an <see cref="IUsageQuery"/> over what it stored.
/// </summary>
/// <remarks>
/// The schema is created and migrated on first use, in a new file with 16 KiB pages. The database runs in WAL mode
/// with <c>synchronous=FULL</c>, so a completed <see cref="WriteAsync"/> is durable and readers do not block the
/// writer. Writes go through one connection with prepared statements reused across batches (bound by position).
/// Thread-safe.
/// <para>
/// Errors are classified here, near the I/O, and name the database file: data the database cannot hold (too big, a
/// constraint, a decimal sum that overflows) is a <see cref="UsageSinkRejectedException"/>, so the pipeline isolates
/// and quarantines it; storage conditions (busy, locked, I/O error, disk full, a corrupt or truncated file, cannot
/// open) are an <see cref="IOException"/> with the <see cref="SqliteException"/> inside, retried until they clear.
/// </para>
/// </remarks>
public sealed partial class SqliteUsageLedger : IUsageSink, IUsageQuery, IDisposable
{
    private readonly SqliteLedgerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly string _connectionString;
    private readonly string _dataSource;
    private readonly string _path;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private SqliteConnection? _writer;
    private WriteCommands? _commands;
    private DateTimeOffset? _lastTrim;
    private bool _disposed;

    /// <summary>Creates a ledger. Nothing touches the database until the first write or query.</summary>
    /// <param name="options">The options; <see cref="SqliteLedgerOptions.ConnectionString"/> is required.</param>
    /// <param name="timeProvider">The clock for applied-at stamps and retention; <see cref="TimeProvider.System"/> when null.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public SqliteUsageLedger(SqliteLedgerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate or SqliteOpenMode.ReadWrite
            && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:"
            && Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        _connectionString = builder.ToString();
        _dataSource = builder.DataSource;
        _path = string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:" ? builder.DataSource : Path.GetFullPath(builder.DataSource);
    }

    /// <summary>Describes the ledger by its data source (never the rest of the connection string, which may hold a password).</summary>
    /// <returns>For example <c>SqliteUsageLedger(Data Source=usage.db)</c>; error messages that name a sink use it.</returns>
    public override string ToString() => $"SqliteUsageLedger(Data Source={_dataSource})";

    /// <summary>A test seam: runs after a batch's transaction has committed and before <see cref="WriteAsync"/> returns.</summary>
    internal Action<UsageBatch>? AfterCommit { get; set; }

    /// <summary>Applies a batch: its details, its rollup deltas and its id, in one transaction. A batch whose id was applied before changes nothing.</summary>
    /// <param name="batch">The batch.</param>
    /// <param name="cancellationToken">Cancels the write before it commits: the call returns at once and SQLite is interrupted.</param>
    /// <exception cref="UsageSinkRejectedException">The batch holds data the database cannot store; nothing of it was applied.</exception>
    /// <exception cref="IOException">The database cannot be written now (busy, I/O error, disk full, corrupt); the message names the file.</exception>
    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        Task work;
        try
        {
            // The write blocks (fsync, a busy database): run it off the caller's thread, so a caller's timeout (the
            // pipeline's SinkTimeout) takes effect. The gate is held until the write has really finished.
            work = Task.Run(() => WriteLocked(batch, cancellationToken), CancellationToken.None);
        }
        catch
        {
            _writeGate.Release();
            throw;
        }

        _ = work.ContinueWith(
            static (task, gate) =>
            {
                _ = task.Exception;
                try
                {
                    ((SemaphoreSlim)gate!).Release();
                }
                catch (ObjectDisposedException)
                {
                    // Disposed while an abandoned write was finishing.
                }
            },
            _writeGate,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        await work.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WriteLocked(UsageBatch batch, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var commands = EnsureWriter();
        var now = _timeProvider.GetUtcNow();
        bool applied;
        try
        {
            using (cancellationToken.Register(static handle => raw.sqlite3_interrupt((sqlite3)handle!), commands.Connection.Handle))
            {
                applied = Apply(commands, batch, now, cancellationToken);
            }
        }
        catch (SqliteException ex)
        {
            throw Classify(ex, batch.BatchId, cancellationToken, resetWriter: true);
        }
        catch (Exception ex) when (ex is OverflowException or System.Text.EncoderFallbackException or ArgumentException)
        {
            throw new UsageSinkRejectedException($"The SQLite usage ledger {_path} cannot store batch {batch.BatchId}: {ex.Message}", ex);
        }

        if (applied)
        {
            AfterCommit?.Invoke(batch);
        }

        if (_lastTrim is not { } last || now - last >= _options.TrimInterval)
        {
            _lastTrim = now;
            try
            {
                Trim(now);
            }
            catch (SqliteException ex)
            {
                throw Classify(ex, batch.BatchId, cancellationToken, resetWriter: true);
            }
        }
    }

    /// <summary>Turns a SQLite error into what the pipeline acts on: rejected data, a storage condition naming the file, or cancellation.</summary>
    private Exception Classify(SqliteException ex, string? batchId, CancellationToken cancellationToken, bool resetWriter = false)
    {
        const int SqliteError = 1, Interrupt = 9, IoError = 10, Corrupt = 11, CantOpen = 14, TooBig = 18, Constraint = 19, Mismatch = 20, Range = 25, NotADatabase = 26;
        var code = ex.SqliteErrorCode;
        if (code == Interrupt && cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException("The SQLite write was cancelled.", ex, cancellationToken);
        }

        if (code is TooBig or Constraint or Mismatch or Range
            || (code == SqliteError && ex.Message.Contains("ta_decimal_add", StringComparison.Ordinal)))
        {
            return new UsageSinkRejectedException($"The SQLite usage ledger {_path} cannot store batch {batchId}: {ex.Message}", ex);
        }

        if (resetWriter && code is IoError or Corrupt or CantOpen or NotADatabase)
        {
            // The connection may be unusable (the file was replaced, truncated or damaged): open afresh next time.
            ResetWriter();
        }

        var what = code switch
        {
            Corrupt or NotADatabase => "is corrupt, truncated or not a SQLite database",
            CantOpen => "cannot be opened",
            13 => "cannot grow: the disk is full",
            5 or 6 => "is busy (locked by another connection)",
            _ => "could not be written",
        };
        return new IOException($"The SQLite usage ledger {_path} {what} (SQLite error {code}): {ex.Message}", ex);
    }

    private void ResetWriter()
    {
        _commands?.Dispose();
        _writer?.Dispose();
        _commands = null;
        _writer = null;
    }

    /// <summary>
    /// Deletes details older than <see cref="SqliteLedgerOptions.DetailRetention"/> and batch ids older than
    /// <see cref="SqliteLedgerOptions.AppliedBatchRetention"/>; rollups are kept. <see cref="WriteAsync"/> calls this
    /// at most once per <see cref="SqliteLedgerOptions.TrimInterval"/>.
    /// </summary>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns>The number of detail records deleted.</returns>
    public async ValueTask<int> TrimAsync(CancellationToken cancellationToken = default)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureWriter();
            var now = _timeProvider.GetUtcNow();
            _lastTrim = now;
            return Trim(now);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Closes the writer connection.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _commands?.Dispose();
        _writer?.Dispose();
        _writeGate.Dispose();
    }

    private static bool Apply(WriteCommands commands, UsageBatch batch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var transaction = commands.Connection.BeginTransaction(deferred: false);
        commands.BindBatch(batch, now);
        if (commands.InsertBatch.Execute() == 0)
        {
            // Applied before (a retry after a lost acknowledgement): change nothing.
            transaction.Rollback();
            return false;
        }

        var records = batch.Records;
        for (var i = 0; i < records.Count; i++)
        {
            if ((i & 1023) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            commands.BindRecord(records[i], batch.BatchId, i, now);
            commands.InsertRecord.Execute();
        }

        foreach (var row in LedgerRows.Aggregate(batch.Rollups))
        {
            commands.BindRollup(row);
            commands.UpsertRollup.Execute();
        }

        cancellationToken.ThrowIfCancellationRequested();
        transaction.Commit();
        return true;
    }

    private int Trim(DateTimeOffset now)
    {
        using var transaction = _writer!.BeginTransaction(deferred: false);
        var deleted = 0;
        using (var command = _writer.CreateCommand())
        {
            command.Transaction = transaction;
            if (_options.DetailRetention is { } retention)
            {
                command.CommandText = "DELETE FROM usage_records WHERE completed_at < $cutoff";
                command.Parameters.AddWithValue("$cutoff", SqliteText.Timestamp(now - retention));
                deleted = command.ExecuteNonQuery();
                command.Parameters.Clear();
            }

            command.CommandText = "DELETE FROM usage_batches WHERE applied_at < $cutoff";
            command.Parameters.AddWithValue("$cutoff", SqliteText.Timestamp(now - _options.AppliedBatchRetention));
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return deleted;
    }

    private WriteCommands EnsureWriter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_commands is not null)
        {
            return _commands;
        }

        var connection = OpenConnection();
        try
        {
            using (var pragma = connection.CreateCommand())
            {
                // A new file gets 16 KiB pages: a batch's rows fill a quarter as many pages, so a commit writes a
                // quarter as many WAL frames and a checkpoint copies a quarter as many pages, each a system call
                // (about 10% less time per 1000-record batch in a scratch loop). An existing database keeps the page
                // size it was created with; SQLite ignores the pragma there.
                pragma.CommandText = "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
                pragma.ExecuteNonQuery();
            }

            SqliteSchema.Migrate(connection, _timeProvider.GetUtcNow());
            _commands = new WriteCommands(connection);
            _writer = connection;
            return _commands;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Classify(ex, batchId: null, CancellationToken.None);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            SqliteText.RegisterFunctions(connection);
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Classify(ex, batchId: null, CancellationToken.None);
        }
    }
}
