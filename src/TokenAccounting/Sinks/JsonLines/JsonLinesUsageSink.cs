using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenAccounting;

/// <summary>
/// The embedded default ledger: appends every detail record of a batch as one JSON object per line, and every rollup
/// delta of the batch as one rollup line (schema version <c>"v":2</c>, snake_case fields), to a daily file, and makes
/// each batch durable with one write and one fsync per file before <see cref="WriteAsync"/> completes. Read it back
/// with <see cref="JsonLinesUsageLedger.ReadAsync(string, CancellationToken)"/> (details) or <see cref="JsonLinesUsageQuery"/> (totals).
/// </summary>
/// <remarks>
/// <para>
/// A record goes to the file of the UTC date of its <see cref="UsageRecord.CompletedAt"/> (the sink's clock when
/// absent), a rollup to the file of its key's date, so a batch spanning midnight writes two files; within a file a
/// batch's rollup lines come before its detail lines. The first time the sink opens a file it repairs a torn
/// tail left by a crash: a last line without a trailing newline, or one that is not valid JSON, is appended to
/// <c>&lt;file&gt;.broken</c> and the file is truncated to its last complete line.
/// </para>
/// <para>
/// The rollup lines keep the ledger's day-aligned totals exact when the pipeline dropped details under overload
/// (counted in its diagnostics). A batch written directly (not by the pipeline) should carry the rollups of its
/// details, as the pipeline's batches do, or none: a day with rollup lines is totalled from them. Repeated keys in one
/// batch are summed into one line. A batch that failed part-way is cut back out of the file it was writing (before
/// the next write to that file when cutting fails too); a retry of the same <see cref="UsageBatch.BatchId"/>, or of a
/// part split off it (<c>&lt;id&gt;.0</c>, <c>&lt;id&gt;.1</c>, <c>&lt;id&gt;.r</c>), skips the files it already
/// completed, and a retry of one of the last 64 completed batches (its caller gave up waiting) writes nothing.
/// Readers drop a batch written twice in any case (for example by two processes).
/// </para>
/// <para>
/// Errors are classified here, near the I/O: a record that cannot be written as it stands (a cost whose total
/// overflows, text that cannot be encoded) fails the batch with <see cref="UsageSinkRejectedException"/> naming the
/// records, so the pipeline quarantines exactly those; an I/O error, disk full included, stays an
/// <see cref="IOException"/> and is retried until space comes back.
/// </para>
/// <para>One process writes a ledger folder at a time. Calls are serialized; the instance is thread-safe.</para>
/// </remarks>
public sealed partial class JsonLinesUsageSink : IUsageSink, IDisposable, IAsyncDisposable
{
    private const int MaxOpenFiles = 2;
    private const int RememberedBatchIds = 64;

    private readonly JsonLinesPathTemplate _template;
    private readonly int? _retentionDays;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<DateOnly, FileStream> _open = [];
    private readonly JsonLinesLedgerWriter _lines = new();
    private readonly List<DateOnly> _batchDates = [];
    private readonly List<(string BatchId, DateOnly Date)> _completedDatesOfFailedBatch = [];
    private readonly Dictionary<DateOnly, long> _cutBackOnOpen = [];
    private readonly List<UsageRollup> _dateRollups = [];
    private readonly HashSet<UsageRollupKey> _rollupKeys = [];
    private readonly HashSet<string> _completedBatchIds = new(StringComparer.Ordinal);
    private readonly Queue<string> _completedBatchOrder = new();
    private string? _failedBatchId;
    private List<string>? _rejected;
    private Exception? _rejectedReason;
    private DateOnly? _lastRetentionCheck;
    private bool _disposed;

