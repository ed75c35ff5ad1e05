using System.Diagnostics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The gen_ai.usage.* tags <c>Record()</c> puts on <see cref="Activity.Current"/>, only when it is recorded.</summary>
public sealed class UsageActivityTagsTests : IDisposable
{
    private readonly ActivitySource _source = new($"TokenAccounting.Tests.{Guid.NewGuid():N}");
    private readonly ActivityListener _listener;
    private ActivitySamplingResult _sampling = ActivitySamplingResult.AllDataAndRecorded;

    public UsageActivityTagsTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, _source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => _sampling,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _source.Dispose();
    }

    [Fact]
    public async Task Record_RecordedActivity_SetsGenAiUsageTags()
    {
        await using var recorder = UsageRecorder.Create();
        using var activity = _source.StartActivity("chat gpt-4o").ShouldNotBeNull();
        activity.IsAllDataRequested.ShouldBeTrue();

        recorder.Record(new UsageRecord
        {
            Model = "gpt-4o",
            Tokens = new TokenCounts(input: 1200, output: 300, cachedInput: 800, cacheWriteInput: 200, reasoning: 100),
        });

        activity.GetTagItem("gen_ai.usage.input_tokens").ShouldBe(1200L);
        activity.GetTagItem("gen_ai.usage.output_tokens").ShouldBe(300L);
        activity.GetTagItem("gen_ai.usage.cache_read.input_tokens").ShouldBe(800L);
        activity.GetTagItem("gen_ai.usage.cache_creation.input_tokens").ShouldBe(200L);
        activity.GetTagItem("gen_ai.usage.reasoning.output_tokens").ShouldBe(100L);
        activity.GetTagItem("tokenaccounting.cost.usd").ShouldBeNull("the record carried no cost");
    }

    [Fact]
    public async Task Record_ActivityNotRecorded_SetsNoTags()
    {
        _sampling = ActivitySamplingResult.PropagationData;
        await using var recorder = UsageRecorder.Create();
        using var activity = _source.StartActivity("chat gpt-4o").ShouldNotBeNull();
        activity.IsAllDataRequested.ShouldBeFalse();

        recorder.Record(new UsageRecord { Model = "gpt-4o", Tokens = new TokenCounts(1200, 300, 800, 200, 0, 100), Cost = new UsageCost(1, 0, 0, 1, 0) });

        activity.TagObjects.ShouldBeEmpty();
    }

    [Fact]
    public async Task Record_NoCacheOrReasoning_SetsOnlyInputAndOutput()
    {
        await using var recorder = UsageRecorder.Create();
        using var activity = _source.StartActivity("embeddings").ShouldNotBeNull();

        recorder.Record(Usage.Embedding("text-embedding-3-small", 512));

        activity.TagObjects.Select(t => t.Key).ShouldBe(["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"], ignoreOrder: true);
        activity.GetTagItem("gen_ai.usage.input_tokens").ShouldBe(512L);
        activity.GetTagItem("gen_ai.usage.output_tokens").ShouldBe(0L);
    }

    [Fact]
    public async Task Record_RecordCarryingCost_SetsCostTagInUsd()
    {
        await using var recorder = UsageRecorder.Create();
        using var activity = _source.StartActivity("chat").ShouldNotBeNull();

        recorder.Record(Usage.Chat("gpt-4o", 10, 2) with { Cost = new UsageCost(0.0025m, 0, 0, 0.001m, 0) });

        activity.GetTagItem("tokenaccounting.cost.usd").ShouldBeOfType<double>().ShouldBe(0.0035, tolerance: 1e-12);
    }

    [Fact]
    public void Apply_PricerAndNoCostOnRecord_SetsThePricedCost()
    {
        using var activity = _source.StartActivity("chat").ShouldNotBeNull();

        UsageActivityTags.Apply(activity, Usage.Chat("gpt-4o", 10, 2), _ => new UsageCost(0.5m, 0, 0, 0.25m, 0));

        activity.GetTagItem("tokenaccounting.cost.usd").ShouldBe(0.75);
        activity.GetTagItem("gen_ai.usage.input_tokens").ShouldBe(10L);
    }

    [Fact]
    public void Apply_RecordCarriesCost_PrefersItOverThePricer()
    {
        using var activity = _source.StartActivity("chat").ShouldNotBeNull();

        UsageActivityTags.Apply(activity, Usage.Chat("gpt-4o", 10, 2) with { Cost = new UsageCost(0.125m, 0, 0, 0, 0) }, _ => throw new InvalidOperationException("must not be called"));

        activity.GetTagItem("tokenaccounting.cost.usd").ShouldBe(0.125);
    }

    [Fact]
    public void Apply_PricerThrowsOrKnowsNoPrice_LeavesCostOffAndDoesNotThrow()
    {
        using var throwing = _source.StartActivity("chat").ShouldNotBeNull();
        UsageActivityTags.Apply(throwing, Usage.Chat("gpt-4o", 10, 2), _ => throw new InvalidOperationException("catalog broken"));
        throwing.GetTagItem("tokenaccounting.cost.usd").ShouldBeNull();
        throwing.GetTagItem("gen_ai.usage.output_tokens").ShouldBe(2L);

        using var unknown = _source.StartActivity("chat").ShouldNotBeNull();
        UsageActivityTags.Apply(unknown, Usage.Chat("no-such-model", 10, 2), _ => null);
        unknown.GetTagItem("tokenaccounting.cost.usd").ShouldBeNull();
    }
}
