using System.Globalization;

namespace TokenAccounting.Testing;

/// <summary>
/// A synchronous, deterministic <see cref="IUsageRecorder"/> for tests: <see cref="Record"/> validates, attributes
/// and enriches exactly as <see cref="UsageRecorder"/> does — the same validation errors, the same scope
/// attribution and inherited user, tenant, tags and scope path, <see cref="UsageRecord.CompletedAt"/> stamped from
/// the injected <see cref="System.TimeProvider"/>, pricing through the given <see cref="IPriceCatalog"/>, text
/// stripped unless <see cref="TokenAccountingOptions.CaptureText"/> is on — and stores the record at once. There is
/// no background thread, nothing to flush, and nothing to wait for.
/// </summary>
/// <remarks>
/// <para>It shares its validation and enrichment code with <see cref="UsageRecorder"/>, so a rule added to one holds
/// for both. Records without an id get deterministic ids: <c>fake-000001</c>, <c>fake-000002</c>, …</para>
/// <para>Unlike the real recorder it emits no metrics and no activity tags, and has no sinks. When it replaces the
/// real recorder in a container (<c>UseFakeRecorder()</c>), budgets registered with <c>AddBudgets()</c> still count
/// the recorded usage, synchronously. A pricing or budget stage that throws is not thrown into the caller (as in the
/// real recorder); the exception is kept in <see cref="StageFailures"/> so a test can see it.</para>
/// <para>Thread-safe: records made concurrently are stored in the order their <see cref="Record"/> calls took the
/// recorder's lock.</para>
/// </remarks>
public sealed class FakeUsageRecorder : IUsageRecorder
{
    private readonly object _gate = new();
    private readonly List<UsageRecord> _records = [];
    private readonly List<Exception> _stageFailures = [];
    private readonly UsageEnrichment _enrichment;
    private readonly IUsageObserver[] _observers;
    private long _ids;
    private int _flushes;

    /// <summary>Creates a fake recorder.</summary>
    /// <param name="timeProvider">
    /// Stamps <see cref="UsageRecord.CompletedAt"/> on records without one; <see cref="TimeProvider.System"/> when null
    /// (pass a <c>FakeTimeProvider</c> for repeatable times).
    /// </param>
    /// <param name="priceCatalog">Prices records that carry no cost; unknown models stay unpriced (cost null). None when null.</param>
    /// <param name="options">
    /// The options (validated as by <see cref="UsageRecorder"/>); only <see cref="TokenAccountingOptions.CaptureText"/>
    /// changes what is recorded. Defaults when null.
    /// </param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is out of range; the message names it.</exception>
    public FakeUsageRecorder(TimeProvider? timeProvider = null, IPriceCatalog? priceCatalog = null, TokenAccountingOptions? options = null)
        : this(timeProvider, options, pricer: priceCatalog is null ? null : record => UsagePricing.Price(priceCatalog, record), observers: null)
    {
    }

    internal FakeUsageRecorder(TimeProvider? timeProvider, TokenAccountingOptions? options, Func<UsageRecord, UsageCost?>? pricer, IEnumerable<IUsageObserver>? observers)
    {
        Options = TokenAccountingOptionsValidator.EnsureValid(options ?? new TokenAccountingOptions());
        TimeProvider = timeProvider ?? TimeProvider.System;
        _enrichment = new UsageEnrichment(Options.CaptureText, pricer, (exception, _) => AddStageFailure(exception), NextId);
        _observers = observers?.ToArray() ?? [];
        foreach (var observer in _observers)
        {
            observer.BackgroundFailed = AddStageFailure;
        }
    }

    /// <summary>Gets the clock that stamps <see cref="UsageRecord.CompletedAt"/>.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the options in effect.</summary>
    public TokenAccountingOptions Options { get; }

