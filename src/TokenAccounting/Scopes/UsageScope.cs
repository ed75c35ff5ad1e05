namespace TokenAccounting;

/// <summary>
/// An attribution scope: every record made on this async flow while the scope is open — including in tasks
/// started inside it — is added exactly once into this scope and into every enclosing scope. Records also
/// inherit the user, tenant and tags of the innermost scope that set them, unless they set their own.
/// </summary>
/// <remarks>
/// Scopes form a stack kept in an <see cref="AsyncLocal{T}"/>: sibling tasks see only their own scopes.
/// Disposing a scope out of order, twice, or on another flow never throws and never corrupts the stack;
/// a disposed scope simply stops receiving usage.
/// </remarks>
/// <example>
/// <code>
/// using var run = UsageScope.Begin("agent-run", userId: "alice");
/// // ... calls that record usage ...
/// Console.WriteLine(run.Totals.Tokens.Total);
/// </code>
/// </example>
public sealed class UsageScope : IDisposable
{
    private static readonly AsyncLocal<UsageScope?> CurrentScope = new();

    private readonly UsageScope? _parent;
    private readonly int _pathLength;
    private UsageTotalsBucket[] _buckets = [];
    private string? _path;
    private volatile bool _disposed;

    private UsageScope(string name, UsageScope? parent, string? userId, string? tenantId, IReadOnlyDictionary<string, string>? tags, string? apiKeyId = null, string? route = null)
    {
        Name = name;
        _parent = parent;
        UserId = userId;
        TenantId = tenantId;
        Tags = tags;
        ApiKeyId = apiKeyId;
        Route = route;
        EffectiveUserId = userId ?? parent?.EffectiveUserId;
        EffectiveTenantId = tenantId ?? parent?.EffectiveTenantId;
        EffectiveTags = MergeTags(parent?.EffectiveTags, tags);
        EffectiveApiKeyId = apiKeyId ?? parent?.EffectiveApiKeyId;
        EffectiveRoute = route ?? parent?.EffectiveRoute;
        _pathLength = parent is null ? name.Length : parent._pathLength + 1 + name.Length;
    }

    /// <summary>Gets the innermost open scope on the current async flow, or null.</summary>
    public static UsageScope? Current => NearestOpen(CurrentScope.Value);

    /// <summary>Gets the scope's name.</summary>
    public string Name { get; }

    /// <summary>Gets the user this scope set, if any (not inherited).</summary>
    public string? UserId { get; }

    /// <summary>Gets the tenant this scope set, if any (not inherited).</summary>
    public string? TenantId { get; }

    /// <summary>Gets the tags this scope set, if any (not inherited).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; }

    /// <summary>Gets the API key id (never the secret) this scope set, if any (not inherited).</summary>
    public string? ApiKeyId { get; }

    /// <summary>Gets the route this scope set, if any (not inherited), for example an HTTP route template.</summary>
    public string? Route { get; }

    /// <summary>Gets the enclosing scope that was open when this one began, or null.</summary>
    public UsageScope? Parent => _parent;

    /// <summary>Gets the names of this scope and its enclosing scopes, outermost first, joined by <c>/</c>.</summary>
    public string Path => _path ??= _parent is null ? Name : string.Concat(_parent.Path, "/", Name);

    /// <summary>Gets whether the scope was disposed (it no longer receives usage).</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Gets a thread-safe snapshot of the usage attributed to this scope so far.</summary>
    public UsageTotals Totals => UsageTotals.From(Volatile.Read(ref _buckets));

    internal string? EffectiveUserId { get; }

    internal string? EffectiveTenantId { get; }

    internal IReadOnlyDictionary<string, string>? EffectiveTags { get; }

    internal string? EffectiveApiKeyId { get; }

    internal string? EffectiveRoute { get; }

    /// <summary>Opens a scope on the current async flow.</summary>
    /// <param name="name">The scope's name (used in <see cref="UsageRecord.ScopePath"/>).</param>
    /// <returns>The scope; dispose it to close it.</returns>
    public static UsageScope Begin(string name) => Begin(name, null, null, null);

