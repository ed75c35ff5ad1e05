namespace TokenAccounting.Tool.Ledgers;

/// <summary>Streams a JSON-lines ledger (file or folder) and reports how far each pass got, for the progress bar.</summary>
internal sealed class JsonLinesReader
{
    private const int ReportEvery = 1024;
    private readonly string _path;

    public JsonLinesReader(string path, IReadOnlyList<string> files)
    {
        _path = path;
        Files = files;
        TotalBytes = files.Sum(f => new FileInfo(f).Length);
    }

    public IReadOnlyList<string> Files { get; }

    public long TotalBytes { get; }

    /// <summary>Called when a pass over the ledger starts (a report may read it more than once, e.g. for budgets).</summary>
    public Action? PassStarted { get; set; }

    /// <summary>Called every <see cref="ReportEvery"/> records and at the end of a pass with the records read in the pass.</summary>
    public Action<long>? RecordsRead { get; set; }

    /// <summary>Streams the records; every enumeration is a new pass over the files.</summary>
    public IEnumerable<UsageRecord> Read()
    {
        PassStarted?.Invoke();
        long count = 0;
        foreach (var record in JsonLinesUsageLedger.ReadAsync(_path).ToBlockingEnumerable())
        {
            yield return record;
            if (++count % ReportEvery == 0)
            {
                RecordsRead?.Invoke(count);
            }
        }

        RecordsRead?.Invoke(count);
    }

    /// <summary>Estimates the number of records from the size of the files and the line length at the start of the largest.</summary>
    public long EstimateRecords()
    {
        if (TotalBytes == 0)
        {
            return 0;
        }

        var largest = Files.OrderByDescending(f => new FileInfo(f).Length).First();
        var sample = new byte[64 * 1024];
        int read;
        using (var stream = new FileStream(largest, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = stream.ReadAtLeast(sample, sample.Length, throwOnEndOfStream: false);
        }

        var lines = sample.AsSpan(0, read).Count((byte)'\n');
        var bytesPerLine = lines == 0 ? Math.Max(1, read) : (double)read / lines;
        return Math.Max(1, (long)(TotalBytes / bytesPerLine));
    }
}
