namespace TokenAccounting;

/// <summary>
/// Lock-free counters of one (operation, model) pair in a scope. Writers add the containing counts first and
/// readers read the contained counts first, so a snapshot taken during concurrent adds still satisfies the
/// <see cref="TokenCounts"/> invariants (every counter only grows). Counters saturate at <see cref="long.MaxValue"/>
/// and the cost at <see cref="decimal.MaxValue"/>: a sum never wraps and never throws.
/// </summary>
internal sealed class UsageTotalsBucket(UsageOperation operation, string model)
{
    private long _input;
    private long _output;
    private long _cachedInput;
    private long _cacheWrite;
    private long _cacheWriteLongTtl;
    private long _reasoning;
    private long _inputAudio;
    private long _cachedInputAudio;
    private long _outputAudio;
    private long _requests;
    private long _unpriced;
    private UsageCost? _cost;

    public UsageOperation Operation { get; } = operation;

    public string Model { get; } = model;

    public bool Matches(UsageOperation operation, string model) =>
        (ReferenceEquals(Model, model) || string.Equals(Model, model, StringComparison.Ordinal)) && Operation.Equals(operation);

    public void Add(in TokenCounts tokens)
    {
        // Containers before contents.
        if (tokens.Input != 0)
        {
            AddSaturating(ref _input, tokens.Input);
        }

        if (tokens.Output != 0)
        {
            AddSaturating(ref _output, tokens.Output);
        }

        if (tokens.CacheWriteInput != 0)
        {
            AddSaturating(ref _cacheWrite, tokens.CacheWriteInput);
        }

        if (tokens.CachedInput != 0)
        {
            AddSaturating(ref _cachedInput, tokens.CachedInput);
        }

        if (tokens.CacheWriteLongTtlInput != 0)
        {
            AddSaturating(ref _cacheWriteLongTtl, tokens.CacheWriteLongTtlInput);
        }

        if (tokens.Reasoning != 0)
        {
            AddSaturating(ref _reasoning, tokens.Reasoning);
        }

        if (tokens.InputAudio != 0)
        {
            AddSaturating(ref _inputAudio, tokens.InputAudio);
            AddSaturating(ref _cachedInputAudio, tokens.CachedInputAudio);
        }

        if (tokens.OutputAudio != 0)
        {
            AddSaturating(ref _outputAudio, tokens.OutputAudio);
        }

        Interlocked.Increment(ref _requests);
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
        // Contents before containers (see the type's remarks): a record is counted unpriced only after it was counted.
        var unpriced = Volatile.Read(ref _unpriced);
        var cachedAudio = Volatile.Read(ref _cachedInputAudio);
        var outputAudio = Volatile.Read(ref _outputAudio);
        var inputAudio = Volatile.Read(ref _inputAudio);
        var longTtl = Volatile.Read(ref _cacheWriteLongTtl);
        var reasoning = Volatile.Read(ref _reasoning);
        var cached = Volatile.Read(ref _cachedInput);
        var cacheWrite = Volatile.Read(ref _cacheWrite);
        var output = Volatile.Read(ref _output);
        var input = Volatile.Read(ref _input);
        var requests = Volatile.Read(ref _requests);
        UsageCost? cost;
        lock (this)
        {
            cost = _cost;
        }

        // A saturated container can be smaller than the sum of its parts: Saturated caps the parts, so the snapshot holds the invariants.
        return new UsageTotalsEntry(Operation, Model, TokenCounts.Saturated(input, output, cached, cacheWrite, longTtl, reasoning, inputAudio, cachedAudio, outputAudio), requests, cost, Math.Min(unpriced, requests));
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
}