    /// <summary>Gets a snapshot of the recorded (enriched) records, in the order they were recorded.</summary>
    public IReadOnlyList<UsageRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return _records.ToArray();
            }
        }
    }

    /// <summary>Gets the number of records recorded.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>
    /// Gets the exceptions a pipeline stage threw while a record was recorded (a price catalog, a budget store): the
    /// real recorder logs and counts these and still delivers the record; so does this one.
    /// </summary>
    public IReadOnlyList<Exception> StageFailures
    {
        get
        {
            lock (_gate)
            {
                return _stageFailures.ToArray();
            }
        }
    }

    /// <summary>Gets how many times <see cref="FlushAsync"/> was called.</summary>
    public int FlushCount => Volatile.Read(ref _flushes);

    /// <summary>
    /// Gets the totals of every record: tokens, number of records, the summed cost of the priced ones (null when none
    /// was priced) and the number of unpriced ones.
    /// </summary>
    public UsageSummary Total => TotalsWhere(static _ => true);

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentException">The record violates its invariants (the same errors as <see cref="UsageRecorder"/>); nothing is recorded.</exception>
    public void Record(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Validate();
        var item = UsageEnrichment.Attribute(record, TimeProvider);
        lock (_gate)
        {
            var enriched = _enrichment.Enrich(item);
            foreach (var observer in _observers)
            {
                try
                {
                    observer.OnRecord(enriched);
                }
                catch (Exception ex)
                {
                    _stageFailures.Add(ex);
                }
            }

            _records.Add(enriched);
        }
    }

    /// <summary>
    /// Completes at once: records are stored when recorded. (When budgets on a remote store count usage in the
    /// background, waits for what they were handed.)
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for background budget counting.</param>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushes);
        if (_observers.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        var drains = _observers.Select(o => o.DrainAsync(cancellationToken)).ToArray();
        return drains.All(static t => t.IsCompletedSuccessfully) ? ValueTask.CompletedTask : new ValueTask(Task.WhenAll(drains));
    }

    /// <summary>Gets the records that match <paramref name="predicate"/>, in the order they were recorded.</summary>
    public IReadOnlyList<UsageRecord> Where(Func<UsageRecord, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Records.Where(predicate).ToArray();
    }

    /// <summary>Gets the totals of the records that match <paramref name="predicate"/>.</summary>
    public UsageSummary TotalsWhere(Func<UsageRecord, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var sum = default(UsageSummary);
        foreach (var record in Records)
        {
            if (predicate(record))
            {
                sum += Summary(record);
            }
        }

        return sum;
    }

    /// <summary>Gets the totals per model (<see cref="UsageRecord.Model"/>, ordinal).</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByModel() => Group(static r => r.Model);

    /// <summary>Gets the totals per user, inherited ones included; records without a user are under the empty string.</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByUser() => Group(static r => r.UserId ?? string.Empty);

    /// <summary>Gets the totals per tenant, inherited ones included; records without a tenant are under the empty string.</summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByTenant() => Group(static r => r.TenantId ?? string.Empty);

    /// <summary>Gets the totals per operation.</summary>
    public IReadOnlyDictionary<UsageOperation, UsageSummary> TotalsByOperation() => Group(static r => r.Operation);

    /// <summary>
    /// Gets the totals per exact <see cref="UsageRecord.ScopePath"/> (a parent's key holds only the records made
    /// directly in it; use <see cref="TotalsForScope"/> for a scope with its children). Records made outside any
    /// scope are under the empty string.
    /// </summary>
    public IReadOnlyDictionary<string, UsageSummary> TotalsByScope() => Group(static r => r.ScopePath ?? string.Empty);

    /// <summary>
    /// Gets the totals of a scope and every scope nested in it, as <see cref="UsageScope.Totals"/> counts them:
    /// records whose <see cref="UsageRecord.ScopePath"/> is <paramref name="scopePath"/> or starts with it followed by <c>/</c>.
    /// </summary>
    /// <param name="scopePath">The scope's path, for example <c>"agent-run"</c> or <c>"agent-run/extract"</c>.</param>
    public UsageSummary TotalsForScope(string scopePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(scopePath);
        return TotalsWhere(r => UsageRecordFormatter.IsInScope(r, scopePath));
    }

    /// <summary>Forgets every record and stage failure and resets the flush count and id sequence.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _records.Clear();
            _stageFailures.Clear();
            Interlocked.Exchange(ref _ids, 0);
            Interlocked.Exchange(ref _flushes, 0);
        }
    }

    /// <summary>Gets a readable listing of what was recorded, one record per line (what assertion failures show).</summary>
    public string Dump() => UsageRecordFormatter.Dump(Records);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"FakeUsageRecorder: {Count} records");

    private static UsageSummary Summary(UsageRecord record) => UsageSummary.Of(record);

    private Dictionary<TKey, UsageSummary> Group<TKey>(Func<UsageRecord, TKey> key)
        where TKey : notnull
    {
        var result = new Dictionary<TKey, UsageSummary>();
        foreach (var record in Records)
        {
            var k = key(record);
            result[k] = result.TryGetValue(k, out var sum) ? sum + Summary(record) : Summary(record);
        }

        return result;
    }

    private string NextId() => string.Create(CultureInfo.InvariantCulture, $"fake-{Interlocked.Increment(ref _ids):D6}");

    private void AddStageFailure(Exception exception)
    {
        lock (_gate)
        {
            _stageFailures.Add(exception);
        }
    }
}
