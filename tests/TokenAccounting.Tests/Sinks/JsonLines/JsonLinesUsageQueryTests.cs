using System.Text.Json;
using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

public sealed class JsonLinesUsageQueryTests : IDisposable
{
    private static readonly DateTimeOffset Day1 = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task QueryTotalsAsync_MillionRecordBurstWithDefaultOptions_DayAlignedTotalsAreExactAndEveryDropIsCounted()
    {
        // One producer, as fast as it can: whatever the pipeline drops, the totals must not change.
        var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        var (expected, delivery) = await LedgerBurst.RunAsync(sink, 1_000_000);
        sink.Dispose();
        CountDetailLines().ShouldBe(delivery.DeliveredRecords, "the file holds exactly the delivered details");

        // Every count (audio parts included) and every cost part, not only the totals (issue 15 §4).
        LedgerBurst.ShouldMatch(await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(LedgerBurst.Query), expected, delivery);
    }

    [Fact]
    public async Task QueryTotalsAsync_DetailsDroppedWhileTheSinkIsStalled_DayAlignedTotalsStayExactAndDetailTotalsDoNot()
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        var stalled = new StalledSink(sink);
        var options = new TokenAccountingOptions { MaxBatchSize = 10, MaxBufferedRecords = 50, FlushInterval = TimeSpan.FromHours(1) };
        var recorder = UsageRecorder.Create(options, stalled);
        var records = Enumerable.Range(0, 500).Select(LedgerBurst.Record).ToList();
        foreach (var record in records)
        {
            recorder.Record(record);
        }

