namespace TokenAccounting.AspNetCore.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Waits for a condition the background pipeline makes true (no fixed sleep: it yields until then, failing after 30 s).</summary>
    public static async Task TrueAsync(Func<bool> condition, string because)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("Timed out waiting until " + because);
            }

            await Task.Yield();
        }
    }
}
