using Spectre.Console;
using TokenAccounting.Tool;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
var output = AnsiConsole.Console;
if (Console.IsOutputRedirected)
{
    // Spectre assumes 80 columns when stdout is a file or a pipe; the report's tables are wider than that.
    output.Profile.Width = 160;
}

var console = new ToolConsole(output, Console.Out, error, Console.Error);
return await new ToolApp(console).RunAsync(args, cancel.Token).ConfigureAwait(false);
