using System.Collections.Frozen;
using System.Reflection;

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

    [Fact]
    public void With_EmptyCopyOfARecordWithEveryFieldSet_CopiesEveryFieldButTheValidationMark()
    {
        // The copy constructor is written by hand (to leave the mark out): this fails for a field added without it.
        var fields = typeof(UsageRecord).GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(f => f.Name != "_validated")
            .ToArray();
        var original = new UsageRecord { Model = "m" };
        foreach (var field in fields)
        {
            field.SetValue(original, SampleOf(field.FieldType, field.Name));
        }

        original.Validate();
        var copy = original with { };

        foreach (var field in fields)
        {
            var value = field.GetValue(copy);
            value.ShouldBe(field.GetValue(original), $"the copy constructor must copy {field.Name}");
            value.ShouldNotBe(SampleOf(field.FieldType, field.Name, unset: true), $"{field.Name} was given a value to copy");
        }

        var mark = typeof(UsageRecord).GetField("_validated", BindingFlags.Instance | BindingFlags.NonPublic)!;
        mark.FieldType.GetProperty("Record")!.GetValue(mark.GetValue(copy)).ShouldBeNull("a copy neither counts as validated nor keeps the original alive");
        mark.FieldType.GetProperty("Record")!.GetValue(mark.GetValue(original)).ShouldBeSameAs(original);
    }

    private static object? SampleOf(Type type, string field, bool unset = false)
    {
        if (unset)
        {
            return type.IsValueType ? Activator.CreateInstance(type) : null;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying switch
        {
            _ when underlying == typeof(string) => "value-" + field.Trim('<', '_').Split('>')[0],
            _ when underlying == typeof(int) => 3,
            _ when underlying == typeof(bool) => true,
            _ when underlying == typeof(DateTimeOffset) => new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero),
            _ when underlying == typeof(TimeSpan) => TimeSpan.FromSeconds(2),
            _ when underlying == typeof(TokenCounts) => new TokenCounts(10, 5),
            _ when underlying == typeof(UsageOperation) => UsageOperation.Embeddings,
            _ when underlying == typeof(UsageOutcome) => UsageOutcome.Failed,
            _ when underlying == typeof(UsageProvenance) => UsageProvenance.Estimated,
            _ when underlying == typeof(UsageCost) => new UsageCost(1m, 0m, 0m, 2m, 0m),
            _ when underlying == typeof(IReadOnlyDictionary<string, string>) => new Dictionary<string, string> { ["k"] = "v" }.ToFrozenDictionary(),
            _ when underlying == typeof(IReadOnlyDictionary<string, TimeSpan>) => new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromSeconds(1) }.ToFrozenDictionary(),
            _ when underlying == typeof(IReadOnlyDictionary<string, long>) => new Dictionary<string, long> { ["web_search"] = 2 }.ToFrozenDictionary(),
            _ => throw new InvalidOperationException($"Give the new field {field} of type {type} a sample value here."),
        };
    }
}
