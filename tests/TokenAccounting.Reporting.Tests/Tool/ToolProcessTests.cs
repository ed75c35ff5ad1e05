using System.Text.Json;
using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Tool;

/// <summary>The tool as a user runs it: a separate process, its exit code, stdout and stderr.</summary>
public sealed class ToolProcessTests(GeneratedLedgers ledgers) : IClassFixture<GeneratedLedgers>
{
    [Fact]
    public async Task Process_ReportJson_PrintsOnlyJsonOnStdoutAndExitsZero()
    {
        var run = await ToolRun.ProcessAsync(Path.GetTempPath(), "report", ledgers.SqlitePath, "--from", "2026-03-01", "--to", "2026-03-20", "--format", "json");

        run.ExitCode.ShouldBe(0, run.Error);
        run.Error.ShouldBeEmpty();
        JsonDocument.Parse(run.Output).RootElement.GetProperty("totals").GetProperty("requests").GetInt64().ShouldBe(ledgers.Usage.Records.Count);
    }

    [Fact]
    public async Task Process_MissingLedger_ExitsOneWithTheReasonOnStderr()
    {
        var run = await ToolRun.ProcessAsync(Path.GetTempPath(), "report", "missing-ledger-folder");

        run.ExitCode.ShouldBe(1);
        run.Output.ShouldBeEmpty();
        run.Error.ShouldContain("missing-ledger-folder: no such file or folder");
    }

    [Fact]
    public async Task Process_BadArguments_ExitsTwo()
    {
        var run = await ToolRun.ProcessAsync(Path.GetTempPath(), "report");

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain("ledger");
    }
}
