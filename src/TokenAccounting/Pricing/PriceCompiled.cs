namespace TokenAccounting;

/// <summary>A <see cref="ModelPrice"/> compiled into per-token rates for each service tier, computed once.</summary>
internal sealed class PriceCompiled
{
    private readonly TimeOfDayPrice[] _windows;
    private readonly PerTokenRates[] _windowRates;
    private readonly decimal _perRequest;
    private readonly Dictionary<string, decimal>? _perToolCall;

    // No time-of-day window and no per-request fee: a text-only request is priced by its schedule's rates alone.
    private readonly bool _plain;

    private PriceCompiled(PriceSchedule standard, PriceSchedule batch, PriceSchedule priority, PriceSchedule flex, TimeOfDayPrice[] windows, PerTokenRates[] windowRates, decimal perRequest, Dictionary<string, decimal>? perToolCall)
    {
        Standard = standard;
        Batch = batch;
        Priority = priority;
        Flex = flex;
        _windows = windows;
        _windowRates = windowRates;
        _perRequest = perRequest;
        _perToolCall = perToolCall;
        _plain = windows.Length == 0 && UsageCost.IsZeroBits(perRequest);
    }

    public PriceSchedule Standard { get; }

    public PriceSchedule Batch { get; }

    public PriceSchedule Priority { get; }

    public PriceSchedule Flex { get; }

    public static PriceCompiled From(ModelPrice price)
    {
        var baseRates = PerTokenRates.From(price.Input, price.CachedInput, price.CacheWrite, price.CacheWriteLongTtl, price.Output, price.Reasoning, price.InputAudio, price.CachedInputAudio, price.OutputAudio);
        var (starts, tierRates) = Tiers(price.Model, price.LongContext, price.AdditionalTiers);
        var standard = new PriceSchedule(baseRates, starts, tierRates);
        var windows = price.TimeOfDay.ToArray();
        foreach (var window in windows)
        {
            if (window.Start == window.End)
            {
                throw new ArgumentException($"Model '{price.Model}': a time-of-day window must not start and end at the same time ({window.Start:HH\\:mm\\:ss}).", nameof(price));
            }
        }

        Dictionary<string, decimal>? perToolCall = null;
        if (price.PerThousandServerToolCalls is { Count: > 0 } tools)
        {
            perToolCall = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
            foreach (var (tool, perThousand) in tools)
            {
                perToolCall[tool] = perThousand / 1_000m;
            }
        }

        return new PriceCompiled(
            standard,
            Variant(price.Model, price.Batch, standard),
            Variant(price.Model, price.Priority, standard),
            Variant(price.Model, price.Flex, standard),
            windows,
            [.. windows.Select(w => w.Rates.ToPerToken())],
            (price.PerThousandRequests ?? 0m) / 1_000m,
            perToolCall);
    }

    /// <summary>
    /// Prices a record at its completion time, in its service tier, with its audio parts and server tool calls.
    /// Allocates only the <see cref="UsageCost"/>. A text-only record of a plain price (the common case) goes straight
    /// to its rates' integer path; everything else through <see cref="Cost(in TokenCounts, in BillableExtras, string?, DateTimeOffset?)"/>,
    /// which gives a text-only record the same parts.
    /// </summary>
    public UsageCost Cost(UsageRecord record)
    {
        var tokens = record.Tokens;
        if (_plain
            && (tokens.CacheWriteLongTtlInput | tokens.InputAudio | tokens.CachedInputAudio | tokens.OutputAudio) == 0
            && (_perToolCall is null || record.ServerToolCalls is null))
        {
            return Select(record.ServiceTier).RatesFor(tokens.Input).TextCost(tokens.Input, tokens.CachedInput, tokens.CacheWriteInput, tokens.Output, tokens.Reasoning);
        }

        return Cost(tokens, UsagePricing.Extras(record), record.ServiceTier, record.CompletedAt);
    }

