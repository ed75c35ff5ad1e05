using TokenAccounting.Reporting.Tests.Infrastructure;

namespace TokenAccounting.Reporting.Tests.Tool;

public sealed class ToolErrorTests
{
    private static string Line(int version, string id) =>
        $$"""{"v":{{version}},"batch_id":"b","id":"{{id}}","model":"gpt-4o","operation":"chat","input_tokens":10,"output_tokens":5,"completed_at":"2026-03-20T10:00:00+00:00"}""";

    [Fact]
    public async Task Report_MissingLedger_ExitsOneNamingThePath()
    {
        var run = await ToolRun.InProcessAsync(["report", "no-such-ledger"]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("no-such-ledger: no such file or folder");
        run.RawOutput.ShouldBeEmpty();
    }

    [Fact]
    public async Task Report_ConnectionStringWithoutPostgresFlag_SuggestsTheFlag()
    {
        var run = await ToolRun.InProcessAsync(["report", "Host=db;Database=usage"]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("add --postgres");
    }

    [Fact]
    public async Task Report_CorruptLine_ExitsOneNamingFileAndLine()
    {
        using var folder = new TempFolder();
        var file = folder.File("usage-2026-03-20.jsonl");
        File.WriteAllText(file, Line(1, "a") + "\n{not json\n" + Line(1, "b") + "\n");

        var run = await ToolRun.InProcessAsync(["report", folder.Path]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("usage-2026-03-20.jsonl:2");
    }

    [Fact]
    public async Task Report_NewerSchemaLine_ExitsOneSayingSo()
    {
        using var folder = new TempFolder();
        var file = folder.File("usage-2026-03-20.jsonl");
        File.WriteAllText(file, Line(1, "a") + "\n" + Line(99, "b") + "\n" + Line(1, "c") + "\n");

        var run = await ToolRun.InProcessAsync(["report", file]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("99");
        run.Error.ShouldContain("usage-2026-03-20.jsonl");
    }

    [Fact]
    public async Task Report_UnknownFormat_ExitsOneNamingThePath()
    {
        using var folder = new TempFolder();
        var file = folder.File("notes.txt");
        File.WriteAllText(file, "hello, not a ledger");

        var run = await ToolRun.InProcessAsync(["report", file]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("notes.txt: unknown ledger format");
    }

    [Fact]
    public async Task Report_NewerSqliteSchema_ExitsOneNamingTheLedger()
    {
        using var folder = new TempFolder();
        var path = folder.File("usage.db");
        await new GeneratedUsage(10, 2).WriteSqliteAsync(path);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO tokenaccounting_schema_version (version, applied_at) VALUES (99, '2030-01-01T00:00:00Z')";
            command.ExecuteNonQuery();
        }

        var run = await ToolRun.InProcessAsync(["report", path]);

        run.ExitCode.ShouldBe(1);
        run.Error.ShouldContain("newer");
    }

    [Theory]
    [InlineData("--top", "0", "--top")]
    [InlineData("--by", "colour", "--by: \"colour\" is not a dimension")]
    [InlineData("--format", "pdf", "--format: \"pdf\"")]
    [InlineData("--from", "yesterday", "--from: \"yesterday\" is not a date")]
    public async Task Report_BadOptionValue_ExitsTwoNamingTheOption(string option, string value, string message)
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("usage-2026-03-20.jsonl"), Line(1, "a") + "\n");

        var run = await ToolRun.InProcessAsync(["report", folder.Path, option, value]);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain(message);
    }

    [Fact]
    public async Task UnknownOption_ExitsTwoWithAHintToHelp()
    {
        var run = await ToolRun.InProcessAsync(["report", "x", "--colour"]);

        run.ExitCode.ShouldBe(2);
        run.Error.ShouldContain("--colour");
        run.Error.ShouldContain("--help");
    }

    [Fact]
    public async Task Help_ListsTheCommandsAndExamples()
    {
        var run = await ToolRun.InProcessAsync(["--help"]);

        run.ExitCode.ShouldBe(0);
        foreach (var text in new[] { "report", "reprice", "prices", "tokenaccounting report usage-ledger", "Exit codes" })
        {
            run.RawOutput.ShouldContain(text);
        }
    }

    [Fact]
    public async Task ReportHelp_DescribesEveryOption()
    {
        var run = await ToolRun.InProcessAsync(["report", "--help"]);

        run.ExitCode.ShouldBe(0);
        foreach (var option in new[] { "--from", "--to", "--by", "--top", "--format", "--out", "--postgres", "--prices", "--budgets", "last day included" })
        {
            run.RawOutput.ShouldContain(option);
        }
    }
}
