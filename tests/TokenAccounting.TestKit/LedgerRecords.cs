using Shouldly;

namespace TokenAccounting.TestKit;

/// <summary>Records with every field set, and a field-by-field comparison, for the SQL ledgers' round-trip tests.</summary>
public static class LedgerRecords
{
    /// <summary>
    /// A record with every field set to a distinct value (so a swapped column shows), including the audio counts, server
    /// tool calls and every cost part; times and latency at whole microseconds (PostgreSQL's resolution).
    /// </summary>
    public static UsageRecord Full(string id, DateTimeOffset completedAt) => new()
    {
        Id = id,
        Model = "gpt-4o-realtime",
        ResponseModel = "gpt-4o-realtime-2025-06-03",
        Provider = "openai",
        Operation = new UsageOperation("realtime"),
        Tokens = new TokenCounts(1000, 400, 300, 200, 100, 50, inputAudio: 250, cachedInputAudio: 120, outputAudio: 150),
        Provenance = UsageProvenance.Estimated,
        Outcome = UsageOutcome.Cancelled,
        DegradedReason = "empty_completion",
        StartedAt = completedAt.AddMilliseconds(-1500.25),
        CompletedAt = completedAt,
        Latency = TimeSpan.FromTicks(15_002_500),
        StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(250.5), ["price"] = TimeSpan.FromMilliseconds(0.125) },
        HistoryLength = 7,
        CorrelationId = "c-1",
        UserId = "u1",
        TenantId = "t1",
        ApiKeyId = "k1",
        Route = "/chat",
        ServiceTier = "priority",
        ScopePath = "agent/step",
        Tags = new Dictionary<string, string> { ["feature"] = "search", ["é"] = "ünïcode \"quoted\"" },
        ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 3, ["code_interpreter"] = 1 },
        Cost = new UsageCost(0.001m, 0.0002m, 0.003m, 0.004m, 0.0005m, 0.001m, 0.0061m, 0.00007m, 0.008m, 0.005m, 0.03m),
        Text = "hello",
        IsUnpaired = true,
    };

    /// <summary>Asserts that <paramref name="actual"/> holds every field of <paramref name="expected"/> (dictionaries by content, times as instants).</summary>
    public static void ShouldMatch(this UsageRecord actual, UsageRecord expected)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        actual.Id.ShouldBe(expected.Id);
        actual.Model.ShouldBe(expected.Model);
        actual.ResponseModel.ShouldBe(expected.ResponseModel);
        actual.Provider.ShouldBe(expected.Provider);
        actual.Operation.ShouldBe(expected.Operation);
        actual.Tokens.ShouldBe(expected.Tokens);
        actual.Provenance.ShouldBe(expected.Provenance);
        actual.Outcome.ShouldBe(expected.Outcome);
        actual.DegradedReason.ShouldBe(expected.DegradedReason);
        actual.StartedAt.ShouldBe(expected.StartedAt);
        actual.CompletedAt.ShouldBe(expected.CompletedAt);
        actual.Latency.ShouldBe(expected.Latency);
        Sorted(actual.StageDurations).ShouldBe(Sorted(expected.StageDurations));
        actual.HistoryLength.ShouldBe(expected.HistoryLength);
        actual.CorrelationId.ShouldBe(expected.CorrelationId);
        actual.UserId.ShouldBe(expected.UserId);
        actual.TenantId.ShouldBe(expected.TenantId);
        actual.ApiKeyId.ShouldBe(expected.ApiKeyId);
        actual.Route.ShouldBe(expected.Route);
        actual.ServiceTier.ShouldBe(expected.ServiceTier);
        actual.ScopePath.ShouldBe(expected.ScopePath);
        Sorted(actual.Tags).ShouldBe(Sorted(expected.Tags));
        Sorted(actual.ServerToolCalls).ShouldBe(Sorted(expected.ServerToolCalls));
        actual.Cost.ShouldBe(expected.Cost);
        actual.Text.ShouldBe(expected.Text);
        actual.IsUnpaired.ShouldBe(expected.IsUnpaired);
    }

    private static string[]? Sorted<TValue>(IReadOnlyDictionary<string, TValue>? values) =>
        values?.Select(p => p.Key + "=" + Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToArray();
}
