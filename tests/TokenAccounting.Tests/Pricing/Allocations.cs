namespace TokenAccounting.Tests.Pricing;

/// <summary>What pricing allocates, measured on the current thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// The fewest bytes <paramref name="price"/> allocated in five runs: the first run of a path can allocate once
    /// (a lazily built table, a JIT helper), which is not what each call costs.
    /// </summary>
    public static long AllocatedBy(Func<UsageCost?> price)
    {
        var least = long.MaxValue;
        for (var i = 0; i < 5; i++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            GC.KeepAlive(price());
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
