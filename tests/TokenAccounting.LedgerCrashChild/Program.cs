// Writes batches to a JSON-lines ledger until it is killed. Prints "ready" once started, waits for "go" on stdin
// (so the parent can start it while it still checks the previous run), then per batch prints "writing <batchId>"
// before WriteAsync and "ack <batchId> <count>" after it completed (the batch is then durable). The parent test
// kills it with SIGKILL at a random point. Usage: dotnet TokenAccounting.LedgerCrashChild.dll <folder> <run> <seed>
// A second mode, `exit-without-dispose <folder> <count>`, records <count> records through a UsageRecorder into a
// JSON-lines sink with an hour-long flush interval and returns from Main without disposing anything: what reaches the
// ledger got there through the recorder's process-exit flush.
using System.Globalization;
using TokenAccounting;

if (args.Length == 3 && args[0] == "exit-without-dispose")
{
    var ledger = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(args[1], "usage-{date}.jsonl") });
    var recorder = UsageRecorder.Create(new TokenAccountingOptions { FlushInterval = TimeSpan.FromHours(1) }, ledger);
    var total = int.Parse(args[2], CultureInfo.InvariantCulture);
    for (var i = 0; i < total; i++)
    {
        recorder.Record(new UsageRecord { Id = $"exit-{i}", Model = "gpt-4o-mini", Provider = "openai", Tokens = new TokenCounts(10, 2) });
    }

    Console.Out.WriteLine($"recorded {total}");
    GC.KeepAlive(recorder);
    return 0;
}

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: TokenAccounting.LedgerCrashChild <folder> <run> <seed>");
    return 2;
}

var folder = args[0];
var run = args[1];
var random = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
var day = new DateTimeOffset(2026, 3, 1, 23, 0, 0, TimeSpan.Zero);

Console.Out.WriteLine("ready");
if (Console.In.ReadLine() != "go")
{
    return 4;
}

await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });

// A safety stop so a child the parent failed to kill does not run forever.
for (var n = 0; n < 100_000; n++)
{
    var batchId = $"{run}-b{n}";
    var count = random.Next(1, 100);

    // One batch in three spans midnight and so writes two files; the others alternate between the two days.
    var spansMidnight = n % 3 == 0;
    var records = new UsageRecord[count];
    for (var i = 0; i < count; i++)
    {
        var secondDay = spansMidnight ? i >= count / 2 : n % 2 == 0;
        records[i] = new UsageRecord
        {
            Id = $"{batchId}-r{i}",
            Model = "gpt-4o-mini",
            Provider = "openai",
            Operation = i % 5 == 0 ? UsageOperation.Embeddings : UsageOperation.Chat,
            Tokens = new TokenCounts(1000 + i, i, cachedInput: i / 2, reasoning: i / 3),
            CompletedAt = day.AddHours(secondDay ? 2 : 0).AddMilliseconds(i),
            UserId = "user-" + (i % 7).ToString(CultureInfo.InvariantCulture),
            TenantId = "tenant-ä",
            Cost = new UsageCost(0.0001m * i, 0.00001m, 0m, 0.0004m, 0m),
            Tags = new Dictionary<string, string> { ["run"] = run },
        };
    }

    Console.Out.WriteLine($"writing {batchId}");
    await sink.WriteAsync(new UsageBatch(batchId, records, []), CancellationToken.None);
    Console.Out.WriteLine($"ack {batchId} {count}");
}

return 3;
