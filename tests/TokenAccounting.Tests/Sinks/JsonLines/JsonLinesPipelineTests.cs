using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>The ledger and logging sinks behind the real recorder and pipeline, registered through DI.</summary>
public sealed class JsonLinesPipelineTests : IDisposable
{
    private const string Secret = "SECRET-PROMPT: the launch code is 0000";
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Record_ThroughThePipeline_LedgerHoldsTextOnlyWhenCapturedAndLogsNever(bool captureText)
    {
        using var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddTokenAccounting(o => o.CaptureText = captureText)
            .AddJsonLinesSink(o => o.PathTemplate = _folder.Template)
            .AddLoggingSink();

        await using (var provider = services.BuildServiceProvider())
        {
            var recorder = provider.GetRequiredService<IUsageRecorder>();
            for (var i = 0; i < 3; i++)
            {
                recorder.Record(Record($"r{i}") with { Text = Secret });
            }

            await recorder.FlushAsync(CancellationToken.None);
        }

        var records = await ReadAllAsync(_folder.Path);
        records.Select(r => r.Id).Order().ShouldBe(["r0", "r1", "r2"]);
        records.ShouldAllBe(r => r.Text == (captureText ? Secret : null));
        File.ReadAllText(_folder.Day("2026-01-15")).Contains("SECRET", StringComparison.Ordinal).ShouldBe(captureText);

        var usageLogs = logs.Collector.GetSnapshot().Where(l => l.Category == LoggingUsageSinkOptions.DefaultCategoryName).ToList();
        usageLogs.Count.ShouldBe(3);
        logs.Collector.GetSnapshot().ShouldAllBe(l => !l.Message.Contains("SECRET"));
        logs.Collector.GetSnapshot().SelectMany(l => l.StructuredState ?? []).ShouldAllBe(p => !(p.Value is string && ((string)p.Value).Contains("SECRET")));
    }

    [Fact]
    public async Task Record_EnrichmentThatWouldBreakTheRules_KeepsTheRecordWithinThemAndInTheLedger()
    {
        // Record() validates what the caller gave; the pipeline then adds to it. A completion time stamped now would be
        // before a StartedAt ahead of this clock, and a scope's tags merged with the record's could pass MaxTagCount:
        // the enrichment keeps both within the rules (completion at the start; the record's own tags kept, the scopes'
        // filling the room left, counted as a stage failure), so the ledger gets the records and stays readable.
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        var recorder = UsageRecorder.Create(sink);
        var started = DateTimeOffset.MaxValue.AddDays(-1);
        var future = new UsageRecord { Id = "future", Model = "m", StartedAt = started };
        var recordTags = Enumerable.Range(0, UsageRecordLimits.MaxTagCount).ToDictionary(i => "r" + i, i => "v");
        var scopeTags = Enumerable.Range(0, UsageRecordLimits.MaxTagCount).ToDictionary(i => "s" + i, i => "v");
        var good = new UsageRecord { Id = "good", Model = "m" };
        recorder.Record(future);
        using (UsageScope.Begin("tagged", userId: null, tags: scopeTags))
        {
            recorder.Record(new UsageRecord { Id = "tags", Model = "m", Tags = recordTags });
            recorder.Record(new UsageRecord { Id = "few", Model = "m", Tags = new Dictionary<string, string> { ["r0"] = "own" } });
        }

        recorder.Record(good);
        await recorder.FlushAsync(CancellationToken.None);
        await recorder.DisposeAsync();

        var diagnostics = recorder.GetDiagnostics();
        diagnostics.Sinks.ShouldHaveSingleItem().QuarantinedRecords.ShouldBe(0);
        diagnostics.StageFailures.ShouldBe(2, "two records' tags were capped");
        var read = (await ReadAllAsync(_folder.Path)).ToDictionary(r => r.Id!);
        read.Keys.Order().ShouldBe(["few", "future", "good", "tags"]);
        read["future"].CompletedAt.ShouldBe(started);
        var tags = read["tags"].Tags.ShouldNotBeNull();
        tags.Count.ShouldBe(UsageRecordLimits.MaxTagCount);
        tags.Keys.Order().ShouldBe(recordTags.Keys.Order(), "the record's own tags win over its scopes'");
        var few = read["few"].Tags.ShouldNotBeNull();
        few.Count.ShouldBe(UsageRecordLimits.MaxTagCount, "the scope's tags fill the room the record leaves");
        few["r0"].ShouldBe("own");
    }

    [Fact]
    public async Task DisposeContainer_WithoutFlush_RecordsReachTheLedgerBeforeItCloses()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddJsonLinesSink(o => o.PathTemplate = _folder.Template);

        await using (var provider = services.BuildServiceProvider())
        {
            var recorder = provider.GetRequiredService<IUsageRecorder>();
            recorder.Record(Record("last-words"));
        }

        (await ReadAllAsync(_folder.Path)).ShouldHaveSingleItem().Id.ShouldBe("last-words");
    }
}
