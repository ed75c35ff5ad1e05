using System.CommandLine;
using System.Data.Common;
using TokenAccounting.Tool.Commands;

namespace TokenAccounting.Tool;

/// <summary>The <c>tokenaccounting</c> command line: parses, dispatches, and turns failures into one stderr line and an exit code.</summary>
internal sealed class ToolApp
{
    private readonly ToolConsole _console;
    private readonly TimeProvider _time;

    public ToolApp(ToolConsole console, TimeProvider? timeProvider = null)
    {
        _console = console;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the size of a JSON-lines ledger above which reads show a progress bar (on an interactive stderr).</summary>
    /// <value>The default value is 32 MiB (about 100,000 records).</value>
    public long ProgressThresholdBytes { get; init; } = 32L * 1024 * 1024;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var root = BuildCommand();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                _console.Fail(error.Message);
            }

            _console.ErrorWriter.WriteLine("Run 'tokenaccounting --help' (or '<command> --help') for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(
                new InvocationConfiguration { Output = _console.RawOut, Error = _console.ErrorWriter, EnableDefaultExceptionHandler = false },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ToolException e)
        {
            _console.Fail(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (IsLedgerFailure(e))
        {
            _console.Fail(e.Message);
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _console.Fail("cancelled.");
            return 130;
        }
    }

    /// <summary>Failures of reading a ledger or writing output: reported as a message, not a stack trace.</summary>
    internal static bool IsLedgerFailure(Exception e) =>
        e is FormatException or NotSupportedException or InvalidOperationException or IOException or UnauthorizedAccessException or DbException or InvalidDataException;

    private RootCommand BuildCommand()
    {
        var root = new RootCommand(
            "tokenaccounting: look at the LLM spend recorded by TokenAccounting ledgers (JSON-lines, SQLite, PostgreSQL).\n\n"
            + "Examples:\n"
            + "  tokenaccounting report usage-ledger\n"
            + "  tokenaccounting report usage.db --from 2026-11-01 --to 2026-11-30 --by tenant,model --top 5\n"
            + "  tokenaccounting report usage-ledger --format html --out spend.html\n"
            + "  tokenaccounting report \"Host=db;Database=usage;Username=app\" --postgres --format csv\n"
            + "  tokenaccounting reprice usage-ledger --prices model_prices_and_context_window.json\n"
            + "  tokenaccounting prices gpt-4o --provider openai\n\n"
            + "Exit codes: 0 success, 1 the ledger or a file could not be read or written, 2 the command line is wrong.");
        root.Subcommands.Add(new ReportCommand(_console, _time, ProgressThresholdBytes).Build());
        root.Subcommands.Add(new RepriceCommand(_console, _time, ProgressThresholdBytes).Build());
        root.Subcommands.Add(new PricesCommand(_console, _time).Build());
        return root;
    }
}
