using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.HealthChecks;

public sealed class TokenAccountingHealthCheckTests
{
    private static Task<TestApp> StartAsync(IUsageSink? extraSink = null, Action<TokenAccountingOptions>? options = null, Action<TokenAccountingHealthCheckOptions>? health = null) =>
        TestApp.StartAsync(
            configureAccounting: b =>
            {
                if (extraSink is not null)
                {
                    b.AddSink(extraSink);
                }

                if (options is not null)
                {
                    b.Services.Configure(options);
                }
            },
            configureServices: s => s.AddHealthChecks().AddTokenAccounting(health),
            configureApp: app => app.MapHealthChecks("/health"));

    private static async Task<HealthReportEntry> CheckAsync(TestApp app) =>
        (await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["tokenaccounting"];

    [Fact]
    public async Task Check_SinksDelivering_IsHealthyWithPerSinkFigures()
    {
        await using var app = await StartAsync();
        app.Recorder.Record(Usage.Chat("gpt-4o", 5, 5));
        await app.Recorder.FlushAsync();

        var entry = await CheckAsync(app);

        entry.Status.ShouldBe(HealthStatus.Healthy);
        var sink = entry.Data["InMemoryUsageSink"].ShouldBeAssignableTo<IReadOnlyDictionary<string, object>>()!;
        sink["deliveredRecords"].ShouldBe(1L);
        sink["droppedRecords"].ShouldBe(0L);
        entry.Data["recordsAccepted"].ShouldBe(1L);
        (await app.Client.GetStringAsync("/health")).ShouldBe("Healthy");
    }

    [Fact]
    public async Task Check_SinkFailing_IsDegradedThenUnhealthyAfterTheThreshold()
    {
        var down = new OutageSink();
        await using var app = await StartAsync(down, o => o.MaxBatchSize = 1);
        app.Recorder.Record(Usage.Chat("gpt-4o", 5, 5));
        await Eventually.TrueAsync(() => app.Recorder.GetDiagnostics().Sink("OutageSink")!.FailedAttempts >= 1, "the sink failed once");

        var first = await CheckAsync(app);
        first.Status.ShouldBe(HealthStatus.Degraded);
        first.Description!.ShouldContain("OutageSink is failing");
        var response = await app.Client.GetAsync("/health");
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("Degraded");

        app.Time.Advance(TimeSpan.FromMinutes(6));
        var later = await CheckAsync(app);
        later.Status.ShouldBe(HealthStatus.Unhealthy);
        later.Description!.ShouldContain("OutageSink is failing");
        (await app.Client.GetAsync("/health")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        down.Heal();
        await Eventually.TrueAsync(
            () =>
            {
                // The retry waits on the fake clock: move it until the healed sink's retry has run.
                app.Time.Advance(TimeSpan.FromSeconds(1));
                return app.Recorder.GetDiagnostics().Sink("OutageSink")!.DeliveredBatches >= 1;
            },
            "the healed sink delivered");
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy, "a delivery ends the failure");
    }

    [Fact]
    public async Task Check_DetailsDropped_IsUnhealthyUntilNoNewDrops()
    {
        var hung = new BlockingSink();
        await using var app = await StartAsync(hung, o =>
        {
            o.MaxBatchSize = 10;
            o.MaxBufferedRecords = 10;
        });
        for (var i = 0; i < 25; i++)
        {
            app.Recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        }

        await Eventually.TrueAsync(() => app.Recorder.GetDiagnostics().RecordsAggregated == 25, "the aggregator took every record");
        var dropping = await CheckAsync(app);
        var dropped = app.Recorder.GetDiagnostics().Sink("BlockingSink")!.DroppedRecords;

        dropped.ShouldBeGreaterThanOrEqualTo(15, "the stuck sink holds at most 10 of 25");
        dropping.Status.ShouldBe(HealthStatus.Unhealthy);
        dropping.Description!.ShouldContain($"BlockingSink dropped {dropped} detail records");

        hung.Release();
        await Eventually.TrueAsync(() => app.Recorder.GetDiagnostics().Sink("BlockingSink")!.BufferedRecords == 0, "the released sink delivered what it kept");
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy, "no detail was dropped since the previous check");
    }

    [Fact]
    public async Task Check_BufferAboveThreshold_IsDegraded()
    {
        await using var app = await StartAsync(options: o => o.MaxBufferedRecords = 1000, health: h => h.BufferDegradedFraction = 0.005);
        for (var i = 0; i < 5; i++)
        {
            app.Recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        }

        await Eventually.TrueAsync(() => app.Recorder.GetDiagnostics().Sinks.Single().BufferedRecords == 5, "five records wait for the flush interval");

        var entry = await CheckAsync(app);

        entry.Status.ShouldBe(HealthStatus.Degraded);
        entry.Description!.ShouldContain("buffers 5 of at most 1000 records");
    }

    [Fact]
    public async Task Check_RecordQuarantined_IsDegradedUntilNoNewQuarantine()
    {
        var picky = new RejectingSink("poison-model");
        await using var app = await StartAsync(picky);
        app.Recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        app.Recorder.Record(Usage.Chat("poison-model", 1, 1));
        await app.Recorder.FlushAsync();
        app.Recorder.GetDiagnostics().Sink("RejectingSink")!.QuarantinedRecords.ShouldBe(1);

        var entry = await CheckAsync(app);

        entry.Status.ShouldBe(HealthStatus.Degraded);
        entry.Description!.ShouldContain("RejectingSink quarantined 1 items");
        var sink = entry.Data["RejectingSink"].ShouldBeAssignableTo<IReadOnlyDictionary<string, object>>()!;
        sink["quarantinedRecords"].ShouldBe(1L);
        (await CheckAsync(app)).Status.ShouldBe(HealthStatus.Healthy, "nothing was quarantined since the previous check");
    }

    [Fact]
    public void AddTokenAccounting_BadThreshold_ThrowsNamingTheOption()
    {
        var services = new ServiceCollection();

        Should.Throw<ArgumentOutOfRangeException>(() => services.AddHealthChecks().AddTokenAccounting(o => o.BufferDegradedFraction = 1.5))
            .ParamName.ShouldBe("BufferDegradedFraction");
    }

    /// <summary>Holds every write with records until released (it passes the empty startup probe at once).</summary>
    private sealed class BlockingSink : IUsageSink
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            if (batch.Records.Count > 0)
            {
                await _release.Task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Fails every write with records until healed (it passes the empty startup probe).</summary>
    private sealed class OutageSink : IUsageSink
    {
        private volatile bool _healed;

        public void Heal() => _healed = true;

        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) =>
            batch.Records.Count == 0 || _healed ? ValueTask.CompletedTask : throw new InvalidOperationException("The sink is down.");
    }

    /// <summary>Rejects, by id, every record of one model (a record its store can never hold); writes the rest.</summary>
    private sealed class RejectingSink(string poisonModel) : IUsageSink
    {
        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            var poison = batch.Records.Where(r => r.Model == poisonModel).Select(r => r.Id!).ToList();
            return poison.Count == 0
                ? ValueTask.CompletedTask
                : throw new UsageSinkRejectedException("The store cannot hold this model.", null, poison);
        }
    }
}
