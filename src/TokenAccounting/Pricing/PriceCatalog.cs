namespace TokenAccounting;

/// <summary>
/// The standard <see cref="IPriceCatalog"/>: an immutable set of <see cref="ModelPrice"/>s with the documented
/// lookup rules. Start from <see cref="BuiltIn"/>, a LiteLLM file (<see cref="LiteLlmPriceLoader"/>), a
/// genai-prices file (<see cref="GenAiPricesLoader"/>) or your own prices (<see cref="Create(IEnumerable{ModelPrice}, DateTimeOffset?)"/>),
/// and layer overrides with <see cref="WithOverrides(IEnumerable{ModelPrice})"/>.
/// </summary>
/// <remarks>
/// <para>Lookup of (provider, model) at a time. The names tried, in order: the model name as given; without a
/// provider-style prefix (<c>openai/gpt-4o</c> → <c>gpt-4o</c>; a known prefix serves as the provider when the
/// record has none); without cloud decorations (Bedrock region and vendor prefixes <c>us.</c>, <c>eu.</c>,
/// <c>apac.</c>, <c>global.</c>, <c>anthropic.</c>…, version suffixes <c>-v1:0</c>, Vertex AI <c>@001</c>); without a
/// dated-snapshot suffix (<c>gpt-4o-2024-08-06</c> → <c>gpt-4o</c>, <c>claude-sonnet-4@20250514</c> →
/// <c>claude-sonnet-4</c>). For the record's provider, first every name against the prices' <see cref="ModelPrice.Model"/>
/// (an entry of the same normalized provider, else one without a provider), then every name against the
/// prices' <see cref="ModelPrice.Match"/> rules in catalog order, then the same for each of the provider's
/// <see cref="PriceProvider.Fallbacks"/>. A record without a provider is looked up under each provider whose
/// <see cref="PriceProvider.ModelMatch"/> accepts the name, then takes the first entry listed for an exact name.
/// Within the entry found, the newest price whose <see cref="ModelPrice.EffectiveFrom"/> is not later than the
/// time is used; none → null.</para>
/// <para>Results are cached (up to 4,096 provider and model names), so a repeated lookup is one hash-table probe and
/// allocates nothing.</para>
/// </remarks>
public sealed partial class PriceCatalog : IPriceCatalog
{
    private static readonly ModelPrice[] NoPrices = [];
    private static readonly Lazy<PriceCatalog> BuiltInCatalog = new(BuiltInPrices.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, ProviderPrices[]> _byModel;

    // Entries with a match rule, per normalized provider ("" for entries without a provider), in catalog order.
    private readonly Dictionary<string, (NameMatch Match, ModelPrice[] Versions)[]> _rules;
    private readonly Dictionary<string, PriceProvider> _providers;
    private readonly HashSet<string> _families;

    private PriceCatalog(IReadOnlyList<ModelPrice> prices, DateTimeOffset? asOf, IReadOnlyList<PriceProvider> providers)
    {
        Prices = prices;
        AsOf = asOf;
        Providers = providers;
        (_byModel, _rules) = Index(prices);
        _families = prices.Select(p => ProviderNames.Normalize(p.Provider)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        _providers = new Dictionary<string, PriceProvider>(StringComparer.Ordinal);
        foreach (var provider in providers)
        {
            _providers[ProviderNames.Normalize(provider.Name)!] = provider;
        }
    }

    /// <summary>Gets the built-in catalog of major models' published list prices (embedded; see <see cref="AsOf"/>).</summary>
    public static PriceCatalog BuiltIn => BuiltInCatalog.Value;

    /// <summary>Gets a catalog with no prices (every record stays unpriced).</summary>
    public static PriceCatalog Empty { get; } = new([], null, []);

    /// <summary>Gets the date the prices were collected, when known (the built-in catalog states one).</summary>
    public DateTimeOffset? AsOf { get; }

    /// <summary>Gets every price in the catalog, in the order given.</summary>
    public IReadOnlyList<ModelPrice> Prices { get; }

    /// <summary>Gets what the catalog knows about providers: model-name rules, provider-name rules and fallbacks.</summary>
    public IReadOnlyList<PriceProvider> Providers { get; }

    /// <summary>Gets the counters of records this catalog could not price (filled by the pipeline).</summary>
    public PricingDiagnostics Diagnostics { get; } = new();

    /// <summary>Creates a catalog from prices.</summary>
    /// <param name="prices">The prices; one model may have several (different providers or effective dates).</param>
    /// <param name="asOf">The date the prices were collected, if known.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="ArgumentException">Two prices share model (ignoring case), provider and effective date, or a price's tiers are inconsistent.</exception>
    public static PriceCatalog Create(IEnumerable<ModelPrice> prices, DateTimeOffset? asOf = null) => Create(prices, asOf, []);

    /// <summary>Creates a catalog from prices and what is known about their providers.</summary>
    /// <param name="prices">The prices; one model may have several (different providers or effective dates).</param>
    /// <param name="asOf">The date the prices were collected, if known.</param>
    /// <param name="providers">Provider rules (model-name rules, provider-name rules, fallbacks); at most one per normalized name.</param>
    /// <returns>The catalog.</returns>
    /// <exception cref="ArgumentException">Two prices share model (ignoring case), provider and effective date; a price's tiers are inconsistent; or two provider rules share a name.</exception>
    public static PriceCatalog Create(IEnumerable<ModelPrice> prices, DateTimeOffset? asOf, IEnumerable<PriceProvider> providers)
    {
        ArgumentNullException.ThrowIfNull(prices);
        ArgumentNullException.ThrowIfNull(providers);
        var list = prices.ToArray();
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] is null)
            {
                throw new ArgumentException($"prices[{i}] is null.", nameof(prices));
            }

            // Compile now, so an inconsistent price fails here rather than on the pipeline's first record.
            _ = list[i].Compiled;
        }

