namespace TokenAccounting.Tool.Ledgers;

/// <summary>
/// The files of a JSON-lines ledger and how far the current read of them got, for the progress bar: receives the
/// bytes done from <see cref="JsonLinesUsageQuery.Progress"/> or <see cref="JsonLinesUsageLedger.ReadAsync(string, IProgress{long}, CancellationToken)"/>.
/// </summary>
internal sealed class JsonLinesReadProgress : IProgress<long>
{
    private long _last = -1;

    public JsonLinesReadProgress(IReadOnlyList<string> files)
    {
        Files = files;
        TotalBytes = files.Sum(f => new FileInfo(f) is { Exists: true } info ? info.Length : 0L);
    }

    public IReadOnlyList<string> Files { get; }

    public long TotalBytes { get; }

    /// <summary>Gets the number of passes over the ledger started so far (a report may read it more than once).</summary>
    public int Passes { get; private set; }

    /// <summary>Called with the bytes done in the current pass and the pass number (1 for the first).</summary>
    public Action<long, int>? Changed { get; set; }

    /// <summary>Takes a report: within a pass the values grow, so a value below the last one starts another pass.</summary>
    public void Report(long value)
    {
        if (Passes == 0 || value < _last)
        {
            Passes++;
        }

        _last = value;
        Changed?.Invoke(value, Passes);
    }
}
