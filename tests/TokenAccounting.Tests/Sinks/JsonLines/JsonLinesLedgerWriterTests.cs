using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TokenAccounting.Tests.Sinks.JsonLines;

// The sink writes lines with the hand-written JsonLinesLedgerWriter; these tests hold it to the bytes of the
// source-generated serializer (the DTO filled by JsonLinesLedgerFormat.Fill, on a Utf8JsonWriter with the relaxed
// encoder), which is what the ledger wrote before and what the reader's DTO describes.
public sealed class JsonLinesLedgerWriterTests
{
    private static readonly DateTimeOffset Noon = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    // Strings that exercise every escaping rule of the relaxed encoder: quotes, backslash, control characters, DEL,
    // HTML-sensitive characters (kept by the relaxed encoder), non-ASCII, emoji, separators, BOM and a lone surrogate.
    private static readonly string[] HardStrings =
    [
        string.Empty,
        "say \"hi\"",
        "back\\slash",
        "line one\nline two\r\n\tend",
        "\0nul \u0001 \u001f unit",
        "del \u007f",
        "<script>&amp;'+`</script>",
        "üñïçødé — ÅÄÖ ß",
        "漢字とかな",
        "rocket 🚀 family 👨‍👩‍👧",
        "separators \u2028 \u2029 nbsp \u00a0 bom \ufeff",
        "lone \ud800 surrogate",
        "\udc00 trailing low",
        string.Concat(Enumerable.Range(0, 128).Select(c => (char)c)),
        new string('x', 5000),
    ];

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    private static Dictionary<string, UsageRecord> Cases { get; } = BuildCases();

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void WriteLine_Record_BytesEqualTheSourceGeneratedSerializer(string caseName)
    {
        var record = Cases[caseName];

        var written = Write(record, "batch-1");

        Encoding.UTF8.GetString(written).ShouldBe(Encoding.UTF8.GetString(Reference(record, "batch-1")));
        written.ShouldBe(Reference(record, "batch-1"));
    }

    [Fact]
    public void WriteLine_RecordWithEveryFieldSet_WritesEveryPropertyOfTheFormatAsTheReferenceMappingDoes()
    {
        // Both writers must carry every field of the format: a property added to the DTO but not to Fill, or to Fill but
        // not to the hand-written writer, fails here (the byte comparison alone passes when both forget it).
        var record = LedgerTestData.FullRecord();
        var written = Encoding.UTF8.GetString(Write(record, "batch-1"));
        using var json = JsonDocument.Parse(written);
        var names = json.RootElement.EnumerateObject().Select(p => p.Name).ToList();

        var format = JsonLinesLedgerJsonContext.Default.JsonLinesLedgerLine.Properties.Select(p => p.Name).Where(n => n != "kind");
        names.ShouldBe(format, ignoreOrder: true);
        written.ShouldBe(Encoding.UTF8.GetString(Reference(record, "batch-1")));
        json.RootElement.GetProperty("input_audio_tokens").GetInt64().ShouldBe(700);
        json.RootElement.GetProperty("cached_input_audio_tokens").GetInt64().ShouldBe(200);
        json.RootElement.GetProperty("output_audio_tokens").GetInt64().ShouldBe(300);
        json.RootElement.GetProperty("server_tool_calls").GetProperty("web_search").GetInt64().ShouldBe(3);
        json.RootElement.GetProperty("server_tool_calls").GetProperty("code \"exec\" ü").GetInt64().ShouldBe(1);
    }

    [Fact]
    public void WriteLine_NoAudioAndNoToolCalls_WritesNoneOfTheirFields()
    {
        // Lines without audio keep the bytes they had before the fields existed.
        var written = Encoding.UTF8.GetString(Write(LedgerTestData.Record("a") with { ServerToolCalls = new Dictionary<string, long>() }, "b"));

        written.ShouldNotContain("audio");
        written.ShouldNotContain("server_tool_calls");
    }

