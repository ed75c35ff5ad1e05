using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace TokenAccounting;

/// <summary>Reads the ledger written by <see cref="JsonLinesUsageSink"/>.</summary>
public static partial class JsonLinesUsageLedger
{
    private const byte NewLine = (byte)'\n';
    private const int InitialBufferSize = 64 * 1024;

    /// <summary>
    /// Reads the records of one ledger file, or of every <c>*.jsonl</c> file directly in a folder in the order of the
    /// date in their names (then by name).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Returns the detail records only; rollup lines (schema version 2) are read by <see cref="JsonLinesUsageQuery"/>.
    /// A record is returned once even when its batch was written more than once (a retry): within a file, the lines of
    /// one batch and of the parts the pipeline split off it (<c>&lt;id&gt;.0</c>, <c>&lt;id&gt;.1</c>,
    /// <c>&lt;id&gt;.r</c>) follow each other, and a record id is returned once per such run. Memory is bounded by one
    /// batch (<see cref="TokenAccountingOptions.MaxBatchSize"/> ids), not by the ledger. Records without an id are
    /// returned as they are.
    /// </para>
    /// <para>
    /// The last line of a file is skipped when it is torn: no trailing newline (a write in progress or cut by a
    /// crash), or not a valid ledger line. Any other line that is not valid is an error. Files may be read while the
    /// sink appends to them.
    /// </para>
    /// </remarks>
    /// <param name="fileOrFolder">A ledger file, or the folder that holds the daily files.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records, file by file, in file order.</returns>
    /// <exception cref="FileNotFoundException"><paramref name="fileOrFolder"/> is neither a file nor a folder.</exception>
    /// <exception cref="FormatException">
    /// (While enumerating.) A line other than the last of its file is not a valid ledger line — malformed JSON, a schema
    /// violation, or a record that <see cref="UsageRecord.Validate"/> rejects (the rules and limits <c>Record()</c>
    /// applies, <see cref="UsageRecordLimits"/>); the message names the file, the line number and the rule.
    /// </exception>
    /// <exception cref="NotSupportedException">(While enumerating.) A line has a schema version newer than this library reads.</exception>
    public static IAsyncEnumerable<UsageRecord> ReadAsync(string fileOrFolder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileOrFolder);
        return ReadFilesAsync(ListFiles(fileOrFolder), cancellationToken);
    }

    /// <summary>
    /// Reads the records as <see cref="ReadAsync(string, CancellationToken)"/> does, reporting to
    /// <paramref name="progress"/> (for a progress bar over a large ledger) 0 at the start and then, after each chunk
    /// read, the bytes of the ledger's files read so far; the last value is their size as read.
    /// </summary>
    /// <param name="fileOrFolder">A ledger file, or the folder that holds the daily files.</param>
    /// <param name="progress">Receives the bytes read so far, on the thread that reads; null for no reports.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records, file by file, in file order.</returns>
    /// <exception cref="FileNotFoundException"><paramref name="fileOrFolder"/> is neither a file nor a folder.</exception>
    /// <exception cref="FormatException">(While enumerating.) As for <see cref="ReadAsync(string, CancellationToken)"/>; the message names the file and the line.</exception>
    /// <exception cref="NotSupportedException">(While enumerating.) A line has a schema version newer than this library reads.</exception>
    public static IAsyncEnumerable<UsageRecord> ReadAsync(string fileOrFolder, IProgress<long>? progress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileOrFolder);
        return ReadFilesAsync(ListFiles(fileOrFolder), progress, cancellationToken);
    }

    /// <summary>The ledger files of a folder in date order (then by name), or the one file given.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="fileOrFolder"/> is neither a file nor a folder.</exception>
    internal static IReadOnlyList<string> ListFiles(string fileOrFolder)
    {
        IReadOnlyList<string> files;
        if (Directory.Exists(fileOrFolder))
        {
            files = Directory.EnumerateFiles(fileOrFolder, "*.jsonl", SearchOption.TopDirectoryOnly)
                .Where(f => f.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                .OrderBy(DateInName)
                .ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .ToList();
        }
        else if (File.Exists(fileOrFolder))
        {
            files = [fileOrFolder];
        }
        else
        {
            throw new FileNotFoundException($"The ledger \"{fileOrFolder}\" is neither a file nor a folder.", fileOrFolder);
        }

        return files;
    }

    private static IAsyncEnumerable<UsageRecord> ReadFilesAsync(IReadOnlyList<string> files, CancellationToken cancellationToken) =>
        ReadFilesAsync(files, progress: null, cancellationToken);

    private static async IAsyncEnumerable<UsageRecord> ReadFilesAsync(
        IReadOnlyList<string> files,
        IProgress<long>? progress,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in ReadEntriesAsync(files, new JsonLinesDeduplicator(), progress, bytesBefore: 0, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Record is { } record)
            {
                yield return record;
            }
        }
    }

    /// <summary>Every line of <paramref name="files"/>, details and rollups, less the duplicates of retried batches.</summary>
    internal static IAsyncEnumerable<JsonLinesLedgerEntry> ReadEntriesAsync(IReadOnlyList<string> files, JsonLinesDeduplicator deduplicator, CancellationToken cancellationToken) =>
        ReadEntriesAsync(files, deduplicator, progress: null, bytesBefore: 0, cancellationToken);

    /// <summary>Every line of <paramref name="files"/>, details and rollups, less the duplicates of retried batches, reporting progress.</summary>
    /// <param name="files">The files to read, in order.</param>
    /// <param name="deduplicator">Drops the lines of retried batches.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <param name="progress">
    /// When set, receives <paramref name="bytesBefore"/> at the start and then, after each chunk read, that plus the
    /// bytes of <paramref name="files"/> read so far (for a progress bar); the values of one enumeration only grow.
    /// </param>
    /// <param name="bytesBefore">What the first report starts from (bytes the caller accounts for without reading them).</param>
    internal static async IAsyncEnumerable<JsonLinesLedgerEntry> ReadEntriesAsync(
        IReadOnlyList<string> files,
        JsonLinesDeduplicator deduplicator,
        IProgress<long>? progress,
        long bytesBefore,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var ready = new List<JsonLinesLedgerEntry>();
        var done = bytesBefore;
        progress?.Report(done);
        foreach (var file in files)
        {
            deduplicator.StartFile();
            var reader = new LineReader(file);
            await using (reader.ConfigureAwait(false))
            {
                var reported = 0L;
                while (true)
                {
                    var more = await reader.ReadChunkAsync(ready, cancellationToken).ConfigureAwait(false);
                    if (progress is not null && reader.BytesRead != reported)
                    {
                        reported = reader.BytesRead;
                        progress.Report(done + reported);
                    }

                    if (!more)
                    {
                        break;
                    }

                    foreach (var entry in ready)
                    {
                        if (deduplicator.Accept(entry))
                        {
                            yield return entry;
                        }
                    }

                    ready.Clear();
                }

                done += reader.BytesRead;
            }
        }
    }

    /// <summary>The UTC date in a ledger file's name, or <see cref="DateOnly.MinValue"/> when it has none.</summary>
    internal static DateOnly? TryGetDateInName(string path)
    {
        var date = DateInName(path);
        return date == DateOnly.MinValue ? null : date;
    }

    private static DateOnly DateInName(string path)
    {
        var match = DatePattern().Match(Path.GetFileName(path));
        return match.Success && DateOnly.TryParseExact(match.ValueSpan, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : DateOnly.MinValue;
    }

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2}", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    /// <summary>Splits one file into lines and parses them, holding back a bad line until it is known not to be the last.</summary>
    private sealed class LineReader : IAsyncDisposable
    {
        private readonly string _path;
        private readonly FileStream _stream;
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        private int _start;
        private int _end;
        private long _lineNumber;
        private FormatException? _pendingBadLine;
        private bool _done;

        public LineReader(string path)
        {
            _path = path;
            _stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
        }

        /// <summary>Gets the bytes read from the file so far.</summary>
        public long BytesRead { get; private set; }

        /// <summary>Reads at least one more chunk and adds its complete lines' records; false at the end of the file.</summary>
        public async ValueTask<bool> ReadChunkAsync(List<JsonLinesLedgerEntry> into, CancellationToken cancellationToken)
        {
            while (!_done)
            {
                if (_end == _buffer.Length)
                {
                    Compact();
                }

                var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    _done = true;
                    Finish();
                    return into.Count > 0;
                }

                _end += read;
                BytesRead += read;
                ParseCompleteLines(into);
                if (into.Count > 0)
                {
                    return true;
                }
            }

            return false;
        }

        public ValueTask DisposeAsync()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            return _stream.DisposeAsync();
        }

        private void ParseCompleteLines(List<JsonLinesLedgerEntry> into)
        {
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var at = span.IndexOf(NewLine);
                if (at < 0)
                {
                    return;
                }

                _start += at + 1;
                _lineNumber++;
                var line = span[..at];
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                if (line.Trim(" \t"u8).IsEmpty)
                {
                    continue;
                }

                // A bad line is only corrupt when something follows it; as the last line it is a torn write.
                ThrowIfPendingBadLine();
                try
                {
                    into.Add(JsonLinesLedgerFormat.ParseEntry(line, _path, _lineNumber));
                }
                catch (FormatException ex)
                {
                    _pendingBadLine = ex;
                }
            }
        }

        private void Finish()
        {
            var rest = _buffer.AsSpan(_start, _end - _start).Trim(" \t\r"u8);
            if (!rest.IsEmpty)
            {
                // Bytes after the last newline: a torn (or in-progress) write, skipped. A bad line before it was not the last.
                ThrowIfPendingBadLine();
            }
        }

        private void ThrowIfPendingBadLine()
        {
            if (_pendingBadLine is { } bad)
            {
                throw new FormatException(
                    bad.Message + " It is not the last line of the file, so it is not a torn write: the ledger is corrupt.",
                    bad);
            }
        }

        private void Compact()
        {
            var length = _end - _start;
            if (_start == 0)
            {
                // One line longer than the buffer: grow.
                var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
                _buffer.AsSpan(0, length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            else
            {
                _buffer.AsSpan(_start, length).CopyTo(_buffer);
            }

            _start = 0;
            _end = length;
        }
    }
}
