namespace TokenAccounting;

/// <summary>
/// Drops the lines of a batch written more than once, with memory bounded by one batch rather than by the ledger.
/// </summary>
/// <remarks>
/// <para>
/// How a line can be in a file twice: the sink writes each batch's part of a file with one write; a write that fails
/// is cut back out of the file (at once, or before the next write when that fails too), and a retry skips the files
/// the batch already completed — also when the pipeline split the batch (<c>&lt;id&gt;.0</c>, <c>&lt;id&gt;.1</c>) or
/// re-sent it without quarantined records (<c>&lt;id&gt;.r</c>). What remains is a batch applied twice by two writers
/// that did not know of each other (a restart in between, a copied file): its second run of lines in a file follows
/// its first, with nothing of another batch between them, because one process writes a folder and delivers a batch
/// and its parts before the next batch.
/// </para>
/// <para>
/// So within a file, a "family" — consecutive lines whose batch id is one id or a part split off it — is where
/// duplicates can be: a record id, or a rollup key, is accepted once per family. Lines of a new family forget the
/// previous one. A line without a batch id (written by hand) is always accepted.
/// </para>
/// </remarks>
internal sealed class JsonLinesDeduplicator
{
    private readonly HashSet<string> _recordIds = new(StringComparer.Ordinal);
    private readonly HashSet<UsageRollupKey> _rollupKeys = [];
    private string? _family;

    /// <summary>Gets the most ids and keys held at once so far: bounded by the largest batch, whatever the ledger's size.</summary>
    public int PeakRetained { get; private set; }

    /// <summary>Starts a new file: a batch's lines in another file are not duplicates of its lines in this one.</summary>
    public void StartFile()
    {
        _family = null;
        _recordIds.Clear();
        _rollupKeys.Clear();
    }

    /// <summary>Returns false when the line repeats one already accepted in its family.</summary>
    public bool Accept(in JsonLinesLedgerEntry entry)
    {
        if (entry.BatchId is not { } batchId)
        {
            return true;
        }

        if (_family is null || !JsonLinesUsageSink.IsSameOrPartOf(batchId, _family))
        {
            _family = batchId;
            _recordIds.Clear();
            _rollupKeys.Clear();
        }

        bool added;
        if (entry.Record is { } record)
        {
            if (record.Id is not { } id)
            {
                return true;
            }

            added = _recordIds.Add(id);
        }
        else
        {
            added = _rollupKeys.Add(entry.Rollup!.Key);
        }

        var retained = _recordIds.Count + _rollupKeys.Count;
        if (retained > PeakRetained)
        {
            PeakRetained = retained;
        }

        return added;
    }
}