    [Fact]
    public void WriteLine_NullBatchId_OmitsTheFieldLikeTheSerializer()
    {
        var record = Cases["all fields"];

        var written = Write(record, batchId: null);

        Encoding.UTF8.GetString(written).ShouldNotContain("batch_id");
        written.ShouldBe(Reference(record, batchId: null));
    }

    [Fact]
    public void WriteLine_RandomRecords_BytesEqualTheSourceGeneratedSerializer()
    {
        var random = new Random(20260115);
        var mismatches = new List<string>();
        using var writer = new JsonLinesLedgerWriter(initialCapacity: 16);
        for (var i = 0; i < 3000; i++)
        {
            var record = RandomRecord(random);
            var expected = Encoding.UTF8.GetString(Reference(record, "b-" + i));
            writer.Clear();
            writer.WriteLine(record, "b-" + i);
            var actual = Encoding.UTF8.GetString(writer.WrittenSpan);
            if (actual != expected && mismatches.Count < 3)
            {
                mismatches.Add($"expected {expected}\nactual   {actual}");
            }
        }

        mismatches.ShouldBeEmpty();
    }

    [Fact]
    public void WriteLine_RecordsSharingStringInstances_EveryLineEqualsTheSerializer()
    {
        // The writer reuses the bytes of a field's last value when the next record has the same string instance: lines
        // that alternate between shared instances (and equal strings that are other instances) must not mix them up.
        var random = new Random(7);
        var pool = HardStrings.Where(h => h.Length < 300).Append("gpt-4o").Append(new string('é', 300)).ToArray();
        var mismatches = new List<string>();
        using var writer = new JsonLinesLedgerWriter(initialCapacity: 16);
        for (var i = 0; i < 2000; i++)
        {
            string Pick() => random.Next(4) == 0 ? new string(pool[random.Next(pool.Length)].AsSpan()) : pool[random.Next(pool.Length)];
            var operation = Pick();
            var record = new UsageRecord
            {
                Model = Pick(),
                ResponseModel = Pick(),
                Provider = Pick(),
                Operation = operation.Trim().Length == 0 ? default : new UsageOperation(operation),
                DegradedReason = Pick(),
                UserId = Pick(),
                TenantId = Pick(),
                ApiKeyId = Pick(),
                Route = Pick(),
                ServiceTier = Pick(),
                ScopePath = Pick(),
            };
            var batchId = "batch-" + (i / 100);
            var expected = Encoding.UTF8.GetString(Reference(record, batchId));
            writer.Clear();
            writer.WriteLine(record, batchId);
            var actual = Encoding.UTF8.GetString(writer.WrittenSpan);
            if (actual != expected && mismatches.Count < 3)
            {
                mismatches.Add($"expected {expected}\nactual   {actual}");
            }
        }

        mismatches.ShouldBeEmpty();
    }

    [Fact]
    public void WriteLine_SeveralRecords_AppendsOneLinePerRecordThatTheReaderParsesBack()
    {
        // The reader rejects lines without a model or with an unknown enum value, and (issue 12 §1) what Record() would
        // reject once written (a lone surrogate is written as U+FFFD, so that one is read back); every other case must parse back.
        var records = Cases.Values
            .Where(r => !string.IsNullOrWhiteSpace(r.Model) && Enum.IsDefined(r.Provenance) && Enum.IsDefined(r.Outcome) && PassesRecordRulesOnceWritten(r))
            .ToList();
        using var writer = new JsonLinesLedgerWriter(initialCapacity: 16);
        foreach (var record in records)
        {
            writer.WriteLine(record, "batch-1");
        }

        var lines = Encoding.UTF8.GetString(writer.WrittenSpan).Split('\n');
        lines.Length.ShouldBe(records.Count + 1);
        lines[^1].ShouldBeEmpty();
        for (var i = 0; i < records.Count; i++)
        {
            var parsed = JsonLinesLedgerFormat.Parse(Encoding.UTF8.GetBytes(lines[i]), "test.jsonl", i + 1);
            parsed.Id.ShouldBe(AsUtf8CarriesIt(records[i].Id));
            parsed.Model.ShouldBe(AsUtf8CarriesIt(records[i].Model));
        }
    }

