using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

public sealed class JsonLinesDeduplicatorTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ReadEntriesAsync_ManyBatches_HoldsAtMostOneBatchOfIds()
    {
        // A set of every id seen (the reader's old scheme) would hold all 6,000 at the end.
        using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
        {
            for (var b = 0; b < 60; b++)
            {
                var records = Enumerable.Range(0, 100).Select(i => Record($"b{b}-r{i}")).ToArray();
                await sink.WriteAsync(new UsageBatch($"batch-{b}", records, []), CancellationToken.None);
            }
        }

        var deduplicator = new JsonLinesDeduplicator();
        var read = 0;
        await foreach (var entry in JsonLinesUsageLedger.ReadEntriesAsync(JsonLinesUsageLedger.ListFiles(_folder.Path), deduplicator, CancellationToken.None))
        {
            entry.Record.ShouldNotBeNull();
            read++;
        }

        read.ShouldBe(6_000);
        deduplicator.PeakRetained.ShouldBe(100);
    }

    [Fact]
    public void Accept_RunOfABatchRepeated_DropsTheRepeat()
    {
        var deduplicator = new JsonLinesDeduplicator();
        deduplicator.StartFile();

        Accept(deduplicator, "b1", "a", "b").ShouldBe([true, true]);
        Accept(deduplicator, "b1", "a", "b").ShouldBe([false, false]);
    }

    [Fact]
    public void Accept_PartsSplitOffABatch_AreTheSameFamily()
    {
        var deduplicator = new JsonLinesDeduplicator();
        deduplicator.StartFile();

        Accept(deduplicator, "b1", "a", "b").ShouldBe([true, true]);
        Accept(deduplicator, "b1.r", "a").ShouldBe([false]);
        Accept(deduplicator, "b1.0", "b", "c").ShouldBe([false, true]);
        Accept(deduplicator, "b10", "a").ShouldBe([true], "b10 is another batch, not a part of b1");
    }

    [Fact]
    public void Accept_RollupKeyRepeatedInTheFamily_DropsTheRepeat()
    {
        var deduplicator = new JsonLinesDeduplicator();
        deduplicator.StartFile();
        var key = UsageRollupKey.For(Record("a"));
        var rollup = new UsageRollup(key, new TokenCounts(1, 1), 1, null, 1);

        deduplicator.Accept(new JsonLinesLedgerEntry(2, "b1", null, rollup)).ShouldBeTrue();
        deduplicator.Accept(new JsonLinesLedgerEntry(2, "b1", null, rollup)).ShouldBeFalse();
        deduplicator.Accept(new JsonLinesLedgerEntry(2, "b2", null, rollup)).ShouldBeTrue();
    }

    [Fact]
    public void Accept_SameBatchInAnotherFile_IsNotADuplicate()
    {
        var deduplicator = new JsonLinesDeduplicator();
        deduplicator.StartFile();
        Accept(deduplicator, "b1", "a").ShouldBe([true]);

        deduplicator.StartFile();

        Accept(deduplicator, "b1", "a").ShouldBe([true]);
    }

    [Fact]
    public void Accept_LinesWithoutBatchIdOrRecordId_AreAlwaysAccepted()
    {
        var deduplicator = new JsonLinesDeduplicator();
        deduplicator.StartFile();
        var noId = Record("x") with { Id = null };

        deduplicator.Accept(new JsonLinesLedgerEntry(1, null, Record("a"), null)).ShouldBeTrue();
        deduplicator.Accept(new JsonLinesLedgerEntry(1, null, Record("a"), null)).ShouldBeTrue();
        deduplicator.Accept(new JsonLinesLedgerEntry(1, "b1", noId, null)).ShouldBeTrue();
        deduplicator.Accept(new JsonLinesLedgerEntry(1, "b1", noId, null)).ShouldBeTrue();
    }

    private static bool[] Accept(JsonLinesDeduplicator deduplicator, string batchId, params string[] ids) =>
        ids.Select(id => deduplicator.Accept(new JsonLinesLedgerEntry(2, batchId, Record(id), null))).ToArray();
}