    /// <summary>Prices one request. Allocates only the <see cref="UsageCost"/>.</summary>
    public UsageCost Cost(in TokenCounts tokens, in BillableExtras extras, string? serviceTier, DateTimeOffset? at)
    {
        var toolCalls = _perToolCall is null || extras.ServerToolCalls is null ? 0m : ToolCalls(extras.ServerToolCalls);
        if (_windows.Length != 0 && at is { } moment)
        {
            for (var i = 0; i < _windows.Length; i++)
            {
                if (_windows[i].Contains(moment))
                {
                    return _windowRates[i].Cost(tokens, extras, _perRequest, toolCalls);
                }
            }
        }

        return Select(serviceTier).RatesFor(tokens.Input).Cost(tokens, extras, _perRequest, toolCalls);
    }

    /// <summary>Chooses the schedule of a service tier; null and unknown tiers get the base schedule. Allocation-free.</summary>
    public PriceSchedule Select(string? serviceTier)
    {
        if (serviceTier is null || serviceTier.Length == 0)
        {
            return Standard;
        }

        if (serviceTier.Equals("batch", StringComparison.OrdinalIgnoreCase) || serviceTier.Equals("batches", StringComparison.OrdinalIgnoreCase))
        {
            return Batch;
        }

        if (serviceTier.Equals("priority", StringComparison.OrdinalIgnoreCase))
        {
            return Priority;
        }

        return serviceTier.Equals("flex", StringComparison.OrdinalIgnoreCase) ? Flex : Standard;
    }

    /// <summary>
    /// Prices the tool calls. A <see cref="Dictionary{TKey, TValue}"/> (what the parsers, the ledgers' readers and most
    /// callers hand over) is walked with its struct enumerator, so the per-record path stays allocation-free; any other
    /// dictionary through the interface, which boxes its enumerator.
    /// </summary>
    private decimal ToolCalls(IReadOnlyDictionary<string, long> calls)
    {
        var total = 0m;
        if (calls is Dictionary<string, long> dictionary)
        {
            foreach (var (tool, count) in dictionary)
            {
                total += ToolCall(tool, count);
            }

            return total;
        }

        foreach (var (tool, count) in calls)
        {
            total += ToolCall(tool, count);
        }

        return total;
    }

    private decimal ToolCall(string tool, long count) =>
        count > 0 && _perToolCall!.TryGetValue(tool, out var perCall) ? count * perCall : 0m;

    private static (long[] Starts, PerTokenRates[] Rates) Tiers(string model, PriceTier? first, IReadOnlyList<PriceTier> more)
    {
        if (first is null && more.Count == 0)
        {
            return ([], []);
        }

        var all = new List<PriceTier>(more.Count + 1);
        if (first is not null)
        {
            all.Add(first);
        }

        all.AddRange(more);
        all.Sort((a, b) => b.FirstInputTokens.CompareTo(a.FirstInputTokens));
        for (var i = 1; i < all.Count; i++)
        {
            if (all[i].FirstInputTokens == all[i - 1].FirstInputTokens)
            {
                throw new ArgumentException($"Model '{model}' has two long-context tiers starting at {all[i].FirstInputTokens} input tokens; thresholds must differ.", nameof(more));
            }
        }

        return ([.. all.Select(t => t.FirstInputTokens)], [.. all.Select(t => t.Rates.ToPerToken())]);
    }

    private static PriceSchedule Variant(string model, ServiceTierPrice? variant, PriceSchedule standard)
    {
        if (variant is null)
        {
            return standard;
        }

        var rates = variant.Rates.ToPerToken();
        if (variant.LongContext is not null || variant.AdditionalTiers.Count > 0)
        {
            var (starts, tierRates) = Tiers(model, variant.LongContext, variant.AdditionalTiers);
            return new PriceSchedule(rates, starts, tierRates);
        }

        // No tier of its own: above the base thresholds the base schedule's long-context rates apply.
        return new PriceSchedule(rates, [.. standard.Starts], [.. standard.TierRates]);
    }
}
