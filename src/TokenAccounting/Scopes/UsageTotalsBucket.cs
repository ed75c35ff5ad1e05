namespace TokenAccounting;

/// <summary>
/// Lock-free counters of one (operation, model) pair in a scope. Writers add the containing counts first and
/// readers read the contained counts first, so a snapshot taken during concurrent adds still satisfies the
/// <see cref="TokenCounts"/> invariants (every counter only grows).
/// </summary>
internal sealed class UsageTotalsBucket(UsageOperation operation, string model)
{
    private long _input;
    private long _output;
    private long _cachedInput;
    private long _cacheWrite;
    private long _cacheWriteLongTtl;
    private long _reasoning;
    private long _requests;
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
            Interlocked.Add(ref _input, tokens.Input);
        }

        if (tokens.Output != 0)
        {
            Interlocked.Add(ref _output, tokens.Output);
        }

        if (tokens.CacheWriteInput != 0)
        {
            Interlocked.Add(ref _cacheWrite, tokens.CacheWriteInput);
        }

        if (tokens.CachedInput != 0)
        {
            Interlocked.Add(ref _cachedInput, tokens.CachedInput);
        }

        if (tokens.CacheWriteLongTtlInput != 0)
        {
            Interlocked.Add(ref _cacheWriteLongTtl, tokens.CacheWriteLongTtlInput);
        }

        if (tokens.Reasoning != 0)
        {
            Interlocked.Add(ref _reasoning, tokens.Reasoning);
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

    public UsageTotalsEntry Snapshot()
    {
        // Contents before containers (see the type's remarks).
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

        return new UsageTotalsEntry(Operation, Model, new TokenCounts(input, output, cached, cacheWrite, longTtl, reasoning), requests, cost);
    }
}
