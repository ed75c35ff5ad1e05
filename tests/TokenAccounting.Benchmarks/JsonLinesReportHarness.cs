using System.Diagnostics;
using TokenAccounting.Reporting;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Issue 17 §4, JSON-lines half: a spend report over a JSON-lines ledger streams it with memory bounded by the number
/// of grouping keys, not by records. Writes ledgers of growing size over the same key space (30 days × 9 models × 200
/// users in 20 tenants × 4 keys), a third of the details dropped as under overload (rollup lines complete), builds the
/// tool's report over <see cref="JsonLinesUsageQuery"/> (last 15 days against the 15 before) and prints, per size, the
/// time, the passes over the files, the peak managed heap sampled at every chunk read, the bytes allocated, the gen-2
/// collections and whether the totals equal the recorded ones.
/// <c>dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- jsonl-report-harness [records,records,...]</c>
/// </summary>
public static class JsonLinesReportHarness
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly string[] Models = ["gpt-4o", "gpt-4o-mini", "gpt-5", "gpt-5-mini", "o3", "claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-pro", "gemini-2.5-flash"];

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var sizes = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [100_000, 1_000_000];
        Console.WriteLine("records    | keys   | write s | report s | passes | peak heap MiB | allocated MiB | gen2 | totals exact");
        foreach (var size in sizes)
        {
            var folder = Path.Combine(Path.GetTempPath(), "ta-jsonl-report-" + Guid.NewGuid().ToString("N"));
            try
            {
                var watch = Stopwatch.StartNew();
                var (requests, cost) = await WriteAsync(folder, size).ConfigureAwait(false);
                var write = watch.Elapsed;
                var line = await MeasureAsync(folder, requests, cost).ConfigureAwait(false);
                Console.WriteLine(FormattableString.Invariant($"{size,10:N0} | {line.Keys,6:N0} | {write.TotalSeconds,7:0.0} | {line.Seconds,8:0.00} | {line.Passes,6} | {line.PeakHeapMiB,13:N1} | {line.AllocatedMiB,13:N0} | {line.Gen2,4} | {line.Exact}"));
            }
            finally
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }

        return 0;
    }

    private static async Task<(long Requests, decimal Cost)> WriteAsync(string folder, int count)
    {
        const int BatchSize = 5_000;
        var random = new Random(42);
        long requests = 0;
        var cost = 0m;
        await using var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });
        var batch = new List<UsageRecord>(BatchSize);
        for (var i = 0; i < count; i++)
        {
            var user = random.Next(200);
            var input = random.Next(100, 20_000);
            var record = new UsageRecord
            {
                Id = "r" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Model = Models[random.Next(Models.Length)],
                Provider = "openai",
                Tokens = new TokenCounts(input, random.Next(10, 2_000), cachedInput: input / 4),
                CompletedAt = Start.AddSeconds((long)i * 30 * 86_400 / count),
                UserId = "user-" + user,
                TenantId = "tenant-" + (user % 20),
                ApiKeyId = "key-" + (user % 4),
                Cost = new UsageCost(input * 0.0000025m, 0m, 0m, 0.00001m, 0m),
            };
            batch.Add(record);
            requests++;
            cost += record.Cost.Total;
            if (batch.Count == BatchSize || i == count - 1)
            {
                var rollups = batch.GroupBy(UsageRollupKey.For)
                    .Select(g => new UsageRollup(g.Key, g.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens), g.Count(), g.Select(r => r.Cost!).Aggregate((a, b) => a + b), 0))
                    .ToList();

                // A third of the details dropped, as the pipeline does under overload; the rollups stay complete.
                var kept = batch.Where((_, index) => index % 3 != 1).ToList();
                await sink.WriteAsync(new UsageBatch("b" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), kept, rollups), CancellationToken.None).ConfigureAwait(false);
                batch.Clear();
            }
        }

        return (requests, cost);
    }

    private static async Task<Measured> MeasureAsync(string folder, long requests, decimal cost)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var sampler = new HeapSampler();
        var query = new JsonLinesUsageQuery(folder) { Progress = sampler };
        var options = new SpendReportOptions(Start.AddDays(15), Start.AddDays(30)) { Top = 10 };
        var gen2 = GC.CollectionCount(2);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var report = await SpendReportBuilder.BuildAsync(query, options).ConfigureAwait(false);
        var seconds = watch.Elapsed.TotalSeconds;
        sampler.Sample();
        sampler.Stop();
        var all = await query.QueryTotalsAsync(new UsageQuery(Start, Start.AddDays(30))).ConfigureAwait(false);
        var keys = (await query.QueryTotalsAsync(new UsageQuery(Start, Start.AddDays(30)) { GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey] }).ConfigureAwait(false)).Rows.Count;
        var total = all.Rows[0];
        var exact = total.RequestCount == requests && total.Cost?.Total == cost
            && report.Totals.RequestCount + report.Change!.Previous.RequestCount == requests
            && report.Totals.TotalCost + report.Change.Previous.TotalCost == cost;
        return new Measured(
            keys,
            seconds,
            sampler.Passes,
            sampler.PeakBytes / (1024.0 * 1024.0),
            (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (1024.0 * 1024.0),
            GC.CollectionCount(2) - gen2,
            exact);
    }

    private sealed record Measured(int Keys, double Seconds, int Passes, double PeakHeapMiB, double AllocatedMiB, int Gen2, bool Exact);

    /// <summary>Samples the managed heap at every progress report (every chunk read) and counts passes.</summary>
    private sealed class HeapSampler : IProgress<long>
    {
        private long _last = -1;
        private bool _counting = true;

        public long PeakBytes { get; private set; }

        public int Passes { get; private set; }

        public void Report(long value)
        {
            if (_counting && (Passes == 0 || value < _last))
            {
                Passes++;
            }

            _last = value;
            Sample();
        }

        public void Sample()
        {
            if (_counting)
            {
                PeakBytes = Math.Max(PeakBytes, GC.GetTotalMemory(forceFullCollection: false));
            }
        }

        /// <summary>Stops counting: the check queries after the report are not part of it.</summary>
        public void Stop() => _counting = false;
    }
}