        await stalled.FirstWriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        SpinWait.SpinUntil(() => recorder.GetDiagnostics().RecordsAggregated == records.Count, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        stalled.Release();
        await recorder.DisposeAsync();

        var delivery = recorder.GetDiagnostics().Sinks.ShouldHaveSingleItem();
        delivery.DroppedOnBufferFull.ShouldBeGreaterThan(0);
        (delivery.DeliveredRecords + delivery.DroppedRecords).ShouldBe(records.Count);
        var query = new JsonLinesUsageQuery(_folder.Path);

        var exact = (await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(3)))).Rows.ShouldHaveSingleItem();
        exact.RequestCount.ShouldBe(records.Count);
        exact.Tokens.ShouldBe(records.Aggregate(default(TokenCounts), (sum, r) => sum + r.Tokens));
        exact.Cost!.Total.ShouldBe(records.Sum(r => r.Cost?.Total ?? 0m));

        var details = await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(3).AddTicks(-1)));
        details.Source.ShouldBe(UsageQuerySource.Details);
        details.Rows.ShouldHaveSingleItem().RequestCount.ShouldBe(delivery.DeliveredRecords);
    }

    [Fact]
    public async Task QueryTotalsAsync_BatchWithDetailsAndTheirRollups_CountsEachRecordOnce()
    {
        var records = new[] { Record("a"), Record("b"), Record("c", model: "gpt-4o-mini") };
        await WriteAsync(new UsageBatch("b1", records, RollupsOf(records)));

        var result = await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { GroupBy = [UsageDimension.Model] });

        result.Source.ShouldBe(UsageQuerySource.Rollups);
        result.Rows.Select(r => (r.Model, r.RequestCount, r.Tokens.Input)).ShouldBe([("gpt-4o", 2L, 200L), ("gpt-4o-mini", 1L, 100L)]);
    }

    [Fact]
    public async Task QueryTotalsAsync_AudioCountsAndEveryCostPart_RoundTripThroughRollupAndDetailLines()
    {
        // Issue 15 §4: rollup lines carry the audio counts and every cost part, detail lines too (and server tool calls).
        var records = new[] { FullRecord() with { CompletedAt = Noon.AddMinutes(1) }, FullRecord() with { Id = "rec-2", CompletedAt = Noon.AddHours(1) } };
        await WriteAsync(new UsageBatch("b1", records, RollupsOf(records)));
        var query = new JsonLinesUsageQuery(_folder.Path);
        var sum = records[0].Tokens + records[1].Tokens;
        var cost = records[0].Cost! + records[1].Cost!;

        var fromRollups = await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)));
        var fromDetails = await query.QueryTotalsAsync(new UsageQuery(Day1, Noon.AddHours(2)));

        fromRollups.Source.ShouldBe(UsageQuerySource.Rollups);
        fromDetails.Source.ShouldBe(UsageQuerySource.Details);
        foreach (var row in new[] { fromRollups.Rows.ShouldHaveSingleItem(), fromDetails.Rows.ShouldHaveSingleItem() })
        {
            row.Tokens.ShouldBe(sum);
            (row.Tokens.InputAudio, row.Tokens.CachedInputAudio, row.Tokens.OutputAudio).ShouldBe((1400L, 400L, 600L));
            row.Cost.ShouldBe(cost);
            row.RequestCount.ShouldBe(2);
        }

        using var rollup = JsonDocument.Parse(RawLines(_folder.Day("2026-01-15"))[0]);
        rollup.RootElement.GetProperty("kind").GetString().ShouldBe("rollup");
        rollup.RootElement.GetProperty("input_audio_tokens").GetInt64().ShouldBe(1400);
        rollup.RootElement.GetProperty("cached_input_audio_tokens").GetInt64().ShouldBe(400);
        rollup.RootElement.GetProperty("output_audio_tokens").GetInt64().ShouldBe(600);
        rollup.RootElement.GetProperty("cost_server_tool_calls_usd").GetDecimal().ShouldBe(0.06m);
        var detail = (await ReadAllAsync(_folder.Path))[0];
        detail.ServerToolCalls!["web_search"].ShouldBe(3);
        detail.Tokens.ShouldBe(records[0].Tokens);
    }

    [Fact]
    public async Task QueryTotalsAsync_RollupsWithoutTheirDetails_AreCountedOnDayAlignedRangesOnly()
    {
        // What the pipeline sends when it dropped the details: the rollup deltas alone.
        var dropped = new[] { Record("gone-1"), Record("gone-2") };
        await WriteAsync(new UsageBatch("b1", [], RollupsOf(dropped)));
        var query = new JsonLinesUsageQuery(_folder.Path);

        (await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.Single().RequestCount.ShouldBe(2);
        (await query.QueryTotalsAsync(new UsageQuery(Day1, Noon.AddHours(1)))).Rows.Single().RequestCount.ShouldBe(0);
        (await ReadAllAsync(_folder.Path)).ShouldBeEmpty();
    }

    [Fact]
    public async Task QueryTotalsAsync_MixedFolderOfVersionOneAndTwoFiles_CountsEveryRecordOnce()
    {
        // Day 1: an old (version 1) file, details only. Day 2: the same day's file first written by version 1, then,
        // after an upgrade, by version 2 with rollups (that cover only what version 2 wrote). Day 3: version 2 only.
        File.WriteAllText(_folder.Day("2026-01-15"), V1Line("old-1", Noon) + V1Line("old-2", Noon));
        File.WriteAllText(_folder.Day("2026-01-16"), V1Line("old-3", Noon.AddDays(1)));
        var upgraded = new[] { Record("new-1", Noon.AddDays(1)), Record("new-2", Noon.AddDays(1)) };
        var later = new[] { Record("new-3", Noon.AddDays(2)) };
        var droppedDetail = Record("new-4", Noon.AddDays(2));
        await WriteAsync(new UsageBatch("b1", upgraded, RollupsOf(upgraded)));
        await WriteAsync(new UsageBatch("b2", later, RollupsOf([.. later, droppedDetail])));

        var result = await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(3)) { GroupBy = [UsageDimension.Date] });

        result.Rows.Select(r => (r.Date, r.RequestCount)).ShouldBe([
            (new DateOnly(2026, 1, 15), 2L),
            (new DateOnly(2026, 1, 16), 3L),
            (new DateOnly(2026, 1, 17), 2L),
        ]);
        result.Source.ShouldBe(UsageQuerySource.Details, "day 1 had no rollup lines, so its details answered");
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["old-1", "old-2", "old-3", "new-1", "new-2", "new-3"]);
    }

    [Fact]
    public async Task QueryTotalsAsync_FilterAndRangeOnRollups_SumsOnlyMatchingKeysOfTheDaysInRange()
    {
        var records = new[]
        {
            Record("a") with { UserId = "u1" },
            Record("b") with { UserId = "u2" },
            Record("c", Noon.AddDays(1)) with { UserId = "u1" },
        };
        await WriteAsync(new UsageBatch("b1", [], RollupsOf(records)));

        var result = await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)) { UserId = "u1" });

        result.Rows.Single().RequestCount.ShouldBe(1);
    }

    [Fact]
    public async Task QueryTotalsAsync_BatchWrittenTwiceByTwoWriters_CountsItsRollupsAndDetailsOnce()
    {
        var records = new[] { Record("a"), Record("b") };
        var batch = new UsageBatch("b1", records, RollupsOf(records));
        await WriteAsync(batch);
        await WriteAsync(batch);
        var query = new JsonLinesUsageQuery(_folder.Path);

        (await query.QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.Single().RequestCount.ShouldBe(2);
        (await query.QueryTotalsAsync(new UsageQuery(Day1, Noon.AddHours(1)))).Rows.Single().RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task WriteAsync_BatchWithRollups_WritesRollupLinesFirstThatReadAsyncSkips()
    {
        var records = new[] { Record("a") with { Cost = new UsageCost(1m, 0m, 0m, 2m, 0m) } };
        await WriteAsync(new UsageBatch("b7", records, RollupsOf(records)));

        var lines = RawLines(_folder.Day("2026-01-15"));
        lines.Count.ShouldBe(2);
        using var rollup = JsonDocument.Parse(lines[0]);
        lines[0].ShouldStartWith("{\"v\":2,\"kind\":\"rollup\",\"batch_id\":\"b7\",\"date\":\"2026-01-15\",\"model\":\"gpt-4o\",");
        rollup.RootElement.GetProperty("request_count").GetInt64().ShouldBe(1);
        rollup.RootElement.GetProperty("unpriced_request_count").GetInt64().ShouldBe(0);
        rollup.RootElement.GetProperty("input_tokens").GetInt64().ShouldBe(100);
        rollup.RootElement.GetProperty("cost_usd").GetDecimal().ShouldBe(3m);
        rollup.RootElement.TryGetProperty("cost_requests_usd", out _).ShouldBeFalse();
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["a"]);
    }

    [Fact]
    public async Task WriteAsync_RepeatedRollupKeyInOneBatch_WritesOneSummedLine()
    {
        var records = new[] { Record("a"), Record("b") };
        await WriteAsync(new UsageBatch("b1", [], [.. RollupsOf([records[0]]), .. RollupsOf([records[1]])]));

        RawLines(_folder.Day("2026-01-15")).ShouldHaveSingleItem().ShouldContain("\"request_count\":2,");
        (await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1)))).Rows.Single().RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task WriteAsync_RollupKeyTheReaderWouldReject_ThrowsRejectedAndWritesNothing()
    {
        var bad = new UsageRollup(new UsageRollupKey(new DateOnly(2026, 1, 15), "bad\0model", null, UsageOperation.Chat, null, null, null), new TokenCounts(1, 1), 1, null, 1);
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });

        await Should.ThrowAsync<UsageSinkRejectedException>(async () => await sink.WriteAsync(new UsageBatch("b1", [Record("a")], [bad]), CancellationToken.None));

        File.Exists(_folder.Day("2026-01-15")).ShouldBeFalse();
    }

    [Fact]
    public async Task WriteAsync_PartReSentAfterARejectedSecondDay_DoesNotWriteTheCompletedDayAgain()
    {
        var day1 = Record("day1");
        var bad = Record("bad", Noon.AddDays(1)) with { UserId = "u\0" };
        var rollups = RollupsOf([day1]);
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });

        var rejected = await Should.ThrowAsync<UsageSinkRejectedException>(async () => await sink.WriteAsync(new UsageBatch("b1", [day1, bad], rollups), CancellationToken.None));
        rejected.RecordIds.ShouldBe(["bad"]);

        // What the pipeline sends next: the batch without the quarantined record, as part "<id>.r".
        await sink.WriteAsync(new UsageBatch("b1.r", [day1], rollups), CancellationToken.None);

        RawLines(_folder.Day("2026-01-15")).Count.ShouldBe(2, "one rollup line and one detail line, written once");
        (await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(2)))).Rows.Single().RequestCount.ShouldBe(1);
    }

    [Fact]
    public void Constructor_EmptyPath_ThrowsNamingTheParameter()
    {
        Should.Throw<ArgumentException>(() => new JsonLinesUsageQuery(" ")).ParamName.ShouldBe("fileOrFolder");
    }

    [Fact]
    public async Task QueryTotalsAsync_MissingLedger_ThrowsFileNotFound()
    {
        await Should.ThrowAsync<FileNotFoundException>(async () => await new JsonLinesUsageQuery(_folder.File("missing")).QueryTotalsAsync(new UsageQuery(Day1, Day1.AddDays(1))));
    }

    private static UsageRollup[] RollupsOf(IEnumerable<UsageRecord> records) =>
        records.GroupBy(UsageRollupKey.For)
            .Select(g => new UsageRollup(
                g.Key,
                g.Aggregate(default(TokenCounts), (sum, r) => sum + r.Tokens),
                g.Count(),
                g.Any(r => r.Cost is not null) ? g.Where(r => r.Cost is not null).Select(r => r.Cost!).Aggregate((x, y) => x + y) : null,
                g.Count(r => r.Cost is null)))
            .ToArray();

    private static string V1Line(string id, DateTimeOffset completedAt) =>
        $"{{\"v\":1,\"batch_id\":\"old\",\"id\":\"{id}\",\"model\":\"gpt-4o\",\"input_tokens\":100,\"output_tokens\":20,\"completed_at\":\"{completedAt:yyyy-MM-ddTHH:mm:ssK}\"}}\n";

    private long CountDetailLines()
    {
        long count = 0;
        foreach (var file in Directory.GetFiles(_folder.Path, "*.jsonl"))
        {
            foreach (var line in File.ReadLines(file))
            {
                if (line.Length > 0 && !line.Contains("\"kind\":\"rollup\"", StringComparison.Ordinal))
                {
                    count++;
                }
            }
        }

        return count;
    }

    // A new sink per write: a second write of a batch is then not recognized as a retry, as by two processes.
    private async Task WriteAsync(UsageBatch batch)
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        await sink.WriteAsync(batch, CancellationToken.None);
    }

    /// <summary>Holds every write until released, so the pipeline's buffer fills and details are dropped.</summary>
    private sealed class StalledSink(IUsageSink inner) : IUsageSink
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FirstWriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            FirstWriteStarted.TrySetResult();
            await _release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }
}
