namespace TokenAccounting;

/// <summary>
/// Lock-free counters of one (operation, model) pair in a scope. Writers add the containing counts first and
/// readers read the contained counts first, so a snapshot taken during concurrent adds still satisfies the
/// <see cref="TokenCounts"/> invariants (every counter only grows). Counters saturate at <see cref="long.MaxValue"/>
/// and the cost at <see cref="decimal.MaxValue"/>: a sum never wraps and never throws.
/// </summary>
/// <remarks>
/// Three sets of counters, summed by <see cref="Snapshot"/>, so the common add needs no atomic operation per counter:
/// the first thread to add claims the owned set and adds into it with plain stores from then on (no atomic operation at
/// all); another thread takes the exclusive set with one compare-and-swap when no one holds it, and adds with plain
/// stores; a thread that finds it held adds into the shared set atomically, counter by counter. Each of the first two
/// sets has one writer at a time, nobody ever waits, and every add is in one of the sets once <see cref="Add(in TokenCounts)"/>
/// returns, so the totals stay exact and immediately visible.
/// </remarks>
internal sealed class UsageTotalsBucket(UsageOperation operation, string model)
{
    private int _owner;
    private int _exclusiveHeld;
    private Counters _owned;
    private Counters _exclusive;
    private Counters _shared;
    private long _unpriced;
    private UsageCost? _cost;

    public UsageOperation Operation { get; } = operation;

    public string Model { get; } = model;

    public bool Matches(UsageOperation operation, string model) =>
        (ReferenceEquals(Model, model) || string.Equals(Model, model, StringComparison.Ordinal)) && Operation.Equals(operation);

    public void Add(in TokenCounts tokens) => Add(tokens, Environment.CurrentManagedThreadId);

    /// <summary><see cref="Add(in TokenCounts)"/> by the thread whose <see cref="Environment.CurrentManagedThreadId"/> is <paramref name="thread"/> (the caller's own: it read it already).</summary>
    public void Add(in TokenCounts tokens, int thread)
    {
        // A managed thread id is reused only after its thread ended, which the runtime orders before the new thread
        // starts: the owned set still has one writer at a time.
        var owner = Volatile.Read(ref _owner);
        if (owner == thread || (owner == 0 && Interlocked.CompareExchange(ref _owner, thread, 0) == 0))
        {
            AddSingleWriter(ref _owned, tokens);
        }
        else if (Interlocked.CompareExchange(ref _exclusiveHeld, 1, 0) == 0)
        {
            // Only the holder writes this set; the compare-and-swap acquired what earlier holders wrote, and the release
            // below publishes this add to the next holder. Nothing in between can throw, and if it did, later writers
            // would only ever take the shared path.
            AddSingleWriter(ref _exclusive, tokens);
            Volatile.Write(ref _exclusiveHeld, 0);
        }
        else
        {
            AddShared(ref _shared, tokens);
        }
    }

    public void AddCost(UsageCost cost)
    {
        lock (this)
        {
            _cost = _cost is null ? cost : _cost + cost;
        }
    }

    /// <summary>Counts one record that the pipeline could not price (off the caller's path; priced records never touch it).</summary>
    public void AddUnpriced() => Interlocked.Increment(ref _unpriced);

    public UsageTotalsEntry Snapshot()
    {
        // Contents before containers (see the type's remarks), each from all three sets: a record is counted unpriced only
        // after it was counted.
        var unpriced = Volatile.Read(ref _unpriced);
        var cachedAudio = Read(ref _owned.CachedInputAudio, ref _exclusive.CachedInputAudio, ref _shared.CachedInputAudio);
        var outputAudio = Read(ref _owned.OutputAudio, ref _exclusive.OutputAudio, ref _shared.OutputAudio);
        var inputAudio = Read(ref _owned.InputAudio, ref _exclusive.InputAudio, ref _shared.InputAudio);
        var longTtl = Read(ref _owned.CacheWriteLongTtl, ref _exclusive.CacheWriteLongTtl, ref _shared.CacheWriteLongTtl);
        var reasoning = Read(ref _owned.Reasoning, ref _exclusive.Reasoning, ref _shared.Reasoning);
        var cached = Read(ref _owned.CachedInput, ref _exclusive.CachedInput, ref _shared.CachedInput);
        var cacheWrite = Read(ref _owned.CacheWrite, ref _exclusive.CacheWrite, ref _shared.CacheWrite);
        var output = Read(ref _owned.Output, ref _exclusive.Output, ref _shared.Output);
        var input = Read(ref _owned.Input, ref _exclusive.Input, ref _shared.Input);
        var requests = Read(ref _owned.Requests, ref _exclusive.Requests, ref _shared.Requests);
        UsageCost? cost;
        lock (this)
        {
            cost = _cost;
        }

        // A saturated container can be smaller than the sum of its parts: Saturated caps the parts, so the snapshot holds the invariants.
        return new UsageTotalsEntry(Operation, Model, TokenCounts.Saturated(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedAudio, outputAudio), requests, cost, Math.Min(unpriced, requests));
    }

