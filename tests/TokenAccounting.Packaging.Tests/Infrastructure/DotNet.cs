using System.Diagnostics;
using System.Text;

namespace TokenAccounting.Packaging.Tests.Infrastructure;

/// <summary>The result of one command: its exit code and everything it wrote.</summary>
public sealed record CommandResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>The command, its exit code and the tail of its output, for an assertion message.</summary>
    public string Describe()
    {
        static string Tail(string text) => text.Length <= 6_000 ? text : "…" + text[^6_000..];
        return $"`{Command}` exited with {ExitCode}.{Environment.NewLine}stdout:{Environment.NewLine}{Tail(StandardOutput)}{Environment.NewLine}stderr:{Environment.NewLine}{Tail(StandardError)}";
    }

    /// <summary>Fails with the command's output unless it exited with 0.</summary>
    public CommandResult ShouldSucceed()
    {
        ExitCode.ShouldBe(0, Describe());
        return this;
    }
}

/// <summary>Runs the `dotnet` CLI (or a program) as a child process, outside the test host's MSBuild environment.</summary>
internal static class DotNet
{
    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>.</summary>
    public static Task<CommandResult> RunAsync(string workingDirectory, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null) =>
        RunProgramAsync("dotnet", workingDirectory, arguments, timeout, environment);

    /// <summary>Runs <paramref name="program"/> with <paramref name="arguments"/>; kills it (and its children) after <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunProgramAsync(string program, string workingDirectory, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under MSBuild/VSTest variables that would point a child build at the wrong SDK pieces.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var command = program + " " + string.Join(' ', arguments);
        using var process = new Process { StartInfo = start };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timer = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"`{command}` did not finish within {timeout}.{Environment.NewLine}{stdout}{stderr}");
        }

        process.WaitForExit(); // drains the redirected streams
        lock (stdout)
        {
            lock (stderr)
            {
                return new CommandResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
            }
        }
    }
}