    [Fact]
    public void Clear_AfterLines_TheNextLineIsAllTheBufferHolds()
    {
        using var writer = new JsonLinesLedgerWriter(initialCapacity: 16);
        writer.WriteLine(Cases["all fields"], "batch-1");
        writer.WriteLine(Cases["all fields"], "batch-1");

        writer.Clear();
        writer.WriteLine(Cases["only model"], "batch-2");

        writer.WrittenSpan.ToArray().ShouldBe(Reference(Cases["only model"], "batch-2"));
    }

    [Theory]
    [InlineData(0, 0, 0, false, 0)]
    [InlineData(0, 0, 0, true, 0)]
    [InlineData(0, 0, 0, true, 5)]
    [InlineData(0, 0, 0, false, 28)]
    [InlineData(1, 0, 0, true, 28)]
    [InlineData(2640, 0, 0, false, 8)]
    [InlineData(-1, -1, 0, true, 0)]
    [InlineData(-1, -1, 0, false, 28)]
    [InlineData(-1, -1, 0, true, 19)]
    [InlineData(123456789, 0, 0, true, 3)]
    [InlineData(1000, 0, 0, false, 3)]
    public void TryFormatDecimal_SixtyFourBitMantissa_MatchesUtf8JsonWriter(int lo, int mid, int hi, bool negative, byte scale)
    {
        var value = new decimal(lo, mid, hi, negative, scale);
        Span<byte> destination = stackalloc byte[32];

        JsonLinesLedgerWriter.TryFormatDecimal(value, destination, out var written).ShouldBeTrue();

        Encoding.UTF8.GetString(destination[..written]).ShouldBe(WriterNumber(value));
    }

