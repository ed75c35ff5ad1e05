namespace TokenAccounting;

/// <summary>
/// Answers <see cref="UsageQuery"/>s over a JSON-lines ledger (the folder <see cref="JsonLinesUsageSink"/> writes, or
/// one of its files) in one streaming pass, with memory bounded by the number of (date, group) keys, not by records.
/// </summary>
/// <remarks>
/// <para>
/// <b>Day-aligned ranges</b> (both ends at UTC midnight) are exact even when the pipeline dropped details: each UTC
/// day with rollup lines (schema version 2) is answered from its rollup lines plus its version-1 detail lines (written
/// before an upgrade, which no rollup line covers); a day without rollup lines (a version-1 file, or details written
/// directly without rollups) from its detail lines. A version-2 detail line on a day with rollup lines is never
/// counted: the rollup lines of its batch, or of an earlier one, already hold it. So nothing is counted twice, in a
/// folder of version-1 files, version-2 files or both. <see cref="UsageQueryResult.Source"/> is
/// <see cref="UsageQuerySource.Rollups"/> when every day that had usage in the range was answered from rollup lines,
/// <see cref="UsageQuerySource.Details"/> otherwise.
/// </para>
/// <para>
/// <b>Other ranges</b> are answered from the detail lines (<see cref="UsageQuerySource.Details"/>): details the pipeline
/// dropped are missing there, as in the SQL ledgers.
/// </para>
/// <para>
/// Retried batches are counted once (see <see cref="JsonLinesUsageLedger.ReadAsync(string, CancellationToken)"/>). Files whose name carries a
/// date outside the range are not opened. Records without <see cref="UsageRecord.CompletedAt"/> are skipped; an
/// empty dimension value counts as no value, as in the other ledgers. Sums saturate, never wrap. Each query reads
/// the files as they are then; thread-safe.
/// </para>
/// </remarks>
public sealed class JsonLinesUsageQuery : IUsageQuery
{
    /// <summary>Creates a query over a ledger folder or file. Nothing is read until a query runs.</summary>
    /// <param name="fileOrFolder">The folder that holds the daily files (<see cref="JsonLinesUsageSink.DirectoryPath"/>), or one ledger file.</param>
    /// <exception cref="ArgumentException"><paramref name="fileOrFolder"/> is null, empty or white space.</exception>
    public JsonLinesUsageQuery(string fileOrFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileOrFolder);
        Path = fileOrFolder;
    }

    /// <summary>Gets the ledger folder or file this query reads.</summary>
    public string Path { get; }

    /// <summary>
    /// Gets a receiver of reading progress, for a progress bar over a large ledger: each query reports, on the thread
    /// that reads, the bytes of the ledger's files it is done with — first those of the files it skips (their name's
    /// date is outside the range), then after each chunk read that plus the bytes read. Within a query the values only
    /// grow, and the last equals the size of the ledger's <c>*.jsonl</c> files as read, so a value lower than the one
    /// before means another query started. Reports of queries run at the same time interleave.
    /// </summary>
    /// <value>The default value is null (no reports).</value>
    public IProgress<long>? Progress { get; init; }

    /// <inheritdoc />
    /// <exception cref="FileNotFoundException">The ledger is neither a file nor a folder.</exception>
    /// <exception cref="FormatException">A line other than the last of its file is not a valid ledger line; the message names file and line.</exception>
    /// <exception cref="NotSupportedException">A line has a schema version newer than this library reads.</exception>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var dayAligned = query.IsDayAligned;
        var firstDay = DateOnly.FromDateTime(query.From.UtcDateTime);
        var lastDay = DateOnly.FromDateTime(query.To.UtcDateTime.AddTicks(-1));
        var all = JsonLinesUsageLedger.ListFiles(Path);
        var files = all
            .Where(f => JsonLinesUsageLedger.TryGetDateInName(f) is not { } date || (date >= firstDay && date <= lastDay))
            .ToList();
        var skippedBytes = Progress is null || files.Count == all.Count ? 0L : all.Except(files).Sum(f => new FileInfo(f) is { Exists: true } info ? info.Length : 0L);

        var rollups = new Dictionary<DayKey, RollupCell>();
        var uncoveredDetails = new Dictionary<DayKey, RollupCell>();
        var coveredDetails = new Dictionary<DayKey, RollupCell>();
        var daysWithRollups = new HashSet<DateOnly>();
        await foreach (var entry in JsonLinesUsageLedger.ReadEntriesAsync(files, new JsonLinesDeduplicator(), Progress, skippedBytes, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Rollup is { } rollup)
            {
                var key = rollup.Key;
                if (!dayAligned || key.Date < firstDay || key.Date > lastDay)
                {
                    continue;
                }

                // Coverage is a property of the day, whatever the filters: its details are held by its rollup lines.
                daysWithRollups.Add(key.Date);
                if (Matches(query, key.Model, key.Provider, key.Operation, key.UserId, key.TenantId, key.ApiKeyId))
                {
                    Cell(rollups, new DayKey(key.Date, GroupOf(query, key.Date, key.Model, key.Provider, key.Operation, key.UserId, key.TenantId, key.ApiKeyId)))
                        .Add(rollup.Tokens, rollup.RequestCount, rollup.UnpricedRequestCount, rollup.Cost);
                }

                continue;
            }

            var record = entry.Record!;
            if (record.CompletedAt is not { } completed || completed < query.From || completed >= query.To
                || !Matches(query, record.Model, record.Provider, record.Operation, record.UserId, record.TenantId, record.ApiKeyId))
            {
                continue;
            }

            var day = DateOnly.FromDateTime(completed.UtcDateTime);
            var target = dayAligned && entry.Version >= JsonLinesLedgerFormat.RollupsVersion ? coveredDetails : uncoveredDetails;
            Cell(target, new DayKey(dayAligned ? day : default, GroupOf(query, day, record.Model, record.Provider, record.Operation, record.UserId, record.TenantId, record.ApiKeyId)))
                .Add(record);
        }

        var groups = new Dictionary<GroupKey, RollupCell>();
        var allFromRollups = dayAligned;
        foreach (var (key, cell) in uncoveredDetails)
        {
            Merge(groups, key.Group, cell);
            allFromRollups = false;
        }

        foreach (var (key, cell) in rollups)
        {
            Merge(groups, key.Group, cell);
        }

        foreach (var (key, cell) in coveredDetails)
        {
            if (!daysWithRollups.Contains(key.Day))
            {
                Merge(groups, key.Group, cell);
                allFromRollups = false;
            }
        }

        if (query.GroupBy.Count == 0 && groups.Count == 0)
        {
            groups.Add(default, new RollupCell());
        }

        var rows = groups.Select(g => new UsageQueryRow
        {
            Date = g.Key.Date,
            Model = g.Key.Model,
            Provider = g.Key.Provider,
            Operation = g.Key.Operation is { } operation ? new UsageOperation(operation) : null,
            UserId = g.Key.UserId,
            TenantId = g.Key.TenantId,
            ApiKeyId = g.Key.ApiKeyId,
            Tokens = g.Value.Tokens,
            RequestCount = g.Value.Requests,
            Cost = g.Value.Cost,
            UnpricedRequestCount = g.Value.Unpriced,
        });
        return UsageQueryResult.Create(query, rows, allFromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
    }

    private static RollupCell Cell(Dictionary<DayKey, RollupCell> cells, DayKey key)
    {
        if (!cells.TryGetValue(key, out var cell))
        {
            cell = new RollupCell();
            cells.Add(key, cell);
        }

        return cell;
    }

    private static void Merge(Dictionary<GroupKey, RollupCell> groups, GroupKey key, RollupCell cell)
    {
        if (!groups.TryGetValue(key, out var target))
        {
            target = new RollupCell();
            groups.Add(key, target);
        }

        target.Add(cell.Tokens, cell.Requests, cell.Unpriced, cell.Cost);
    }

    private static bool Matches(UsageQuery query, string model, string? provider, UsageOperation operation, string? userId, string? tenantId, string? apiKeyId) =>
        (query.Model is null || string.Equals(query.Model, Normalize(model), StringComparison.Ordinal))
        && (query.Provider is null || string.Equals(query.Provider, Normalize(provider), StringComparison.Ordinal))
        && (query.Operation is null || query.Operation.Value == operation)
        && (query.UserId is null || string.Equals(query.UserId, Normalize(userId), StringComparison.Ordinal))
        && (query.TenantId is null || string.Equals(query.TenantId, Normalize(tenantId), StringComparison.Ordinal))
        && (query.ApiKeyId is null || string.Equals(query.ApiKeyId, Normalize(apiKeyId), StringComparison.Ordinal));

    private static GroupKey GroupOf(UsageQuery query, DateOnly day, string model, string? provider, UsageOperation operation, string? userId, string? tenantId, string? apiKeyId) => new(
        query.IsGroupedBy(UsageDimension.Date) ? day : null,
        query.IsGroupedBy(UsageDimension.Model) ? Normalize(model) : null,
        query.IsGroupedBy(UsageDimension.Provider) ? Normalize(provider) : null,
        query.IsGroupedBy(UsageDimension.Operation) ? operation.Value.ToLowerInvariant() : null,
        query.IsGroupedBy(UsageDimension.User) ? Normalize(userId) : null,
        query.IsGroupedBy(UsageDimension.Tenant) ? Normalize(tenantId) : null,
        query.IsGroupedBy(UsageDimension.ApiKey) ? Normalize(apiKeyId) : null);

    private static string? Normalize(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private readonly record struct GroupKey(DateOnly? Date, string? Model, string? Provider, string? Operation, string? UserId, string? TenantId, string? ApiKeyId);

    /// <summary>A group within one UTC day (day-aligned queries choose the source per day); the day is default otherwise.</summary>
    private readonly record struct DayKey(DateOnly Day, GroupKey Group);
}
