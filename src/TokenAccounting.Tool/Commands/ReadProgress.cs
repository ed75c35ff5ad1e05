using Spectre.Console;
using TokenAccounting.Tool.Ledgers;

namespace TokenAccounting.Tool.Commands;

/// <summary>Shows a progress bar on stderr while a large JSON-lines ledger is read (only on an interactive terminal).</summary>
internal static class ReadProgress
{
    public static async Task<T> RunAsync<T>(ToolConsole console, JsonLinesReadProgress? reads, long thresholdBytes, Func<Task<T>> work)
    {
        if (reads is null || reads.TotalBytes < thresholdBytes || !console.Error.Profile.Capabilities.Interactive)
        {
            return await work().ConfigureAwait(false);
        }

        T result = default!;
        var total = Math.Max(1, reads.TotalBytes);
        await console.Error.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Reading {reads.Files.Count} ledger file(s), {Size(reads.TotalBytes)}", maxValue: total);
                var shownPass = 1;
                reads.Changed = (bytes, pass) =>
                {
                    if (pass != shownPass)
                    {
                        shownPass = pass;
                        task.Description = $"Reading the ledger again (pass {pass})";
                    }

                    // The files may grow while they are read (a live ledger): hold the bar short of full until the end.
                    task.Value = Math.Min(bytes, total * 0.99);
                };
                try
                {
                    // The queries stream the files on a background thread; keep the work off the renderer's thread.
                    result = await Task.Run(work).ConfigureAwait(false);
                }
                finally
                {
                    reads.Changed = null;
                }

                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }

    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => FormattableString.Invariant($"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => FormattableString.Invariant($"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => FormattableString.Invariant($"{bytes / 1024.0:0.0} KiB"),
    };
}
