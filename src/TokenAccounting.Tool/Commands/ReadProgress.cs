using Spectre.Console;
using TokenAccounting.Tool.Ledgers;

namespace TokenAccounting.Tool.Commands;

/// <summary>Shows a progress bar on stderr while a large JSON-lines ledger is read (only on an interactive terminal).</summary>
internal static class ReadProgress
{
    public static async Task<T> RunAsync<T>(ToolConsole console, JsonLinesReader? reader, long thresholdBytes, Func<Task<T>> work)
    {
        if (reader is null || reader.TotalBytes < thresholdBytes || !console.Error.Profile.Capabilities.Interactive)
        {
            return await work().ConfigureAwait(false);
        }

        var estimated = reader.EstimateRecords();
        T result = default!;
        await console.Error.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"Reading {reader.Files.Count} ledger file(s), about {estimated:N0} records", maxValue: estimated);
                var pass = 0;
                reader.PassStarted = () =>
                {
                    pass++;
                    task.Value = 0;
                    if (pass > 1)
                    {
                        task.Description = $"Reading the ledger again (pass {pass})";
                    }
                };
                reader.RecordsRead = count => task.Value = Math.Min(count, estimated * 0.99);
                try
                {
                    // The read is synchronous (records stream through an in-memory query); keep it off the renderer's thread.
                    result = await Task.Run(work).ConfigureAwait(false);
                }
                finally
                {
                    reader.PassStarted = null;
                    reader.RecordsRead = null;
                }

                task.Value = task.MaxValue;
            }).ConfigureAwait(false);
        return result;
    }
}
