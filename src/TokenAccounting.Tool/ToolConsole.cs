using Spectre.Console;

namespace TokenAccounting.Tool;

/// <summary>
/// Where the tool writes: <see cref="Out"/> for tables (Spectre), <see cref="RawOut"/> for machine formats (CSV,
/// JSON, HTML) so they stay byte-exact when piped, <see cref="Error"/> for errors, warnings and progress (stderr, so
/// piping stdout never mixes them in).
/// </summary>
internal sealed class ToolConsole(IAnsiConsole output, TextWriter rawOutput, IAnsiConsole error, TextWriter errorWriter)
{
    public IAnsiConsole Out { get; } = output;

    public TextWriter RawOut { get; } = rawOutput;

    public IAnsiConsole Error { get; } = error;

    /// <summary>Plain stderr, for System.CommandLine's own messages.</summary>
    public TextWriter ErrorWriter { get; } = errorWriter;

    public void Fail(string message) => Error.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    public void Warn(string message) => Error.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");
}