        var rules = providers.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i] is null)
            {
                throw new ArgumentException($"providers[{i}] is null.", nameof(providers));
            }

            if (!names.Add(ProviderNames.Normalize(rules[i].Name)!))
            {
                throw new ArgumentException($"Two provider rules are named '{rules[i].Name}'; each provider may have one.", nameof(providers));
            }
        }

        return new PriceCatalog(list, asOf, rules);
    }

    /// <summary>
    /// Creates a catalog from JSON in the built-in catalog's format (see <c>docs/pricing.md</c>):
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

        // Only prices whose model the layer names can be replaced: a set keeps large layers linear.
        var layerModels = layer.Select(o => o.Model).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var kept = Prices.Where(p => !layerModels.Contains(p.Model) || !layer.Any(o => Replaces(o, p)));
        return Create(kept.Concat(layer), AsOf, Providers);
    }

    /// <summary>
    /// Returns a new catalog in which <paramref name="layer"/>'s prices replace this catalog's (as
    /// <see cref="WithOverrides(IEnumerable{ModelPrice})"/>) and its provider rules replace rules of the same
    /// provider. <see cref="AsOf"/> is the layer's when it states one.
    /// </summary>
    /// <param name="layer">The catalog that wins, for example one loaded from a newer price file.</param>
    /// <returns>The combined catalog (both are unchanged).</returns>
    public PriceCatalog WithOverrides(PriceCatalog layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var replaced = layer.Prices.Count == 0 ? this : WithOverrides(layer.Prices);
        var layerNames = layer.Providers.Select(p => ProviderNames.Normalize(p.Name)).ToHashSet(StringComparer.Ordinal);
        var providers = Providers.Where(p => !layerNames.Contains(ProviderNames.Normalize(p.Name))).Concat(layer.Providers);
        return Create(replaced.Prices, layer.AsOf ?? AsOf, providers);
    }

    /// <summary>Returns a new catalog in which <paramref name="overrides"/> replace this catalog's prices (see the other overload).</summary>
    /// <param name="overrides">The prices that win.</param>
    /// <returns>The combined catalog.</returns>
    public PriceCatalog WithOverrides(params ModelPrice[] overrides) => WithOverrides((IEnumerable<ModelPrice>)overrides);

    /// <inheritdoc />
    public ModelPrice? FindPrice(string? provider, string model, DateTimeOffset asOf)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Resolve(provider, model).At(asOf.UtcTicks);
    }

    /// <summary>
    /// <see cref="FindPrice"/> for the pipeline: no interface call, and a record without a completion time gets the
    /// latest price (as <see cref="DateTimeOffset.MaxValue"/> would).
    /// </summary>
    internal ModelPrice? Find(string? provider, string model, DateTimeOffset? at)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Resolve(provider, model).At(at is { } moment ? moment.UtcTicks : long.MaxValue);
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

    private static (Dictionary<string, ProviderPrices[]> ByModel, Dictionary<string, (NameMatch, ModelPrice[])[]> Rules) Index(IReadOnlyList<ModelPrice> prices)
    {
        var byModel = new Dictionary<string, List<(string? Provider, List<ModelPrice> Versions)>>(StringComparer.OrdinalIgnoreCase);
        var order = new List<(string? Provider, List<ModelPrice> Versions)>();
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
                var group = (provider, new List<ModelPrice> { price });
                groups.Add(group);
                order.Add(group);
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

        var sorted = new Dictionary<List<ModelPrice>, ModelPrice[]>(ReferenceEqualityComparer.Instance);
        foreach (var (_, versions) in order)
        {
            sorted[versions] = [.. versions.OrderBy(v => v.EffectiveFrom ?? DateTimeOffset.MinValue)];
        }

        var rules = new Dictionary<string, List<(NameMatch, ModelPrice[])>>(StringComparer.Ordinal);
        foreach (var (provider, versions) in order)
        {
            var array = sorted[versions];

            // The newest version's rule speaks for the model; older versions without one share it.
            if (array.LastOrDefault(v => v.Match is not null)?.Match is { } match)
            {
                var key = provider ?? string.Empty;
                if (!rules.TryGetValue(key, out var list))
                {
                    list = [];
                    rules.Add(key, list);
                }

                list.Add((match, array));
            }
        }

        return (
            byModel.ToDictionary(pair => pair.Key, pair => pair.Value.Select(g => new ProviderPrices(g.Provider, sorted[g.Versions])).ToArray(), StringComparer.OrdinalIgnoreCase),
            rules.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal));
    }

    private ModelPrice[] ResolveUncached(string? provider, string model)
    {
        var family = ResolveFamily(provider);
        var names = new List<string>(4) { model };
        var name = model;
        if (ModelNames.StripPrefix(model, out var prefix) is { } unprefixed)
        {
            name = unprefixed;
            names.Add(name);
            if (family is null && ProviderNames.Normalize(prefix) is { } prefixFamily && (ProviderNames.IsKnownFamily(prefixFamily) || _providers.ContainsKey(prefixFamily)))
            {
                family = prefixFamily;
            }
        }

        if (ModelNames.StripCloud(name) is { } plain)
        {
            name = plain;
            names.Add(name);
        }

        if (ModelNames.StripDate(name) is { } undated)
        {
            names.Add(undated);
        }

        if (family is not null)
        {
            return ResolveFor(family, names, depth: 0) ?? NoPrices;
        }

        // No provider: the providers whose model rule accepts the name, in catalog order.
        foreach (var rule in Providers)
        {
            if (rule.ModelMatch is { } match && names.Exists(match.IsMatch) && ResolveFor(ProviderNames.Normalize(rule.Name)!, names, depth: 0) is { } byRule)
            {
                return byRule;
            }
        }

        foreach (var candidate in names)
        {
            if (Match(candidate, null) is { } any)
            {
                return any;
            }
        }

        return _rules.TryGetValue(string.Empty, out var anyProvider) ? FirstRule(anyProvider, names) ?? NoPrices : NoPrices;
    }

    private ModelPrice[]? ResolveFor(string family, List<string> names, int depth)
    {
        foreach (var candidate in names)
        {
            if (Match(candidate, family) is { } exact)
            {
                return exact;
            }
        }

        if (_rules.TryGetValue(family, out var rules) && FirstRule(rules, names) is { } byRule)
        {
            return byRule;
        }

        if (_rules.TryGetValue(string.Empty, out var anyProvider) && FirstRule(anyProvider, names) is { } byAnyRule)
        {
            return byAnyRule;
        }

        // Fallbacks are data (Azure → OpenAI); the depth bound stops a cycle in a user's rules.
        if (depth < 4 && _providers.TryGetValue(family, out var provider))
        {
            foreach (var fallback in provider.Fallbacks)
            {
                if (ProviderNames.Normalize(fallback) is { } next && next != family && ResolveFor(next, names, depth + 1) is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static ModelPrice[]? FirstRule((NameMatch Match, ModelPrice[] Versions)[] rules, List<string> names)
    {
        foreach (var candidate in names)
        {
            foreach (var (match, versions) in rules)
            {
                if (match.IsMatch(candidate))
                {
                    return versions;
                }
            }
        }

        return null;
    }

    private string? ResolveFamily(string? provider)
    {
        var family = ProviderNames.Normalize(provider);
        if (family is null || _families.Contains(family) || _providers.ContainsKey(family))
        {
            return family;
        }

        var lower = provider!.Trim().ToLowerInvariant();
        foreach (var rule in Providers)
        {
            if (rule.ProviderMatch is { } match && match.IsMatch(lower))
            {
                return ProviderNames.Normalize(rule.Name);
            }
        }

        return family;
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
}
