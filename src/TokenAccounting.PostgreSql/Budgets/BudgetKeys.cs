using System.Globalization;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// Maps a <see cref="BudgetCounter"/> to the <c>(budget_key, window_key)</c> rows of <c>usage_budget_counters</c>.
/// </summary>
/// <remarks>
/// <para>Budget key: <c>policy:{name length}:{policy name}:{subject key}</c>; the length makes the split unambiguous
/// whatever characters the name holds.</para>
/// <para>Fixed windows: <c>day:yyyy-MM-dd</c>, <c>month:yyyy-MM</c> (UTC) and <c>lifetime</c>.</para>
/// <para>Rolling windows are cut into buckets of <c>w = ⌈Duration / 60⌉</c> (at least one tick), keyed
/// <c>rolling:{Duration ticks}:{bucket start, yyyy-MM-ddTHH:mm:ss.fffffff}</c> (fixed width, so the keys of one window sort
/// by time under the "C" collation). The window at a moment sums the bucket holding it and the 60 before it: an amount
/// counts for at least <c>Duration</c> and at most <c>Duration + w</c>, never less than the in-memory store.</para>
/// </remarks>
internal static class BudgetKeys
{
    /// <summary>The number of whole buckets before the current one that a rolling window sums.</summary>
    public const int RollingBuckets = 60;

    public static string BudgetKey(BudgetCounter counter)
    {
        ArgumentException.ThrowIfNullOrEmpty(counter.PolicyName, nameof(counter));
        return string.Create(CultureInfo.InvariantCulture, $"policy:{counter.PolicyName.Length}:{counter.PolicyName}:{counter.SubjectKey}");
    }

    /// <summary>Gets the fixed window's key; not for rolling windows.</summary>
    public static string FixedWindowKey(BudgetWindow window, DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return window.Kind switch
        {
            BudgetWindowKind.UtcDay => "day:" + utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            BudgetWindowKind.UtcMonth => "month:" + utc.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            BudgetWindowKind.Lifetime => "lifetime",
            _ => throw new ArgumentOutOfRangeException(nameof(window), window, "Only UtcDay, UtcMonth and Lifetime windows have one fixed key."),
        };
    }

    /// <summary>Gets the keys of a rolling window at <paramref name="at"/>: the oldest bucket it sums, the bucket holding <paramref name="at"/>, and the prefix shared by every bucket of the window's duration.</summary>
    public static RollingKeys Rolling(BudgetWindow window, DateTimeOffset at)
    {
        var duration = window.Duration.Ticks;
        if (window.Kind != BudgetWindowKind.Rolling || duration <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "Only a rolling window with a positive duration has buckets.");
        }

        var width = Math.Max(1, (duration + RollingBuckets - 1) / RollingBuckets);
        var index = at.UtcTicks / width;
        var prefix = string.Create(CultureInfo.InvariantCulture, $"rolling:{duration}:");
        return new RollingKeys(
            prefix,
            Bucket(prefix, Math.Max(0, index - RollingBuckets) * width),
            Bucket(prefix, index * width),
            Bucket(prefix, DateTime.MaxValue.Ticks));
    }

    /// <summary>The moment the bucket named <paramref name="bucketKey"/> leaves the window: 61 bucket widths after its start.</summary>
    public static DateTimeOffset LeavesWindowAt(BudgetWindow window, string bucketKey, string prefix)
    {
        var width = Math.Max(1, (window.Duration.Ticks + RollingBuckets - 1) / RollingBuckets);
        var start = DateTime.ParseExact(bucketKey.AsSpan(prefix.Length), "yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).Ticks;
        var leaves = (start / width) + RollingBuckets + 1;
        return leaves > DateTimeOffset.MaxValue.UtcTicks / width ? DateTimeOffset.MaxValue : new DateTimeOffset(leaves * width, TimeSpan.Zero);
    }

    private static string Bucket(string prefix, long startTicks) =>
        prefix + new DateTime(startTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    /// <summary>The keys of a rolling window at one moment.</summary>
    /// <param name="Prefix">Shared by every bucket of this duration.</param>
    /// <param name="Oldest">The oldest bucket the window sums.</param>
    /// <param name="Current">The bucket that holds the moment.</param>
    /// <param name="Last">Sorts after every bucket of this duration.</param>
    public readonly record struct RollingKeys(string Prefix, string Oldest, string Current, string Last);
}
