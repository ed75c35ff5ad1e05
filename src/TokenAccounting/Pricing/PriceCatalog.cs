using System.Collections.Concurrent;

namespace TokenAccounting;

/// <summary>
/// The standard <see cref="IPriceCatalog"/>: an immutable set of <see cref="ModelPrice"/>s with the documented
/// lookup rules. Start from <see cref="BuiltIn"/>, a LiteLLM file (<see cref="LiteLlmPriceLoader"/>) or your own
/// prices (<see cref="Create"/>), and layer overrides with <see cref="WithOverrides(IEnumerable{ModelPrice})"/>.
/// </summary>
/// <remarks>
/// <para>Lookup of (provider, model) at a time: (1) the model name as given, case-insensitively; (2) without a
/// provider-style prefix (<c>openai/gpt-4o</c> → <c>gpt-4o</c>; the prefix serves as the provider when the record
/// has none); (3) without a dated-snapshot suffix (<c>gpt-4o-2024-08-06</c> → <c>gpt-4o</c>,
/// <c>claude-sonnet-4-20250514</c> → <c>claude-sonnet-4</c>), only when no entry exists for the longer name. The
/// first name with an entry for the provider wins: an entry of the same (normalized) provider, else an entry without
/// a provider; a record without a provider takes the first entry listed for the name. Within that entry the newest
/// price whose <see cref="ModelPrice.EffectiveFrom"/> is not later than the time is used; none → null.</para>
/// <para>Results of name normalization are cached (bounded), so a lookup is one dictionary probe and allocates
/// nothing.</para>
/// </remarks>
public sealed class PriceCatalog : IPriceCatalog
{
    private const int MaxCachedLookups = 4_096;
    private static readonly ModelPrice[] NoPrices = [];
    private static readonly Lazy<PriceCatalog> BuiltInCatalog = new(BuiltInPrices.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, ProviderPrices[]> _byModel;
    // Keyed by the model string with the default comparer, which hashes strings without randomization (fast);
    // each model keeps a tiny array of the providers it was looked up with.
    private readonly ConcurrentDictionary<string, ResolvedSlot[]> _resolved = new();
    private int _resolvedCount;

    private PriceCatalog(IReadOnlyList<ModelPrice> prices, DateTimeOffset? asOf)
    {
        Prices = prices;
        AsOf = asOf;
        _byModel = Index(prices);
    }

    /// <summary>Gets the built-in catalog of major models' published list prices (embedded; see <see cref="AsOf"/>).</summary>
    public static PriceCatalog BuiltIn => BuiltInCatalog.Value;

    /// <summary>Gets a catalog with no prices (every record stays unpriced).</summary>
    public static PriceCatalog Empty { get; } = new([], null);

    /// <summary>Gets the date the prices were collected, when known (the built-in catalog states one).</summary>
    public DateTimeOffset? AsOf { get; }

    /// <summary>Gets every price in the catalog, in the order given.</summary>
    public IReadOnlyList<ModelPrice> Prices { get; }

    /// <summary>Gets the counters of records this catalog could not price (filled by the pipeline).</summary>
    public PricingDiagnostics Diagnostics { get; } = new();

    /// <summary>Creates a catalog from prices.</summary>
    /// <param name="prices">The prices; one model may have several (different providers or effective dates).</param>
    /// <param name="asOf">The date the prices were collected, if known.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="ArgumentException">Two prices share model (ignoring case), provider and effective date.</exception>
    public static PriceCatalog Create(IEnumerable<ModelPrice> prices, DateTimeOffset? asOf = null)
    {
        ArgumentNullException.ThrowIfNull(prices);
        var list = prices.ToArray();
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException($"prices[{i}] is null.", nameof(prices));
            }
        }

