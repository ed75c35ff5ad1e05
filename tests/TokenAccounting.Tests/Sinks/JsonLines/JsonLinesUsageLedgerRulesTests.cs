using System.Text;
using static TokenAccounting.Tests.Sinks.JsonLines.LedgerTestData;

namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>The JSON-lines reader holds what it reads to the rules Record() applies (issue 12 §1), naming file, line and rule.</summary>
public sealed class JsonLinesUsageLedgerRulesTests : IDisposable
{
    private const string Good = "{\"v\":1,\"id\":\"ok\",\"model\":\"m\"}";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string, string> BadLines => new()
    {
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"user_id\":\"u\\u0000\"}", "UserId" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"tags\":{\"k\":\"v\\u0000\"}}", "Tags" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"" + new string('m', 3000) + "\"}", "UsageRecordLimits.MaxModelLength" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"input_tokens\":9223372036854775807,\"output_tokens\":1}", "Total would overflow" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"latency_ms\":-5}", "Latency" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"stage_durations_ms\":{\"ttft\":-1}}", "StageDurations" },
        { "{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"cost_input_usd\":79228162514264337593543950335,\"cost_output_usd\":1}", "Cost.Total must fit" },

        // Issue 15 §4: the audio counts and server tool calls of version 2, held to the TokenCounts and record rules.
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"input_tokens\":10,\"cached_input_tokens\":5,\"input_audio_tokens\":2,\"cached_input_audio_tokens\":3}", "CachedInputAudio (3) must not exceed InputAudio (2)" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"input_tokens\":10,\"input_audio_tokens\":11}", "InputAudio (11)" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"output_tokens\":10,\"reasoning_tokens\":6,\"output_audio_tokens\":5}", "OutputAudio (5) + Reasoning (6) must not exceed Output (10)" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"input_tokens\":10,\"input_audio_tokens\":-1}", "InputAudio" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"server_tool_calls\":{\"web_search\":-1}}", "ServerToolCalls[web_search] must be zero or greater" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"server_tool_calls\":{\" \":1}}", "ServerToolCalls: a tool name is empty" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"server_tool_calls\":{\"web\\u0000search\":1}}", "ServerToolCalls" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"server_tool_calls\":{" + string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"t{i}\":1")) + "}}", "UsageRecordLimits.MaxServerToolCount" },
        { "{\"v\":2,\"id\":\"a\",\"model\":\"m\",\"server_tool_calls\":{\"" + new string('t', 129) + "\":1}}", "UsageRecordLimits.MaxServerToolNameLength" },
        { "{\"v\":2,\"kind\":\"rollup\",\"batch_id\":\"b\",\"date\":\"2026-01-15\",\"model\":\"m\",\"operation\":\"chat\",\"request_count\":1,\"input_tokens\":10,\"cached_input_tokens\":2,\"input_audio_tokens\":4,\"cached_input_audio_tokens\":3}", "CachedInputAudio (3) must not exceed CachedInput (2)" },
        { "{\"v\":2,\"kind\":\"rollup\",\"batch_id\":\"b\",\"date\":\"2026-01-15\",\"model\":\"m\",\"operation\":\"chat\",\"request_count\":1,\"output_tokens\":4,\"output_audio_tokens\":5}", "OutputAudio (5)" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task ReadAsync_LineBreakingARecordRule_ThrowsFormatExceptionNamingFileLineAndRule(string line, string rule)
    {
        File.WriteAllText(_folder.Day("2026-01-15"), Good + "\n" + line + "\n" + Good + "\n");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(_folder.Day("2026-01-15") + ":2:");
        ex.Message.ShouldContain(rule);
    }

    [Fact]
    public async Task ReadAsync_LineWithInvalidUtf8InAString_ThrowsFormatExceptionNamingFileAndLine()
    {
        var bytes = Encoding.UTF8.GetBytes(Good + "\n{\"v\":1,\"id\":\"a\",\"model\":\"#\"}\n" + Good + "\n");
        var at = Array.IndexOf(bytes, (byte)'#');
        bytes[at] = 0xFF;
        File.WriteAllBytes(_folder.Day("2026-01-15"), bytes);

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(":2:");
    }

    [Fact]
    public async Task ReadAsync_LineWithUnpairedSurrogateEscape_ThrowsFormatExceptionNamingFileAndLine()
    {
        File.WriteAllText(_folder.Day("2026-01-15"), Good + "\n{\"v\":1,\"id\":\"a\",\"model\":\"m\",\"route\":\"\\ud800\"}\n" + Good + "\n");

        var ex = await Should.ThrowAsync<FormatException>(() => ReadAllAsync(_folder.Path));

        ex.Message.ShouldContain(":2:");
    }
}
