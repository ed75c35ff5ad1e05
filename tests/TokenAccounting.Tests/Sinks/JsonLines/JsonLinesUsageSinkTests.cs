using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TokenAccounting.Tests.Sinks.Logging;
using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

public sealed class JsonLinesUsageSinkTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task WriteAsync_RecordWithEveryField_RoundTripsExactlyThroughReader()
    {
        var full = FullRecord();
        var minimal = new UsageRecord { Id = "rec-2", Model = "m", CompletedAt = Noon };

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("batch-1", full, minimal), CancellationToken.None);
        }

        var read = await ReadAllAsync(_folder.Path);

        read.Count.ShouldBe(2);
        var back = read[0];
        (back with { StageDurations = null, Tags = null, ServerToolCalls = null }).ShouldBe(full with { StageDurations = null, Tags = null, ServerToolCalls = null });
        back.StartedAt!.Value.Offset.ShouldBe(TimeSpan.FromHours(2));
        back.StageDurations!.OrderBy(p => p.Key).ShouldBe(full.StageDurations!.OrderBy(p => p.Key));
        back.Tags!.OrderBy(p => p.Key).ShouldBe(full.Tags!.OrderBy(p => p.Key));
        back.ServerToolCalls!.OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(full.ServerToolCalls!.OrderBy(p => p.Key, StringComparer.Ordinal));
        back.Tokens.ShouldBe(full.Tokens);
        (back.Tokens.InputAudio, back.Tokens.CachedInputAudio, back.Tokens.OutputAudio).ShouldBe((700L, 200L, 300L));
        back.Cost!.Input.ShouldBe(0.000000123456789012m);
        back.Cost.ShouldBe(full.Cost);
        back.Cost.Total.ShouldBe(full.Cost!.Total);
        read[1].ShouldBe(minimal);
    }

    [Fact]
    public async Task WriteAsync_Record_WritesVersionedSnakeCaseLineWithBatchId()
    {
        var record = Record("r1") with { Tokens = new TokenCounts(100, 20, cachedInput: 10, reasoning: 5), Cost = new UsageCost(1m, 0.5m, 0m, 2m, 0.25m) };
        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b-42", record), CancellationToken.None);
        }

        var line = RawLines(_folder.Day("2026-01-15")).ShouldHaveSingleItem();
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        root.GetProperty("v").GetInt32().ShouldBe(2);
        root.GetProperty("batch_id").GetString().ShouldBe("b-42");
        root.GetProperty("id").GetString().ShouldBe("r1");
        root.GetProperty("operation").GetString().ShouldBe("chat");
        root.GetProperty("input_tokens").GetInt64().ShouldBe(100);
        root.GetProperty("output_tokens").GetInt64().ShouldBe(20);
        root.GetProperty("cached_input_tokens").GetInt64().ShouldBe(10);
        root.GetProperty("reasoning_tokens").GetInt64().ShouldBe(5);
        root.GetProperty("cost_usd").GetDecimal().ShouldBe(3.75m);
        root.GetProperty("outcome").GetString().ShouldBe("succeeded");
        root.TryGetProperty("text", out _).ShouldBeFalse();
        line.ShouldStartWith("{\"v\":2,\"batch_id\":\"b-42\",");
    }

    [Fact]
    public async Task WriteAsync_BatchSpanningMidnightUtc_WritesOneFilePerUtcDate()
    {
        var beforeMidnight = Record("a", new DateTimeOffset(2026, 1, 15, 23, 59, 59, TimeSpan.Zero));
        var afterMidnight = Record("b", new DateTimeOffset(2026, 1, 16, 0, 0, 1, TimeSpan.Zero));

        // 20:30 in New York on the 15th is 01:30 UTC on the 16th: files follow the UTC date.
        var localEvening = Record("c", new DateTimeOffset(2026, 1, 15, 20, 30, 0, TimeSpan.FromHours(-5)));
        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b1", afterMidnight, beforeMidnight, localEvening), CancellationToken.None);
        }

        Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order().ShouldBe(["usage-2026-01-15.jsonl", "usage-2026-01-16.jsonl"]);
        (await ReadAllAsync(_folder.Day("2026-01-15"))).Select(r => r.Id).ShouldBe(["a"]);
        (await ReadAllAsync(_folder.Day("2026-01-16"))).Select(r => r.Id).ShouldBe(["b", "c"]);
    }

    [Fact]
    public async Task WriteAsync_RecordWithoutCompletedAt_UsesTheTimeProviderDate()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 4, 10, 0, 0, TimeSpan.Zero));
        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }, time))
        {
            await sink.WriteAsync(Batch("b1", Record("x") with { CompletedAt = null }), CancellationToken.None);
        }

        File.Exists(_folder.Day("2026-07-04")).ShouldBeTrue();
    }

    [Fact]
    public async Task WriteAsync_Completed_EveryLineIsOnDiskWithoutDisposingTheSink()
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        for (var batch = 0; batch < 3; batch++)
        {
            var records = Enumerable.Range(0, 100).Select(i => Record($"b{batch}-r{i}")).ToArray();
            await sink.WriteAsync(Batch($"b{batch}", records), CancellationToken.None);

            // The sink holds the file open; an independent reader must already see the whole batch (no user-space buffer).
            var bytes = ReadShared(_folder.Day("2026-01-15"));
            bytes[^1].ShouldBe((byte)'\n');
            Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe((batch + 1) * 100);
        }
    }

    [Fact]
    public async Task WriteAsync_ExistingFileWithTornLastLine_MovesTailToBrokenAndTruncatesToLastCompleteLine()
    {
        var good = await WriteLinesAsync("good-1", "good-2");
        var torn = "{\"v\":1,\"batch_id\":\"x\",\"id\":\"torn\",\"mod";
        File.AppendAllText(_folder.Day("2026-01-15"), torn);
        var logs = new CapturingLoggerProvider();

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }, logger: logs.CreateLogger("ledger")))
        {
            await sink.WriteAsync(Batch("b2", Record("new-1")), CancellationToken.None);
        }

        File.ReadAllText(_folder.Day("2026-01-15") + ".broken").ShouldBe(torn + "\n");
        var lines = RawLines(_folder.Day("2026-01-15"));
        lines.Take(2).ShouldBe(good);
        lines.Count.ShouldBe(3);
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["good-1", "good-2", "new-1"]);
        var warning = logs.Logs.ShouldHaveSingleItem();
        warning.Level.ShouldBe(LogLevel.Warning);
        warning["Bytes"].ShouldBe((long)Encoding.UTF8.GetByteCount(torn));
    }

    [Fact]
    public async Task WriteAsync_ExistingFileWhoseLastLineIsNotJson_MovesThatLineToBroken()
    {
        var good = await WriteLinesAsync("good-1");
        File.AppendAllText(_folder.Day("2026-01-15"), "{\"v\":1,\"id\":\"half\"\n");

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b2", Record("new-1")), CancellationToken.None);
        }

        File.ReadAllText(_folder.Day("2026-01-15") + ".broken").ShouldBe("{\"v\":1,\"id\":\"half\"\n");
        RawLines(_folder.Day("2026-01-15"))[0].ShouldBe(good[0]);
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["good-1", "new-1"]);
    }

    [Fact]
    public async Task WriteAsync_ExistingFileHoldingOnlyATornLine_MovesAllOfItToBroken()
    {
        File.WriteAllText(_folder.Day("2026-01-15"), "{\"v\":1,\"batch_id\":\"b0\",\"id\":\"cut");

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b2", Record("new-1")), CancellationToken.None);
        }

        File.ReadAllText(_folder.Day("2026-01-15") + ".broken").ShouldBe("{\"v\":1,\"batch_id\":\"b0\",\"id\":\"cut\n");
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["new-1"]);
        RawLines(_folder.Day("2026-01-15")).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task WriteAsync_ExistingBrokenFile_AppendsTheNewTornTail()
    {
        await WriteLinesAsync("good-1");
        File.WriteAllText(_folder.Day("2026-01-15") + ".broken", "earlier tail\n");
        File.AppendAllText(_folder.Day("2026-01-15"), "{\"v\":");

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b2", Record("new-1")), CancellationToken.None);
        }

        File.ReadAllText(_folder.Day("2026-01-15") + ".broken").ShouldBe("earlier tail\n{\"v\":\n");
    }

    [Fact]
    public async Task WriteAsync_ExistingIntactFile_AppendsAndCreatesNoBrokenFile()
    {
        var good = await WriteLinesAsync("good-1", "good-2");

        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b2", Record("new-1")), CancellationToken.None);
        }

        File.Exists(_folder.Day("2026-01-15") + ".broken").ShouldBeFalse();
        RawLines(_folder.Day("2026-01-15")).Take(2).ShouldBe(good);
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["good-1", "good-2", "new-1"]);
    }

    [Fact]
    public async Task WriteAsync_RetentionDays_DeletesFilesDatedOnOrBeforeTodayMinusRetentionOncePerDay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 8, 0, 0, TimeSpan.Zero));
        foreach (var date in new[] { "2026-01-10", "2026-01-12", "2026-01-13", "2026-01-14" })
        {
            File.WriteAllText(_folder.Day(date), string.Empty);
        }

        File.WriteAllText(_folder.Day("2026-01-10") + ".broken", "tail\n");
        File.WriteAllText(_folder.File("notes-2026-01-01.txt"), "not a ledger file");

        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template, RetentionDays = 3 }, time);
        await sink.WriteAsync(Batch("b1", Record("r1", time.GetUtcNow())), CancellationToken.None);

        // Today is the 15th: 3 days kept means the 13th, 14th and 15th.
        Names().ShouldBe(["notes-2026-01-01.txt", "usage-2026-01-13.jsonl", "usage-2026-01-14.jsonl", "usage-2026-01-15.jsonl"]);

        // Checked at most once per day: an old file appearing later the same day survives until the next day.
        File.WriteAllText(_folder.Day("2026-01-11"), string.Empty);
        time.Advance(TimeSpan.FromHours(15));
        await sink.WriteAsync(Batch("b2", Record("r2", time.GetUtcNow())), CancellationToken.None);
        Names().ShouldContain("usage-2026-01-11.jsonl");

        time.Advance(TimeSpan.FromHours(2));
        await sink.WriteAsync(Batch("b3", Record("r3", time.GetUtcNow())), CancellationToken.None);
        Names().ShouldBe(["notes-2026-01-01.txt", "usage-2026-01-14.jsonl", "usage-2026-01-15.jsonl", "usage-2026-01-16.jsonl"]);
    }

    [Fact]
    public async Task WriteAsync_RetentionDaysNull_KeepsOldFiles()
    {
        File.WriteAllText(_folder.Day("2001-01-01"), string.Empty);
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }, new FakeTimeProvider(new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero)));

        await sink.WriteAsync(Batch("b1", Record("r1")), CancellationToken.None);

        Names().ShouldBe(["usage-2001-01-01.jsonl", "usage-2026-01-15.jsonl"]);
    }

    [Fact]
    public async Task WriteAsync_RetryAfterSecondFileFailed_DoesNotWriteTheFirstFileTwice()
    {
        // A folder where the second day's file should be makes opening that file fail.
        var blocker = _folder.Day("2026-01-16");
        Directory.CreateDirectory(blocker);
        var batch = Batch("b1", Record("day1"), Record("day2", Noon.AddDays(1)));
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });

        await Should.ThrowAsync<Exception>(async () => await sink.WriteAsync(batch, CancellationToken.None));
        Directory.Delete(blocker);
        await sink.WriteAsync(batch, CancellationToken.None);

        RawLines(_folder.Day("2026-01-15")).Count.ShouldBe(1);
        RawLines(_folder.Day("2026-01-16")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_RetryOfABatchThatCompleted_WritesNothing()
    {
        var batch = Batch("b1", Record("day1"), Record("day2", Noon.AddDays(1)));
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });

        await sink.WriteAsync(batch, CancellationToken.None);
        await sink.WriteAsync(Batch("b2", Record("other")), CancellationToken.None);
        await sink.WriteAsync(batch, CancellationToken.None);

        RawLines(_folder.Day("2026-01-15")).Count.ShouldBe(2);
        RawLines(_folder.Day("2026-01-16")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_ConcurrentCallers_EveryLineIsWholeAndPresent()
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        using var start = new Barrier(4);

        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            start.SignalAndWait();
            for (var b = 0; b < 25; b++)
            {
                var records = Enumerable.Range(0, 40).Select(i => Record($"w{w}-b{b}-r{i}")).ToArray();
                await sink.WriteAsync(Batch($"w{w}-b{b}", records), CancellationToken.None);
            }
        }));
        await Task.WhenAll(writers);

        var lines = RawLines(_folder.Day("2026-01-15"));
        lines.Count.ShouldBe(4 * 25 * 40);
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).Distinct().Count().ShouldBe(4 * 25 * 40);
    }

    [Fact]
    public async Task WriteAsync_EmptyBatch_CreatesNoFile()
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });

        await sink.WriteAsync(Batch("b1"), CancellationToken.None);

        Directory.GetFiles(_folder.Path).ShouldBeEmpty();
    }

    [Fact]
    public async Task WriteAsync_AfterDispose_ThrowsObjectDisposedException()
    {
        var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        sink.Dispose();

        await Should.ThrowAsync<ObjectDisposedException>(async () => await sink.WriteAsync(Batch("b1", Record("r1")), CancellationToken.None));
    }

    [Fact]
    public void Constructor_RelativeTemplate_ResolvesAgainstTheCurrentDirectory()
    {
        using var sink = new JsonLinesUsageSink(new());

        sink.DirectoryPath.ShouldBe(Path.GetFullPath("usage-ledger"));
        sink.GetFilePath(new DateOnly(2026, 2, 3)).ShouldBe(Path.Combine(Path.GetFullPath("usage-ledger"), "usage-2026-02-03.jsonl"));
        Directory.Exists(sink.DirectoryPath).ShouldBeFalse();
    }

    [Theory]
    [InlineData("usage.jsonl")]
    [InlineData("usage-{date}-{date}.jsonl")]
    [InlineData("ledger-{date}/usage.jsonl")]
    [InlineData(" ")]
    public void Constructor_TemplateWithoutOneDateInFileName_ThrowsNamingPathTemplate(string template)
    {
        var ex = Should.Throw<ArgumentException>(() => new JsonLinesUsageSink(new() { PathTemplate = template }));

        ex.ParamName.ShouldBe("PathTemplate");
        ex.Message.ShouldContain("JsonLinesUsageSinkOptions.PathTemplate");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_RetentionDaysBelowOne_ThrowsNamingRetentionDays(int days)
    {
        var ex = Should.Throw<ArgumentOutOfRangeException>(() => new JsonLinesUsageSink(new() { PathTemplate = _folder.Template, RetentionDays = days }));

        ex.ParamName.ShouldBe("RetentionDays");
    }

    private async Task<List<string>> WriteLinesAsync(params string[] ids)
    {
        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            await sink.WriteAsync(Batch("b1", ids.Select(id => Record(id)).ToArray()), CancellationToken.None);
        }

        return RawLines(_folder.Day("2026-01-15"));
    }

    private List<string?> Names() => Directory.GetFiles(_folder.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