    /// <summary>Opens a scope on the current async flow that attributes usage to a user and tenant.</summary>
    /// <param name="name">The scope's name (used in <see cref="UsageRecord.ScopePath"/>).</param>
    /// <param name="userId">The user inherited by records without their own, or null to inherit from the enclosing scope.</param>
    /// <param name="tenantId">The tenant inherited by records without their own, or null to inherit from the enclosing scope.</param>
    /// <param name="tags">Tags added to records (a record's own tag with the same key wins), or null.</param>
    /// <returns>The scope; dispose it to close it.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is empty, or a value breaks the rules that <see cref="UsageRecord.Validate"/> applies to what
    /// records inherit from the scope (see <see cref="UsageRecordLimits"/>): NUL or an unpaired surrogate in any string,
    /// an id longer than <see cref="UsageRecordLimits.MaxIdLength"/>, a <see cref="Path"/> longer than
    /// <see cref="UsageRecordLimits.MaxScopePathLength"/>, or more than <see cref="UsageRecordLimits.MaxTagCount"/> tags
    /// on the chain of scopes. The message names the parameter and the rule; no scope is opened.
    /// </exception>
    public static UsageScope Begin(string name, string? userId, string? tenantId = null, IReadOnlyDictionary<string, string>? tags = null) =>
        Begin(name, userId, tenantId, apiKeyId: null, route: null, tags);

