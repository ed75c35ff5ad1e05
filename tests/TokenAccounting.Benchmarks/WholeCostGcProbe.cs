using System.Globalization;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Why objects survive gen0 (issue 13): after every GC of the measured span, what it promoted and what the pipeline held
/// at that moment. Enabled with <c>TA_WHOLECOST_GC=1</c>; the whole-cost harness then prints one more line per run.
/// </summary>
/// <remarks>
/// A finalizable sentinel is dropped in gen0 and re-created by its own finalizer, so the finalizer thread runs once after
/// each GC (soon after it: the backlog it samples is that of a moment later, within a millisecond or so). It reads
/// <see cref="GC.GetGCMemoryInfo(GCKind)"/> of the last GC — its generation, the bytes it promoted (survivors of the
/// collected generations), gen0's size before it (the allocation budget that triggered it) — and asks the scenario's
/// sampler what the pipeline holds (records queued in the ingest rings and the overflow buffer, details buffered for
/// the sink). GCs that happen twice before one finalizer pass are counted as missed, not guessed.
/// </remarks>
internal sealed class WholeCostGcProbe
{
    private static WholeCostGcProbe? s_active;

    private readonly Func<(long Queued, long Buffered)>? _sampler;
    private readonly List<Sample> _samples = [];
    private readonly Dictionary<int, (string Name, long Ticks)> _threadsAtStart = ThreadTicks();
    private Dictionary<int, (string Name, long Ticks)>? _threadsAtMark;
    private long _lastIndex;
    private int _missed;

    private WholeCostGcProbe(Func<(long Queued, long Buffered)>? sampler)
    {
        _sampler = sampler;
        _lastIndex = GC.GetGCMemoryInfo(GCKind.Any).Index;
    }

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("TA_WHOLECOST_GC") == "1";

    /// <summary>Starts probing (when enabled); <paramref name="sampler"/> tells what the pipeline holds now.</summary>
    public static void Start(Func<(long Queued, long Buffered)>? sampler)
    {
        if (!Enabled)
        {
            return;
        }

        var probe = new WholeCostGcProbe(sampler);
        Volatile.Write(ref s_active, probe);
        Sentinel.Plant();
    }

    /// <summary>Fixes the threads' CPU now (before disposal ends the pipeline's threads).</summary>
    public static void Mark()
    {
        if (Volatile.Read(ref s_active) is { } probe)
        {
            probe._threadsAtMark = ThreadTicks();
        }
    }

    /// <summary>Stops probing; returns the summary line, or null when not enabled.</summary>
    public static string? Stop()
    {
        var probe = Interlocked.Exchange(ref s_active, null);
        if (probe is null)
        {
            return null;
        }

        lock (probe._samples)
        {
            return probe.Summary();
        }
    }

    private void OnGc()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        lock (_samples)
        {
            if (info.Index == _lastIndex)
            {
                return;
            }

            _missed += (int)Math.Max(0, info.Index - _lastIndex - 1);
            _lastIndex = info.Index;
            var (queued, buffered) = _sampler?.Invoke() ?? (0, 0);
            var generations = info.GenerationInfo;
            _samples.Add(new Sample(info.Generation, info.PromotedBytes, generations[0].SizeBeforeBytes, generations[1].SizeAfterBytes, queued, buffered, info.PauseDurations[0]));
        }
    }

    private string Summary()
    {
        var parts = new List<string> { string.Create(CultureInfo.InvariantCulture, $"    gc probe: {_samples.Count} GCs seen, {_missed} missed; threads' CPU ms: {ThreadCpu()}") };
        foreach (var generation in _samples.Select(s => s.Generation).Distinct().Order())
        {
            var of = _samples.Where(s => s.Generation == generation).ToArray();
            parts.Add(string.Create(
                CultureInfo.InvariantCulture,
                $"gen{generation} ×{of.Length}: promoted avg {of.Average(s => s.Promoted) / 1024:N0} KB (max {of.Max(s => s.Promoted) / 1024:N0}), gen0 before avg {of.Average(s => s.Gen0Before) / 1024:N0} KB, "
                + $"gen1 after avg {of.Average(s => s.Gen1After) / 1024:N0} KB, pause avg {of.Average(s => s.Pause.TotalMilliseconds):0.00} ms, "
                + $"pipeline at GC: queued avg {of.Average(s => s.Queued):N0} (max {of.Max(s => s.Queued):N0}), buffered avg {of.Average(s => s.Buffered):N0} (max {of.Max(s => s.Buffered):N0})"));
        }

        return string.Join("; ", parts);
    }

    /// <summary>CPU per thread of the process (Linux: /proc/self/task/*/stat, utime + stime in clock ticks, 100 per second).</summary>
    private static Dictionary<int, (string Name, long Ticks)> ThreadTicks()
    {
        var result = new Dictionary<int, (string, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                result[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (stat[(open + 1)..close], long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return result;
    }

    private string ThreadCpu()
    {
        var now = _threadsAtMark ?? ThreadTicks();
        var deltas = now.Select(pair => (pair.Value.Name, Ms: (pair.Value.Ticks - (_threadsAtStart.TryGetValue(pair.Key, out var before) ? before.Ticks : 0)) * 10))
            .Where(t => t.Ms > 0)
            .GroupBy(t => t.Name, (name, group) => (Name: name, Ms: group.Sum(t => t.Ms), Count: group.Count()))
            .OrderByDescending(t => t.Ms)
            .Take(8);
        return string.Join(", ", deltas.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name}{(t.Count > 1 ? "×" + t.Count : string.Empty)} {t.Ms:N0}")));
    }

    private readonly record struct Sample(int Generation, long Promoted, long Gen0Before, long Gen1After, long Queued, long Buffered, TimeSpan Pause);

    private sealed class Sentinel
    {
        public static void Plant() => _ = new Sentinel();

        ~Sentinel()
        {
            if (Volatile.Read(ref s_active) is not { } probe)
            {
                return;
            }

            try
            {
                probe.OnGc();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
            {
                // The recorder was disposed under the sampler: the sample is simply skipped.
            }

            Plant();
        }
    }
}
