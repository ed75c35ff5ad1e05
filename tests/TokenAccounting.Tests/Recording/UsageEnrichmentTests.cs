namespace TokenAccounting.Tests.Recording;

public sealed class UsageEnrichmentTests
{
    private static readonly UsageCost Priced = new(0.001m, 0m, 0m, 0.002m, 0m);

    private static UsageRecord Unenriched() => new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1_200, 300) };

    [Fact]
    public void Enrich_RecordWithoutIdThatIsPriced_PricesItsOwnCopyAndLeavesTheCallersRecordAlone()
    {
        var original = Unenriched();
        var enrichment = new UsageEnrichment(captureText: false, pricer: _ => Priced, stageFailed: null, nextId: () => "id-1");

        var enriched = enrichment.Enrich(UsageEnrichment.Attribute(original, TimeProvider.System));

        enriched.ShouldNotBeSameAs(original);
        enriched.Id.ShouldBe("id-1");
        enriched.Cost.ShouldBeSameAs(Priced);
        enriched.CompletedAt.ShouldNotBeNull();
        original.Cost.ShouldBeNull();
        original.Id.ShouldBeNull();
        original.CompletedAt.ShouldBeNull();
    }

    [Fact]
    public void Enrich_RecordWithoutIdThatIsPriced_AllocatesNoMoreThanOneLeftUnpriced()
    {
        // The record needs a copy for its id and completion time; pricing must not make a second one.
        var priced = new UsageEnrichment(captureText: false, pricer: _ => Priced, stageFailed: null, nextId: () => "id");
        var unpriced = new UsageEnrichment(captureText: false, pricer: _ => null, stageFailed: null, nextId: () => "id");
        var item = UsageEnrichment.Attribute(Unenriched(), TimeProvider.System);
        for (var i = 0; i < 3; i++)
        {
            priced.Enrich(item);
            unpriced.Enrich(item);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        priced.Enrich(item);
        var pricedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        unpriced.Enrich(item);
        var unpricedBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        unpricedBytes.ShouldBeGreaterThan(0);
        pricedBytes.ShouldBe(unpricedBytes);
    }

    [Fact]
    public void Enrich_RecordNeedingNoCopyThatIsPriced_CopiesItForTheCost()
    {
        var complete = Unenriched() with { Id = "own", CompletedAt = DateTimeOffset.UnixEpoch };
        var enrichment = new UsageEnrichment(captureText: false, pricer: _ => Priced, stageFailed: null);

        var enriched = enrichment.Enrich(UsageEnrichment.Attribute(complete, TimeProvider.System));

        enriched.ShouldNotBeSameAs(complete);
        enriched.Cost.ShouldBeSameAs(Priced);
        complete.Cost.ShouldBeNull();
    }

    [Fact]
    public void Enrich_DetailNotKept_CompletesTheRecordWithoutMakingAnId()
    {
        var made = 0;
        var enrichment = new UsageEnrichment(captureText: false, pricer: _ => Priced, stageFailed: null, nextId: () => "id-" + ++made);
        var item = UsageEnrichment.Attribute(Unenriched(), TimeProvider.System);

        var rolledUpOnly = enrichment.Enrich(item, detailKept: false);
        var kept = enrichment.Enrich(item, detailKept: true);

        rolledUpOnly.Id.ShouldBeNull();
        rolledUpOnly.CompletedAt.ShouldBe(item.CompletedAt);
        rolledUpOnly.Cost.ShouldBeSameAs(Priced);
        kept.Id.ShouldBe("id-1");
        made.ShouldBe(1);
    }
}
