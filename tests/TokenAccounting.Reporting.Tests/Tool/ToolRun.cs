using System.Diagnostics;
using Spectre.Console.Testing;

namespace TokenAccounting.Reporting.Tests.Tool;

/// <summary>One run of the tool: in process on Spectre test consoles, or as a real process.</summary>
internal sealed record ToolRun(int ExitCode, string Output, string RawOutput, string Error)
{
    public static readonly DateTimeOffset Now = new(2026, 3, 25, 15, 0, 0, TimeSpan.Zero);

    public static async Task<ToolRun> InProcessAsync(string[] args, bool interactiveError = false, long progressThresholdBytes = 32L * 1024 * 1024)
    {
        var output = new TestConsole().Width(220);
        var error = new TestConsole().Width(220);
        if (interactiveError)
        {
            error.Interactive();
            error.EmitAnsiSequences = true;
        }

        using var raw = new StringWriter();
        using var errorWriter = new StringWriter();
        var app = new TokenAccounting.Tool.ToolApp(
            new TokenAccounting.Tool.ToolConsole(output, raw, error, errorWriter),
            new FakeTimeProvider(Now)) { ProgressThresholdBytes = progressThresholdBytes };
        var code = await app.RunAsync(args);
        return new ToolRun(code, output.Output, raw.ToString(), error.Output + errorWriter);
    }

    /// <summary>Runs the built tool (copied next to the tests) with <c>dotnet</c>, as a user would.</summary>
    public static async Task<ToolRun> ProcessAsync(string workingDirectory, params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "TokenAccounting.Tool.dll");
        File.Exists(tool).ShouldBeTrue($"the tool is built next to the tests ({tool})");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new ToolRun(process.ExitCode, await stdout, await stdout, await stderr);
    }
}
