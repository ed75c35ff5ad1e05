namespace TokenAccounting.Extensions.AI.Tests.Embeddings;

public sealed class AccountingEmbeddingGeneratorTrackerTests
{
    private readonly CapturingRecorder _recorder = new();

    [Fact]
    public async Task GenerateAsync_FailsWithTrackerAttached_LeavesTheTrackerUntouched()
    {
        var tracker = new UsageTracker(_recorder);
        tracker.NoteRequest(4);
        var inner = new ScriptedEmbeddingGenerator().Fail(new HttpRequestException("429 Too Many Requests"));

        using (tracker.Attach())
        {
            await Should.ThrowAsync<HttpRequestException>(() => inner.WithTokenAccounting(_recorder).GenerateAsync(["a"]));
        }

        // Embedding calls never begin a request on the tracker, so a failed one cannot leave or abandon anything.
        tracker.PendingRequestCount.ShouldBe(1, "the framework's own noted request still waits");
        tracker.AbandonedRequestCount.ShouldBe(0);
        tracker.Records.ShouldBeEmpty();
        _recorder.Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Failed);
    }
}
