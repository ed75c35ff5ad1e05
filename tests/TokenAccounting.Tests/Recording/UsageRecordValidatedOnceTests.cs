using System.Collections.Frozen;

namespace TokenAccounting.Tests.Recording;

/// <summary>
/// Validate() remembers an instance that passed, so a record recorded twice (or checked by the tracker, then by Record())
/// is checked once. What it must never let through: a changed copy, or a mutable dictionary changed after the check.
/// </summary>
public sealed class UsageRecordValidatedOnceTests
{
    [Fact]
    public void Validate_WithCopyOfAValidatedRecordBreakingARule_Throws()
    {
        var record = new UsageRecord { Model = "gpt-4o", UserId = "alice", Tokens = new TokenCounts(10, 5) };
        record.Validate();

        var copy = record with { UserId = string.Concat("al", "\0ice") };

        Should.Throw<ArgumentException>(copy.Validate).ParamName.ShouldBe("UserId");
        Should.Throw<ArgumentException>((record with { Latency = TimeSpan.FromSeconds(-1) }).Validate).ParamName.ShouldBe("Latency");
    }

    [Fact]
    public void Validate_MutableTagsChangedAfterAValidation_ChecksThemAgain()
    {
        var tags = new Dictionary<string, string> { ["feature"] = "search" };
        var record = new UsageRecord { Model = "gpt-4o", Tags = tags };
        record.Validate();

        tags["region"] = "eu\0west";

        Should.Throw<ArgumentException>(record.Validate).ParamName.ShouldBe("Tags");
    }

    [Fact]
    public void Validate_MutableStagesAndToolCallsChangedAfterAValidation_ChecksThemAgain()
    {
        var stages = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(5) };
        var tools = new Dictionary<string, long> { ["web_search"] = 1 };
        var record = new UsageRecord { Model = "gpt-4o", StageDurations = stages, ServerToolCalls = tools };
        record.Validate();

        stages["tool"] = TimeSpan.FromMilliseconds(-1);
        Should.Throw<ArgumentOutOfRangeException>(record.Validate).ParamName.ShouldBe("StageDurations");

        stages.Remove("tool");
        tools["web_search"] = -1;
        Should.Throw<ArgumentOutOfRangeException>(record.Validate).ParamName.ShouldBe("ServerToolCalls");
    }

    [Fact]
    public void Record_SameRecordWithFrozenTagsTwice_IsAcceptedAndCountedTwice()
    {
        var sink = new InMemoryUsageSink();
        using var recorder = UsageRecorder.Create(sink);
        using var scope = UsageScope.Begin("run");
        var record = new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(10, 5), Tags = new Dictionary<string, string> { ["a"] = "b" }.ToFrozenDictionary() };

        recorder.Record(record);
        recorder.Record(record);

        scope.Totals.RequestCount.ShouldBe(2);
        scope.Totals.Tokens.ShouldBe(new TokenCounts(20, 10));
    }

    [Fact]
    public void Record_BadCopyOfARecordRecordedBefore_IsRejected()
    {
        using var recorder = UsageRecorder.Create(new InMemoryUsageSink());
        using var scope = UsageScope.Begin("run");
        var record = new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(10, 5) };
        recorder.Record(record);

        Should.Throw<ArgumentException>(() => recorder.Record(record with { Provider = string.Concat("open", "\uD800") })).ParamName.ShouldBe("Provider");

        scope.Totals.RequestCount.ShouldBe(1);
    }

    [Fact]
    public void Equals_ValidatedAndNeverValidatedRecordsWithTheSameContents_AreEqualWithTheSameHashCode()
    {
        var validated = new UsageRecord { Model = "gpt-4o", UserId = "alice", Tokens = new TokenCounts(10, 5) };
        var fresh = new UsageRecord { Model = "gpt-4o", UserId = "alice", Tokens = new TokenCounts(10, 5) };
        validated.Validate();

        validated.ShouldBe(fresh);
        fresh.ShouldBe(validated);
        validated.GetHashCode().ShouldBe(fresh.GetHashCode());
        (validated with { }).ShouldBe(fresh);
        validated.ShouldNotBe(fresh with { UserId = "bob" });
    }
}
