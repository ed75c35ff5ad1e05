namespace TokenAccounting.Tests.Pipeline;

/// <summary>
/// A rollup cell sums costs part by part, saturating so the total never passes <see cref="decimal.MaxValue"/>. Its fast
/// path for small amounts must give exactly what the saturating sum gives (written out here as the reference), bit for
/// bit, and hand the large ones to it.
/// </summary>
public sealed class RollupCellTests
{
    [Fact]
    public void Add_RandomCostsSmallAndLarge_MatchesTheSaturatingSumBitForBit()
    {
        var random = new Random(2026);
        for (var run = 0; run < 300; run++)
        {
            var cell = new RollupCell();
            var reference = new decimal[11];
            var exact = true;
            var adds = random.Next(1, 40);
            for (var i = 0; i < adds; i++)
            {
                var parts = new decimal[11];
                for (var p = 0; p < 11; p++)
                {
                    parts[p] = random.Next(3) == 0 ? 0m : RandomAmount(random, large: run % 5 == 0 && random.Next(8) == 0);
                }

                // Long-TTL writes are part of all cache writes.
                parts[10] = random.Next(2) == 0 ? 0m : Math.Min(parts[10], parts[2]);
                var cost = new UsageCost(parts[0], parts[1], parts[2], parts[3], parts[4], parts[10], parts[5], parts[6], parts[7], parts[8], parts[9]);
                var cellExact = cell.Add(new TokenCounts(1, 1), 1, 0, cost);
                var referenceExact = ReferenceAdd(reference, [cost.Input, cost.CachedInput, cost.CacheWrite, cost.Output, cost.Reasoning, cost.InputAudio, cost.CachedInputAudio, cost.OutputAudio, cost.Requests, cost.ServerToolCalls, cost.CacheWriteLongTtl]);
                cellExact.ShouldBe(referenceExact, $"run {run}, add {i}");
                exact &= referenceExact;
            }

            var sum = cell.Cost.ShouldNotBeNull();
            decimal[] actual = [sum.Input, sum.CachedInput, sum.CacheWrite, sum.Output, sum.Reasoning, sum.InputAudio, sum.CachedInputAudio, sum.OutputAudio, sum.Requests, sum.ServerToolCalls, sum.CacheWriteLongTtl];
            for (var p = 0; p < 11; p++)
            {
                decimal.GetBits(actual[p]).ShouldBe(decimal.GetBits(reference[p]), $"run {run}, part {p}: {actual[p]} against {reference[p]}");
            }
        }
    }

    [Fact]
    public void Add_CostsNearTheLargestDecimal_SaturateAndReportIt()
    {
        var cell = new RollupCell();
        var huge = new UsageCost(decimal.MaxValue - 1m, 0m, 0m, 0m, 0m);

        cell.Add(new TokenCounts(1, 1), 1, 0, huge).ShouldBeTrue();
        cell.Add(new TokenCounts(1, 1), 1, 0, new UsageCost(2m, 0m, 0m, 0.5m, 0m)).ShouldBeFalse();

        var sum = cell.Cost.ShouldNotBeNull();
        sum.Input.ShouldBe(decimal.MaxValue);
        sum.Output.ShouldBe(0m);
    }

    private static decimal RandomAmount(Random random, bool large)
    {
        var lo = random.Next();
        var mid = random.Next(3) == 0 ? 0 : random.Next(1 << 20);
        var hi = large ? random.Next() : 0;
        return new decimal(lo, mid, hi, isNegative: false, (byte)random.Next(large ? 3 : 29));
    }

    /// <summary>The saturating sum, written out: each part takes what is left of the total's room, in order.</summary>
    private static bool ReferenceAdd(decimal[] sums, decimal[] addends)
    {
        var exact = true;
        var room = decimal.MaxValue;
        for (var p = 0; p < 10; p++)
        {
            sums[p] = Take(sums[p], addends[p], ref room, ref exact);
        }

        var longTtlRoom = sums[2];
        sums[10] = Take(sums[10], addends[10], ref longTtlRoom, ref exact);
        return exact;
    }

    private static decimal Take(decimal left, decimal right, ref decimal room, ref bool exact)
    {
        decimal part;
        try
        {
            part = left + right;
        }
        catch (OverflowException)
        {
            part = decimal.MaxValue;
            exact = false;
        }

        if (part > room)
        {
            part = room;
            exact = false;
        }

        room -= part;
        return part;
    }
}
