using System.Globalization;

namespace TokenAccounting;

/// <summary>
/// What every recorder does to a record besides storing it, in one place so the pipeline's
/// <see cref="UsageRecorder"/> and the synchronous <c>FakeUsageRecorder</c> of TokenAccounting.Testing cannot drift
/// apart: attribution into the open scopes on the caller's flow (<see cref="Attribute(UsageRecord, TimeProvider)"/>), then enrichment — id,
/// completed-at, the user, tenant, API key id, route, tags and scope path inherited from the innermost scope, text stripping, pricing
/// and the priced cost added to the scopes that received the tokens (<see cref="Enrich"/>).
/// </summary>
/// <remarks>
/// Validation is not here: both recorders call <see cref="UsageRecord.Validate"/> first, so a rule added there holds
/// for both. <see cref="Enrich"/> may run on another thread than <see cref="Attribute(UsageRecord, TimeProvider)"/> (the aggregator); it must not
/// read the caller's AsyncLocal state, only what the <see cref="IngestItem"/> captured.
/// </remarks>
internal sealed class UsageEnrichment
{
    private readonly bool _captureText;
    private readonly Func<UsageRecord, UsageCost?>? _pricer;
    private readonly Action<Exception, string>? _stageFailed;
    private readonly Action<UsageRecord>? _unpriced;
    private readonly Func<string> _nextId;

    /// <param name="captureText">Whether <see cref="UsageRecord.Text"/> is kept (<see cref="TokenAccountingOptions.CaptureText"/>).</param>
    /// <param name="pricer">Prices records that carry no cost, or null for none.</param>
    /// <param name="stageFailed">Told when the pricer throws (the record is still delivered, unpriced), with the stage name.</param>
    /// <param name="nextId">Makes ids for records without one; unique random-prefixed ids (<see cref="IdGenerator"/>) when null.</param>
    /// <param name="unpriced">Told about each record the pricer found no price for (the recorder warns once per model), or null.</param>
    public UsageEnrichment(bool captureText, Func<UsageRecord, UsageCost?>? pricer, Action<Exception, string>? stageFailed, Func<string>? nextId = null, Action<UsageRecord>? unpriced = null)
    {
        _captureText = captureText;
        _pricer = pricer;
        _stageFailed = stageFailed;
        _unpriced = unpriced;
        _nextId = nextId ?? new IdGenerator().Next;
    }

    /// <summary>Makes an id for a record that has none (also used when enrichment itself failed).</summary>
    public string NextId() => _nextId();

    /// <summary>Gets whether <see cref="UsageRecord.Text"/> is kept.</summary>
    public bool CaptureText => _captureText;

    /// <summary>Gets whether a pricer is set (the metrics count unpriced records only then).</summary>
    public bool HasPricer => _pricer is not null;

    /// <summary>
    /// On the caller's flow: adds the record's tokens into every open scope on the chain and fixes what must be read
    /// now — the innermost open scope, which scopes received it, and the completion time (stamped when absent).
    /// </summary>
    /// <param name="record">A validated record.</param>
    /// <param name="time">The recorder's clock.</param>
    public static IngestItem Attribute(UsageRecord record, TimeProvider time) => Attribute(record, time, Environment.CurrentManagedThreadId);

    /// <summary><see cref="Attribute(UsageRecord, TimeProvider)"/> for a caller that has read its thread's id already.</summary>
    /// <param name="record">A validated record.</param>
    /// <param name="time">The recorder's clock.</param>
    /// <param name="threadId">The calling thread's <see cref="Environment.CurrentManagedThreadId"/>.</param>
    public static IngestItem Attribute(UsageRecord record, TimeProvider time, int threadId)
    {
        var scope = UsageScope.NearestOpen(UsageScope.CurrentRaw);
        var mask = scope is null ? 0UL : UsageScope.AddToChain(scope, record.Operation, record.Model, record.Tokens, threadId);
        return new IngestItem(record, scope, mask, record.CompletedAt ?? CompletionTime(record, time));
    }

    /// <summary>
    /// The completion time stamped on a record without one: now, but never before its <see cref="UsageRecord.StartedAt"/>
    /// (a start stamped by another machine's clock can be ahead of this one's), so the record still holds to the rules.
    /// </summary>
    private static DateTimeOffset CompletionTime(UsageRecord record, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return record.StartedAt is { } started && started > now ? started : now;
    }

