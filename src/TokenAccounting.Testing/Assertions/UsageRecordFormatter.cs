using System.Globalization;
using System.Text;

namespace TokenAccounting.Testing;

/// <summary>Readable one-line-per-record listings for assertion messages and <see cref="FakeUsageRecorder.Dump"/>.</summary>
internal static class UsageRecordFormatter
{
    public static bool IsInScope(UsageRecord record, string scopePath) =>
        record.ScopePath is { } path
        && path.StartsWith(scopePath, StringComparison.Ordinal)
        && (path.Length == scopePath.Length || path[scopePath.Length] == '/');

    public static string Dump(IReadOnlyList<UsageRecord> records, Func<UsageRecord, bool>? marked = null)
    {
        if (records.Count == 0)
        {
            return "(nothing recorded)";
        }

        var builder = new StringBuilder();
        for (var i = 0; i < records.Count; i++)
        {
            if (i > 0)
            {
                builder.Append('\n');
            }

            builder.Append(marked is not null && marked(records[i]) ? "* #" : "  #").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Line(records[i]));
        }

        return builder.ToString();
    }

    public static string Line(UsageRecord record)
    {
        var builder = new StringBuilder();
        builder.Append(record.Operation.ToString()).Append(' ').Append(record.Model);
        if (record.Provider is { } provider)
        {
            builder.Append(" (").Append(provider).Append(')');
        }

        var t = record.Tokens;
        builder.Append(" in=").Append(Number(t.Input)).Append(" out=").Append(Number(t.Output));
        AppendIfNonZero(builder, "cached", t.CachedInput);
        AppendIfNonZero(builder, "cache-write", t.CacheWriteInput);
        AppendIfNonZero(builder, "cache-write-1h", t.CacheWriteLongTtlInput);
        AppendIfNonZero(builder, "reasoning", t.Reasoning);
        builder.Append(" cost=").Append(record.Cost is { } cost ? Money(cost.Total) : "unpriced");
        if (record.Outcome != UsageOutcome.Succeeded)
        {
            builder.Append(" outcome=").Append(record.Outcome.ToString());
        }

        if (record.Provenance != UsageProvenance.Reported)
        {
            builder.Append(" provenance=").Append(record.Provenance.ToString());
        }

        AppendIfSet(builder, "user", record.UserId);
        AppendIfSet(builder, "tenant", record.TenantId);
        AppendIfSet(builder, "scope", record.ScopePath);
        if (record.Tags is { Count: > 0 } tags)
        {
            builder.Append(" tags={");
            var first = true;
            foreach (var pair in tags.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                builder.Append(first ? string.Empty : ", ").Append(pair.Key).Append('=').Append(pair.Value);
                first = false;
            }

            builder.Append('}');
        }

        AppendIfSet(builder, "id", record.Id);
        return builder.ToString();
    }

    /// <summary>Formats an amount without trailing zeros, so equal amounts of different scale (0.0036m, 0.003600m) read alike.</summary>
    public static string Money(decimal value) => "$" + value.ToString("0.############################", CultureInfo.InvariantCulture);

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void AppendIfNonZero(StringBuilder builder, string name, long value)
    {
        if (value != 0)
        {
            builder.Append(' ').Append(name).Append('=').Append(Number(value));
        }
    }

    private static void AppendIfSet(StringBuilder builder, string name, string? value)
    {
        if (value is not null)
        {
            builder.Append(' ').Append(name).Append('=').Append(value);
        }
    }
}