        return new PriceCatalog(list, asOf);
    }

    /// <summary>
    /// Creates a catalog from JSON in the built-in catalog's format (see <c>docs/pricing-and-budgets.md</c>):
    /// <c>{ "asOf": "2025-11-24", "models": [ { "provider": "openai", "model": "gpt-4o", "input": 2.5, "output": 10 } ] }</c>.
    /// </summary>
    /// <param name="utf8Json">The JSON document.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="FormatException">The document is not valid; the message names the entry and field.</exception>
    public static PriceCatalog FromJson(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var (prices, asOf) = PriceCatalogJson.Read(utf8Json);
        return Create(prices, asOf);
    }

    /// <summary>
    /// Returns a new catalog in which <paramref name="overrides"/> replace this catalog's prices: an override replaces
    /// every price (all effective dates) of the same model from the same provider — or from every provider when the
    /// override has no provider. Several overrides of one model may carry different effective dates; of two
    /// overrides with the same model, provider and effective date, the later one wins.
    /// </summary>
    /// <param name="overrides">The prices that win.</param>
    /// <returns>The combined catalog (this catalog is unchanged).</returns>
    public PriceCatalog WithOverrides(IEnumerable<ModelPrice> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var layer = new List<ModelPrice>();
        foreach (var price in overrides)
        {
            ArgumentNullException.ThrowIfNull(price, nameof(overrides));
            layer.RemoveAll(p => string.Equals(p.Model, price.Model, StringComparison.OrdinalIgnoreCase)
                && ProviderNames.Normalize(p.Provider) == ProviderNames.Normalize(price.Provider) && p.EffectiveFrom == price.EffectiveFrom);
            layer.Add(price);
        }

        if (layer.Count == 0)
        {
            return this;
        }

        var kept = Prices.Where(p => !layer.Any(o => Replaces(o, p)));
        return Create(kept.Concat(layer), AsOf);
    }

    /// <summary>Returns a new catalog in which <paramref name="overrides"/> replace this catalog's prices (see the other overload).</summary>
    /// <param name="overrides">The prices that win.</param>
    /// <returns>The combined catalog.</returns>
    public PriceCatalog WithOverrides(params ModelPrice[] overrides) => WithOverrides((IEnumerable<ModelPrice>)overrides);

    /// <inheritdoc />
    public ModelPrice? FindPrice(string? provider, string model, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(model);
        var versions = Resolve(provider, model);

        // Versions are sorted by effective date, oldest first: take the newest one already in effect.
        for (var i = versions.Length - 1; i >= 0; i--)
        {
            var from = versions[i].EffectiveFrom;
            if (from is null || from.Value <= asOf)
            {
                return versions[i];
            }
        }

        return null;
    }

    private static bool Replaces(ModelPrice over, ModelPrice existing)
    {
        if (!string.Equals(over.Model, existing.Model, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var overProvider = ProviderNames.Normalize(over.Provider);
        return overProvider is null || overProvider == ProviderNames.Normalize(existing.Provider);
    }

    private static Dictionary<string, ProviderPrices[]> Index(IReadOnlyList<ModelPrice> prices)
    {
        var byModel = new Dictionary<string, List<(string? Provider, List<ModelPrice> Versions)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var price in prices)
        {
            if (!byModel.TryGetValue(price.Model, out var groups))
            {
                groups = [];
                byModel.Add(price.Model, groups);
            }

            var provider = ProviderNames.Normalize(price.Provider);
            var index = groups.FindIndex(g => g.Provider == provider);
            if (index < 0)
            {
                groups.Add((provider, [price]));
                continue;
            }

            var versions = groups[index].Versions;
            if (versions.Any(v => v.EffectiveFrom == price.EffectiveFrom))
            {
                throw new ArgumentException(
                    $"The catalog holds two prices for model '{price.Model}' from provider '{provider ?? "(any)"}' effective from {price.EffectiveFrom?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "(always)"}; each (model, provider, EffectiveFrom) must be unique.",
                    nameof(prices));
            }

            versions.Add(price);
        }

        return byModel.ToDictionary(
            pair => pair.Key,
            pair => pair.Value.Select(g => new ProviderPrices(g.Provider, [.. g.Versions.OrderBy(v => v.EffectiveFrom ?? DateTimeOffset.MinValue)])).ToArray(),
            StringComparer.OrdinalIgnoreCase);
    }

    private ModelPrice[] Resolve(string? provider, string model)
    {
        if (_resolved.TryGetValue(model, out var slots))
        {
            foreach (var slot in slots)
            {
                if (ReferenceEquals(slot.Provider, provider) || string.Equals(slot.Provider, provider, StringComparison.Ordinal))
                {
                    return slot.Versions;
                }
            }
        }

        var versions = ResolveUncached(provider, model);
        if (Volatile.Read(ref _resolvedCount) < MaxCachedLookups)
        {
            Interlocked.Increment(ref _resolvedCount);
            var added = new ResolvedSlot(provider, versions);
            _resolved.AddOrUpdate(model, static (_, slot) => [slot], static (_, existing, slot) => [.. existing, slot], added);
        }

        return versions;
    }

    private ModelPrice[] ResolveUncached(string? provider, string model)
    {
        var family = ProviderNames.Normalize(provider);
        if (Match(model, family) is { } exact)
        {
            return exact;
        }

        var name = model;
        if (ModelNames.StripPrefix(model, out var prefix) is { } unprefixed)
        {
            name = unprefixed;
            if (family is null && ProviderNames.Normalize(prefix) is { } prefixFamily && ProviderNames.IsKnownFamily(prefixFamily))
            {
                family = prefixFamily;
            }

            if (Match(name, family) is { } byName)
            {
                return byName;
            }
        }

        if (ModelNames.StripDate(name) is { } undated && Match(undated, family) is { } byUndated)
        {
            return byUndated;
        }

        return NoPrices;
    }

    private ModelPrice[]? Match(string name, string? family)
    {
        if (!_byModel.TryGetValue(name, out var groups))
        {
            return null;
        }

        if (family is null)
        {
            return groups[0].Versions;
        }

        ModelPrice[]? anyProvider = null;
        foreach (var group in groups)
        {
            if (group.Provider == family)
            {
                return group.Versions;
            }

            if (group.Provider is null)
            {
                anyProvider = group.Versions;
            }
        }

        return anyProvider;
    }

    private sealed record ProviderPrices(string? Provider, ModelPrice[] Versions);

    private sealed record ResolvedSlot(string? Provider, ModelPrice[] Versions);
}
