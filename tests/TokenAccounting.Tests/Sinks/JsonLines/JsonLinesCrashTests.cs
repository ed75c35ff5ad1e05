using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace TokenAccounting.Tests.Sinks.JsonLines;

/// <summary>
/// The ledger under SIGKILL. A child process (tests/TokenAccounting.LedgerCrashChild) writes batches in a loop,
/// printing "writing &lt;batchId&gt;" before each WriteAsync and "ack &lt;batchId&gt; &lt;count&gt;" after it completed. It is
/// killed when a random number of those lines has been read (so the kill lands between batches or inside a write),
/// 50 times in a row on the same ledger folder; after each kill the ledger is checked, read and repaired. One run in
/// three also gets a line cut short, as a kill inside write(2) leaves it (timing alone rarely produces that).
/// </summary>
public sealed class JsonLinesCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 50;
    private static readonly string[] Days = ["2026-03-01", "2026-03-02"];
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task WriteAsync_ChildKilledWithSigkill50Times_EveryAckedBatchReadBackExactlyOnceAndNothingElseCorrupt()
    {
        var childDll = Path.Combine(AppContext.BaseDirectory, "TokenAccounting.LedgerCrashChild.dll");
        File.Exists(childDll).ShouldBeTrue($"the crash child is built next to the tests: {childDll}");
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var ledger = new LedgerState(_folder);
        var acked = new Dictionary<string, int>(StringComparer.Ordinal);
        var unacked = new Dictionary<string, int>(StringComparer.Ordinal);
        var tornFiles = 0;
        var killsInsideWrite = 0;
        var simulatedTears = 0;
        var clock = Stopwatch.StartNew();

        // The next child is started while the previous run is checked, and told to "go" once the check is done.
        var next = Child.Start(childDll, _folder.Path, "k0", random.Next());
        for (var kill = 0; kill < Kills; kill++)
        {
            var run = "k" + kill.ToString(CultureInfo.InvariantCulture);
            using var child = next ?? throw new InvalidOperationException("No child was started for this run.");
            var insideWrite = random.Next(2) == 0;
            var (ackedThisRun, killedAfterWriting) = await child.RunAndKillAsync(killAfterLines: random.Next(1, 6), onWritingLine: insideWrite);
            killsInsideWrite += killedAfterWriting ? 1 : 0;
            next = kill + 1 < Kills ? Child.Start(childDll, _folder.Path, "k" + (kill + 1).ToString(CultureInfo.InvariantCulture), random.Next()) : null;
            foreach (var (batchId, count) in ackedThisRun)
            {
                acked.Add(batchId, count);
            }

            // A kill rarely lands inside write(2) itself (the copy into the page cache takes microseconds next to the
            // fsync), so one run in three also cuts a line short the way such a kill would: the checks below and the
            // repair must then handle it like a real torn tail.
            if (random.Next(3) == 0)
            {
                var line = Encoding.UTF8.GetBytes($"{{\"v\":1,\"batch_id\":\"{run}-torn\",\"id\":\"{run}-torn-r0\",\"model\":\"gpt-4o-mini\",\"input_tokens\":1000}}");
                using var file = new FileStream(_folder.Day(Days[random.Next(2)]), FileMode.Append);
                file.Write(line, 0, random.Next(1, line.Length));
                simulatedTears++;
            }

            // 1. Raw check: every line that ends with a newline is a valid JSON object; only bytes after the last
            //    newline may be torn. No record id appears twice; every acked batch is there, whole.
            var tails = ledger.CheckNewLines(seed);
            foreach (var (batchId, count) in acked)
            {
                ledger.LinesByBatch.GetValueOrDefault(batchId).ShouldBe(count, $"acked batch {batchId} (seed {seed})");
                ledger.Ids.ShouldContain($"{batchId}-r{count - 1}");
            }

            // Batches present but not acknowledged can only be those in flight at a kill: after the last acked batch
            // of their run. Once seen, they never change.
            var lastAcked = ackedThisRun.Count == 0 ? -1 : ackedThisRun.Keys.Select(BatchNumber).Max();
            foreach (var (batchId, count) in ledger.LinesByBatch.Where(b => !acked.ContainsKey(b.Key)))
            {
                if (unacked.TryGetValue(batchId, out var seen))
                {
                    count.ShouldBe(seen, $"unacked batch {batchId} of an earlier run changed (seed {seed})");
                    continue;
                }

                batchId.ShouldStartWith(run + "-b", Case.Sensitive, $"unacked batch {batchId} (seed {seed})");
                BatchNumber(batchId).ShouldBeGreaterThan(lastAcked, $"(seed {seed})");
                unacked.Add(batchId, count);
            }

            // 2. The reader returns exactly the complete lines, skipping a torn tail.
            var read = await LedgerTestData.ReadAllAsync(_folder.Path);
            read.Count.ShouldBe(ledger.Ids.Count);
            read.Select(r => r.Id!).ToHashSet(StringComparer.Ordinal).SetEquals(ledger.Ids).ShouldBeTrue($"(seed {seed})");

            // 3. Opening for write repairs: a torn tail moves to .broken and the file ends on a complete line.
            tornFiles += tails.Count;
            var brokenBefore = Days.ToDictionary(d => d, d => BrokenLength(_folder.Day(d)));
            using (var sink = new JsonLinesUsageSink(new() { PathTemplate = _folder.Template }))
            {
                var repair = $"repair-{run}";
                await sink.WriteAsync(new UsageBatch(repair, [Marker($"{repair}-r0", Days[0]), Marker($"{repair}-r1", Days[1])], []), CancellationToken.None);
                acked.Add(repair, 2);
            }

            foreach (var day in Days)
            {
                var expectedGrowth = tails.TryGetValue(_folder.Day(day), out var tail) ? tail.Length + 1 : 0;
                (BrokenLength(_folder.Day(day)) - brokenBefore[day]).ShouldBe(expectedGrowth, $"{day}.broken (seed {seed})");
            }

            ledger.CheckNewLines(seed).ShouldBeEmpty();
            if (next is not null)
            {
                await next.GoAsync();
            }
        }

        clock.Stop();
        output.WriteLine(
            $"{Kills} SIGKILLs in {clock.Elapsed.TotalSeconds:F1} s (seed {seed}): {killsInsideWrite} kills right after \"writing\", " +
            $"{acked.Count - Kills} acked batches, {unacked.Count} unacked batches present (in flight at the kill, lines whole), " +
            $"{tornFiles} torn tails repaired ({simulatedTears} of them simulated).");
    }

    private static int BatchNumber(string batchId) =>
        int.Parse(batchId.AsSpan(batchId.LastIndexOf("-b", StringComparison.Ordinal) + 2), CultureInfo.InvariantCulture);

    private static long BrokenLength(string file) => File.Exists(file + ".broken") ? new FileInfo(file + ".broken").Length : 0;

    private static UsageRecord Marker(string id, string day) => new()
    {
        Id = id,
        Model = "marker",
        CompletedAt = DateTimeOffset.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).AddHours(12),
    };

    /// <summary>What the checks have seen so far; each check parses only the bytes added since the previous one.</summary>
    private sealed class LedgerState(TempFolder folder)
    {
        private readonly Dictionary<string, (long Offset, int LineNumber)> _checked = [];

        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> LinesByBatch { get; } = new(StringComparer.Ordinal);

        /// <summary>Parses every new newline-terminated line strictly and returns the torn tail (bytes after the last newline) per file.</summary>
        public Dictionary<string, byte[]> CheckNewLines(int seed)
        {
            var tails = new Dictionary<string, byte[]>();
            foreach (var file in Days.Select(folder.Day).Where(File.Exists))
            {
                var (offset, lineNumber) = _checked.GetValueOrDefault(file);
                var bytes = File.ReadAllBytes(file);
                bytes.Length.ShouldBeGreaterThanOrEqualTo((int)offset, $"{file} lost checked lines (seed {seed})");
                var start = (int)offset;
                while (Array.IndexOf(bytes, (byte)'\n', start) is var at and >= 0)
                {
                    lineNumber++;
                    string batchId, id;
                    try
                    {
                        using var json = JsonDocument.Parse(bytes.AsMemory(start, at - start));
                        json.RootElement.GetProperty("v").GetInt32().ShouldBe(JsonLinesLedgerFormat.CurrentVersion);
                        batchId = json.RootElement.GetProperty("batch_id").GetString()!;
                        id = json.RootElement.GetProperty("id").GetString()!;
                    }
                    catch (JsonException ex)
                    {
                        throw new ShouldAssertException($"{file}:{lineNumber} is a complete line but not valid JSON (seed {seed}): {ex.Message}", ex);
                    }

                    Ids.Add(id).ShouldBeTrue($"{file}:{lineNumber}: record {id} appears twice (seed {seed})");
                    LinesByBatch[batchId] = LinesByBatch.GetValueOrDefault(batchId) + 1;
                    start = at + 1;
                }

                _checked[file] = (start, lineNumber);
                if (start < bytes.Length)
                {
                    tails[file] = bytes[start..];
                }
            }

            return tails;
        }
    }

    /// <summary>One crash child: started early, released with "go", killed on a chosen output line.</summary>
    private sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _errors = new();
        private readonly CancellationTokenSource _guard = new(TimeSpan.FromSeconds(120));
        private bool _started;

        private Child(Process process)
        {
            _process = process;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_errors)
                    {
                        _errors.AppendLine(e.Data);
                    }
                }
            };
            _process.BeginErrorReadLine();
        }

        public static Child Start(string childDll, string folder, string run, int seed)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { childDll, folder, run, seed.ToString(CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(argument);
            }

            return new Child(Process.Start(start) ?? throw new InvalidOperationException("Could not start the crash child."));
        }

        public async Task GoAsync()
        {
            // The guard fails a hung child instead of hanging the test; it is not a timing assumption.
            (await _process.StandardOutput.ReadLineAsync(_guard.Token)).ShouldBe("ready", Errors());
            await _process.StandardInput.WriteLineAsync("go");
            await _process.StandardInput.FlushAsync();
            _started = true;
        }

        /// <summary>Kills the child after the given number of "ack" (or "writing") lines; returns every ack it printed.</summary>
        public async Task<(Dictionary<string, int> Acks, bool KilledAfterWriting)> RunAndKillAsync(int killAfterLines, bool onWritingLine)
        {
            if (!_started)
            {
                await GoAsync();
            }

            var acks = new Dictionary<string, int>(StringComparer.Ordinal);
            var trigger = onWritingLine ? "writing" : "ack";
            var seen = 0;
            while (seen < killAfterLines)
            {
                var line = await _process.StandardOutput.ReadLineAsync(_guard.Token);
                line.ShouldNotBeNull($"the child exited early: {Errors()}");
                seen += line.StartsWith(trigger + " ", StringComparison.Ordinal) ? 1 : 0;
                Add(acks, line);
            }

            _process.Kill(); // SIGKILL on Linux and macOS
            await _process.WaitForExitAsync(_guard.Token);

            // Acks printed between the last line read and the kill count too: those batches completed.
            while (await _process.StandardOutput.ReadLineAsync(_guard.Token) is { } line)
            {
                Add(acks, line);
            }

            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            {
                _process.ExitCode.ShouldBe(128 + 9, "killed by SIGKILL");
            }

            _process.WaitForExit();
            Errors().ShouldBeEmpty();
            return (acks, onWritingLine);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            _process.Dispose();
            _guard.Dispose();
        }

        private static void Add(Dictionary<string, int> acks, string line)
        {
            var parts = line.Split(' ');
            if (parts[0] == "writing")
            {
                parts.Length.ShouldBe(2, $"line \"{line}\"");
                return;
            }

            parts.Length.ShouldBe(3, $"line \"{line}\"");
            parts[0].ShouldBe("ack");
            acks.Add(parts[1], int.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        private string Errors()
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }
}
