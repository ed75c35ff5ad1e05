using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

public sealed class JsonLinesUsageLedgerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ReadAsync_FinalLineWithoutNewline_SkipsTheTornLine()
    {
        await WriteAsync(Batch("b1", Record("a"), Record("b")));
        File.AppendAllText(_folder.Day("2026-01-15"), "{\"v\":1,\"batch_id\":\"b2\",\"id\":\"c\",\"model\":\"gpt-4o\"");

        (await ReadAllAsync(_folder.Day("2026-01-15"))).Select(r => r.Id).ShouldBe(["a", "b"]);
    }

    [Fact]
    public async Task ReadAsync_FinalLineNotValid_SkipsIt()
    {
        await WriteAsync(Batch("b1", Record("a")));
        File.AppendAllText(_folder.Day("2026-01-15"), "{\"v\":1,\"id\":\n");

        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["a"]);
    }

    [Fact]
    public async Task ReadAsync_CorruptLineBeforeTheLast_ThrowsFormatExceptionNamingFileAndLine()
    {
        await WriteAsync(Batch("b1", Record("a"), Record("b"), Record("c")));
        var lines = RawLines(_folder.Day("2026-01-15"));
        lines[1] = "{\"v\":1,\"id\":";
        File.WriteAllText(_folder.Day("2026-01-15"), string.Join('\n', lines) + "\n");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(_folder.Day("2026-01-15") + ":2:");
        ex.Message.ShouldContain("not the last line");
    }

    [Fact]
    public async Task ReadAsync_CorruptLineFollowedOnlyByATornTail_ThrowsFormatException()
    {
        await WriteAsync(Batch("b1", Record("a")));
        File.AppendAllText(_folder.Day("2026-01-15"), "garbage\n{\"v\":1,");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(":2:");
    }

    [Fact]
    public async Task ReadAsync_LineViolatingTokenInvariants_ThrowsFormatExceptionNamingTheField()
    {
        File.WriteAllText(_folder.Day("2026-01-15"), "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"input_tokens\":5,\"cached_input_tokens\":9}\n{\"v\":1,\"id\":\"b\",\"model\":\"m\"}\n");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(":1:");
        ex.Message.ShouldContain("CachedInput");
    }

    [Fact]
    public async Task ReadAsync_LineWithoutSchemaVersion_ThrowsFormatException()
    {
        File.WriteAllText(_folder.Day("2026-01-15"), "{\"id\":\"a\",\"model\":\"m\"}\n{\"v\":1,\"id\":\"b\",\"model\":\"m\"}\n");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain("\"v\"");
    }

    [Fact]
    public async Task ReadAsync_FutureSchemaVersion_ThrowsNotSupportedNamingTheVersion()
    {
        await WriteAsync(Batch("b1", Record("a")));
        File.AppendAllText(_folder.Day("2026-01-15"), "{\"v\":3,\"id\":\"b\",\"model\":\"m\",\"new_field\":true}\n");

        var ex = await Should.ThrowAsync<NotSupportedException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain("version 3");
        ex.Message.ShouldContain(":2:");
    }

    [Fact]
    public async Task ReadAsync_Folder_ReadsJsonlFilesInDateOrderAndIgnoresOthers()
    {
        await WriteAsync(Batch("b1", Record("third", Noon.AddDays(20))));
        await WriteAsync(Batch("b2", Record("first", Noon.AddDays(-40))));
        await WriteAsync(Batch("b3", Record("second", Noon)));
        File.WriteAllText(_folder.Day("2026-01-15") + ".broken", "torn\n");
        File.WriteAllText(_folder.File("readme.txt"), "not a ledger");

        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["first", "second", "third"]);
    }

    [Fact]
    public async Task ReadAsync_RetriedBatchWrittenTwice_ReturnsEachRecordOnce()
    {
        var batch = Batch("b1", Record("a"), Record("b", Noon.AddDays(1)));

        // Two sink instances, so the second write is not recognized as a retry: the lines really are duplicated.
        await WriteAsync(batch);
        await WriteAsync(batch);
        await WriteAsync(Batch("b2", Record("c")));

        RawLines(_folder.Day("2026-01-15")).Count.ShouldBe(3);
        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(["a", "c", "b"]);
    }

    [Fact]
    public async Task ReadAsync_LineLongerThanTheReadBuffer_ReadsIt()
    {
        var text = new string('x', 300_000);
        await WriteAsync(Batch("b1", Record("small-1"), Record("big") with { Text = text }, Record("small-2")));

        var records = await ReadAllAsync(_folder.Path);

        records.Select(r => r.Id).ShouldBe(["small-1", "big", "small-2"]);
        records[1].Text.ShouldBe(text);
    }

    [Fact]
    public async Task ReadAsync_ManyRecords_ReturnsAllInOrder()
    {
        var records = Enumerable.Range(0, 5000).Select(i => Record($"r{i}")).ToArray();
        await WriteAsync(Batch("b1", records));

        (await ReadAllAsync(_folder.Path)).Select(r => r.Id).ShouldBe(records.Select(r => r.Id));
    }

    [Fact]
    public void ReadAsync_PathThatDoesNotExist_ThrowsFileNotFoundImmediately()
    {
        Should.Throw<FileNotFoundException>(() => JsonLinesUsageLedger.ReadAsync(_folder.File("missing"), CancellationToken.None));
    }

    [Fact]
    public async Task ReadAsync_Cancelled_StopsWithOperationCanceled()
    {
        await WriteAsync(Batch("b1", Record("a"), Record("b")));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Should.ThrowAsync<OperationCanceledException>(async () =>
        {
            await foreach (var unused in JsonLinesUsageLedger.ReadAsync(_folder.Path, cts.Token))
            {
            }
        });
    }

    [Fact]
    public async Task ReadAsync_CostWithAudioRequestAndToolCallParts_ReadsEveryPartBack()
    {
        // The line's cost_usd always held these parts; the reader rebuilt the cost from the text parts only, so a
        // record read back cost less than it was recorded at.
        var cost = new UsageCost(0.001m, 0.0002m, 0.0003m, 0.004m, 0.0005m, 0.0001m, 0.006m, 0.0007m, 0.008m, 0.0009m, 0.03m);
        await WriteAsync(Batch("b1", Record("a") with { Cost = cost }));

        var read = (await ReadAllAsync(_folder.Path)).ShouldHaveSingleItem().Cost.ShouldNotBeNull();

        read.ShouldBe(cost);
        read.Total.ShouldBe(cost.Total);
    }

    [Fact]
    public async Task ReadAsync_LinesWrittenBeforeTheAudioFields_ReadZeroAudioAndNoToolCalls()
    {
        // Readers keep reading every older file: version 1 lines, and version 2 lines written before the audio counts
        // and server tool calls were added to the format (issue 15 §4).
        File.WriteAllText(_folder.Day("2026-01-15"),
            "{\"v\":1,\"id\":\"v1\",\"model\":\"gpt-4o\",\"input_tokens\":100,\"output_tokens\":20,\"cached_input_tokens\":10,\"completed_at\":\"2026-01-15T12:00:00+00:00\"}\n"
            + "{\"v\":2,\"kind\":\"rollup\",\"batch_id\":\"b\",\"date\":\"2026-01-15\",\"model\":\"gpt-4o\",\"operation\":\"chat\",\"request_count\":1,\"unpriced_request_count\":0,\"input_tokens\":1200,\"output_tokens\":350,\"cached_input_tokens\":1024,\"cache_write_input_tokens\":0,\"cache_write_long_ttl_input_tokens\":0,\"reasoning_tokens\":64,\"cost_usd\":0.0003132,\"cost_input_usd\":0.0000264,\"cost_cached_input_usd\":0.0000768,\"cost_cache_write_usd\":0,\"cost_output_usd\":0.0001716,\"cost_reasoning_usd\":0.0000384}\n"
            + "{\"v\":2,\"batch_id\":\"b\",\"id\":\"v2\",\"model\":\"gpt-4o\",\"provider\":\"openai\",\"operation\":\"chat\",\"input_tokens\":1200,\"output_tokens\":350,\"cached_input_tokens\":1024,\"cache_write_input_tokens\":0,\"cache_write_long_ttl_input_tokens\":0,\"reasoning_tokens\":64,\"provenance\":\"reported\",\"outcome\":\"succeeded\",\"completed_at\":\"2026-01-15T12:00:00.123+00:00\",\"cost_usd\":0.0003132,\"cost_input_usd\":0.0000264,\"cost_cached_input_usd\":0.0000768,\"cost_cache_write_usd\":0,\"cost_output_usd\":0.0001716,\"cost_reasoning_usd\":0.0000384}\n");

        var read = await ReadAllAsync(_folder.Path);
        var totals = await new JsonLinesUsageQuery(_folder.Path).QueryTotalsAsync(
            new UsageQuery(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 16, 0, 0, 0, TimeSpan.Zero)));

        read.Select(r => r.Id).ShouldBe(["v1", "v2"]);
        read.ShouldAllBe(r => r.Tokens.InputAudio == 0 && r.Tokens.CachedInputAudio == 0 && r.Tokens.OutputAudio == 0 && r.ServerToolCalls == null);
        read[0].Tokens.ShouldBe(new TokenCounts(100, 20, cachedInput: 10));
        read[1].Tokens.ShouldBe(new TokenCounts(1200, 350, cachedInput: 1024, reasoning: 64));
        var row = totals.Rows.ShouldHaveSingleItem();
        row.RequestCount.ShouldBe(2, "the version-1 detail plus the version-2 rollup (which holds the version-2 detail)");
        row.Tokens.ShouldBe(new TokenCounts(1300, 370, cachedInput: 1034, reasoning: 64));
    }

    private async Task WriteAsync(UsageBatch batch)
    {
        using var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template });
        await sink.WriteAsync(batch, CancellationToken.None);
    }
}
