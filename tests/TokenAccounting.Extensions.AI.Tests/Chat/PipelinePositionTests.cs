using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

/// <summary>
/// Where <c>UseTokenAccounting()</c> sits in a <see cref="ChatClientBuilder"/> pipeline decides what one record is;
/// stacked with <c>UseOpenTelemetry()</c>, neither meter counts a call twice.
/// </summary>
public sealed class PipelinePositionTests
{
    private static readonly AIFunction Lookup = AIFunctionFactory.Create((string query) => "result for " + query, "lookup");

    private static ChatOptions ToolOptions => new() { Tools = [Lookup] };

    private static UsageDetails RoundUsage(int round) => new()
    {
        InputTokenCount = 100 + (50 * round),
        OutputTokenCount = 10 + round,
        CachedInputTokenCount = 40 * round,
        TotalTokenCount = 110 + (51 * round),
    };

    [Fact]
    public async Task UseTokenAccounting_BelowFunctionInvocation_OneRecordPerModelRoundTrip()
    {
        var recorder = new CapturingRecorder();
        var model = new ToolLoopModel { ToolRounds = 2, UsageOf = RoundUsage };
        using var client = new ChatClientBuilder(model).UseFunctionInvocation().UseTokenAccounting(recorder).Build();

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "look it up twice")], ToolOptions);

        response.Text.ShouldBe("done");
        model.CallCount.ShouldBe(3);
        recorder.Records.Select(r => r.Tokens).ShouldBe(
        [
            new TokenCounts(100, 10),
            new TokenCounts(150, 11, cachedInput: 40),
            new TokenCounts(200, 12, cachedInput: 80),
        ]);
        recorder.Records.Select(r => r.HistoryLength).ShouldBe([1, 3, 5]);
        recorder.Records.ShouldAllBe(r => r.Outcome == UsageOutcome.Succeeded && r.Provenance == UsageProvenance.Reported);
    }

    [Fact]
    public async Task UseTokenAccounting_AboveFunctionInvocation_OneRecordPerUserCallWithSummedUsage()
    {
        var recorder = new CapturingRecorder();
        var model = new ToolLoopModel { ToolRounds = 2, UsageOf = RoundUsage };
        using var client = new ChatClientBuilder(model).UseTokenAccounting(recorder).UseFunctionInvocation().Build();

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "look it up twice")], ToolOptions);

        model.CallCount.ShouldBe(3);
        var record = recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(450, 33, cachedInput: 120));
        record.HistoryLength.ShouldBe(1);
    }

    [Fact]
    public async Task UseTokenAccounting_BelowFunctionInvocationStreaming_OneRecordPerRoundTrip()
    {
        var recorder = new CapturingRecorder();
        var model = new ToolLoopModel { ToolRounds = 1, UsageOf = RoundUsage };
        using var client = new ChatClientBuilder(model).UseFunctionInvocation().UseTokenAccounting(recorder).Build();

        var text = string.Empty;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "look it up")], ToolOptions))
        {
            text += update.Text;
        }

        text.ShouldBe("done");
        recorder.Records.Select(r => r.Tokens).ShouldBe([new TokenCounts(100, 10), new TokenCounts(150, 11, cachedInput: 40)]);
    }

    [Fact]
    public async Task UseTokenAccounting_AboveFunctionInvocationStreaming_OneRecordWithSummedUsage()
    {
        var recorder = new CapturingRecorder();
        var model = new ToolLoopModel { ToolRounds = 1, UsageOf = RoundUsage };
        using var client = new ChatClientBuilder(model).UseTokenAccounting(recorder).UseFunctionInvocation().Build();

        await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "look it up")], ToolOptions))
        {
        }

        recorder.Records.ShouldHaveSingleItem().Tokens.ShouldBe(new TokenCounts(250, 21, cachedInput: 40));
    }

    [Fact]
    public async Task UseTokenAccounting_StackedWithUseOpenTelemetry_EachMeterCountsEveryRoundTripOnce()
    {
        var otelSource = "TokenAccounting.Tests.OTel." + Guid.NewGuid().ToString("N");
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddTokenAccounting().AddInMemorySink();
        var model = new ToolLoopModel { ToolRounds = 2, UsageOf = RoundUsage };
        services.AddChatClient(model)
            .UseFunctionInvocation()
            .UseOpenTelemetry(sourceName: otelSource)
            .UseTokenAccounting();
        await using var provider = services.BuildServiceProvider();
        using var ours = new MetricCollector<long>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TokenAccountingDiagnostics.MeterName, "gen_ai.client.token.usage");
        using var theirs = new MetricCollector<int>(meterScope: null, otelSource, "gen_ai.client.token.usage");
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == otelSource,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);

        await provider.GetRequiredService<IChatClient>().GetResponseAsync([new ChatMessage(ChatRole.User, "look it up twice")], ToolOptions);
        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();

        provider.GetRequiredService<InMemoryUsageSink>().Records.Count.ShouldBe(3);
        Inputs(ours).ShouldBe([100, 150, 200]);
        Inputs(theirs).ShouldBe([100, 150, 200]);

        // Accounting below the OpenTelemetry client enriches that client's span of each round trip with the same
        // counts it set (FunctionInvokingChatClient's own span of the whole loop carries the sum, 450).
        var chatSpans = spans.Where(s => s.GetTagItem("gen_ai.operation.name") as string == "chat").ToList();
        chatSpans.Select(s => Convert.ToInt64(s.GetTagItem("gen_ai.usage.input_tokens"), System.Globalization.CultureInfo.InvariantCulture)).ShouldBe([100L, 150L, 200L]);
    }

    private static List<long> Inputs<T>(MetricCollector<T> collector)
        where T : struct =>
        [.. collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["gen_ai.token.type"], "input")).Select(m => Convert.ToInt64(m.Value, System.Globalization.CultureInfo.InvariantCulture))];
}