    /// <summary>Creates the sink. No file is touched until the first write.</summary>
    /// <param name="options">The options; validated here.</param>
    /// <param name="timeProvider">The clock for records without <see cref="UsageRecord.CompletedAt"/> and for retention; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="logger">Receives repairs, retention deletions and retention failures; nothing when null.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public JsonLinesUsageSink(JsonLinesUsageSinkOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _template = new JsonLinesPathTemplate(options.PathTemplate);
        _retentionDays = options.RetentionDays;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the full path of the folder that holds the daily files (pass it to <see cref="JsonLinesUsageLedger.ReadAsync(string, CancellationToken)"/>).</summary>
    public string DirectoryPath => _template.Directory;

    /// <summary>Gets the full path of the file that holds the records completed on a UTC date.</summary>
    /// <param name="date">The UTC date.</param>
    public string GetFilePath(DateOnly date) => _template.GetPath(date);

    /// <inheritdoc />
    /// <remarks>Completes when every line of the batch is written and flushed to disk (fsync).</remarks>
    public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // The file I/O blocks (fsync); run it on the thread pool so that a caller that starts several sinks'
            // writes from one thread is never held up by this one, and can time it out.
            await Task.Run(
                () =>
                {
                    WriteBatch(batch, cancellationToken);
                    TrimExpiredFiles();
                },
                CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the open files. Later writes throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var stream in _open.Values)
            {
                stream.Dispose();
            }

            _open.Clear();
            _lines.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private void WriteBatch(UsageBatch batch, CancellationToken cancellationToken)
    {
        var records = batch.Records;
        var rollups = batch.Rollups;
        if (records.Count == 0 && rollups.Count == 0)
        {
            return;
        }

        // A retry of a batch that did complete (its caller timed out waiting, for example) is already durable.
        if (_completedBatchIds.Contains(batch.BatchId))
        {
            return;
        }

        var fallbackDate = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        _batchDates.Clear();
        foreach (var record in records)
        {
            AddDate(DateOf(record, fallbackDate));
        }

        foreach (var rollup in rollups)
        {
            AddDate(rollup.Key.Date);
        }

        _batchDates.Sort();

        // A batch that is not the failed one, nor a part the pipeline split off it (<id>.0, <id>.1, <id>.r), ends
        // that failure: nothing of it will be retried any more.
        if (_failedBatchId is { } failed && !IsSameOrPartOf(batch.BatchId, failed))
        {
            _failedBatchId = null;
            _completedDatesOfFailedBatch.Clear();
        }

        foreach (var date in _batchDates)
        {
            if (CompletedBefore(batch.BatchId, date))
            {
                continue;
            }

            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                Serialize(records, rollups, date, fallbackDate, batch.BatchId);
                Append(date, _lines.WrittenSpan);
            }
            catch
            {
                _failedBatchId ??= batch.BatchId;
                throw;
            }

            if (_batchDates.Count > 1)
            {
                // A retry of this batch, or of a part split off it, skips this file: every line the batch had for it
                // is durable, and a part's lines are a subset of its batch's.
                _failedBatchId ??= batch.BatchId;
                _completedDatesOfFailedBatch.Add((batch.BatchId, date));
            }
        }