    private static long Read(ref long owned, ref long exclusive, ref long shared) =>
        SaturatingArithmetic.Add(SaturatingArithmetic.Add(Volatile.Read(ref owned), Volatile.Read(ref exclusive)), Volatile.Read(ref shared));

    // Containers before contents, in every set. Volatile writes keep that order visible to a reader on any CPU.
    private static void AddSingleWriter(ref Counters counters, in TokenCounts tokens)
    {
        if (tokens.Input != 0)
        {
            Volatile.Write(ref counters.Input, SaturatingArithmetic.Add(counters.Input, tokens.Input));
        }

        if (tokens.Output != 0)
        {
            Volatile.Write(ref counters.Output, SaturatingArithmetic.Add(counters.Output, tokens.Output));
        }

        if (tokens.CacheWriteInput != 0)
        {
            Volatile.Write(ref counters.CacheWrite, SaturatingArithmetic.Add(counters.CacheWrite, tokens.CacheWriteInput));
        }

        if (tokens.CachedInput != 0)
        {
            Volatile.Write(ref counters.CachedInput, SaturatingArithmetic.Add(counters.CachedInput, tokens.CachedInput));
        }

        if (tokens.CacheWriteLongTtlInput != 0)
        {
            Volatile.Write(ref counters.CacheWriteLongTtl, SaturatingArithmetic.Add(counters.CacheWriteLongTtl, tokens.CacheWriteLongTtlInput));
        }

        if (tokens.Reasoning != 0)
        {
            Volatile.Write(ref counters.Reasoning, SaturatingArithmetic.Add(counters.Reasoning, tokens.Reasoning));
        }

        if (tokens.InputAudio != 0)
        {
            Volatile.Write(ref counters.InputAudio, SaturatingArithmetic.Add(counters.InputAudio, tokens.InputAudio));
            Volatile.Write(ref counters.CachedInputAudio, SaturatingArithmetic.Add(counters.CachedInputAudio, tokens.CachedInputAudio));
        }

        if (tokens.OutputAudio != 0)
        {
            Volatile.Write(ref counters.OutputAudio, SaturatingArithmetic.Add(counters.OutputAudio, tokens.OutputAudio));
        }

        Volatile.Write(ref counters.Requests, counters.Requests + 1);
    }

    private static void AddShared(ref Counters counters, in TokenCounts tokens)
    {
        if (tokens.Input != 0)
        {
            AddSaturating(ref counters.Input, tokens.Input);
        }

        if (tokens.Output != 0)
        {
            AddSaturating(ref counters.Output, tokens.Output);
        }

        if (tokens.CacheWriteInput != 0)
        {
            AddSaturating(ref counters.CacheWrite, tokens.CacheWriteInput);
        }

        if (tokens.CachedInput != 0)
        {
            AddSaturating(ref counters.CachedInput, tokens.CachedInput);
        }

        if (tokens.CacheWriteLongTtlInput != 0)
        {
            AddSaturating(ref counters.CacheWriteLongTtl, tokens.CacheWriteLongTtlInput);
        }

        if (tokens.Reasoning != 0)
        {
            AddSaturating(ref counters.Reasoning, tokens.Reasoning);
        }

        if (tokens.InputAudio != 0)
        {
            AddSaturating(ref counters.InputAudio, tokens.InputAudio);
            AddSaturating(ref counters.CachedInputAudio, tokens.CachedInputAudio);
        }

        if (tokens.OutputAudio != 0)
        {
            AddSaturating(ref counters.OutputAudio, tokens.OutputAudio);
        }

        Interlocked.Increment(ref counters.Requests);
    }

    private static void AddSaturating(ref long counter, long value)
    {
        // A compare-and-swap costs the same as Interlocked.Add when uncontended, and unlike it never wraps.
        var current = Volatile.Read(ref counter);
        while (true)
        {
            var next = SaturatingArithmetic.Add(current, value);
            var seen = Interlocked.CompareExchange(ref counter, next, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private struct Counters
    {
        public long Input;
        public long Output;
        public long CachedInput;
        public long CacheWrite;
        public long CacheWriteLongTtl;
        public long Reasoning;
        public long InputAudio;
        public long CachedInputAudio;
        public long OutputAudio;
        public long Requests;
    }
}