    /// <summary>
    /// Opens a scope on the current async flow that attributes usage to a user, tenant, API key and route (as a web
    /// request does). Records without their own <see cref="UsageRecord.ApiKeyId"/> or <see cref="UsageRecord.Route"/>
    /// inherit them from the innermost scope that set them, like the user and tenant.
    /// </summary>
    /// <param name="name">The scope's name (used in <see cref="UsageRecord.ScopePath"/>).</param>
    /// <param name="userId">The user inherited by records without their own, or null to inherit from the enclosing scope.</param>
    /// <param name="tenantId">The tenant inherited by records without their own, or null to inherit from the enclosing scope.</param>
    /// <param name="apiKeyId">The API key id (never the key itself) inherited by records without their own, or null to inherit.</param>
    /// <param name="route">The route inherited by records without their own, or null to inherit.</param>
    /// <param name="tags">Tags added to records (a record's own tag with the same key wins), or null.</param>
    /// <returns>The scope; dispose it to close it.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="name"/> is empty, or a value breaks the rules records are held to (see
    /// <see cref="UsageRecordLimits"/>); the message names the parameter and the rule; no scope is opened.
    /// </exception>
    public static UsageScope Begin(string name, string? userId, string? tenantId, string? apiKeyId, string? route, IReadOnlyDictionary<string, string>? tags = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        const string Owner = nameof(UsageScope);
        UsageStringRules.Check(name, UsageRecordLimits.MaxScopePathLength, Owner, nameof(name), "UsageRecordLimits.MaxScopePathLength");
        UsageStringRules.Check(userId, UsageRecordLimits.MaxIdLength, Owner, nameof(userId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.Check(tenantId, UsageRecordLimits.MaxIdLength, Owner, nameof(tenantId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.Check(apiKeyId, UsageRecordLimits.MaxIdLength, Owner, nameof(apiKeyId), "UsageRecordLimits.MaxIdLength");
        UsageStringRules.Check(route, UsageRecordLimits.MaxRouteLength, Owner, nameof(route), "UsageRecordLimits.MaxRouteLength");
        UsageStringRules.CheckTags(tags, Owner, nameof(tags));
        var scope = new UsageScope(name, NearestOpen(CurrentScope.Value), userId, tenantId, tags, apiKeyId, route);
        if (scope._pathLength > UsageRecordLimits.MaxScopePathLength)
        {
            throw new ArgumentException(
                $"UsageScope.name: the scope's Path would be {scope._pathLength} characters long; at most {UsageRecordLimits.MaxScopePathLength} are allowed (UsageRecordLimits.MaxScopePathLength): records inherit it as their ScopePath.",
                nameof(name));
        }

        if (scope.EffectiveTags is { Count: > UsageRecordLimits.MaxTagCount } effective)
        {
            throw new ArgumentException(
                $"UsageScope.tags: the chain of scopes would carry {effective.Count} tags; at most {UsageRecordLimits.MaxTagCount} are allowed (UsageRecordLimits.MaxTagCount).",
                nameof(tags));
        }

        CurrentScope.Value = scope;
        return scope;
    }

    /// <summary>Closes the scope. Never throws; safe to call twice, out of order or from another flow.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Only the flow whose innermost scope this is pops it; other flows skip disposed scopes lazily.
        if (ReferenceEquals(CurrentScope.Value, this))
        {
            CurrentScope.Value = NearestOpen(_parent);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Totals}";

    /// <summary>Gets the innermost scope object on the flow, open or not (the hot path filters while walking).</summary>
    internal static UsageScope? CurrentRaw => CurrentScope.Value;

    /// <summary>Adds usage into this scope and every open enclosing scope.</summary>
    /// <returns>A mask with bit i set when the i-th scope up the chain was open and received the usage.</returns>
    internal static ulong AddToChain(UsageScope? scope, UsageOperation operation, string model, in TokenCounts tokens) =>
        AddToChain(scope, operation, model, tokens, Environment.CurrentManagedThreadId);

    /// <summary><see cref="AddToChain(UsageScope?, UsageOperation, string, in TokenCounts)"/> for a caller that has read its thread's id already.</summary>
    /// <param name="scope">The innermost open scope.</param>
    /// <param name="operation">The record's operation.</param>
    /// <param name="model">The record's model.</param>
    /// <param name="tokens">The record's counts.</param>
    /// <param name="threadId">The calling thread's <see cref="Environment.CurrentManagedThreadId"/> (the buckets' owner check).</param>
    internal static ulong AddToChain(UsageScope? scope, UsageOperation operation, string model, in TokenCounts tokens, int threadId)
    {
        ulong mask = 0;
        var depth = 0;
        for (var s = scope; s is not null; s = s._parent, depth++)
        {
            if (!s._disposed)
            {
                s.GetBucket(operation, model).Add(tokens, threadId);
                if (depth < 64)
                {
                    mask |= 1UL << depth;
                }
            }
        }

        return mask;
    }

    /// <summary>Adds a priced cost into the scopes that received the record's tokens (see <see cref="AddToChain(UsageScope?, UsageOperation, string, in TokenCounts)"/>).</summary>
    internal static void AddCostToChain(UsageScope? scope, ulong mask, UsageOperation operation, string model, UsageCost cost)
    {
        var depth = 0;
        for (var s = scope; s is not null && depth < 64; s = s._parent, depth++)
        {
            if ((mask & (1UL << depth)) != 0)
            {
                s.GetBucket(operation, model).AddCost(cost);
            }
        }
    }

    /// <summary>Counts an unpriced record in the scopes that received its tokens (see <see cref="AddToChain(UsageScope?, UsageOperation, string, in TokenCounts)"/>).</summary>
    internal static void AddUnpricedToChain(UsageScope? scope, ulong mask, UsageOperation operation, string model)
    {
        var depth = 0;
        for (var s = scope; s is not null && depth < 64; s = s._parent, depth++)
        {
            if ((mask & (1UL << depth)) != 0)
            {
                s.GetBucket(operation, model).AddUnpriced();
            }
        }
    }

    internal static UsageScope? NearestOpen(UsageScope? scope)
    {
        while (scope is not null && scope._disposed)
        {
            scope = scope._parent;
        }

        return scope;
    }

    /// <summary>Merges tags, the inner (or the record's own) value winning per key; allocates only when both have tags.</summary>
    internal static IReadOnlyDictionary<string, string>? MergeTags(IReadOnlyDictionary<string, string>? outer, IReadOnlyDictionary<string, string>? inner)
    {
        if (inner is null || inner.Count == 0)
        {
            return outer;
        }

        if (outer is null || outer.Count == 0)
        {
            return inner;
        }

        var merged = new Dictionary<string, string>(outer, StringComparer.Ordinal);
        foreach (var pair in inner)
        {
            merged[pair.Key] = pair.Value;
        }

        return merged;
    }

    private UsageTotalsBucket GetBucket(UsageOperation operation, string model)
    {
        // Copy-on-write array: scopes see few (operation, model) pairs, so a scan beats a dictionary.
        var buckets = Volatile.Read(ref _buckets);
        foreach (var bucket in buckets)
        {
            if (bucket.Matches(operation, model))
            {
                return bucket;
            }
        }

        lock (this)
        {
            buckets = _buckets;
            foreach (var bucket in buckets)
            {
                if (bucket.Matches(operation, model))
                {
                    return bucket;
                }
            }

            var created = new UsageTotalsBucket(operation, model);
            var grown = new UsageTotalsBucket[buckets.Length + 1];
            buckets.CopyTo(grown, 0);
            grown[^1] = created;
            Volatile.Write(ref _buckets, grown);
            return created;
        }
    }
}