    /// <summary>
    /// Completes a record attributed by <see cref="Attribute(UsageRecord, TimeProvider)"/>: id when absent, completed-at, the innermost scope's
    /// user, tenant and tags unless the record set its own (the record's tag wins per key), the scope path, text
    /// stripped unless captured, the cost from the pricer when absent (a throwing pricer leaves it unpriced), and
    /// the cost (or, unpriced, the count of unpriced records) added to the scopes that received the tokens. Allocates
    /// a new record only when something changed. With <paramref name="detailKept"/> false (the pipeline keeps only the
    /// rollup of a record that overflowed the ingest queue: its detail never reaches a sink) a record without an id is
    /// not given one — nothing would read it, and making it is a string per record while the pipeline is behind.
    /// </summary>
    public UsageRecord Enrich(in IngestItem item, bool detailKept = true)
    {
        var record = item.Record;
        var scope = item.Scope;
        var userId = record.UserId ?? scope?.EffectiveUserId;
        var tenantId = record.TenantId ?? scope?.EffectiveTenantId;
        var tags = MergeTags(scope?.EffectiveTags, record.Tags);
        var scopePath = record.ScopePath ?? scope?.Path;
        var apiKeyId = record.ApiKeyId ?? scope?.EffectiveApiKeyId;
        var route = record.Route ?? scope?.EffectiveRoute;
        var text = _captureText ? record.Text : null;
        var copied = false;
        if ((record.Id is null && detailKept) || record.CompletedAt is null || !ReferenceEquals(userId, record.UserId) || !ReferenceEquals(tenantId, record.TenantId)
            || !ReferenceEquals(tags, record.Tags) || !ReferenceEquals(scopePath, record.ScopePath) || !ReferenceEquals(text, record.Text)
            || !ReferenceEquals(apiKeyId, record.ApiKeyId) || !ReferenceEquals(route, record.Route))
        {
            copied = true;
            record = record with
            {
                Id = record.Id ?? (detailKept ? _nextId() : null),
                CompletedAt = item.CompletedAt,
                UserId = userId,
                TenantId = tenantId,
                Tags = tags,
                ScopePath = scopePath,
                ApiKeyId = apiKeyId,
                Route = route,
                Text = text,
            };
        }

        if (record.Cost is null && _pricer is not null)
        {
            try
            {
                if (_pricer(record) is { } cost)
                {
                    // The copy above is this stage's own until it is returned: price it in place (one copy per record).
                    if (copied)
                    {
                        record.SetCostOfUnpublishedCopy(cost);
                    }
                    else
                    {
                        record = record with { Cost = cost };
                    }
                }
                else
                {
                    _unpriced?.Invoke(record);
                }
            }
            catch (Exception ex)
            {
                _stageFailed?.Invoke(ex, "pricing");
            }
        }

        if (scope is not null)
        {
            // On the aggregator, not the caller's path; an unpriced record is counted as such, as the rollups count it.
            if (record.Cost is { } priced)
            {
                UsageScope.AddCostToChain(scope, item.OpenScopeMask, record.Operation, record.Model, priced);
            }
            else
            {
                UsageScope.AddUnpricedToChain(scope, item.OpenScopeMask, record.Operation, record.Model);
            }
        }

        return record;
    }

    /// <summary>
    /// The record's tags over its scopes' (the record's tag wins per key), within <see cref="UsageRecordLimits.MaxTagCount"/>:
    /// a record and a chain of scopes may each carry the maximum, so when together they carry more, every one of the
    /// record's own tags is kept and the scopes' fill the room left, in their order. That is reported as a stage failure
    /// (counted in <c>StageFailures</c>, logged once per episode); the record is delivered, not quarantined by a sink
    /// whose reader would reject a line with too many tags.
    /// </summary>
    private IReadOnlyDictionary<string, string>? MergeTags(IReadOnlyDictionary<string, string>? scopeTags, IReadOnlyDictionary<string, string>? own)
    {
        var merged = UsageScope.MergeTags(scopeTags, own);
        if (merged is null || merged.Count <= UsageRecordLimits.MaxTagCount || own is null)
        {
            return merged;
        }

        var capped = new Dictionary<string, string>(UsageRecordLimits.MaxTagCount, StringComparer.Ordinal);
        foreach (var pair in own)
        {
            capped[pair.Key] = pair.Value;
        }

        foreach (var pair in scopeTags!)
        {
            if (capped.Count == UsageRecordLimits.MaxTagCount)
            {
                break;
            }

            capped.TryAdd(pair.Key, pair.Value);
        }

        _stageFailed?.Invoke(
            new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"UsageRecord.Tags: with the tags of its scopes the record would carry {merged.Count} tags; at most {UsageRecordLimits.MaxTagCount} are allowed (UsageRecordLimits.MaxTagCount), so {merged.Count - capped.Count} of the scopes' tags were left off (the record's own tags are all kept).")),
            "tags");
        return capped;
    }
}
