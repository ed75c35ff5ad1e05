namespace TokenAccounting;

/// <summary>Options of <see cref="JsonLinesUsageSink"/>.</summary>
public sealed class JsonLinesUsageSinkOptions
{
    /// <summary>The placeholder in <see cref="PathTemplate"/> replaced by the UTC date (<c>yyyy-MM-dd</c>) of a record's <see cref="UsageRecord.CompletedAt"/>.</summary>
    public const string DatePlaceholder = "{date}";

    /// <summary>
    /// Gets or sets the path of the daily ledger files. It must contain <see cref="DatePlaceholder"/> exactly once, in
    /// the file name (not in a folder name). A relative path is resolved against the current directory when the sink is
    /// created.
    /// </summary>
    /// <value>The default value is <c>usage-ledger/usage-{date}.jsonl</c>.</value>
    public string PathTemplate { get; set; } = "usage-ledger/usage-{date}.jsonl";

    /// <summary>
    /// Gets or sets how many days of ledger files are kept, today included: a file whose name carries the date
    /// <c>D</c> is deleted (with its <c>.broken</c> companion) once <c>D ≤ today − RetentionDays</c> (UTC). Checked on
    /// the first write and then at most once per UTC day, inside a write on the pipeline's background flusher.
    /// Null keeps every file forever.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (keep forever). When set, at least 1.</value>
    public int? RetentionDays { get; set; }

    /// <summary>Checks the options and throws an exception that names the bad option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(PathTemplate))
        {
            throw new ArgumentException("JsonLinesUsageSinkOptions.PathTemplate must not be null, empty or white space.", nameof(PathTemplate));
        }

        var first = PathTemplate.IndexOf(DatePlaceholder, StringComparison.Ordinal);
        if (first < 0 || PathTemplate.IndexOf(DatePlaceholder, first + 1, StringComparison.Ordinal) >= 0)
        {
            throw new ArgumentException(
                $"JsonLinesUsageSinkOptions.PathTemplate (\"{PathTemplate}\") must contain {DatePlaceholder} exactly once: the ledger is written in daily files.",
                nameof(PathTemplate));
        }

        var fileName = Path.GetFileName(PathTemplate);
        if (!fileName.Contains(DatePlaceholder, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"JsonLinesUsageSinkOptions.PathTemplate (\"{PathTemplate}\") must have {DatePlaceholder} in the file name, not in a folder name.",
                nameof(PathTemplate));
        }

        if (RetentionDays is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(RetentionDays),
                RetentionDays,
                $"JsonLinesUsageSinkOptions.RetentionDays must be at least 1 or null to keep files forever (was {RetentionDays}).");
        }
    }
}
