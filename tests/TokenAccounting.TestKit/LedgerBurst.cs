using System.Globalization;
using Shouldly;

namespace TokenAccounting.TestKit;

/// <summary>
/// A one-producer burst through a real recorder with default options into one ledger, and the check that the ledger's
/// day-aligned totals are what was recorded, whatever the pipeline dropped (issue 13 §3: the embedded ledgers stay
/// exact under overload).
/// </summary>
public static class LedgerBurst
{
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro"];

    /// <summary>The i-th record of a burst: four models over two days, twenty users, audio counts, every cost part, a seventh unpriced.</summary>
    public static UsageRecord Record(int i) => new()
    {
        Id = "r" + i.ToString(CultureInfo.InvariantCulture),
        Model = Models[i % Models.Length],
        Provider = "openai",
        Tokens = new TokenCounts(100 + (i % 977), 10 + (i % 131), cachedInput: i % 50)
            .WithAudio(inputAudio: ((i % 50) / 2) + (i % 30), cachedInputAudio: (i % 50) / 2, outputAudio: i % 11),
        CompletedAt = LedgerUsage.Day1.AddDays(i % 3 == 0 ? 1 : 0).AddSeconds(i % 80_000),
        UserId = "user-" + (i % 20).ToString(CultureInfo.InvariantCulture),
        Cost = i % 7 == 0
            ? null
            : i % 5 == 0
                ? new UsageCost(0.000001m * (i % 1000), 0m, 0m, 0.000002m * (i % 100), 0m, 0m, 0.00004m * (i % 30), 0.000001m, 0.00008m * (i % 11), 0.0001m, 0.01m * (i % 3))
                : new UsageCost(0.000001m * (i % 1000), 0m, 0m, 0.000002m * (i % 100), 0m),
    };

    /// <summary>
    /// Records <paramref name="count"/> records from one thread as fast as it can into <paramref name="sink"/> through a
    /// recorder with default options, delivers what is buffered, disposes the recorder, and checks that every detail
    /// was delivered or counted as dropped.
    /// </summary>
    /// <returns>The sums per (UTC day, model) of what was recorded, and the sink's delivery figures.</returns>
    public static async Task<(Dictionary<(DateOnly Date, string Model), BurstSums> Expected, UsageSinkDiagnostics Delivery)> RunAsync(IUsageSink sink, int count)
    {
        var recorder = UsageRecorder.Create(sink);
        var expected = new Dictionary<(DateOnly, string), BurstSums>();
        for (var i = 0; i < count; i++)
        {
            var record = Record(i);
            recorder.Record(record);
            var key = (DateOnly.FromDateTime(record.CompletedAt!.Value.UtcDateTime), record.Model);
            expected[key] = expected.GetValueOrDefault(key).Add(record);
        }

        // Deliver everything before disposing: each flush is bounded by FlushTimeout, and a slow (shared) machine may
        // need several. What is still buffered at shutdown would be counted, but the callers want it in the ledger.
        for (var flush = 0; flush < 30 && recorder.GetDiagnostics().Sinks[0].BufferedRecords > 0; flush++)
        {
            await recorder.FlushAsync();
        }

        await recorder.DisposeAsync();

        var diagnostics = recorder.GetDiagnostics();
        var delivery = diagnostics.Sinks.ShouldHaveSingleItem();
        diagnostics.RecordsAccepted.ShouldBe(count);
        (delivery.QuarantinedRecords, delivery.BufferedRecords, delivery.PendingRollups).ShouldBe((0L, 0, 0));
        (delivery.DeliveredRecords + delivery.DroppedRecords).ShouldBe(count, "every detail is delivered or counted as dropped");
        return (expected, delivery);
    }

    /// <summary>Checks a query grouped by date and model over the burst's days against what was recorded: every count and every cost part.</summary>
    public static void ShouldMatch(UsageQueryResult result, Dictionary<(DateOnly Date, string Model), BurstSums> expected, UsageSinkDiagnostics delivery)
    {
        result.Source.ShouldBe(UsageQuerySource.Rollups);
        result.Rows.Count.ShouldBe(expected.Count);
        foreach (var row in result.Rows)
        {
            var sums = expected[(row.Date!.Value, row.Model!)];
            (row.RequestCount, row.Tokens, row.Cost, row.UnpricedRequestCount)
                .ShouldBe((sums.Requests, sums.Tokens, sums.Cost, sums.Unpriced), $"{row.Date} {row.Model} (dropped {delivery.DroppedRecords:N0} details)");
            row.Cost!.Total.ShouldBe(sums.Cost!.Total);
        }
    }

    /// <summary>The query of a whole burst: its three UTC days, by date and model.</summary>
    public static UsageQuery Query => new(LedgerUsage.Day1, LedgerUsage.Day1.AddDays(3)) { GroupBy = [UsageDimension.Date, UsageDimension.Model] };
}

/// <summary>What a burst recorded for one (day, model).</summary>
/// <param name="Requests">The records.</param>
/// <param name="Tokens">Their token sum.</param>
/// <param name="Cost">The sum of the priced records' costs, or null.</param>
/// <param name="Unpriced">The records without a cost.</param>
public readonly record struct BurstSums(long Requests, TokenCounts Tokens, UsageCost? Cost, long Unpriced)
{
    /// <summary>These sums with <paramref name="record"/> added.</summary>
    public BurstSums Add(UsageRecord record) => new(
        Requests + 1,
        Tokens + record.Tokens,
        record.Cost is null ? Cost : Cost is null ? record.Cost : Cost + record.Cost,
        Unpriced + (record.Cost is null ? 1 : 0));
}