        RememberCompleted(batch.BatchId);
        CloseIdleFiles();
    }

    private void AddDate(DateOnly date)
    {
        if (!_batchDates.Contains(date))
        {
            _batchDates.Add(date);
        }
    }

    private bool CompletedBefore(string batchId, DateOnly date)
    {
        foreach (var (completedBatch, completedDate) in _completedDatesOfFailedBatch)
        {
            if (completedDate == date && IsSameOrPartOf(batchId, completedBatch))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="batchId"/> is <paramref name="other"/> or a part the pipeline split off it.</summary>
    internal static bool IsSameOrPartOf(string batchId, string other) =>
        batchId.StartsWith(other, StringComparison.Ordinal) && (batchId.Length == other.Length || batchId[other.Length] == '.');

    private void RememberCompleted(string batchId)
    {
        _completedBatchIds.Add(batchId);
        _completedBatchOrder.Enqueue(batchId);
        if (_completedBatchOrder.Count > RememberedBatchIds)
        {
            _completedBatchIds.Remove(_completedBatchOrder.Dequeue());
        }
    }

    private static DateOnly DateOf(UsageRecord record, DateOnly fallbackDate) =>
        record.CompletedAt is { } completed ? DateOnly.FromDateTime(completed.UtcDateTime) : fallbackDate;

    private void Serialize(IReadOnlyList<UsageRecord> records, IReadOnlyList<UsageRollup> rollups, DateOnly date, DateOnly fallbackDate, string batchId)
    {
        _lines.Clear();

        // Rollup lines first: a batch cut by a crash then leaves its exact totals and only loses details, as under
        // overload, never the other way round.
        foreach (var rollup in RollupsOf(rollups, date))
        {
            try
            {
                JsonLinesLedgerFormat.ValidateRollupKey(rollup.Key);
                _lines.WriteRollupLine(rollup, batchId);
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentException or InvalidOperationException or System.Text.EncoderFallbackException)
            {
                // A key the reader would reject (a direct write): the pipeline splits the batch until it is isolated.
                throw new UsageSinkRejectedException(
                    $"The JSON-lines ledger cannot write the rollup {rollup.Key} of batch {batchId}: {ex.Message}", ex, []);
            }
        }

        // Most batches fall on one date: then every record belongs to this file and the per-record check is skipped.
        var allOnThisDate = _batchDates.Count == 1;
        foreach (var record in records)
        {
            if (!allOnThisDate && DateOf(record, fallbackDate) != date)
            {
                continue;
            }

            try
            {
                // Never write a line the reader would reject: a record that reached the sink without Record()'s
                // validation (a direct write) is held to the same rules here.
                record.Validate();
                _lines.WriteLine(record, batchId);
            }
            catch (Exception ex) when (ex is OverflowException or ArgumentException or InvalidOperationException or System.Text.EncoderFallbackException)
            {
                // The data, not the disk, is at fault (a record that breaks the record rules, text that cannot be encoded):
                // retrying cannot help. Name every such record; nothing of this file's part of the batch is written.
                (_rejected ??= []).Add(record.Id ?? string.Empty);
                _rejectedReason ??= ex;
            }
        }

        if (_rejected is { Count: > 0 } rejected)
        {
            var reason = _rejectedReason!;
            _rejected = null;
            _rejectedReason = null;
            throw new UsageSinkRejectedException(
                $"The JSON-lines ledger cannot write {rejected.Count} record(s) of batch {batchId}: {reason.Message}", reason, rejected);
        }
    }

    /// <summary>
    /// The batch's rollups of one date, one per key: the pipeline's are, and a direct write's repeated keys are summed
    /// (saturating, as the pipeline sums), so a key appears once per batch in a file (readers rely on it).
    /// </summary>
    private List<UsageRollup> RollupsOf(IReadOnlyList<UsageRollup> rollups, DateOnly date)
    {
        _dateRollups.Clear();
        _rollupKeys.Clear();
        var repeated = false;
        foreach (var rollup in rollups)
        {
            if (rollup.Key.Date == date)
            {
                _dateRollups.Add(rollup);
                repeated |= !_rollupKeys.Add(rollup.Key);
            }
        }

        if (repeated)
        {
            var cells = new Dictionary<UsageRollupKey, RollupCell>();
            var order = new List<UsageRollupKey>();
            foreach (var rollup in _dateRollups)
            {
                if (!cells.TryGetValue(rollup.Key, out var cell))
                {
                    cell = new RollupCell();
                    cells.Add(rollup.Key, cell);
                    order.Add(rollup.Key);
                }

                cell.Add(rollup.Tokens, rollup.RequestCount, rollup.UnpricedRequestCount, rollup.Cost);
            }

            _dateRollups.Clear();
            foreach (var key in order)
            {
                _dateRollups.Add(cells[key].ToRollup(key));
            }
        }

        return _dateRollups;
    }

    // One write and one fsync per file and batch. On failure the file is cut back to where the batch started, so a
    // retry does not leave half a batch behind, and reopened (and checked) on the next write.
    private void Append(DateOnly date, ReadOnlySpan<byte> bytes)
    {
        var stream = GetOrOpen(date);
        var start = stream.Position;
        try
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            _open.Remove(date);
            try
            {
                stream.SetLength(start);
                stream.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // Cut back when the file is opened again, before anything else is written to it: a retry never
                // follows lines of the attempt that failed.
                _cutBackOnOpen[date] = start;
            }
            finally
            {
                stream.Dispose();
            }

            throw;
        }
    }

    private FileStream GetOrOpen(DateOnly date)
    {
        if (_open.TryGetValue(date, out var stream))
        {
            return stream;
        }

        var path = _template.GetPath(date);
        Directory.CreateDirectory(_template.Directory);
        stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 0,
        });
        try
        {
            if (_cutBackOnOpen.TryGetValue(date, out var cutBack))
            {
                if (stream.Length > cutBack)
                {
                    stream.SetLength(cutBack);
                    stream.Flush(flushToDisk: true);
                }

                _cutBackOnOpen.Remove(date);
            }

            var moved = JsonLinesTornTail.Repair(stream, path);
            if (moved > 0)
            {
                LogTornTailRepaired(_logger, path, moved, path + JsonLinesTornTail.BrokenSuffix);
            }

            stream.Seek(0, SeekOrigin.End);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        _open.Add(date, stream);
        return stream;
    }

    private void CloseIdleFiles()
    {
        if (_open.Count <= MaxOpenFiles)
        {
            return;
        }

        foreach (var date in _open.Keys.ToList())
        {
            if (!_batchDates.Contains(date) && _open.Remove(date, out var stream))
            {
                stream.Dispose();
            }
        }
    }

    private void TrimExpiredFiles()
    {
        if (_retentionDays is not { } days)
        {
            return;
        }

        var today = DateOnly.FromDateTime(_timeProvider.GetUtcNow().UtcDateTime);
        if (_lastRetentionCheck == today)
        {
            return;
        }

        _lastRetentionCheck = today;
        var cutoff = today.AddDays(-days);
        IEnumerable<string> files;
        try
        {
            files = Directory.EnumerateFiles(_template.Directory).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogRetentionFailed(_logger, _template.Directory, ex);
            return;
        }

        foreach (var file in files)
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(JsonLinesTornTail.BrokenSuffix, StringComparison.Ordinal))
            {
                name = name[..^JsonLinesTornTail.BrokenSuffix.Length];
            }

            if (!_template.TryGetDate(name, out var date) || date > cutoff)
            {
                continue;
            }

            try
            {
                if (_open.Remove(date, out var stream))
                {
                    stream.Dispose();
                }

                File.Delete(file);
                LogRetentionDeleted(_logger, file, days);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogRetentionFailed(_logger, file, ex);
            }
        }
    }

    [LoggerMessage(EventId = 1, EventName = "LedgerTornTailRepaired", Level = LogLevel.Warning,
        Message = "Repaired the torn tail of the usage ledger {Path}: moved {Bytes} bytes to {BrokenPath}")]
    private static partial void LogTornTailRepaired(ILogger logger, string path, long bytes, string brokenPath);

    [LoggerMessage(EventId = 2, EventName = "LedgerRetentionDeleted", Level = LogLevel.Information,
        Message = "Deleted the usage ledger file {Path}: older than RetentionDays ({RetentionDays})")]
    private static partial void LogRetentionDeleted(ILogger logger, string path, int retentionDays);

    [LoggerMessage(EventId = 3, EventName = "LedgerRetentionFailed", Level = LogLevel.Warning,
        Message = "Could not apply ledger retention to {Path}; it is retried tomorrow")]
    private static partial void LogRetentionFailed(ILogger logger, string path, Exception exception);
}
