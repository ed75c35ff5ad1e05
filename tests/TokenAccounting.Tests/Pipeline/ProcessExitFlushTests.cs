using System.Diagnostics;
using System.Globalization;
using TokenAccounting.Tests.Sinks.JsonLines;

namespace TokenAccounting.Tests.Pipeline;

/// <summary>A recorder that is never disposed still flushes what it buffered when the process exits normally.</summary>
public sealed class ProcessExitFlushTests
{
    [Fact]
    public async Task ProcessExit_RecorderNeverDisposed_BufferedRecordsReachTheLedger()
    {
        using var folder = new TempFolder();
        const int Count = 2500;
        var childDll = Path.Combine(AppContext.BaseDirectory, "TokenAccounting.LedgerCrashChild.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { childDll, "exit-without-dispose", folder.Path, Count.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var child = Process.Start(start).ShouldNotBeNull();
        var output = child.StandardOutput.ReadToEndAsync();
        var errors = child.StandardError.ReadToEndAsync();

        // The guard fails a hung child instead of hanging the test; it is not a timing assumption.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await child.WaitForExitAsync(guard.Token);

        child.ExitCode.ShouldBe(0, await errors);
        (await output).ShouldContain($"recorded {Count}");
        var records = new List<UsageRecord>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(folder.Path))
        {
            records.Add(record);
        }

        records.Count.ShouldBe(Count, "the process-exit flush delivered what the hour-long flush interval still held");
        records.Select(r => r.Id).Distinct().Count().ShouldBe(Count);
    }
}