    [Fact]
    public void TryFormatDecimal_MantissaOverSixtyFourBits_DeclinesSoTheSerializerFormatsIt()
    {
        Span<byte> destination = stackalloc byte[32];

        JsonLinesLedgerWriter.TryFormatDecimal(decimal.MaxValue, destination, out _).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(10_000L)]
    [InlineData(-10_000L)]
    [InlineData(8_122_500L)]
    [InlineData(8_120_000L)]
    [InlineData(123_456_789L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(long.MinValue + 1)]
    public void FormatMilliseconds_Ticks_MatchesTheSerializedDecimalTicksOver10000(long ticks)
    {
        Span<byte> destination = stackalloc byte[32];

        var written = JsonLinesLedgerWriter.FormatMilliseconds(TimeSpan.FromTicks(ticks), destination);

        Encoding.UTF8.GetString(destination[..written]).ShouldBe(WriterNumber(ticks / 10_000m));
    }

    private static bool PassesRecordRulesOnceWritten(UsageRecord record)
    {
        var written = record with
        {
            Id = AsUtf8CarriesIt(record.Id),
            Model = AsUtf8CarriesIt(record.Model)!,
            ResponseModel = AsUtf8CarriesIt(record.ResponseModel),
            Provider = AsUtf8CarriesIt(record.Provider),
            Operation = new UsageOperation(AsUtf8CarriesIt(record.Operation.Value)!),
            DegradedReason = AsUtf8CarriesIt(record.DegradedReason),
            CorrelationId = AsUtf8CarriesIt(record.CorrelationId),
            UserId = AsUtf8CarriesIt(record.UserId),
            TenantId = AsUtf8CarriesIt(record.TenantId),
            ApiKeyId = AsUtf8CarriesIt(record.ApiKeyId),
            Route = AsUtf8CarriesIt(record.Route),
            ServiceTier = AsUtf8CarriesIt(record.ServiceTier),
            ScopePath = AsUtf8CarriesIt(record.ScopePath),
            Text = AsUtf8CarriesIt(record.Text),
            Tags = record.Tags?.ToDictionary(t => AsUtf8CarriesIt(t.Key)!, t => AsUtf8CarriesIt(t.Value)!),
            StageDurations = record.StageDurations?.ToDictionary(t => AsUtf8CarriesIt(t.Key)!, t => t.Value),
            ServerToolCalls = record.ServerToolCalls?.ToDictionary(t => AsUtf8CarriesIt(t.Key)!, t => t.Value),
        };
        try
        {
            written.Validate();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // A lone surrogate cannot be written as UTF-8: like the serializer, the writer puts U+FFFD in its place.
    private static string? AsUtf8CarriesIt(string? value) => value is null ? null : Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value));

    private static string WriterNumber(decimal value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteNumberValue(value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // A tiny initial buffer, so that growing it mid-line is exercised too.
    private static byte[] Write(UsageRecord record, string? batchId)
    {
        using var writer = new JsonLinesLedgerWriter(initialCapacity: 16);
        writer.WriteLine(record, batchId);
        return writer.WrittenSpan.ToArray();
    }

    private static byte[] Reference(UsageRecord record, string? batchId)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var line = new JsonLinesLedgerLine();
        JsonLinesLedgerFormat.Fill(line, record, batchId!);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            JsonSerializer.Serialize(json, line, JsonLinesLedgerJsonContext.Default.JsonLinesLedgerLine);
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static Dictionary<string, UsageRecord> BuildCases()
    {
        var cases = new Dictionary<string, UsageRecord>
        {
            ["all fields"] = LedgerTestData.FullRecord() with { Cost = new UsageCost(0.000000123456789012m, 0.0015m, 0.30000m, 12.5m, 0.0000001m, 0.1m) },
            ["only model"] = new() { Model = "m" },
            ["empty strings"] = new()
            {
                Id = string.Empty,
                Model = string.Empty,
                ResponseModel = string.Empty,
                Provider = string.Empty,
                DegradedReason = string.Empty,
                CorrelationId = string.Empty,
                UserId = string.Empty,
                TenantId = string.Empty,
                ApiKeyId = string.Empty,
                Route = string.Empty,
                ServiceTier = string.Empty,
                ScopePath = string.Empty,
                Text = string.Empty,
                Tags = new Dictionary<string, string> { [string.Empty] = string.Empty },
                StageDurations = new Dictionary<string, TimeSpan> { [string.Empty] = TimeSpan.Zero },
            },
            ["empty dictionaries are omitted"] = new()
            {
                Model = "m",
                Tags = new Dictionary<string, string>(),
                StageDurations = new Dictionary<string, TimeSpan>(),
            },
            ["tags through the interface, not a Dictionary"] = new()
            {
                Model = "m",
                Tags = new SortedDictionary<string, string> { ["b"] = "2", ["a\""] = "1\n" },
                ServerToolCalls = new SortedDictionary<string, long> { ["z_search"] = 2, ["a\\tool"] = 0 },
                StageDurations = new ReadOnlyDictionary<string, TimeSpan>(new Dictionary<string, TimeSpan> { ["z"] = TimeSpan.FromTicks(5), ["y\\"] = TimeSpan.FromTicks(-5) }),
            },
            ["null tag value"] = new() { Model = "m", Tags = new Dictionary<string, string> { ["k"] = null! } },
            ["unknown enum values"] = new() { Model = "m", Provenance = (UsageProvenance)7, Outcome = (UsageOutcome)(-3) },
            ["default struct values"] = new() { Model = "m", Operation = default, Tokens = default },
            ["huge tokens and history"] = new()
            {
                Model = "m",
                // Every count at its largest: a saturated sum, since counts whose total overflows are not valid input (issue 12 §2).
                Tokens = new TokenCounts(long.MaxValue, 0, cachedInput: long.MaxValue / 2, cacheWriteInput: long.MaxValue / 4, cacheWriteLongTtlInput: 1)
                    + new TokenCounts(0, long.MaxValue, reasoning: long.MaxValue),
                HistoryLength = int.MinValue,
            },
            ["audio counts and server tool calls"] = new()
            {
                Model = "m",
                Tokens = new TokenCounts(1000, 500, cachedInput: 300, cacheWriteInput: 100, cacheWriteLongTtlInput: 0, reasoning: 50, inputAudio: 400, cachedInputAudio: 250, outputAudio: 450),
                ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 3, ["file_search"] = long.MaxValue, ["ü \"q\""] = 0 },
                Cost = new UsageCost(0m, 0m, 0m, 0m, 0m, 0m, 0.004m, 0.00025m, 0.09m, 0.001m, 0.03m),
            },
            ["only output audio"] = new() { Model = "m", Tokens = new TokenCounts(10, 20, 0, 0, 0, 0, inputAudio: 0, cachedInputAudio: 0, outputAudio: 20) },
            ["empty server tool calls are omitted"] = new() { Model = "m", ServerToolCalls = new Dictionary<string, long>() },
            ["zero history"] = new() { Model = "m", HistoryLength = 0, Latency = TimeSpan.Zero },
            ["zero cost"] = new() { Model = "m", Cost = UsageCost.Zero },
            ["zero costs with scale"] = new() { Model = "m", Cost = new UsageCost(0.000m, 0.00m, 0.0000000000000000000000000000m, 0.0m, 0m, 0.0000m) },
            ["tiny and huge costs"] = new()
            {
                Model = "m",
                Cost = new UsageCost(0.0000000000000000000000000001m, 1_000_000_000_000_000_000_000_000m, 18_446_744_073_709_551_615m, 18_446_744_073_709_551_616m, 1.8446744073709551616m, 0.0000000000000000000000000001m),
            },
            ["costs with trailing zeros"] = new() { Model = "m", Cost = new UsageCost(1.000m, 2.50m, 100m, 0.1000000m, 3m, 100.00m) },
            ["extreme durations"] = new()
            {
                Model = "m",
                Latency = TimeSpan.MaxValue,
                StageDurations = new Dictionary<string, TimeSpan> { ["min"] = TimeSpan.MinValue, ["neg"] = TimeSpan.FromTicks(-12_345), ["tick"] = TimeSpan.FromTicks(1), ["ms"] = TimeSpan.FromMilliseconds(1) },
            },
            ["extreme dates"] = new() { Model = "m", StartedAt = DateTimeOffset.MinValue, CompletedAt = DateTimeOffset.MaxValue },
            ["dates with offsets and fractions"] = new()
            {
                Model = "m",
                StartedAt = new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.FromMinutes(330)).AddTicks(1_200_000),
                CompletedAt = new DateTimeOffset(1999, 12, 31, 0, 0, 0, TimeSpan.FromHours(-8)).AddTicks(9_999_999),
            },
        };

        for (var i = 0; i < HardStrings.Length; i++)
        {
            var s = HardStrings[i];
            cases[$"hard string {i}"] = new()
            {
                Id = s,
                Model = s,
                ResponseModel = s,
                Provider = s,
                Operation = s.Trim().Length == 0 ? default : new UsageOperation(s),
                DegradedReason = s,
                StageDurations = new Dictionary<string, TimeSpan> { [s] = TimeSpan.FromTicks(i) },
                CorrelationId = s,
                UserId = s,
                TenantId = s,
                ApiKeyId = s,
                Route = s,
                ServiceTier = s,
                ScopePath = s,
                Tags = new Dictionary<string, string> { [s] = s, ["plain"] = s },
                ServerToolCalls = new Dictionary<string, long> { [s] = i, ["plain"] = i },
                Text = s,
            };
        }

        return cases;
    }

    private static UsageRecord RandomRecord(Random random)
    {
        string? Text() => random.Next(4) switch
        {
            0 => null,
            1 => HardStrings[random.Next(HardStrings.Length - 1)],
            _ => new string(Enumerable.Range(0, random.Next(0, 24)).Select(_ => RandomChar(random)).ToArray()),
        };

        decimal Money() => new(random.Next(), random.Next(3) == 0 ? random.Next() : 0, random.Next(10) == 0 ? random.Next(1000) : 0, false, (byte)random.Next(29));

        DateTimeOffset? Date() => random.Next(3) == 0
            ? null
            : new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.Ticks + TimeSpan.TicksPerDay, DateTimeOffset.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1)))
                .AddTicks(-random.Next(10_000_000));

        var input = random.NextInt64(0, 1L << 40);
        var cached = random.NextInt64(0, input / 2 + 1);
        var cacheWrite = random.NextInt64(0, input - cached + 1);
        var output = random.NextInt64(0, 1L << 30);
        var cacheWriteCost = Money();
        var reasoning = random.NextInt64(0, output + 1);
        var tokens = new TokenCounts(input, output, cached, cacheWrite, random.NextInt64(0, cacheWrite + 1), reasoning);
        if (random.Next(2) == 0)
        {
            var cachedAudio = random.NextInt64(0, cached + 1);
            tokens = tokens.WithAudio(cachedAudio + random.NextInt64(0, input - cached - cacheWrite + 1), cachedAudio, random.NextInt64(0, output - reasoning + 1));
        }

        return new UsageRecord
        {
            Id = Text(),
            Model = Text() ?? "m",
            ResponseModel = Text(),
            Provider = Text(),
            Operation = random.Next(2) == 0 ? UsageOperation.Chat : UsageOperation.Embeddings,
            Tokens = tokens,
            Provenance = (UsageProvenance)random.Next(3),
            Outcome = (UsageOutcome)random.Next(5),
            DegradedReason = Text(),
            StartedAt = Date(),
            CompletedAt = Date(),
            Latency = random.Next(3) == 0 ? null : TimeSpan.FromTicks(random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(64)),
            StageDurations = random.Next(3) == 0
                ? null
                : Enumerable.Range(0, random.Next(4)).ToDictionary(i => "s" + i + Text(), _ => TimeSpan.FromTicks(random.NextInt64(-1_000_000_000, 1_000_000_000))),
            HistoryLength = random.Next(3) == 0 ? null : random.Next(int.MinValue, int.MaxValue),
            CorrelationId = Text(),
            UserId = Text(),
            TenantId = Text(),
            ApiKeyId = Text(),
            Route = Text(),
            ServiceTier = Text(),
            ScopePath = Text(),
            Tags = random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(4)).ToDictionary(i => "t" + i + Text(), _ => Text()!),
            ServerToolCalls = random.Next(3) == 0 ? null : Enumerable.Range(0, random.Next(3)).ToDictionary(i => "tool" + i + Text(), _ => random.NextInt64(0, long.MaxValue) >> random.Next(64)),
            Cost = random.Next(3) == 0
                ? null
                : random.Next(2) == 0
                    ? new UsageCost(Money(), Money(), cacheWriteCost, Money(), Money(), random.Next(2) == 0 ? 0m : cacheWriteCost / 2)
                    : new UsageCost(Money(), Money(), cacheWriteCost, Money(), Money(), cacheWriteCost / 2, Money(), Money(), random.Next(2) == 0 ? 0m : Money(), Money(), Money()),
            Text = Text(),
            IsUnpaired = random.Next(2) == 0,
        };
    }

    private static char RandomChar(Random random) => random.Next(10) switch
    {
        0 => (char)random.Next(0, 0x20),
        1 => "\"\\/<>&'+`\u007f"[random.Next(10)],
        2 => (char)random.Next(0x80, 0xd800),
        3 => (char)random.Next(0xd800, 0xe000),
        4 => (char)random.Next(0xe000, 0x10000),
        _ => (char)random.Next(0x20, 0x7f),
    };
}
